// MessagePropertyCodec: the properties string (§4.4), `key 0x01 value 0x02` per pair — decode, encode, lookup, and
// the edits (append, set, remove) that must work whether or not the string ends with 0x02: the C++ client always
// ends it with one, Java 4.9.x encodes batch elements' properties without the last one.

public enum MessagePropertyCodec {
    static let nameSeparator: UInt8 = 0x01
    static let pairSeparator: UInt8 = 0x02

    /// Decodes every pair with a non-empty key (empty values are kept, as Java does); the last duplicate wins.
    public static func decode(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for piece in text.utf8.split(separator: pairSeparator) {
            guard let sep = piece.firstIndex(of: nameSeparator), sep != piece.startIndex else { continue }
            let key = String(decoding: piece[piece.startIndex..<sep], as: UTF8.self)
            let value = String(decoding: piece[piece.index(after: sep)...], as: UTF8.self)
            result[key] = value
        }
        return result
    }

    /// Encodes pairs in order, with a trailing 0x02 after every pair.
    public static func encode(_ pairs: [(String, String)]) -> String {
        var out = ""
        for (key, value) in pairs {
            out += key
            out += "\u{01}"
            out += value
            out += "\u{02}"
        }
        return out
    }

    /// Appends the pair `key`/`value`, first adding the pair separator when `text` lacks a trailing one (Java 4.9 ends
    /// properties without it; the C++ client always ends with it). The result ends without one, as RocketMQ 4.9
    /// stores properties.
    public static func append(_ key: String, _ value: String, to text: inout String) {
        if let last = text.utf8.last, last != pairSeparator { text += "\u{02}" }
        text += key
        text += "\u{01}"
        text += value
    }

    /// `extra`'s pairs after `properties`' pairs, with a 0x02 between them when `properties` lacks a trailing one.
    public static func appending(_ extra: String, to properties: String) -> String {
        var out = properties
        append(extra, to: &out)
        return out
    }

    public static func append(_ extra: String, to properties: inout String) {
        guard !extra.isEmpty else { return }
        if let last = properties.utf8.last, last != pairSeparator {
            properties.reserveCapacity(properties.utf8.count + 1 + extra.utf8.count)
            properties.append("\u{02}")
        }
        properties.append(extra)
    }

    /// Replaces every pair named `key` by one `key=value` pair at the end.
    public static func set(_ key: String, _ value: String, in properties: inout String) {
        remove(key, from: &properties)
        append(encode([(key, value)]), to: &properties)
    }

    /// Removes every pair named `key`; the string is untouched when there is none.
    public static func remove(_ key: String, from properties: inout String) {
        let keyBytes = Array(key.utf8)
        guard !keyBytes.isEmpty else { return }
        let bytes = Array(properties.utf8)
        var out: [UInt8] = []
        var removed = false
        var pairStart = 0
        while pairStart < bytes.count {
            var end = pairStart
            while end < bytes.count && bytes[end] != pairSeparator { end += 1 }
            let keyEnd = pairStart + keyBytes.count
            let matches = keyEnd < end && bytes[keyEnd] == nameSeparator && bytes[pairStart..<keyEnd].elementsEqual(keyBytes)
            if matches {
                if !removed {
                    out.reserveCapacity(bytes.count)
                    out.append(contentsOf: bytes[0..<pairStart])
                    removed = true
                }
            } else if removed {
                out.append(contentsOf: bytes[pairStart..<min(end + 1, bytes.count)])
            }
            pairStart = end + 1
        }
        if removed { properties = String(decoding: out, as: UTF8.self) }
    }

    /// The value of `key` (the last occurrence), found by scanning the UTF-8 bytes without building a dictionary.
    public static func value(of key: String, in text: String) -> String? {
        var text = text, key = key
        return text.withUTF8 { bytes in
            key.withUTF8 { keyBytes in
                valueRange(of: keyBytes, in: bytes).map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
            }
        }
    }

    /// Byte range of the value of the last pair named `key` in `bytes`, if any.
    public static func valueRange(of key: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        guard !key.isEmpty else { return nil }
        var found: Range<Int>?
        var pairStart = 0
        let count = bytes.count
        while pairStart < count {
            var end = pairStart
            while end < count && bytes[end] != pairSeparator { end += 1 }
            let keyEnd = pairStart + key.count
            if keyEnd < end && bytes[keyEnd] == nameSeparator
                && memcmp(bytes.baseAddress! + pairStart, key.baseAddress!, key.count) == 0 {
                found = (keyEnd + 1)..<end
            }
            pairStart = end + 1
        }
        return found
    }
}

@inline(__always)
private func memcmp(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int {
    for i in 0..<n where a[i] != b[i] { return 1 }
    return 0
}
