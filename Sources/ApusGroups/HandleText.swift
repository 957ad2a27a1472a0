// HandleText: the text form shared by the HTTP receipt handles (HTTPReceiptHandle, HalfReceiptHandle) — a fixed
// prefix, then hexadecimal numbers separated by "-" — written and read as bytes, and the FNV-1a hash of the names a
// handle belongs to. Every consumed message gets one and
// every ack reads one back: through `String`'s `split` and `UInt64(_:radix:)`, which walk grapheme clusters, reading
// a handle took some 18,800 instructions.

import ApusMessage

enum HandleText {
    /// `prefix`, then each value in hexadecimal (no leading zeros), `-` between values.
    static func make(prefix: StaticString, _ values: [UInt64], uppercase: Bool) -> String {
        let capacity = prefix.utf8CodeUnitCount + values.count * 17
        return String(unsafeUninitializedCapacity: capacity) { out in
            var n = 0
            prefix.withUTF8Buffer { for byte in $0 { out[n] = byte; n += 1 } }
            let letters = uppercase ? UInt8(ascii: "A") - 10 : UInt8(ascii: "a") - 10
            for (i, value) in values.enumerated() {
                if i > 0 { out[n] = UInt8(ascii: "-"); n += 1 }
                var shift = max(0, (UInt64.bitWidth - value.leadingZeroBitCount + 3) / 4 - 1) * 4
                while true {
                    let digit = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xF
                    out[n] = digit < 10 ? UInt8(ascii: "0") + digit : letters + digit
                    n += 1
                    if shift == 0 { break }
                    shift -= 4
                }
            }
            return n
        }
    }

    /// The `count` values of a text `make` wrote: `prefix`, then `count` runs of one or more hex digits of either
    /// case (each fitting 64 bits) separated by single `-`s, and nothing else, in fewer than `maxBytes` bytes; nil for
    /// anything else.
    static func parse(_ text: String, prefix: StaticString, count: Int, maxBytes: Int) -> [UInt64]? {
        var text = text
        return text.withUTF8 { bytes -> [UInt64]? in
            let start = prefix.utf8CodeUnitCount
            guard bytes.count < maxBytes, bytes.count > start,
                  prefix.withUTF8Buffer({ $0.elementsEqual(bytes[..<start]) }) else { return nil }
            var values: [UInt64] = []
            values.reserveCapacity(count)
            var value: UInt64 = 0
            var digits = 0
            for byte in bytes[start...] {
                if let digit = HexDigit.value(byte) {
                    guard value >> 60 == 0 else { return nil }  // a 17th significant digit
                    value = value << 4 | UInt64(digit)
                    digits += 1
                } else {
                    guard byte == UInt8(ascii: "-"), digits > 0, values.count + 1 < count else { return nil }
                    values.append(value)
                    value = 0
                    digits = 0
                }
            }
            guard digits > 0 else { return nil }
            values.append(value)
            return values.count == count ? values : nil
        }
    }

    /// FNV-1a 32 of the UTF-8 of `first`, then (when given) a 0 byte and `second`: the names a handle belongs to, so
    /// that another group's or topic's handle is refused. Plain loops: a nested function passed to `forEach` boxed
    /// the hash and checked it for exclusive access on every byte (18,000 instructions a consumed message).
    static func hash(_ first: String, _ second: String? = nil) -> UInt32 {
        let prime: UInt32 = 16_777_619
        var hash: UInt32 = 2_166_136_261
        for byte in first.utf8 { hash = (hash ^ UInt32(byte)) &* prime }
        if let second {
            hash = hash &* prime  // the separating 0 byte
            for byte in second.utf8 { hash = (hash ^ UInt32(byte)) &* prime }
        }
        return hash
    }
}
