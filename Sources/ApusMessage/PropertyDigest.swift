// PropertyDigest: what the broker decides from a message's properties on every send — its tags code, whether it is a
// prepared transactional message, whether it may ask for a delivery time — read in one scan instead of one lookup each.

public struct PropertyDigest: Sendable, Equatable {
    /// `TagsCode` of the last TAGS value (0 when there is none or it is empty).
    public var tagsCode: Int64 = 0
    /// The last TRAN_MSG value is "true" in any case: a prepared (half) transactional message.
    public var transactionPrepared = false
    /// Some key may ask for a delivery time (DELAY, a TIMER_ key, __STARTDELIVERTIME): only then are the schedule
    /// lookups worth doing.
    public var mayBeDelayed = false

    public init() {}

    /// The digest of a whole properties string.
    public init(_ properties: String) {
        properties.withContiguousUTF8 { bytes in
            MessagePropertyCodec.forEachKeyValue(in: bytes) { key, value in
                note(key: key, value: UnsafeBufferPointer(rebasing: bytes[value]))
            }
        }
    }

    /// Notes one pair given as its bytes (`key 0x01 value`, a trailing 0x02 allowed); a pair without a name separator
    /// has no key and is ignored, as lookups ignore it.
    mutating func note(pair: UnsafeBufferPointer<UInt8>) {
        var end = pair.count
        if end > 0 && pair[end - 1] == MessagePropertyCodec.pairSeparator { end -= 1 }
        guard let keyEnd = pair[..<end].firstIndex(of: MessagePropertyCodec.nameSeparator) else { return }
        note(key: UnsafeBufferPointer(rebasing: pair[..<keyEnd]), value: UnsafeBufferPointer(rebasing: pair[(keyEnd + 1)..<end]))
    }

    /// Notes one pair; a later pair of the same name replaces an earlier one's reading.
    mutating func note(key: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard let first = key.first else { return }
        switch first {
        case UInt8(ascii: "T"):
            if Self.equal(key, "TAGS") {
                tagsCode = TagsCode.of(value)
            } else if Self.equal(key, "TRAN_MSG") {
                transactionPrepared = Self.isTrue(value)
            } else if key.count >= 6, Self.equal(UnsafeBufferPointer(rebasing: key[..<6]), "TIMER_") {
                mayBeDelayed = true
            }
        case UInt8(ascii: "D"):
            if Self.equal(key, "DELAY") { mayBeDelayed = true }
        case UInt8(ascii: "_"):
            if Self.equal(key, "__STARTDELIVERTIME") { mayBeDelayed = true }
        default:
            break
        }
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        MessagePropertyCodec.equal(bytes, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// "true" in any case. No non-ASCII character lowercases to an ASCII letter of "true", so comparing bytes with
    /// ASCII case folding reads it as `lowercased() == "true"` does.
    private static func isTrue(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        value.count == 4 && zip(value, "true".utf8).allSatisfy { $0 | 0x20 == $1 }
    }
}
