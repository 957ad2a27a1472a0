// Tests of HTTPConsumeService through a broker built without sockets: delivery with receipt handles and invisibility,
// acks, tag filter, DLQ after the group's retryMaxTimes, orderly partitions, long-poll wake-up, protocol consistency,
// and the in-flight state reopened from disk (http-api §10).

@testable import ApusBroker
import ApusGroups
import ApusMessage
import ApusStore
import Foundation
import Logging
import Synchronization
import Testing

private let t0: Int64 = 1_800_000_000_000
private let visible: Int64 = 300_000

private func request(_ n: Int, group: String = "GH", topic: String = "TH", tag: String? = nil, orderly: Bool = false)
    -> HTTPConsumeRequest
{
    HTTPConsumeRequest(group: group, topic: topic, tag: tag, numOfMessages: n, orderly: orderly, client: "10.0.0.1")
}

private func progress(_ h: ServiceHarness, _ group: String, _ topic: String) -> Int64? {
    guard case let .offset(o) = try? h.broker.offsets.query(group: group, topic: topic, queueId: 0, connection: nil) else { return nil }
    return o
}

private func bodies(_ messages: [HTTPConsumedMessage]) -> [String] {
    messages.map { String(buffer: $0.message.body) }
}

@Test func httpConsumeDeliversOncePerInvisibilityAndAcks() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<3 { try h.send(topic: "TH", body: "m\(i)", now: t0, queueNums: 1) }
    let svc = h.broker.httpConsume
    let first = try svc.consume(request(2), now: t0 + 1)
    #expect(bodies(first) == ["m0", "m1"])                                 // published before the first poll (§10.1)
    #expect(first.allSatisfy { $0.consumedTimes == 1 && $0.firstConsumeTime == t0 + 1 && $0.nextConsumeTime == t0 + 1 + visible })
    #expect(bodies(try svc.consume(request(16), now: t0 + 2)) == ["m2"])
    #expect(try svc.consume(request(16), now: t0 + 3).isEmpty)             // all three held
    #expect(svc.ack(group: "GH", topic: "TH", handles: [first[1].receiptHandle, "bogus"], now: t0 + 4) == [.acked, .invalid])
    #expect(svc.ack(group: "GH", topic: "TH", handles: [first[1].receiptHandle], now: t0 + 5) == [.invalid])   // used
    #expect(progress(h, "GH", "TH") == 0, "m0 unacked: progress stays")
    #expect(svc.ack(group: "GH", topic: "TH", handles: [first[0].receiptHandle], now: t0 + 6) == [.acked])
    #expect(progress(h, "GH", "TH") == 2, "out-of-order acks advance progress")
    // m2 was never acked: it comes back after its NextConsumeTime with a new handle, counted.
    #expect(try svc.consume(request(16), now: t0 + 2 + visible - 1).isEmpty)
    let again = try svc.consume(request(16), now: t0 + 2 + visible)
    #expect(bodies(again) == ["m2"] && again[0].consumedTimes == 2 && again[0].firstConsumeTime == t0 + 2)
    // An ack with the first delivery's (now expired) handle fails; the group's HTTP consumer is known.
    #expect(svc.hasDeliverable(group: "GH", topic: "TH", orderly: false, now: t0 + 2 + visible) == false)
    #expect(h.broker.groups.state.withLock { $0.httpConsumers["GH"]?.keys.sorted() } == ["10.0.0.1"])
    _ = h.broker.groups.expire(now: t0 + 2 + visible + h.broker.config.clientChannelExpiryMillis + 1)
    #expect(h.broker.groups.state.withLock { $0.httpConsumers["GH"] } == nil, "a silent HTTP consumer is forgotten")
}

@Test func httpConsumeTagFilterSkipsOtherTagsAsConsumed() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<3 { try h.send(topic: "TH", body: "m\(i)", now: t0, queueNums: 1) }
    let svc = h.broker.httpConsume
    #expect(try svc.consume(request(16, tag: "TagB||TagC"), now: t0).isEmpty)
    #expect(progress(h, "GH", "TH") == 3)
    #expect(bodies(try svc.consume(request(16, group: "G2", tag: "TagA||TagB"), now: t0)) == ["m0", "m1", "m2"])
    #expect(throws: ServiceError.self) { try svc.consume(request(17), now: t0) }
    #expect(throws: ServiceError.self) { try svc.consume(request(0), now: t0) }
}

