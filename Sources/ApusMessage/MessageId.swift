// MessageId: the broker's offset message id (§4.5), store host + port + commit-log offset as 32 hex chars.

public enum MessageId {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    public static func offsetMessageId(storeHost: HostAddress, commitLogOffset: Int64) -> String {
        String(unsafeUninitializedCapacity: 32) { out in
            var i = 0
            func put(_ value: UInt64, bytes: Int) {
                for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) {
                    let byte = Int(value >> UInt64(shift) & 0xFF)
                    out[i] = hexDigits[byte >> 4]
                    out[i + 1] = hexDigits[byte & 0xF]
                    i += 2
                }
            }
            put(UInt64(storeHost.ipv4), bytes: 4)
            put(UInt64(UInt32(bitPattern: storeHost.port)), bytes: 4)
            put(UInt64(bitPattern: commitLogOffset), bytes: 8)
            return 32
        }
    }

    public static func decodeOffsetMessageId(_ id: String) -> (storeHost: HostAddress, commitLogOffset: Int64)? {
        let utf8 = Array(id.utf8)
        guard utf8.count == 32 else { return nil }
        var values = [UInt64](repeating: 0, count: 3)
        let widths = [8, 8, 16]
        var i = 0
        for field in 0..<3 {
            for _ in 0..<widths[field] {
                let c = utf8[i]
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                default: return nil
                }
                values[field] = values[field] << 4 | UInt64(digit)
                i += 1
            }
        }
        let host = HostAddress(ipv4: UInt32(values[0]), port: Int32(bitPattern: UInt32(values[1])))
        return (host, Int64(bitPattern: values[2]))
    }
}
