// Broker.metricsSnapshot() without sockets: group lag and consumer offsets per (topic, group) as the exporter computes
// them (admin.md §13.2), latency by store time, topic offsets by kind, online consumers, broadcasting client lag,
// retry/DLQ counters and request latency histograms.

@testable import ApusBroker
import ApusGroups
import ApusMessage
import Foundation
import Testing

private let t0: Int64 = 1_800_000_000_000

@Test func snapshotHasGroupLagOffsetsAndLatency() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<5 { try h.send(topic: "MT", body: "m\(i)", now: t0, queueNums: 1) }
    try h.broker.offsets.commit(group: "MG", topic: "MT", queueId: 0, offset: 2, connection: nil)
    let stored = h.messages(topic: "MT")
    let now = stored[2].storeTimestamp + 5_000
    let snapshot = h.broker.metricsSnapshot(now: now)

    let c = try #require(snapshot.consumptions.first { $0.topic == "MT" && $0.group == "MG" })
    #expect(c.diff == 3)
    #expect(c.consumerOffsetSum == 2)
    #expect(c.latencyMillis == 5_000, "age of the message at the consumer offset")
    let topic = try #require(snapshot.topics.first { $0.name == "MT" })
    #expect(topic.kind == .normal)
    #expect(topic.maxOffsetSum == 5)
    let group = try #require(snapshot.groups.first { $0.name == "MG" })
    #expect(group.onlineConsumers == 0)
    #expect(group.messageModel == .clustering)
    #expect(snapshot.brokerAddress == h.broker.config.advertisedAddress)
    #expect(snapshot.runtime["brokerVersion"] == "401")

    // Caught up: no diff, no latency.
    try h.broker.offsets.commit(group: "MG", topic: "MT", queueId: 0, offset: 5, connection: nil)
    let caughtUp = try #require(h.broker.metricsSnapshot(now: now).consumptions.first { $0.group == "MG" })
    #expect(caughtUp.diff == 0)
    #expect(caughtUp.latencyMillis == 0)
}

@Test func snapshotReportsBroadcastClientLagAndNoGroupDiff() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<4 { try h.send(topic: "BT", body: "b\(i)", now: t0, queueNums: 1) }
    h.broker.groups.clientHeartbeat(ClientConnectionInfo(clientId: "bc1", clientAddr: "10.0.0.1:1", language: "CPP",
                                                         version: 1, lastUpdate: t0), producerGroups: [], connection: 7)
    try h.broker.groups.heartbeat([ConsumerHeartbeat(
        group: "BG", clientId: "bc1", messageModel: .broadcasting, consumeFromWhere: 4,
        subscriptions: [Subscription(topic: "BT", expression: "*", subVersion: 1)], language: "CPP")],
        connection: 7, now: t0)
    h.broker.groups.recordPull(group: "BG", connection: 7, topic: "BT", queueId: 0, nextOffset: 1, now: t0)
    let snapshot = h.broker.metricsSnapshot(now: t0)
    #expect(snapshot.clientLags == [.init(group: "BG", clientId: "bc1", topic: "BT", queueId: 0, lag: 3)])
    let group = try #require(snapshot.groups.first { $0.name == "BG" })
    #expect(group.clientIds == ["bc1"])
    #expect(group.clientAddrs == ["10.0.0.1:1"])
    #expect(group.messageModel == .broadcasting)
    #expect(snapshot.consumptions.filter { $0.group == "BG" }.allSatisfy { $0.diff == nil }, "broadcasting: no diff")
}

@Test func requestLatencyHistogramIsCumulative() {
    let table = RequestLatencyTable()
    table.observe(code: 10, nanos: 40_000)        // ≤ 50 µs
    table.observe(code: 10, nanos: 2_000_000)     // ≤ 2.5 ms
    table.observe(code: 10, nanos: 9_000_000_000) // above every bound
    table.observe(code: 11, nanos: 1)
    let snapshot = table.snapshot()
    #expect(snapshot.map(\.code) == [10, 11])
    let h = snapshot[0]
    #expect(h.count == 3)
    #expect(h.cumulativeCounts.first == 1)
    #expect(h.cumulativeCounts[RequestLatencyTable.bucketBounds.firstIndex(of: 0.0025)!] == 2)
    #expect(h.cumulativeCounts.last == 2, "the 9 s request is only in +Inf")
    #expect(abs(h.sumSeconds - 9.00204) < 1e-9)
}

@Test func snapshotCountsRetriesDeadLettersAndSendBacks() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<3 { try h.send(topic: "RT", body: "r\(i)", now: t0, queueNums: 1) }
    let now = currentMillis()
    let messages = h.messages(topic: "RT")
    _ = try h.broker.retry.sendBack(SendBackRequest(group: "RG", commitLogOffset: messages[0].physicalOffset), now: now)
    _ = try h.broker.retry.sendBack(SendBackRequest(group: "RG", commitLogOffset: messages[1].physicalOffset,
                                                    delayLevel: -1), now: now)
    // The group consumes its retry topic (clients subscribe to it; here: a committed offset), so the exporter's
    // QUERY_TOPIC_CONSUME_BY_WHO finds the pair.
    try h.broker.offsets.commit(group: "RG", topic: "%RETRY%RG", queueId: 0, offset: 0, connection: nil)
    let snapshot = h.broker.metricsSnapshot(now: now + 1_000)
    #expect(snapshot.retryTotal == 1)
    #expect(snapshot.deadLetterTotal == 1)
    #expect(snapshot.broadcastSendBackDropped == 0)
    #expect(snapshot.topics.first { $0.name == "%RETRY%RG" }?.kind == .retry)
    #expect(snapshot.topics.first { $0.name == "%DLQ%RG" }?.maxOffsetSum == 1)
    let retried = try #require(snapshot.consumptions.first { $0.topic == "%RETRY%RG" && $0.group == "RG" })
    #expect(retried.sendBackNums == 1, "SNDBCK_PUT_NUMS minute sum under %RETRY%RG@RG")
}