@Test func httpConsumeDeadLettersAfterRetryMaxTimes() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    try h.broker.admin.updateSubscriptionGroup(SubscriptionGroupConfig(groupName: "GH", retryMaxTimes: 1))
    try h.send(topic: "TH", body: "poison", now: t0, queueNums: 1)
    let svc = h.broker.httpConsume
    #expect(try svc.consume(request(1), now: t0).first?.consumedTimes == 1)
    #expect(try svc.consume(request(1), now: t0 + visible).first?.consumedTimes == 2)
    #expect(try svc.consume(request(1), now: t0 + 2 * visible).isEmpty)
    let dlq = h.messages(topic: TopicNames.deadLetter("GH"))
    #expect(dlq.map { String(buffer: $0.body) } == ["poison"])
    #expect(svc.state(group: "GH", topic: "TH")?.entries.isEmpty == true)
    #expect(progress(h, "GH", "TH") == 1)
}

@Test func httpOrderlyConsumeBlocksAPartitionUntilItsBatchIsAcked() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<2 { try h.send(topic: "TH", body: "a\(i)", properties: [("__SHARDINGKEY", "A")], now: t0, queueNums: 1) }
    try h.send(topic: "TH", body: "b0", properties: [("__SHARDINGKEY", "B")], now: t0, queueNums: 1)
    let svc = h.broker.httpConsume
    let batch = try svc.consume(request(1, orderly: true), now: t0)
    #expect(bodies(batch) == ["a0"] && batch[0].nextConsumeTime == t0 + 60_000)
    #expect(bodies(try svc.consume(request(16, orderly: true), now: t0 + 1)) == ["b0"], "A is blocked, B is not")
    #expect(try svc.consume(request(16, orderly: true), now: t0 + 2).isEmpty)
    #expect(svc.ack(group: "GH", topic: "TH", handles: [batch[0].receiptHandle], now: t0 + 3) == [.acked])
    #expect(bodies(try svc.consume(request(16, orderly: true), now: t0 + 4)) == ["a1"])
}

@Test func httpConsumeStateSurvivesAReopenWithoutShutdown() throws {
    let first = try ServiceHarness()
    for i in 0..<3 { try first.send(topic: "TH", body: "m\(i)", now: t0, queueNums: 1) }
    let delivered = try first.broker.httpConsume.consume(request(3), now: t0)
    #expect(first.broker.httpConsume.ack(group: "GH", topic: "TH", handles: [delivered[1].receiptHandle], now: t0) == [.acked])
    first.stop(removingData: false)                                        // no Broker.shutdown: as after kill -9
    let second = try ServiceHarness(dataDir: first.dataDir)
    defer { second.stop() }
    let svc = second.broker.httpConsume
    #expect(try svc.consume(request(16), now: t0 + 1).isEmpty, "still invisible after the reopen")
    #expect(svc.ack(group: "GH", topic: "TH", handles: [delivered[1].receiptHandle], now: t0 + 2) == [.invalid])
    #expect(svc.ack(group: "GH", topic: "TH", handles: [delivered[0].receiptHandle], now: t0 + 2) == [.acked])
    let back = try svc.consume(request(16), now: t0 + visible)
    #expect(bodies(back) == ["m2"] && back[0].consumedTimes == 2 && back[0].firstConsumeTime == t0)
    #expect(back[0].receiptHandle != delivered[2].receiptHandle)
    try second.send(topic: "TH", body: "m3", now: t0, queueNums: 1)
    #expect(bodies(try svc.consume(request(16), now: t0 + visible)) == ["m3"], "the cursor survived too")
}

@Test func httpLongPollWakesOnArrival() async throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    try h.send(topic: "TH", body: "m0", now: t0, queueNums: 1)
    let svc = h.broker.httpConsume
    _ = try svc.consume(request(16), now: currentMillis())
    let start = currentMillis()
    #expect(await svc.waitForDeliverable(group: "GH", topic: "TH", orderly: false, untilMillis: start + 200) == false)
    async let woke = svc.waitForDeliverable(group: "GH", topic: "TH", orderly: false, untilMillis: currentMillis() + 60_000)
    try await Task.sleep(nanoseconds: 100_000_000)
    try h.send(topic: "TH", body: "m1", now: currentMillis(), queueNums: 1)
    #expect(await woke == true)
    // Woken by the arrival, not the 60 s deadline (generous: the whole suite runs in parallel on two cores).
    #expect(currentMillis() - start < 50_000)
    let found = try await svc.consume(request(16), waitingUntil: currentMillis() + 1_000)
    #expect(bodies(found) == ["m1"])
}

