// Tests of SubscriptionVerdictTracker (a verdict is reported once per change) and AccumulationAge.
import Testing
import ApusGroups

private let tags = SubscriptionInconsistency(aspect: .expression(topic: "T"), variants: [
    .init(value: "A", clientIds: ["c1"]), .init(value: "B", clientIds: ["c2"]),
])
private let model = SubscriptionInconsistency(aspect: .messageModel, variants: [
    .init(value: "BROADCASTING", clientIds: ["c2"]), .init(value: "CLUSTERING", clientIds: ["c1"]),
])

@Test func verdictChangesAreReportedOnce() {
    var t = SubscriptionVerdictTracker()
    let consistent = SubscriptionVerdict(differences: [])
    #expect(t.update(group: "G", verdict: consistent) == nil)              // first sight, consistent: nothing to say
    #expect(t.update(group: "G", verdict: SubscriptionVerdict(differences: [tags]))?.differences == [tags])
    #expect(t.update(group: "G", verdict: SubscriptionVerdict(differences: [tags])) == nil)   // same again: silent
    #expect(t.inconsistent.keys.sorted() == ["G"])
    #expect(t.update(group: "G", verdict: SubscriptionVerdict(differences: [tags, model]))?.differences.count == 2)
    #expect(t.update(group: "H", verdict: SubscriptionVerdict(differences: [model])) != nil)
    #expect(t.update(group: "G", verdict: consistent) == consistent)        // back to consistent: reported once
    #expect(t.update(group: "G", verdict: consistent) == nil)
    #expect(t.inconsistent.keys.sorted() == ["H"])
}

@Test func verdictText() {
    #expect(SubscriptionVerdict(differences: []).description == "consistent")
    #expect(SubscriptionVerdict(differences: [tags]).description == "expression of T differs: A by c1; B by c2")
}

@Test func oldestUnconsumedAge() {
    #expect(AccumulationAge.oldest([], now: 10_000) == nil)
    #expect(AccumulationAge.oldest([(lag: 0, oldestUnconsumedTimestamp: 0)], now: 10_000) == nil)
    // Queues without lag or without a known store time do not count; the oldest of the rest wins.
    #expect(AccumulationAge.oldest([(lag: 0, oldestUnconsumedTimestamp: 1_000), (lag: 3, oldestUnconsumedTimestamp: 4_000),
                                    (lag: 1, oldestUnconsumedTimestamp: 6_000), (lag: 2, oldestUnconsumedTimestamp: 0)],
                                   now: 10_000) == 6_000)
    #expect(AccumulationAge.oldest([(lag: 1, oldestUnconsumedTimestamp: 12_000)], now: 10_000) == 0)
    #expect(AccumulationAge.text(millis: 850) == "850ms")
    #expect(AccumulationAge.text(millis: 12_345) == "12.3s")
    #expect(AccumulationAge.text(millis: 245_000) == "4m05s")
    #expect(AccumulationAge.text(millis: 7_380_000) == "2h03m")
    #expect(AccumulationAge.text(millis: 273_600_000) == "3d04h")
}
