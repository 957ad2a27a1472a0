// TransactionService on a socket-free broker with an explicit clock: half storage, commit / rollback, the check
// loop (timeout, interval, checkMax, discard), HTTP pops and handles, and recovery of all of it after a restart.

@testable import ApusBroker
import ApusGroups
import ApusMessage
import Foundation
import NIOCore
import Synchronization
import Testing

private func configure(_ c: inout BrokerConfig) {
    c.transactionTimeOutMillis = 1_000
    c.transactionCheckIntervalMillis = 5_000
    c.transactionCheckMax = 2
}

/// A prepared send as the C++ / Java producers make it; returns (queueOffset in the half queue, commit-log offset).
@discardableResult
private func prepare(_ h: ServiceHarness, topic: String, body: String, now: Int64) throws -> (Int64, Int64) {
    let props = MessagePropertyCodec.encode([("TRAN_MSG", "true"), ("PGROUP", "PG"), ("UNIQ_KEY", "U-\(body)"), ("TAGS", "T")])
    let prepared = try h.broker.send.prepare(SendRequest(
        producerGroup: "PG", topic: topic, defaultTopic: "TBW102", queueId: 1, sysFlag: MessageSysFlag.transactionPrepared,
        bornTimestamp: now, properties: .string(props), body: ByteBuffer(string: body), bornHost: ServiceHarness.bornHost), now: now)
    let result = h.broker.send.append(prepared)
    #expect(result.status == .ok)
    return (result.records[0].queueOffset, result.records[0].physicalOffset)
}

private final class Checks: Sendable {
    let sent = Mutex<[TransactionCheck]>([])
}

@Test func halvesAreInvisibleUntilCommittedAndRollbacksNeverAppear() throws {
    let h = try ServiceHarness(configure: configure)
    defer { h.stop() }
    try h.send(topic: "TX", now: 1)  // creates the topic
    let (q1, c1) = try prepare(h, topic: "TX", body: "commit-me", now: 10)
    let (q2, c2) = try prepare(h, topic: "TX", body: "roll-me-back", now: 10)
    #expect(h.messages(topic: "TX", queueId: 1).isEmpty, "a half is in no consumer-visible queue")
    let halves = h.messages(topic: TopicNames.transactionHalf)
    #expect(halves.map { MessagePropertyCodec.value(of: "REAL_TOPIC", in: $0.properties) } == ["TX", "TX"])
    #expect(halves.allSatisfy { $0.sysFlag & MessageSysFlag.transactionMask == 0 })

    let tx = h.broker.transactions
    #expect(tx.end(producerGroup: "OTHER", tranStateTableOffset: q1, commitLogOffset: c1, commit: true, now: 20)
        == .unknown("the half message belongs to producer group PG, not OTHER"))
    guard case .committed = tx.end(producerGroup: "PG", tranStateTableOffset: q1, commitLogOffset: c1, commit: true, now: 20) else {
        Issue.record("commit"); return
    }
    guard case .rolledBack = tx.end(producerGroup: "PG", tranStateTableOffset: q2, commitLogOffset: c2, commit: false, now: 20) else {
        Issue.record("rollback"); return
    }
    guard case .unknown = tx.end(producerGroup: "PG", tranStateTableOffset: q1, commitLogOffset: c1, commit: true, now: 21) else {
        Issue.record("a second commit changes nothing"); return
    }
    let visible = h.messages(topic: "TX", queueId: 1)
    #expect(visible.map { String(buffer: $0.body) } == ["commit-me"])
    let m = visible[0]
    #expect(m.sysFlag & MessageSysFlag.transactionMask == MessageSysFlag.transactionCommit)
    #expect(m.preparedTransactionOffset == c1)
    for key in ["REAL_TOPIC", "REAL_QID", "TRAN_MSG"] { #expect(MessagePropertyCodec.value(of: key, in: m.properties) == nil) }
    #expect(MessagePropertyCodec.value(of: "UNIQ_KEY", in: m.properties) == "U-commit-me")
    #expect(tx.unresolvedCount == 0 && tx.retentionFloor() == nil)
}

