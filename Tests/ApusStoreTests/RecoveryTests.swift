// Tests of MessageStore durability: clean restart, torn and corrupted tails, rebuilt queues, crash copies, flushing.
import ApusMessage
@testable import ApusStore
import Foundation
import NIOCore
import Synchronization
import Testing

private func touchAbort(_ root: String) { writeFileBytes([], root + "/abort") }

@Test func restartAfterCleanShutdownKeepsEverything() throws {
    let root = temporaryDirectory()
    let config = smallConfig(root)
    let store = try MessageStore(config: config, logger: testLogger)
    #expect(FileManager.default.fileExists(atPath: root + "/abort"))
    for i in 0..<100 { put(store, message(queueId: Int32(i % 3), body: "m\(i)", tag: "T\(i % 2)", keys: "key\(i)", size: 900)) }
    let end = store.commitLogMaxOffset
    store.shutdown()
    #expect(!FileManager.default.fileExists(atPath: root + "/abort"))

    let reopened = try MessageStore(config: config, logger: testLogger)
    #expect(reopened.commitLogMaxOffset == end)
    #expect(reopened.queues().count == 3)
    #expect(reopened.maxOffset(topic: "TopicTest", queueId: 0) == 34)
    let (result, messages) = pull(reopened, queueId: 1, offset: 0, maxCount: 100, maxBytes: 1 << 20)
    #expect(result.status == .found && bodies(messages) == stride(from: 1, to: 100, by: 3).map { "m\($0)" })
    #expect(bodies(reopened.queryMessages(topic: "TopicTest", key: "key42", maxCount: 4, beginTimestamp: 0, endTimestamp: .max)) == ["m42"])
    let next = put(reopened, message(queueId: 1, body: "after")).records[0]
    #expect(next.queueOffset == 33 && next.physicalOffset == end)
    reopened.shutdown()
}

@Test func recoveryFromTruncatedTailKeepsCompleteRecords() throws {
    let root = temporaryDirectory()
    let config = smallConfig(root)
    let store = try MessageStore(config: config, logger: testLogger)
    var records: [AppendedRecord] = []
    for i in 0..<100 { records += put(store, message(body: "m\(i)", size: 1000)).records }
    store.shutdown()
    // Chop the last segment in the middle of the last record, as a crash mid-write would leave it.
    let last = records.last!
    let segmentStart = last.physicalOffset / 65536 * 65536
    #expect(truncate(segmentPath(root, segmentStart), off_t(last.physicalOffset - segmentStart + 500)) == 0)
    touchAbort(root)

    let reopened = try MessageStore(config: config, logger: testLogger)
    #expect(reopened.commitLogMaxOffset == last.physicalOffset)
    #expect(reopened.maxOffset(topic: "TopicTest", queueId: 0) == 99)
    var all: [StoredMessage] = []
    var offset: Int64 = 0
    while case let (result, messages) = pull(reopened, offset: offset), result.status == .found {
        all += messages
        offset = result.nextBeginOffset
    }
    #expect(bodies(all) == (0..<99).map { "m\($0)" })
    let next = put(reopened, message(body: "again")).records[0]
    #expect(next.queueOffset == 99 && next.physicalOffset == last.physicalOffset)
    #expect(bodies(pull(reopened, offset: 99).1) == ["again"])
    reopened.shutdown()
}

@Test func recoveryFromCorruptedTailDropsOnlyTheBadRecord() throws {
    let root = temporaryDirectory()
    let config = smallConfig(root)
    let store = try MessageStore(config: config, logger: testLogger)
    for i in 0..<5 { put(store, message(body: "m\(i)")) }
    let solo = put(store, message(topic: "Solo", body: "last one", keys: "soloKey")).records[0]
    store.shutdown()
    let path = segmentPath(root, 0)
    var bytes = fileBytes(path)
    bytes[Int(solo.physicalOffset) + 90] ^= 0xFF  // inside the body: the CRC no longer matches
    writeFileBytes(bytes, path)
    touchAbort(root)

    let reopened = try MessageStore(config: config, logger: testLogger)
    #expect(reopened.commitLogMaxOffset == solo.physicalOffset)
    #expect(reopened.maxOffset(topic: "TopicTest", queueId: 0) == 5)
    #expect(bodies(pull(reopened, offset: 0).1) == (0..<5).map { "m\($0)" })
    // The queue that held only the dropped record exists but is empty.
    #expect(reopened.maxOffset(topic: "Solo", queueId: 0) == 0)
    #expect(pull(reopened, topic: "Solo", offset: 0).0.status == .noMessageInQueue)
    #expect(reopened.message(atCommitLogOffset: solo.physicalOffset) == nil)
    #expect(reopened.queryMessages(topic: "Solo", key: "soloKey", maxCount: 1, beginTimestamp: 0, endTimestamp: .max).isEmpty)
    let next = put(reopened, message(topic: "Solo", body: "replacement")).records[0]
    #expect(next.queueOffset == 0 && next.physicalOffset == solo.physicalOffset)
    #expect(bodies(pull(reopened, topic: "Solo", offset: 0).1) == ["replacement"])
    reopened.shutdown()
}

