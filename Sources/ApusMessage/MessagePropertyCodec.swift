// MessagePropertyCodec: the properties string (§4.4), `key 0x01 value 0x02` per pair — decode, encode, lookup, and
// the edits (append, set, remove) that must work whether or not the string ends with 0x02: the C++ client always
// ends it with one, Java 4.9.x encodes batch elements' properties without the last one.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One rewrite that many messages' properties go through (the broker's for every send: drop `WAIT`, add `CLUSTER`), its
/// names held as bytes made once: reading three strings in nested closures for each rewrite had cost two retains and
/// two releases per send. Immutable once made.
public final class PropertyReplacement: @unchecked Sendable {
    /// The removed key's bytes, then the appended key's, then its value's.
    private let names: UnsafeMutableBufferPointer<UInt8>
    private let removedCount: Int
    private let keyCount: Int

    public init(removing removed: String, appending key: String, _ value: String) {
        let all = Array(removed.utf8) + Array(key.utf8) + Array(value.utf8)
        names = .allocate(capacity: Swift.max(all.count, 1))
        _ = names.initialize(from: all)
        removedCount = removed.utf8.count
        keyCount = key.utf8.count
    }

    deinit { names.deallocate() }

    /// The pairs of `properties` not named as removed, then the appended pair, with the digest of what was written.
    public func apply(to properties: UnsafeBufferPointer<UInt8>) -> (properties: String, digest: PropertyDigest) {
        let all = UnsafeBufferPointer(names)
        var digest = PropertyDigest()
        let rewritten = MessagePropertyCodec.rewrite(
            properties, removing: UnsafeBufferPointer(rebasing: all[..<removedCount]),
            appending: (UnsafeBufferPointer(rebasing: all[removedCount..<removedCount + keyCount]),
                        UnsafeBufferPointer(rebasing: all[(removedCount + keyCount)...])),
            digest: &digest)
        return (rewritten, digest)
    }
}

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
        for (key, value) in pairs { appendPair(key, value, to: &out) }
        return out
    }

    /// Appends `key 0x01 value 0x02` (for a string built pair by pair, each ending with 0x02).
    public static func appendPair(_ key: String, _ value: String, to out: inout String) {
        out += key
        out += "\u{01}"
        out += value
        out += "\u{02}"
    }

    /// What a producer sends: `UNIQ_KEY`, `WAIT=true`, then `TAGS`, `KEYS` and the other pairs, each ending with 0x02,
    /// written with one allocation (appending pair by pair was a sixteenth of the Swift producer's CPU per send).
    public static func encode(uniqueKey: String, tags: String?, keys: String?, sortedOtherPairs: [(key: String, value: String)]) -> String {
        return uniqueKey.withContiguousUTF8 { key in
            let length = producedLength(uniqueKeyLength: key.count, tags: tags, keys: keys, sortedOtherPairs: sortedOtherPairs)
            return String(unsafeUninitializedCapacity: length) { out in
                writeProduced(uniqueKey: UnsafeRawBufferPointer(key), tags: tags, keys: keys, sortedOtherPairs: sortedOtherPairs,
                              into: UnsafeMutableRawBufferPointer(out))
            }
        }
    }

    /// The length of `encode(uniqueKey:tags:keys:sortedOtherPairs:)`'s bytes, for a caller that writes them itself
    /// (`writeProduced`): the Swift producer writes them on the stack, for the frame, without a string per send.
    public static func producedLength(uniqueKeyLength: Int, tags: String?, keys: String?,
                                      sortedOtherPairs: [(key: String, value: String)]) -> Int {
        var length = MessageProperty.uniqueKey.utf8.count + uniqueKeyLength + 2 + MessageProperty.wait.utf8.count + 4 + 2
        func measure(_ key: String, _ value: String) { length += key.utf8.count + value.utf8.count + 2 }
        if let tags { measure(MessageProperty.tags, tags) }
        if let keys { measure(MessageProperty.keys, keys) }
        for pair in sortedOtherPairs { measure(pair.key, pair.value) }
        return length
    }

    /// Writes `encode(uniqueKey:tags:keys:sortedOtherPairs:)`'s bytes into `out` (`producedLength` bytes at least);
    /// returns how many.
    public static func writeProduced(uniqueKey: UnsafeRawBufferPointer, tags: String?, keys: String?,
                                     sortedOtherPairs: [(key: String, value: String)], into out: UnsafeMutableRawBufferPointer) -> Int {
        var o = 0
        func put(_ bytes: UnsafeRawBufferPointer) {
            UnsafeMutableRawBufferPointer(rebasing: out[o...]).copyMemory(from: bytes)
            o += bytes.count
        }
        func put(_ text: String) {
            text.withContiguousUTF8 { put(UnsafeRawBufferPointer($0)) }
        }
        func separator(_ byte: UInt8) {
            out[o] = byte
            o += 1
        }
        func pair(_ key: String, _ value: String) {
            put(key)
            separator(nameSeparator)
            put(value)
            separator(pairSeparator)
        }
        put(MessageProperty.uniqueKey)
        separator(nameSeparator)
        put(uniqueKey)
        separator(pairSeparator)
        pair(MessageProperty.wait, "true")
        if let tags { pair(MessageProperty.tags, tags) }
        if let keys { pair(MessageProperty.keys, keys) }
        for other in sortedOtherPairs { pair(other.key, other.value) }
        return o
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
        guard let kept = properties.withUTF8({ bytes in
            key.withContiguousUTF8 { key in
                var unused = PropertyDigest()
                return keptLength(removing: key, from: bytes) < bytes.count ? rewrite(bytes, removing: key, appending: nil, digest: &unused) : nil
            }
        }) else { return }
        properties = kept
    }

    /// `properties` without its pairs named `removed` and with `key`/`value` appended, as `remove` then `append` would
    /// leave it, built with one allocation, and the digest of the result from the same pass: the broker does this to
    /// every message it stores (no WAIT, CLUSTER added).
    public static func replacing(_ removed: String, appending key: String, _ value: String,
                                 in properties: String) -> (properties: String, digest: PropertyDigest) {
        replacing(removed, appending: key, value, in: PropertyText.string(properties))
    }

    /// As `replacing(_:appending:_:in:)` for properties as they arrived, a binary header's bytes rewritten in place.
    /// Invalid UTF-8 among them ends up as it would from their string: the separators are ASCII, so the new string
    /// replaces the same runs, and the digest hashes tags as `String(decoding:)` reads them.
    public static func replacing(_ removed: String, appending key: String, _ value: String,
                                 in properties: PropertyText) -> (properties: String, digest: PropertyDigest) {
        properties.withUTF8 { PropertyReplacement(removing: removed, appending: key, value).apply(to: $0) }
    }

    /// Bytes left after dropping the pairs named `key` (each with its trailing separator).
    private static func keptLength(removing key: UnsafeBufferPointer<UInt8>, from bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var kept = 0
        forEachPair(in: bytes, named: key) { range, named in if !named { kept += range.count } }
        return kept
    }

    /// The pairs of `bytes` not named `key`, then `pair`; `digest` notes every pair written.
    static func rewrite(_ bytes: UnsafeBufferPointer<UInt8>, removing key: UnsafeBufferPointer<UInt8>,
                        appending pair: (key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)?,
                        digest: inout PropertyDigest) -> String {
        let capacity = bytes.count + (pair.map { 2 + $0.key.count + $0.value.count } ?? 0)
        return String(unsafeUninitializedCapacity: capacity) { out in
            var o = 0
            func copy(_ source: UnsafeBufferPointer<UInt8>) {
                guard let base = source.baseAddress, !source.isEmpty else { return }
                UnsafeMutableRawPointer(out.baseAddress! + o).copyMemory(from: base, byteCount: source.count)
                o += source.count
            }
            forEachPair(in: bytes, named: key) { range, named in
                guard !named else { return }
                copy(UnsafeBufferPointer(rebasing: bytes[range]))
                digest.note(pair: UnsafeBufferPointer(rebasing: bytes[range]))
            }
            if let pair {
                digest.note(key: pair.key, value: pair.value)
                if o > 0 && out[o - 1] != pairSeparator {
                    out[o] = pairSeparator
                    o += 1
                }
                copy(pair.key)
                out[o] = nameSeparator
                o += 1
                copy(pair.value)
            }
            return o
        }
    }

    /// Calls `body` with each pair's byte range (its trailing separator included, if any) and whether it is named `key`.
    private static func forEachPair(in bytes: UnsafeBufferPointer<UInt8>, named key: UnsafeBufferPointer<UInt8>,
                                    _ body: (Range<Int>, Bool) -> Void) {
        var pairStart = 0
        while pairStart < bytes.count {
            let end = index(of: pairSeparator, in: bytes, from: pairStart, to: bytes.count)
            let keyEnd = pairStart + key.count
            let named = !key.isEmpty && keyEnd < end && bytes[keyEnd] == nameSeparator
                && memcmp(bytes.baseAddress! + pairStart, key.baseAddress!, key.count) == 0
            body(pairStart..<Swift.min(end + 1, bytes.count), named)
            pairStart = end + 1
        }
    }

    /// Calls `body` with the key and the value's range of each pair that has a name separator, in order.
    static func forEachKeyValue(in bytes: UnsafeBufferPointer<UInt8>,
                                _ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Void) {
        var pairStart = 0
        while pairStart < bytes.count {
            let end = index(of: pairSeparator, in: bytes, from: pairStart, to: bytes.count)
            let keyEnd = index(of: nameSeparator, in: bytes, from: pairStart, to: end)
            if keyEnd < end { body(UnsafeBufferPointer(rebasing: bytes[pairStart..<keyEnd]), (keyEnd + 1)..<end) }
            pairStart = end + 1
        }
    }

    /// The index of the first `byte` in `bytes[from..<to]`, or `to` (memchr: a byte loop cost twice as much).
    private static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        guard from < to, let found = memchr(bytes.baseAddress! + from, Int32(byte), to - from) else { return to }
        return bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// The value of `key` (the last occurrence), found by scanning the UTF-8 bytes without building a dictionary.
    public static func value(of key: String, in text: String) -> String? {
        return text.withContiguousUTF8 { bytes in
            key.withContiguousUTF8 { keyBytes in
                valueRange(of: keyBytes, in: bytes).map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
            }
        }
    }

    /// Byte ranges of the values of the last pairs named `first` and `second` in `bytes`, found in one scan.
    public static func valueRanges(of first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>,
                                   in bytes: UnsafeBufferPointer<UInt8>) -> (Range<Int>?, Range<Int>?) {
        var found: (Range<Int>?, Range<Int>?)
        forEachKeyValue(in: bytes) { key, value in
            if equal(key, first) {
                found.0 = value
            } else if equal(key, second) {
                found.1 = value
            }
        }
        return found
    }

    /// Byte range of the value of the last pair named `key` in `bytes`, if any.
    public static func valueRange(of key: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var found: Range<Int>?
        guard !key.isEmpty else { return nil }
        forEachKeyValue(in: bytes) { name, value in if equal(name, key) { found = value } }
        return found
    }
}

@inline(__always)
private func memcmp(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int {
    for i in 0..<n where a[i] != b[i] { return 1 }
    return 0
}