@Test func httpLongPollWakesWhenAnInvisibilityEndsAndWhenAnOrderlyAckFreesAPartition() async throws {
    let h = try ServiceHarness { $0.httpConsumeInvisibleTimeSeconds = 1 }
    defer { h.stop() }
    try h.send(topic: "TH", body: "m0", now: t0, queueNums: 1)
    try h.send(topic: "TO", body: "o0", properties: [("__SHARDINGKEY", "K")], now: t0, queueNums: 1)
    try h.send(topic: "TO", body: "o1", properties: [("__SHARDINGKEY", "K")], now: t0, queueNums: 1)
    let svc = h.broker.httpConsume
    let start = currentMillis()
    #expect(bodies(try svc.consume(request(1), now: start)) == ["m0"])
    #expect(await svc.waitForDeliverable(group: "GH", topic: "TH", orderly: false, untilMillis: start + 60_000))
    let after = currentMillis() - start
    #expect(after >= 900 && after < 50_000, "woken by the end of m0's invisibility (1 s), not the 60 s deadline")
    // Orderly: o0 in flight blocks o1 (read ahead, held back) until o0's ack, which wakes the poll.
    let o0 = try svc.consume(request(1, topic: "TO", orderly: true), now: currentMillis())
    #expect(bodies(o0) == ["o0"])
    #expect(try svc.consume(request(16, topic: "TO", orderly: true), now: currentMillis()).isEmpty)
    async let woke = svc.waitForDeliverable(group: "GH", topic: "TO", orderly: true, untilMillis: currentMillis() + 50_000)
    try await Task.sleep(nanoseconds: 50_000_000)
    #expect(svc.ack(group: "GH", topic: "TO", handles: [o0[0].receiptHandle], now: currentMillis()) == [.acked])
    #expect(await woke)
    #expect(bodies(try svc.consume(request(16, topic: "TO", orderly: true), now: currentMillis())) == ["o1"])
}

@Test func httpConsumeWithoutItsStateFileRestartsFromTheCommittedProgress() throws {
    let first = try ServiceHarness()
    for i in 0..<3 { try first.send(topic: "TH", body: "m\(i)", now: t0, queueNums: 1) }
    let delivered = try first.broker.httpConsume.consume(request(2), now: t0)
    _ = first.broker.httpConsume.ack(group: "GH", topic: "TH", handles: delivered.map(\.receiptHandle), now: t0)
    first.broker.persistOffsets()
    let journal = first.broker.httpConsume.journal
    let files = [journal.snapshotPath] + journal.journalFiles().map(\.path)
    first.stop(removingData: false)
    for file in files { try FileManager.default.removeItem(atPath: file) }
    let second = try ServiceHarness(dataDir: first.dataDir)
    defer { second.stop() }
    #expect(bodies(try second.broker.httpConsume.consume(request(16), now: t0 + 1)) == ["m2"])
}

// MARK: Persistence: journal, group commit, compaction, migration

@Test func httpConsumeStateSurvivesATornJournalTail() throws {
    let first = try ServiceHarness()
    for i in 0..<3 { try first.send(topic: "TH", body: "m\(i)", now: t0, queueNums: 1) }
    let delivered = try first.broker.httpConsume.consume(request(3), now: t0)
    #expect(first.broker.httpConsume.ack(group: "GH", topic: "TH", handles: [delivered[0].receiptHandle], now: t0) == [.acked])
    // The process died in the middle of appending the next record.
    let current = try #require(first.broker.httpConsume.journal.journalFiles().last)
    let handle = try #require(FileHandle(forWritingAtPath: current.path))
    handle.seekToEndOfFile()
    handle.write(Data([0, 0, 1, 0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3]))
    try handle.close()
    first.stop(removingData: false)
    let second = try ServiceHarness(dataDir: first.dataDir)
    defer { second.stop() }
    let svc = second.broker.httpConsume
    #expect(svc.state(group: "GH", topic: "TH")?.entries.keys.map(\.queueOffset).sorted() == [1, 2])
    #expect(svc.ack(group: "GH", topic: "TH", handles: [delivered[0].receiptHandle], now: t0 + 1) == [.invalid], "acked stays acked")
    #expect(svc.ack(group: "GH", topic: "TH", handles: [delivered[2].receiptHandle], now: t0 + 1) == [.acked], "handles survive")
    #expect(svc.journal.journalFiles().count == 1, "the start compacted the old files away")
}