@Test func deletedConsumeQueuesAreRebuiltFromTheLog() throws {
    let root = temporaryDirectory()
    let config = smallConfig(root)
    let store = try MessageStore(config: config, logger: testLogger)
    for i in 0..<150 { put(store, message(queueId: Int32(i % 2), body: "m\(i)", tag: i % 3 == 0 ? "Three" : "Other", size: 800)) }
    let before = (0..<2).map { pull(store, queueId: $0, offset: 0, maxCount: 200, maxBytes: 1 << 22) }
    store.shutdown()
    try FileManager.default.removeItem(atPath: root + "/consumequeue")

    let reopened = try MessageStore(config: config, logger: testLogger)
    for queueId in 0..<2 {
        #expect(reopened.maxOffset(topic: "TopicTest", queueId: Int32(queueId)) == 75)
        let (result, messages) = pull(reopened, queueId: Int32(queueId), offset: 0, maxCount: 200, maxBytes: 1 << 22)
        #expect(result.messageCount == 75)
        #expect(messages == before[queueId].1)
    }
    // Tags codes were rebuilt from the TAGS property.
    let three = TagsCode.of("Three")
    let (filtered, messages) = pull(reopened, queueId: 0, offset: 0, maxCount: 200, maxBytes: 1 << 22) { $0 == three }
    #expect(filtered.status == .found && bodies(messages) == stride(from: 0, to: 150, by: 6).map { "m\($0)" })
    reopened.shutdown()
}

@Test func rebuiltScheduleQueuesCarryDueTimesAsTagsCodes() throws {
    let root = temporaryDirectory()
    let config = smallConfig(root)
    let store = try MessageStore(config: config, logger: testLogger)
    // As the broker stores them: the appender's caller computes the tags code with consumeQueueTagsCode.
    func scheduled(_ pairs: [(String, String)], queueId: Int32 = 2) -> MessageToStore {
        var m = message(topic: TopicNames.schedule, queueId: queueId, body: "delayed")
        m.properties = MessagePropertyCodec.encode(pairs)
        m.tagsCode = MessageStore.consumeQueueTagsCode(topic: m.topic, properties: m.properties)
        return m
    }
    let due: Int64 = 1_900_000_000_123
    put(store, scheduled([(MessageProperty.tags, "T"), (MessageProperty.timerOutMs, String(due))]),
        scheduled([(MessageProperty.tags, "T")]),
        scheduled([(MessageProperty.timerOutMs, "soon")]),
        message(queueId: 2, body: "plain", tag: "T"))
    func tagsCodes(_ store: MessageStore, _ topic: String) -> [Int64] {
        var codes: [Int64] = []
        _ = pull(store, topic: topic, queueId: 2, offset: 0) { codes.append($0); return true }
        return codes
    }
    #expect(tagsCodes(store, TopicNames.schedule) == [due, 0, 0])
    #expect(tagsCodes(store, "TopicTest") == [TagsCode.of("T")])
    store.shutdown()
    try FileManager.default.removeItem(atPath: root + "/consumequeue")

    let reopened = try MessageStore(config: config, logger: testLogger)
    #expect(tagsCodes(reopened, TopicNames.schedule) == [due, 0, 0])
    #expect(tagsCodes(reopened, "TopicTest") == [TagsCode.of("T")])
    reopened.shutdown()
}

