// StatsTable: sums, TPS and averages per window, sampling, daily totals.

import ApusGroups
import Testing

private let t0: Int64 = 1_800_000_000_000 - 1_800_000_000_000 % 86_400_000 + 3_600_000   // 01:00 UTC

@Test func minuteWindowSumsTheLastMinute() {
    var table = StatsTable()
    table.add(StatsName.topicPutNums, key: "T", value: 10, now: t0)
    table.add(StatsName.topicPutNums, key: "T", value: 20, now: t0 + 10_000)
    table.add(StatsName.topicPutNums, key: "T", value: 30, now: t0 + 20_000)
    let minute = table.snapshot(StatsName.topicPutNums, key: "T", windowMillis: 60_000, now: t0 + 30_000)
    // Base: the first sample (t0, value 0); 60 put over 30 s in 3 increments.
    #expect(minute == StatsSnapshot(sum: 60, tps: 2.0, avgpt: 20))
    // Two minutes later the minute window starts at a sample within it.
    table.tick(now: t0 + 100_000)
    table.add(StatsName.topicPutNums, key: "T", value: 6, now: t0 + 130_000)
    let later = table.snapshot(StatsName.topicPutNums, key: "T", windowMillis: 60_000, now: t0 + 160_000)
    #expect(later?.sum == 6 && later?.tps == 0.1 && later?.avgpt == 6)
    #expect(table.snapshot(StatsName.topicPutNums, key: "T", windowMillis: 86_400_000, now: t0 + 160_000)?.sum == 66)
    #expect(table.snapshot(StatsName.topicPutNums, key: "Other", windowMillis: 60_000, now: t0) == nil)
    #expect(table.total(StatsName.topicPutNums, key: "T") == 66 && table.exists(StatsName.topicPutNums, key: "T"))
}

@Test func dailyTotalsMoveAtMidnight() {
    var table = StatsTable()
    table.add(StatsName.brokerPutNums, key: "C", value: 5, now: t0)
    #expect(table.dailyTotals(StatsName.brokerPutNums, key: "C", now: t0) == (0, 0, 5))
    table.add(StatsName.brokerPutNums, key: "C", value: 7, now: t0 + 86_400_000)
    // The sample at the day change sees the total before this increment's sampling: 12 after adding.
    let (yesterday, today, now) = table.dailyTotals(StatsName.brokerPutNums, key: "C", now: t0 + 86_400_000)
    #expect(yesterday == 0 && today == 12 && now == 12)
    table.tick(now: t0 + 2 * 86_400_000)
    #expect(table.dailyTotals(StatsName.brokerPutNums, key: "C", now: t0 + 2 * 86_400_000) == (12, 12, 12))
}

/// The broker-wide items (kept apart from the dictionary) read and age like any other item, by their names and the
/// broker's key; the same name under another key is another item.
@Test func brokerWideItemsReadByNameAndKey() {
    var table = StatsTable(brokerKey: "DefaultCluster")
    table.add(.putNums, value: 10, now: t0)
    table.add(StatsName.brokerPutNums, key: "DefaultCluster", value: 20, now: t0 + 10_000)  // the same item by name
    table.add(StatsName.brokerPutNums, key: "OtherCluster", value: 5, now: t0)
    table.add(.pullMiss, value: 1, now: t0)
    #expect(table.total(StatsName.brokerPutNums, key: "DefaultCluster") == 30)
    #expect(table.total(StatsName.brokerPutNums, key: "OtherCluster") == 5)
    #expect(table.snapshot(StatsName.brokerPutNums, key: "DefaultCluster", windowMillis: 60_000, now: t0 + 20_000)
        == StatsSnapshot(sum: 30, tps: 1.5, avgpt: 15))
    #expect(table.exists(StatsName.pullMiss, key: "DefaultCluster") && !table.exists(StatsName.pullFound, key: "DefaultCluster"))
    #expect(table.snapshot(StatsName.pullFound, key: "DefaultCluster", windowMillis: 60_000, now: t0) == nil)
    // Ticks age them: two minutes on, the minute window holds nothing.
    table.tick(now: t0 + 100_000)
    table.tick(now: t0 + 110_000)
    #expect(table.snapshot(StatsName.brokerPutNums, key: "DefaultCluster", windowMillis: 60_000, now: t0 + 160_000)?.sum == 0)
    table.tick(now: t0 + 86_400_000)
    #expect(table.dailyTotals(StatsName.brokerPutNums, key: "DefaultCluster", now: t0 + 86_400_000) == (0, 30, 30))
}

@Test func itemsUpdatedInTurnKeepTheirOwnTotals() {
    var table = StatsTable(brokerKey: "DefaultCluster")
    var expected: [String: Int64] = [:]
    // Ten topics and groups in turn, more pairs than the table remembers; new items are added along the way, and
    // a broker-wide pair is kept apart.
    for round in 0..<50 {
        for t in 0..<min(10, 1 + round) {
            let topic = "T\(t)", group = "G\(t % 3)"
            table.add((StatsName.topicPutNums, StatsName.topicPutSize), key: topic, values: (1, Int64(t)), now: 1_000)
            let pair = table.pairKey(topic, group)
            #expect(pair == "\(topic)@\(group)")
            table.add((StatsName.groupGetNums, StatsName.groupGetSize), key: pair, values: (2, 3), now: 1_000)
            table.add(StatsName.sendBackPutNums, key: pair, value: 4, now: 1_000)
            expected["\(StatsName.topicPutNums) \(topic)", default: 0] += 1
            expected["\(StatsName.topicPutSize) \(topic)", default: 0] += Int64(t)
            expected["\(StatsName.groupGetNums) \(pair)", default: 0] += 2
            expected["\(StatsName.groupGetSize) \(pair)", default: 0] += 3
            expected["\(StatsName.sendBackPutNums) \(pair)", default: 0] += 4
        }
    }
    table.add((StatsName.brokerPutNums, StatsName.brokerPutSize), key: "DefaultCluster", values: (5, 6), now: 1_000)
    expected["\(StatsName.brokerPutNums) DefaultCluster"] = 5
    expected["\(StatsName.brokerPutSize) DefaultCluster"] = 6
    for (name, want) in expected {
        let parts = name.split(separator: " ").map(String.init)
        #expect(table.total(parts[0], key: parts[1]) == want, "\(name)")
    }
}
