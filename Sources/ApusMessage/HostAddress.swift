// HostAddress: an IPv4 address and port as stored in message records (born host, store host).

public struct HostAddress: Hashable, Sendable, CustomStringConvertible {
    /// IPv4 address in host order: 127.0.0.1 is 0x7F00_0001.
    public var ipv4: UInt32
    public var port: Int32

    public init(ipv4: UInt32, port: Int32) {
        self.ipv4 = ipv4
        self.port = port
    }

    /// Parses dotted IPv4 "a.b.c.d" and a port.
    public init?(ip: String, port: Int) {
        let parts = ip.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        guard port >= 0, port <= 65535 else { return nil }
        self.init(ipv4: value, port: Int32(port))
    }

    /// Parses "a.b.c.d:port".
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        self.init(ip: String(text[..<colon]), port: port)
    }

    public var ipString: String {
        "\(ipv4 >> 24 & 0xFF).\(ipv4 >> 16 & 0xFF).\(ipv4 >> 8 & 0xFF).\(ipv4 & 0xFF)"
    }

    /// "a.b.c.d:port", the spelling clients use to key connections.
    public var description: String { "\(ipString):\(port)" }

    public static let zero = HostAddress(ipv4: 0, port: 0)
}
