// HexDigit: the value of one ASCII hex digit, shared by every reader of hex text (message ids, JSON `\u` escapes,
// percent-encoded URLs).

public enum HexDigit {
    /// The value of `c` as a hex digit of either case (`0`–`9`, `a`–`f`, `A`–`F`); nil for any other byte.
    @inlinable @inline(__always)
    public static func value(_ c: UInt8) -> UInt8? {
        let d = c &- UInt8(ascii: "0")
        if d <= 9 { return d }
        let letter = (c | 0x20) &- UInt8(ascii: "a")  // either case of a–f
        return letter < 6 ? letter + 10 : nil
    }
}
