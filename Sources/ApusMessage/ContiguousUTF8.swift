// ContiguousUTF8: reading a string's UTF-8 bytes without copying the string — in place when it is native, from a
// contiguous copy only when it is bridged or lazily stored — and comparing two strings' bytes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Calls `body` with the string's UTF-8 bytes. A native string (every string the broker makes or decodes) is read
    /// in place; any other is first copied into a contiguous one. Unlike `withUTF8`, which is `mutating`, this reads a
    /// borrowed string without copying it into a variable first: that copy cost a retain and a release per call on
    /// the send path.
    @inlinable @inline(__always)
    public func withContiguousUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var contiguous = self
        return try contiguous.withUTF8(body)
    }
}

extension String {
    /// Whether the two strings are the same bytes: a length check and a `memcmp`. Every send and pull compares its
    /// topic with the name of the topic config looked up last (a different string with the same bytes), and `==`,
    /// which compares canonical equivalence, cost about 270 instructions there. Byte-equal strings are always `==`; the converse
    /// fails only for strings with different normalizations, which names checked for ASCII never have.
    @inlinable
    public func hasSameUTF8(as other: String) -> Bool {
        other.withContiguousUTF8 { hasSameUTF8(as: $0) }
    }

    /// Whether the string is exactly `bytes`.
    @inlinable
    public func hasSameUTF8(as bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        utf8.count == bytes.count
            && withContiguousUTF8 { a in a.isEmpty || memcmp(a.baseAddress!, bytes.baseAddress!, a.count) == 0 }
    }
}