@Test func crashCopyRecoversEverythingInTheLog() throws {
    // A copy of a live store's directory is what a kill -9 leaves: abort marker present, queues, index and
    // checkpoint behind the log. Every appended record must come back, with consistent queues.
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.flushIntervalMillis = 20
    let store = try MessageStore(config: config, logger: testLogger)
    store.start()
    for i in 0..<60 { put(store, message(queueId: Int32(i % 2), body: "m\(i)", keys: "k\(i)", size: 500)) }
    #expect(eventually { FileManager.default.fileExists(atPath: root + "/checkpoint") })
    #expect(eventually { StoreCheckpoint.read(root + "/checkpoint")?.logicsFlushedOffset == store.commitLogMaxOffset })
    for i in 60..<150 { put(store, message(queueId: Int32(i % 2), body: "m\(i)", keys: "k\(i)", size: 500)) }
    let copy = temporaryDirectory() + "/store"
    try FileManager.default.copyItem(atPath: root, toPath: copy)
    // Lose the newest consume-queue entries, as if their pages had not reached the disk.
    for queueId in 0..<2 {
        let path = copy + "/consumequeue/TopicTest/\(queueId)/" + String(format: "%020lld", 2000)  // entries 100..<200
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        var first = fileBytes(copy + "/consumequeue/TopicTest/\(queueId)/00000000000000000000")
        for i in 50 * 20..<first.count { first[i] = 0 }
        writeFileBytes(first, copy + "/consumequeue/TopicTest/\(queueId)/00000000000000000000")
    }
    store.shutdown()

    config.rootDir = copy
    let recovered = try MessageStore(config: config, logger: testLogger)
    #expect(recovered.commitLogMaxOffset == store.commitLogMaxOffset)
    for queueId in 0..<2 {
        #expect(recovered.maxOffset(topic: "TopicTest", queueId: Int32(queueId)) == 75)
        let (_, messages) = pull(recovered, queueId: Int32(queueId), offset: 0, maxCount: 200, maxBytes: 1 << 22)
        #expect(bodies(messages) == stride(from: queueId, to: 150, by: 2).map { "m\($0)" })
        #expect(messages.map(\.queueOffset) == (0..<75).map { Int64($0) })
    }
    #expect(bodies(recovered.queryMessages(topic: "TopicTest", key: "k149", maxCount: 2, beginTimestamp: 0, endTimestamp: .max)) == ["m149"])
    #expect(bodies(recovered.queryMessages(topic: "TopicTest", key: "k3", maxCount: 2, beginTimestamp: 0, endTimestamp: .max)) == ["m3"])
    recovered.shutdown()
}

@Test func missingConsumeQueueFileReportsOffsetFoundNull() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.consumeQueueEntriesPerFile = 10
    let store = try MessageStore(config: config, logger: testLogger)
    for i in 0..<30 { put(store, message(body: "m\(i)")) }
    store.shutdown()
    try FileManager.default.removeItem(atPath: root + "/consumequeue/TopicTest/0/" + String(format: "%020lld", 200))
    let reopened = try MessageStore(config: config, logger: testLogger)
    let (result, _) = pull(reopened, offset: 12)
    #expect(result.status == .offsetFoundNull && result.nextBeginOffset == 20)
    #expect(bodies(pull(reopened, offset: 20).1).first == "m20")
    reopened.shutdown()
}

@Test func messagesWhoseLogSegmentIsGoneAreReportedAsRemoving() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    for i in 0..<100 { put(store, message(body: "m\(i)", size: 1000)) }
    for i in 0..<70 { put(store, message(topic: "Other", body: "o\(i)", size: 1000)) }  // rolls into segment 2
    #expect(store.commitLog.deleteSegments(modifiedBefore: .max) == 2)  // queues not corrected yet
    let (result, _) = pull(store, offset: 0, maxCount: 4)
    #expect(result.status == .messageWasRemoving && result.nextBeginOffset == 100)
    store.shutdown()
}

@Test func syncFlushCompletesWaitersAndTimesOut() throws {
    var config = smallConfig(temporaryDirectory(), flush: .syncFlush)
    config.flushIntervalMillis = 10_000  // only group commit can serve the waiter in time
    config.syncFlushTimeoutMillis = 200
    let store = try MessageStore(config: config, logger: testLogger)
    store.start()
    let outcomes = Mutex<[Bool]>([])
    for i in 0..<20 {
        let result = put(store, message(body: "m\(i)"))
        store.whenFlushed(upTo: result.endOffset) { ok in outcomes.withLock { $0.append(ok) } }
    }
    #expect(eventually { outcomes.withLock { $0.count } == 20 })
    #expect(outcomes.withLock { $0 }.allSatisfy { $0 })
    #expect(store.commitLog.flushedPosition.load(ordering: .acquiring) == store.commitLogMaxOffset)
    let late = Mutex<Bool?>(nil)
    store.whenFlushed(upTo: store.commitLogMaxOffset + 1_000_000) { ok in late.withLock { $0 = ok } }
    #expect(eventually { late.withLock { $0 } != nil })
    #expect(late.withLock { $0 } == false)
    store.shutdown()
}

