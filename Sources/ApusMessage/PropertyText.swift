// PropertyText: a sent message's properties as they arrived — a string, or the bytes of a binary send header read in
// place, which become a string only if someone asks.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The properties text (§4.4, `key 0x01 value 0x02`…) of a send. A binary send header's are kept as a slice of its
/// frame: the broker rewrites them into the stored properties straight from those bytes, so a send makes one
/// properties string, not two (the first one's allocation and UTF-8 check were 2% of the broker's W1 CPU).
/// Equal when the bytes are.
public enum PropertyText: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    case string(String)
    case bytes(ByteBuffer)

    public init(stringLiteral value: String) { self = .string(value) }

    public var string: String {
        switch self {
        case let .string(text): return text
        case let .bytes(bytes): return String(buffer: bytes)
        }
    }

    public var description: String { string }

    public var isEmpty: Bool {
        switch self {
        case let .string(text): return text.isEmpty
        case let .bytes(bytes): return bytes.readableBytes == 0
        }
    }

    /// Calls `body` with the UTF-8 bytes (as sent: a binary header's are not checked for valid UTF-8).
    public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch self {
        case let .string(text):
            return try text.withContiguousUTF8(body)
        case let .bytes(bytes):
            return try bytes.withUnsafeReadableBytes { try body($0.assumingMemoryBound(to: UInt8.self)) }
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) } }
    }
}
