// Tests of PropertyDigest and the two-key scan: one scan of a properties string must read what `decode` and the
// lookups read — the last pair of a name wins, pairs without a name separator are ignored, non-ASCII tags hash as
// Java does.

import ApusMessage
import Testing

private let cases = [
    "", "TAGS\u{1}TagA", "TAGS\u{1}TagA\u{2}", "UNIQ_KEY\u{1}U\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}",
    "TAGS\u{1}first\u{2}TAGS\u{1}second", "TAGS\u{1}\u{2}", "TAGS\u{1}标签\u{2}", "TAGS\u{1}caf\u{E9}", "TAGS\u{1}\u{1F600}",
    "TAGSX\u{1}no\u{2}XTAGS\u{1}no", "TAGS", "\u{2}\u{2}TAGS\u{1}T\u{2}\u{2}", "TAGS\u{1}a\u{1}b",
    "TRAN_MSG\u{1}true", "TRAN_MSG\u{1}TRUE\u{2}", "TRAN_MSG\u{1}True", "TRAN_MSG\u{1}tru", "TRAN_MSG\u{1}true ",
    "TRAN_MSG\u{1}true\u{2}TRAN_MSG\u{1}false", "TRAN_MSG\u{1}false\u{2}TRAN_MSG\u{1}tRuE", "TRAN_MSG\u{1}yes", "TRAN_MSG",
    "TRAN_MSGX\u{1}true", "DELAY\u{1}3", "A\u{1}b\u{2}DELAY\u{1}\u{2}", "DELAYED\u{1}1", "TIMER_DELIVER_MS\u{1}1",
    "TIMER_DELAY_SEC\u{1}5\u{2}TAGS\u{1}T", "TIMER_DELAY_MS\u{1}x", "TIMER_OUT_MS\u{1}9", "TIMER\u{1}1",
    "__STARTDELIVERTIME\u{1}1700000000000", "__STARTDELIVERTIM\u{1}1", "KEYS\u{1}DELAY\u{1}3", "X\u{1}TIMER_DELAY_MS",
]

@Test func digestReadsWhatTheLookupsRead() {
    let scheduleKeys = [MessageProperty.delayLevel, MessageProperty.timerDeliverMs, MessageProperty.timerDelaySec,
                        MessageProperty.timerDelayMs, MessageProperty.startDeliverTime]
    for properties in cases {
        let digest = PropertyDigest(properties)
        let label = properties.debugDescription
        // `decode` splits the string its own way (no shared scanner): the reference reading.
        let pairs = MessagePropertyCodec.decode(properties)
        #expect(digest.tagsCode == TagsCode.of(pairs[MessageProperty.tags]), "\(label)")
        #expect(digest.tagsCode == TagsCode.of(MessagePropertyCodec.value(of: MessageProperty.tags, in: properties)), "\(label)")
        #expect(digest.transactionPrepared == (pairs[MessageProperty.transactionPrepared]?.lowercased() == "true"), "\(label)")
        // No delayed send may be missed; a key that is not a schedule key's prefix never costs the lookups.
        let asksForTime = scheduleKeys.contains { MessagePropertyCodec.value(of: $0, in: properties) != nil }
        let scheduleLike = pairs.keys.contains { $0 == "DELAY" || $0 == "__STARTDELIVERTIME" || $0.hasPrefix("TIMER_") }
        #expect(digest.mayBeDelayed == scheduleLike, "\(label)")
        #expect(!asksForTime || digest.mayBeDelayed, "\(label)")
    }
    #expect(PropertyDigest("TAGS\u{1}TagA").tagsCode == Int64("TagA".hashValueJava))
    #expect(PropertyDigest("TAGS\u{1}标签").tagsCode == Int64("标签".hashValueJava))
}

@Test func twoKeyScanFindsWhatEachLookupFinds() {
    for properties in cases + ["UNIQ_KEY\u{1}a\u{2}KEYS\u{1}b\u{2}UNIQ_KEY\u{1}c", "KEYS\u{1}\u{2}UNIQ_KEY", "UNIQ_KEYS\u{1}x"] {
        var text = properties
        text.withUTF8 { bytes in
            func name(_ text: StaticString) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
            }
            let (unique, keys) = MessagePropertyCodec.valueRanges(of: name("UNIQ_KEY"), name("KEYS"), in: bytes)
            let pairs = MessagePropertyCodec.decode(properties)
            func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: bytes[$0], as: UTF8.self) } }
            #expect(text(unique) == pairs["UNIQ_KEY"], "\(properties.debugDescription)")
            #expect(text(keys) == pairs["KEYS"], "\(properties.debugDescription)")
            #expect(unique == MessagePropertyCodec.valueRange(of: name("UNIQ_KEY"), in: bytes), "\(properties.debugDescription)")
        }
    }
}

private extension String {
    /// Java's String.hashCode(), written out independently of TagsCode.
    var hashValueJava: Int32 { utf16.reduce(Int32(0)) { $0 &* 31 &+ Int32($1) } }
}
