// MessageId: the broker's offset message id (§4.5), store host + port + commit-log offset as 32 hex chars.

public enum MessageId {
    public static func offsetMessageId(storeHost: HostAddress, commitLogOffset: Int64) -> String {
        OffsetMessageId(storeHost: storeHost, commitLogOffset: commitLogOffset).text
    }

    public static func decodeOffsetMessageId(_ id: String) -> (storeHost: HostAddress, commitLogOffset: Int64)? {
        let utf8 = Array(id.utf8)
        guard utf8.count == 32 else { return nil }
        var values = [UInt64](repeating: 0, count: 3)
        let widths = [8, 8, 16]
        var i = 0
        for field in 0..<3 {
            for _ in 0..<widths[field] {
                guard let digit = HexDigit.value(utf8[i]) else { return nil }
                values[field] = values[field] << 4 | UInt64(digit)
                i += 1
            }
        }
        let host = HostAddress(ipv4: UInt32(values[0]), port: Int32(bitPattern: UInt32(values[1])))
        return (host, Int64(bitPattern: values[2]))
    }
}

/// An offset message id kept as its numbers, so that a send response writes its 32 digits straight into the frame
/// instead of building a string per message.
public struct OffsetMessageId: Sendable, Hashable {
    public static let textLength = 32

    public var storeHost: HostAddress
    public var commitLogOffset: Int64

    public init(storeHost: HostAddress, commitLogOffset: Int64) {
        self.storeHost = storeHost
        self.commitLogOffset = commitLogOffset
    }

    public var text: String {
        String(unsafeUninitializedCapacity: Self.textLength) { out in
            writeText(to: UnsafeMutableRawPointer(out.baseAddress!))
            return Self.textLength
        }
    }

    /// Writes the 32 uppercase hex digits: address, port, offset (4, 4 and 8 bytes, big-endian).
    public func writeText(to out: UnsafeMutableRawPointer) {
        Self.hex(UInt64(storeHost.ipv4) << 32 | UInt64(UInt32(bitPattern: storeHost.port)), to: out)
        Self.hex(UInt64(bitPattern: commitLogOffset), to: out + 16)
    }

    private static func hex(_ value: UInt64, to out: UnsafeMutableRawPointer) {
        for i in 0..<16 {
            let digit = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * i)) & 0xF
            out.storeBytes(of: digit < 10 ? 0x30 + digit : 0x37 + digit, toByteOffset: i, as: UInt8.self)
        }
    }
}
