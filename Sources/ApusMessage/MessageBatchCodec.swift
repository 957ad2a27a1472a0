// MessageBatchCodec: the body of a batch send (§2.6), a concatenation of length-prefixed elements.

public struct MessageBatchElement: Sendable, Equatable {
    public var flag: Int32
    public var body: [UInt8]
    public var properties: String

    public init(flag: Int32 = 0, body: [UInt8], properties: String) {
        self.flag = flag
        self.body = body
        self.properties = properties
    }
}

public enum MessageBatchError: Error, Equatable {
    case malformed(String)
}

/// Element layout (big-endian): totalSize i32 (= 20 + bodyLen + 2 + propertiesLen) | magic i32 (0) | bodyCRC i32 (0) |
/// flag i32 | bodyLen i32 | body | propertiesLen i16 | properties.
public enum MessageBatchCodec {
    public static func decode(_ body: UnsafeRawBufferPointer) throws -> [MessageBatchElement] {
        var elements: [MessageBatchElement] = []
        var reader = ByteReader(body)
        while reader.remaining > 0 {
            let start = reader.position
            guard let totalSize = reader.int32(), reader.skip(8), let flag = reader.int32(), let bodyLength = reader.int32(),
                  bodyLength >= 0, let elementBody = reader.bytes(Int(bodyLength)), let propertiesLength = reader.int16(),
                  propertiesLength >= 0, let properties = reader.bytes(Int(propertiesLength))
            else { throw MessageBatchError.malformed("truncated element at \(start)") }
            guard Int(totalSize) == reader.position - start else {
                throw MessageBatchError.malformed("element at \(start) declares \(totalSize) bytes, has \(reader.position - start)")
            }
            elements.append(MessageBatchElement(flag: flag, body: Array(elementBody),
                                                properties: String(decoding: properties, as: UTF8.self)))
        }
        return elements
    }

    public static func encode(_ elements: [MessageBatchElement]) -> [UInt8] {
        var out: [UInt8] = []
        for element in elements {
            let properties = Array(element.properties.utf8)
            out.appendBigEndian(Int32(20 + element.body.count + 2 + properties.count))
            out.appendBigEndian(Int32(0))
            out.appendBigEndian(Int32(0))
            out.appendBigEndian(element.flag)
            out.appendBigEndian(Int32(element.body.count))
            out += element.body
            out.appendBigEndian(Int16(properties.count))
            out += properties
        }
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

/// Bounds-checked big-endian reader over raw bytes; every accessor returns nil instead of trapping.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(bigEndian: value)
    }

    mutating func int16() -> Int16? { integer(Int16.self) }
    mutating func int32() -> Int32? { integer(Int32.self) }
    mutating func int64() -> Int64? { integer(Int64.self) }
    mutating func uint8() -> UInt8? { integer(UInt8.self) }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        position += count
        return true
    }

    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }
}