@Test func unresolvedHalvesAreCheckedEveryIntervalThenDiscardedAndTheCountSurvivesARestart() throws {
    let h = try ServiceHarness(configure: configure)
    try h.send(topic: "TX", now: 1)
    let (q, c) = try prepare(h, topic: "TX", body: "unknown", now: 0)
    let storeTime = h.messages(topic: TopicNames.transactionHalf)[0].storeTimestamp
    let checks = Checks()
    h.broker.transactions.setChecker { group, check in
        #expect(group == "PG")
        checks.sent.withLock { $0.append(check) }
        return true
    }
    h.broker.transactions.tick(now: storeTime + 999)
    #expect(checks.sent.withLock { $0.isEmpty }, "not before transactionTimeOut")
    h.broker.transactions.tick(now: storeTime + 1_000)
    let first = checks.sent.withLock { $0 }
    #expect(first.count == 1)
    #expect(first[0].half.queueOffset == q && first[0].half.commitLogOffset == c && first[0].uniqueKey == "U-unknown")
    #expect(first[0].message.topic == "TX" && first[0].message.queueId == 1, "the check shows the producer's message")
    h.broker.transactions.tick(now: storeTime + 5_999)
    #expect(checks.sent.withLock { $0.count } == 1, "not before transactionCheckInterval")
    h.stop(removingData: false)

    // Restart: the check count (1) and its next due time come back from the op log.
    let h2 = try ServiceHarness(dataDir: h.dataDir, configure: configure)
    defer { h2.stop() }
    let checks2 = Checks()
    h2.broker.transactions.setChecker { _, check in checks2.sent.withLock { $0.append(check) }; return false }
    #expect(h2.broker.transactions.unresolvedCount == 1)
    h2.broker.transactions.tick(now: storeTime + 5_999)
    #expect(checks2.sent.withLock { $0.isEmpty })
    h2.broker.transactions.tick(now: storeTime + 6_000)
    #expect(checks2.sent.withLock { $0.map(\.half.checks) } == [2], "checks count on from the recorded 1")
    h2.broker.transactions.tick(now: storeTime + 11_000)
    #expect(checks2.sent.withLock { $0.count } == 1, "no check past transactionCheckMax (2): discarded instead")
    #expect(h2.broker.transactions.unresolvedCount == 0, "discarded")
    #expect(h2.messages(topic: "TX", queueId: 1).isEmpty, "a discarded half is never delivered")
}

@Test func resolutionsSurviveARestart() throws {
    let h = try ServiceHarness(configure: configure)
    try h.send(topic: "TX", now: 1)
    let (q1, c1) = try prepare(h, topic: "TX", body: "a", now: 0)
    let (q2, c2) = try prepare(h, topic: "TX", body: "b", now: 0)
    _ = try prepare(h, topic: "TX", body: "c", now: 0)
    _ = h.broker.transactions.end(producerGroup: "PG", tranStateTableOffset: q1, commitLogOffset: c1, commit: true, now: 5)
    _ = h.broker.transactions.end(producerGroup: "PG", tranStateTableOffset: q2, commitLogOffset: c2, commit: false, now: 5)
    h.stop(removingData: false)
    let h2 = try ServiceHarness(dataDir: h.dataDir, configure: configure)
    defer { h2.stop() }
    #expect(h2.broker.transactions.unresolvedCount == 1, "only the unresolved half comes back")
    guard case .unknown = h2.broker.transactions.end(producerGroup: "PG", tranStateTableOffset: q2, commitLogOffset: c2,
                                                     commit: true, now: 10) else {
        Issue.record("a rollback before the restart holds"); return
    }
    #expect(h2.messages(topic: "TX", queueId: 1).map { String(buffer: $0.body) } == ["a"])
    #expect(h2.broker.transactions.retentionFloor() != nil, "retention keeps the unresolved half")
}

@Test func httpHalvesArePoppedAfterTheirCheckTimeAndResolvedByHandle() async throws {
    let h = try ServiceHarness(configure: configure)
    defer { h.stop() }
    let (id, handle) = try await h.broker.publishHalf(topic: "NS%T", body: Array("half".utf8),
                                                     properties: "__TransCheckT\u{1}10\u{2}", checkSeconds: 10, bornHost: nil)
    #expect(!id.isEmpty && handle.hasPrefix("T"))
    let tx = h.broker.transactions
    let stored = h.messages(topic: TopicNames.transactionHalf)[0]
    let t0 = stored.storeTimestamp
    #expect(tx.pop(topic: "NS%T", max: 16, now: t0 + 9_999).isEmpty, "not before __TransCheckT")
    tx.tick(now: t0 + 60_000)  // HTTP halves are never sent to a remoting producer
    let popped = tx.pop(topic: "NS%T", max: 16, now: t0 + 10_000)
    #expect(popped.count == 1 && popped[0].half.checks == 1 && popped[0].half.nextCheck == t0 + 20_000)
    #expect(tx.end(topic: "NS%T", handle: handle, commit: true, now: t0 + 10_001)
        == .failure(.expired("the receipt handle has expired (its NextConsumeTime has passed)")), "the publish handle is spent")
    let popHandle = TransactionTable.handle(of: popped[0].half).text
    guard case .success(.committed) = tx.end(topic: "NS%T", handle: popHandle, commit: true, now: t0 + 10_002) else {
        Issue.record("commit by the pop handle"); return
    }
    #expect(h.messages(topic: "NS%T", queueId: stored.properties.contains("REAL_QID") ? Int32(MessagePropertyCodec.value(of: "REAL_QID", in: stored.properties)!)! : 0)
        .map { String(buffer: $0.body) } == ["half"], "committed to its real queue, visible to every group")
    guard case .failure(.invalid) = tx.end(topic: "NS%T", handle: popHandle, commit: false, now: t0 + 10_003) else {
        Issue.record("a resolved half's handle is refused"); return
    }
}