@Test func asyncFlushServesWaitersOnTheNextInterval() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    store.start()
    let result = put(store, message(body: "x"))
    let flushed = Mutex<Bool?>(nil)
    store.whenFlushed(upTo: result.endOffset) { ok in flushed.withLock { $0 = ok } }
    #expect(eventually { flushed.withLock { $0 } != nil })
    #expect(flushed.withLock { $0 } == true)
    store.shutdown()
}

@Test func anAppendToAnIdleStoreWakesTheFlushThreadOutOfItsLongSleep() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    store.start()
    // The empty log is idle and flushed: the flush thread sleeps for FlushPace.idleMillis, to be woken by an append.
    #expect(eventually { store.flushControl.wakeAt.load(ordering: .relaxed) == store.commitLogMaxOffset + 1 })
    let result = put(store, message(body: "x"))
    // Flushed within the 50 ms interval, not after the 10 s idle sleep.
    #expect(eventually(Double(FlushPace.idleMillis) / 4_000) {
        store.commitLog.flushedPosition.load(ordering: .acquiring) >= result.endOffset
    })
    store.shutdown()
}

@Test func theQueuesAndIndexAreWrittenBackWithTheCheckpointAndRecoveryDispatchesAgainFromThere() throws {
    let root = temporaryDirectory()
    let config = smallConfig(root)
    let store = try MessageStore(config: config, logger: testLogger)
    // 150 records of 500 bytes fill more than one 64 KiB segment, so the checkpoint's position is not the log's start.
    for i in 0..<150 { put(store, message(body: "m\(i)", keys: "k\(i)", size: 500)) }
    store.flushAll(includingQueuesAndIndex: true)
    let derived = store.commitLogMaxOffset
    #expect(derived > Int64(config.mappedFileSizeCommitLog))
    #expect(StoreCheckpoint.read(root + "/checkpoint").map { [$0.physicalFlushedOffset, $0.logicsFlushedOffset] } == [derived, derived])
    let derivedDirectories = ["/index/", "/consumequeue/TopicTest/0/"]
    func files(_ root: String) throws -> [String] {
        try derivedDirectories.flatMap { directory in try FileManager.default.contentsOfDirectory(atPath: root + directory).map { directory + $0 } }
    }
    let durable = Dictionary(uniqueKeysWithValues: try files(root).map { ($0, fileBytes(root + $0)) })
    // The log's own flushes, between the queues' and the index's, leave the checkpoint where it was.
    for i in 150..<300 { put(store, message(body: "m\(i)", keys: "k\(i)", size: 500)) }
    store.flushAll(includingQueuesAndIndex: false)
    #expect(StoreCheckpoint.read(root + "/checkpoint").map { [$0.physicalFlushedOffset, $0.logicsFlushedOffset] } == [derived, derived])
    #expect(try files(root).count > durable.count)

    // A crash that loses every queue and index page written since their last write-back (a file made since then reads
    // as zeros): recovery dispatches again from the checkpoint's position, and nothing is missing.
    let copy = temporaryDirectory() + "/store"
    try FileManager.default.copyItem(atPath: root, toPath: copy)
    for path in try files(copy) {
        writeFileBytes(durable[path] ?? [UInt8](repeating: 0, count: fileBytes(copy + path).count), copy + path)
    }
    store.shutdown()
    var copied = config
    copied.rootDir = copy
    let recovered = try MessageStore(config: copied, logger: testLogger)
    #expect(recovered.maxOffset(topic: "TopicTest", queueId: 0) == 300)
    let (_, messages) = pull(recovered, offset: 0, maxCount: 400, maxBytes: 1 << 22)
    #expect(bodies(messages) == (0..<300).map { "m\($0)" })
    for key in ["k3", "k149", "k150", "k299"] {
        #expect(bodies(recovered.queryMessages(topic: "TopicTest", key: key, maxCount: 4, beginTimestamp: 0, endTimestamp: .max))
                == ["m" + key.dropFirst()])
    }
    recovered.shutdown()
}