@Test func httpConsumeMigratesTheWholeFileFormat() throws {
    let dir = NSTemporaryDirectory() + "apus-services-\(UUID().uuidString)"
    let first = try ServiceHarness(dataDir: dir)
    for i in 0..<2 { try first.send(topic: "TH", body: "m\(i)", now: t0, queueNums: 1) }
    first.broker.persistOffsets()
    first.stop(removingData: false)
    // The format before the journal: one JSON document, version 1, no journal files.
    var state = HTTPConsumption(group: "GH", topic: "TH")
    state.advanceCursor(queueId: 0, to: 0)
    state.track(queueId: 0, queueOffset: 0, shardingKey: "")
    let delivery = state.deliver(HTTPMessageKey(queueId: 0, queueOffset: 0), now: t0, orderly: false,
                                 settings: HTTPConsumptionSettings())
    let handle = try #require(delivery)
    struct V1: Encodable { var version = 1; var states: [HTTPConsumption] }
    try JSONEncoder().encode(V1(states: [state])).write(to: URL(fileURLWithPath: dir + "/config/httpConsumption.json"))
    let second = try ServiceHarness(dataDir: dir)
    defer { second.stop() }
    let svc = second.broker.httpConsume
    #expect(bodies(try svc.consume(request(16), now: t0 + 1)) == ["m1"], "m0 still invisible, the cursor kept")
    #expect(svc.ack(group: "GH", topic: "TH", handles: [handle.receiptHandle], now: t0 + 2) == [.acked])
    let text = String(decoding: try #require(FileManager.default.contents(atPath: svc.path)), as: UTF8.self)
    #expect(text.contains("\"version\":2"))
}

@Test func httpJournalCompactsIntoTheSnapshotAndReplays() throws {
    let dir = NSTemporaryDirectory() + "apus-journal-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var logger = Logger(label: "journal")
    logger.logLevel = .critical
    let live = Mutex(HTTPConsumption(group: "G", topic: "T"))
    let journal = HTTPConsumptionJournal(snapshotPath: dir + "/httpConsumption.json", logger: logger, compactAfterBytes: 512)
    try journal.start(with: []) { [live.withLock { $0 }] }
    let settings = HTTPConsumptionSettings()
    for o in 0..<40 {
        let ticket = live.withLock { s -> UInt64 in
            let before = s
            s.advanceCursor(queueId: 0, to: Int64(o))
            s.track(queueId: 0, queueOffset: Int64(o), shardingKey: "")
            _ = s.deliver(HTTPMessageKey(queueId: 0, queueOffset: Int64(o)), now: t0, orderly: false, settings: settings)
            if o % 2 == 1 { s.finish(HTTPMessageKey(queueId: 0, queueOffset: Int64(o - 1))) }
            return journal.append(s.changes(since: before).record)
        }
        journal.waitDurableBlocking(ticket)
    }
    let expected = live.withLock { $0 }
    // Compaction runs behind the flusher: wait (with a deadline) until the older files are gone.
    let deadline = Date().addingTimeInterval(30)
    while journal.journalFiles().count > 1, Date() < deadline { usleep(10_000) }
    #expect(journal.journalFiles().count == 1, "older generations deleted once the snapshot holds them")
    let reopened = HTTPConsumptionJournal(snapshotPath: dir + "/httpConsumption.json", logger: logger)
    #expect(try reopened.load() == [expected])
    journal.compactNow()                                                   // clean stop: snapshot only
    #expect(try HTTPConsumptionJournal(snapshotPath: dir + "/httpConsumption.json", logger: logger).load() == [expected])
}

@Test func httpJournalSharesOneSyncAmongConcurrentCallers() async throws {
    let dir = NSTemporaryDirectory() + "apus-journal-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let journal = HTTPConsumptionJournal(snapshotPath: dir + "/httpConsumption.json", logger: Logger(label: "journal"))
    try journal.start(with: []) { [] }
    let before = journal.syncCount
    let record = HTTPConsumptionChange(group: "G", topic: "T", lastDelivery: 1).record
    await withTaskGroup(of: Void.self) { tasks in
        for _ in 0..<200 { tasks.addTask { await journal.waitDurable(journal.append(record)) } }
    }
    #expect(journal.syncCount - before < 200, "group commit: fewer syncs than callers")
    #expect(HTTPConsumptionChange.decodeAll(AtomicFile.read(journal.journalFiles().last!.path)!).changes.count == 200)
}
