// Tests of MessageStore: appends, rolling, pull status table, filtering, on-disk entry layouts, queries.
import ApusMessage
@testable import ApusStore
import Foundation
import NIOCore
import Synchronization
import Testing

@Test func appendsRollAcrossSegmentsWithBlankFiller() throws {
    let root = temporaryDirectory()
    let store = try MessageStore(config: smallConfig(root), logger: testLogger)
    var physical: [Int64] = []
    for i in 0..<150 {
        let result = put(store, message(body: "m\(i)", size: 1000))
        #expect(result.records[0].queueOffset == Int64(i))
        physical.append(result.records[0].physicalOffset)
    }
    // Records never span segments: the first record of segment 1 starts exactly at 65536.
    #expect(physical.contains(65536))
    let segment0 = fileBytes(segmentPath(root, 0))
    #expect(segment0.count == 65536)
    let lastInSegment0 = physical.filter { $0 < 65536 }.max()!
    let fillerAt = Int(lastInSegment0) + Int(int32(segment0, Int(lastInSegment0)))
    #expect(int32(segment0, fillerAt) == Int32(65536 - fillerAt))
    #expect(int32(segment0, fillerAt + 4) == StoredMessageCodec.blankMagicCode)
    #expect(fileBytes(segmentPath(root, 65536)).count == 65536)
    var all: [StoredMessage] = []
    var offset: Int64 = 0
    while true {
        let (result, messages) = pull(store, offset: offset)
        guard result.status == .found else { break }
        all += messages
        offset = result.nextBeginOffset
    }
    #expect(bodies(all) == (0..<150).map { "m\($0)" })
    #expect(all.map(\.queueOffset) == (0..<150).map { Int64($0) })
    #expect(all.map(\.physicalOffset) == physical)
    #expect(store.commitLogMaxOffset == physical.last! + Int64(all.last!.totalSize))
    store.shutdown()
}

@Test func consumeQueueEntriesAndIndexFilesHaveDocumentedLayout() throws {
    let root = temporaryDirectory()
    let store = try MessageStore(config: smallConfig(root), logger: testLogger)
    let a = put(store, message(queueId: 2, body: "a", tag: "TagA", keys: "k1", uniqueKey: "U1")).records[0]
    let b = put(store, message(queueId: 2, body: "b", tag: "TagB")).records[0]
    store.shutdown()
    let queueFile = fileBytes(root + "/consumequeue/TopicTest/2/00000000000000000000")
    #expect(queueFile.count == 100 * 20)
    #expect(int64(queueFile, 0) == a.physicalOffset)
    #expect(int32(queueFile, 8) == a.size)
    #expect(int64(queueFile, 12) == 2598919)
    #expect(int64(queueFile, 20) == b.physicalOffset)
    #expect(int64(queueFile, 32) == TagsCode.of("TagB"))
    #expect(queueFile[40..<60].allSatisfy { $0 == 0 })

    let indexFile = fileBytes(root + "/index/" + String(format: "%020lld", a.physicalOffset))
    #expect(indexFile.count == 40 + 64 * 4 + 256 * 20)
    #expect(int64(indexFile, 0) == a.storeTimestamp)        // beginTimestamp
    #expect(int64(indexFile, 16) == a.physicalOffset)       // beginPhyOffset
    #expect(int64(indexFile, 24) == a.physicalOffset)       // endPhyOffset (b has no keys)
    #expect(int32(indexFile, 36) == 3)                      // next entry: 1 = UNIQ_KEY U1, 2 = key k1
    let hash = IndexService.keyHash(topicHash: TagsCode.javaHash("TopicTest".utf16), key: Array("k1".utf8).withUnsafeBufferPointer { $0 })
    #expect(hash == Int32(truncatingIfNeeded: TagsCode.of("TopicTest#k1")).magnitude.asInt32)
    #expect(int32(indexFile, 40 + Int(hash) % 64 * 4) == 2)  // slot → entry 2
    let entry = 40 + 64 * 4 + 2 * 20
    #expect(int32(indexFile, entry) == hash)
    #expect(int64(indexFile, entry + 4) == a.physicalOffset)
    #expect(int32(indexFile, entry + 12) == 0)               // time diff in seconds
    #expect(int32(indexFile, entry + 16) == 0)               // no previous entry in the slot

    let checkpoint = fileBytes(root + "/checkpoint")
    #expect(checkpoint.count == 44)
    #expect(int64(checkpoint, 24) == b.physicalOffset + Int64(b.size))
    #expect(int64(checkpoint, 32) == b.physicalOffset + Int64(b.size))
    #expect(UInt32(bitPattern: int32(checkpoint, 40)) == CRC32.checksum(Array(checkpoint[0..<40])))
    #expect(!FileManager.default.fileExists(atPath: root + "/abort"))
}

extension UInt32 { var asInt32: Int32 { Int32(truncatingIfNeeded: self) } }

@Test func getMessagesStatusTable() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.consumeQueueEntriesPerFile = 10
    let store = try MessageStore(config: config, logger: testLogger)
    #expect(pull(store, offset: 0).0.status == .noMatchedLogicQueue)
    for i in 0..<5 { put(store, message(body: "m\(i)", tag: i % 2 == 0 ? "even" : "odd")) }
    let (found, messages) = pull(store, offset: 1, maxCount: 2)
    #expect(found.status == .found && found.messageCount == 2 && found.nextBeginOffset == 3)
    #expect(found.minOffset == 0 && found.maxOffset == 5)
    #expect(bodies(messages) == ["m1", "m2"])
    #expect(pull(store, offset: 5).0.status == .offsetOverflowOne)
    #expect(pull(store, offset: 5).0.nextBeginOffset == 5)
    #expect(pull(store, offset: 9).0.status == .offsetOverflowBadly)
    #expect(pull(store, offset: 9).0.nextBeginOffset == 5)
    let none = pull(store, offset: 0) { _ in false }.0
    #expect(none.status == .noMatchedMessage && none.nextBeginOffset == 5)
    // Filter by tags code: only "odd" entries come back; the offset advances over the scanned ones.
    let odd = TagsCode.of("odd")
    let (filtered, oddMessages) = pull(store, offset: 0) { $0 == odd }
    #expect(filtered.status == .found && bodies(oddMessages) == ["m1", "m3"] && filtered.nextBeginOffset == 5)
    // maxBytes: the first record is always returned, then stop before exceeding.
    let (limited, one) = pull(store, offset: 0, maxBytes: 1)
    #expect(limited.messageCount == 1 && bodies(one) == ["m0"] && limited.nextBeginOffset == 1)
    // An empty queue: only reachable for a queue that exists with no entries.
    put(store, message(topic: "Other", body: "x"))
    #expect(pull(store, topic: "Other", offset: 0).0.status == .found)
    store.shutdown()
}

@Test func statusesBelowTheLogMinimumAfterRetention() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.consumeQueueEntriesPerFile = 10
    config.fileReservedTimeHours = 1
    let store = try MessageStore(config: config, logger: testLogger)
    var records: [AppendedRecord] = []
    for i in 0..<150 { records += put(store, message(body: "m\(i)", size: 1000)).records }
    let firstOfSegment1 = records.firstIndex { $0.physicalOffset >= 65536 }!
    // Age segment 0 (and only it) past the retention time.
    var times = [timeval(tv_sec: 1_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000, tv_usec: 0)]
    #expect(utimes(segmentPath(root, 0), &times) == 0)
    store.runRetention(now: Int64(Date().timeIntervalSince1970 * 1000))
    #expect(!FileManager.default.fileExists(atPath: segmentPath(root, 0)))
    #expect(store.commitLogMinOffset == 65536)
    #expect(store.minOffset(topic: "TopicTest", queueId: 0) == Int64(firstOfSegment1))
    let (tooSmall, _) = pull(store, offset: 0)
    #expect(tooSmall.status == .offsetTooSmall && tooSmall.nextBeginOffset == Int64(firstOfSegment1))
    #expect(store.message(atCommitLogOffset: 0) == nil)
    // Consume-queue files entirely below the new minimum are gone.
    #expect(!FileManager.default.fileExists(atPath: root + "/consumequeue/TopicTest/0/00000000000000000000"))
    let (found, messages) = pull(store, offset: Int64(firstOfSegment1))
    #expect(found.status == .found && bodies(messages).first == "m\(firstOfSegment1)")
    #expect(store.earliestStoreTime(topic: "TopicTest", queueId: 0) == records[firstOfSegment1].storeTimestamp)
    store.shutdown()
    // Reopening keeps the new minimum.
    let reopened = try MessageStore(config: config, logger: testLogger)
    #expect(reopened.minOffset(topic: "TopicTest", queueId: 0) == Int64(firstOfSegment1))
    #expect(pull(reopened, offset: 0).0.status == .offsetTooSmall)
    reopened.shutdown()
}

@Test func rejectsIllegalMessages() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    let longTopic = String(repeating: "t", count: 128)
    guard case .messageIllegal = store.putMessages([message(topic: longTopic, body: "x")]).status else { Issue.record("long topic"); return }
    var big = message(body: "x")
    big.properties = String(repeating: "p", count: 32768)
    guard case .messageIllegal = store.putMessages([big]).status else { Issue.record("long properties"); return }
    guard case .messageIllegal = store.putMessages([message(body: "x", size: 70_000)]).status else { Issue.record("big body"); return }
    guard case .messageIllegal = store.putMessages([message(topic: "a/b", body: "x")]).status else { Issue.record("slash"); return }
    for topic in [".", "..", "a\u{0}b", "/", "话题/x", ""] {
        guard case .messageIllegal = store.putMessages([message(topic: topic, body: "x")]).status else {
            Issue.record("\(topic.debugDescription) accepted"); return
        }
    }
    #expect(store.commitLogMaxOffset == 0)
    for topic in ["...", ".a", "话题"] {   // names, not paths
        guard case .ok = store.putMessages([message(topic: topic, body: "x")]).status else { Issue.record("\(topic) refused"); return }
    }
    store.shutdown()
    guard case .serviceNotAvailable = store.putMessages([message(body: "x")]).status else { Issue.record("after shutdown"); return }
}

@Test func aPutLeavesItsListAsItWasPassed() throws {
    // The store lends each message out while validating and encoding it; the caller reads the list afterwards
    // (the broker's statistics take each record's topic from it).
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    func list() -> [MessageToStore] {
        [message(topic: "LendA", queueId: 1, body: "a", tag: "TagA", keys: "k1"),
         message(topic: "LendB", queueId: 2, body: String(repeating: "b", count: 300))]
    }
    func view(_ messages: [MessageToStore]) -> [String] {
        messages.map { "\($0.topic)/\($0.queueId)/\(String(buffer: $0.body))/\($0.properties)/\($0.tagsCode)" }
    }
    var messages = list()
    #expect(store.putMessages(&messages).status == .ok)
    #expect(view(messages) == view(list()))
    messages.append(message(topic: "a/b", body: "refused"))
    guard case .messageIllegal = store.putMessages(&messages).status else { Issue.record("slash accepted"); return }
    #expect(view(messages) == view(list() + [message(topic: "a/b", body: "refused")]))
}

@Test func batchesAreContiguousAndNotifyOncePerQueue() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    let arrivals = Mutex<[String]>([])
    store.setArrivalListener { topic, queueId, max in arrivals.withLock { $0.append("\(topic)/\(queueId)/\(max)") } }
    put(store, message(queueId: 1, body: "first"))
    let result = store.putMessages([message(queueId: 1, body: "a"), message(queueId: 1, body: "b"), message(queueId: 2, body: "c")])
    #expect(result.status == .ok)
    #expect(result.records.map(\.queueOffset) == [1, 2, 0])
    #expect(result.records[1].physicalOffset == result.records[0].physicalOffset + Int64(result.records[0].size))
    #expect(result.endOffset == result.records[2].physicalOffset + Int64(result.records[2].size))
    #expect(arrivals.withLock { $0 } == ["TopicTest/1/1", "TopicTest/1/3", "TopicTest/2/1"])
    // Each queue once, at its last record, in the order of those records.
    arrivals.withLock { $0.removeAll() }
    _ = store.putMessages([message(queueId: 1, body: "d"), message(queueId: 2, body: "e"), message(queueId: 1, body: "f"),
                           message(queueId: 3, body: "g")])
    #expect(arrivals.withLock { $0 } == ["TopicTest/2/2", "TopicTest/1/5", "TopicTest/3/1"])
    #expect(store.queues().map { "\($0.topic)/\($0.queueId)" } == ["TopicTest/1", "TopicTest/2", "TopicTest/3"])
    // Prepared transactional messages stay out of consume queues.
    var half = message(queueId: 1, body: "half")
    half.sysFlag = MessageSysFlag.transactionPrepared
    let halfResult = put(store, half)
    #expect(store.maxOffset(topic: "TopicTest", queueId: 1) == 5)
    #expect(store.message(atCommitLogOffset: halfResult.records[0].physicalOffset)?.body == ByteBuffer(string: "half"))
    store.shutdown()
}

@Test func offsetByTimestampAndEarliestStoreTime() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    #expect(store.earliestStoreTime(topic: "TopicTest", queueId: 0) == -1)
    var times: [Int64] = []
    for i in 0..<3 {
        if i > 0 { let last = times.last!; _ = eventually { Int64(Date().timeIntervalSince1970 * 1000) > last + 20 } }
        times.append(put(store, message(body: "m\(i)")).records[0].storeTimestamp)
    }
    #expect(store.earliestStoreTime(topic: "TopicTest", queueId: 0) == times[0])
    #expect(store.offsetByTimestamp(topic: "TopicTest", queueId: 0, timestamp: times[1]) == 1)
    #expect(store.offsetByTimestamp(topic: "TopicTest", queueId: 0, timestamp: times[1] + 1) == 1)
    #expect(store.offsetByTimestamp(topic: "TopicTest", queueId: 0, timestamp: times[2] - 1) == 2)
    #expect(store.offsetByTimestamp(topic: "TopicTest", queueId: 0, timestamp: 0) == 0)
    #expect(store.offsetByTimestamp(topic: "TopicTest", queueId: 0, timestamp: times[2] + 10_000) == 2)
    #expect(store.offsetByTimestamp(topic: "Missing", queueId: 0, timestamp: 0) == 0)
    store.shutdown()
}

@Test func queryMessagesByKeyAndUniqueKey() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    // More than one index file (256 entries each) and many slot collisions (64 slots).
    for i in 0..<300 { put(store, message(body: "m\(i)", keys: "order-\(i % 50) all", uniqueKey: "UNIQ\(i)")) }
    put(store, message(topic: "Other", body: "other", keys: "order-7"))
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    let byKey = store.queryMessages(topic: "TopicTest", key: "order-7", maxCount: 32, beginTimestamp: 0, endTimestamp: now + 1000)
    #expect(Set(bodies(byKey)) == Set((0..<300).filter { $0 % 50 == 7 }.map { "m\($0)" }))
    let byUnique = store.queryMessages(topic: "TopicTest", key: "UNIQ123", maxCount: 32, beginTimestamp: 0, endTimestamp: now + 1000)
    #expect(bodies(byUnique) == ["m123"])
    #expect(store.queryMessages(topic: "TopicTest", key: "all", maxCount: 5, beginTimestamp: 0, endTimestamp: now + 1000).count == 5)
    #expect(store.queryMessages(topic: "TopicTest", key: "order-7", maxCount: 32, beginTimestamp: now + 5000, endTimestamp: now + 9000).isEmpty)
    #expect(bodies(store.queryMessages(topic: "Other", key: "order-7", maxCount: 32, beginTimestamp: 0, endTimestamp: now + 1000)) == ["other"])
    #expect(store.queryMessages(topic: "TopicTest", key: "nope", maxCount: 32, beginTimestamp: 0, endTimestamp: now + 1000).isEmpty)
    store.shutdown()
}

@Test func concurrentAppendsAndReaders() async throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.mappedFileSizeCommitLog = 256 * 1024
    let store = try MessageStore(config: config, logger: testLogger)
    store.start()
    let writers = 4, perWriter = 500
    try await withThrowingTaskGroup(of: Void.self) { group in
        for w in 0..<writers {
            group.addTask {
                for i in 0..<perWriter {
                    let r = store.putMessages([message(queueId: 0, body: "w\(w)-\(i)", size: 200)])
                    #expect(r.status == .ok)
                }
            }
        }
        for _ in 0..<2 {
            group.addTask {
                var offset: Int64 = 0
                var seen: [Int: Int] = [:]
                while offset < Int64(writers * perWriter) {
                    let (result, messages) = pull(store, offset: offset)
                    if result.status == .found {
                        #expect(messages.count == result.messageCount)  // no torn records
                        for (i, m) in messages.enumerated() {
                            #expect(m.queueOffset == offset + Int64(i))
                            let parts = bodies([m])[0].split(separator: "-")
                            let writer = Int(parts[0].dropFirst())!, n = Int(parts[1])!
                            #expect(n == seen[writer, default: -1] + 1)  // each writer's messages in order
                            seen[writer] = n
                        }
                        offset = result.nextBeginOffset
                    } else {
                        await Task.yield()
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    #expect(store.maxOffset(topic: "TopicTest", queueId: 0) == Int64(writers * perWriter))
    store.shutdown()
}

@Test func readersMappedPagesAreUnmappedOnceColdAndStayReadable() throws {
    let root = temporaryDirectory()
    let store = try MessageStore(config: smallConfig(root), logger: testLogger)
    for i in 0..<150 { put(store, message(body: "m\(i)", size: 1000)) }
    func readAll() -> [String] {
        var all: [StoredMessage] = [], offset: Int64 = 0
        while case let (result, messages) = pull(store, offset: offset), result.status == .found {
            all += messages
            offset = result.nextBeginOffset
        }
        return bodies(all)
    }
    let expected = (0..<150).map { "m\($0)" }
    #expect(readAll() == expected)
    let first = segmentPath(root, 0)
    #expect(mappedKiB(first) >= 60)  // the reader mapped segment 0's pages into the process
    let log = store.commitLog
    log.flush(upTo: log.committedPosition.load(ordering: .acquiring))
    log.releaseCold(below: log.committedPosition.load(ordering: .acquiring) - Int64(log.prefaultWindow))
    #expect(mappedKiB(first) == 0)
    // Unmapped pages are still the log's: reading them again maps them again, and the next release drops them again.
    #expect(readAll() == expected)
    #expect(mappedKiB(first) >= 60)
    log.releaseCold(below: log.committedPosition.load(ordering: .acquiring) - Int64(log.prefaultWindow))
    #expect(mappedKiB(first) == 0)
    store.shutdown()
}

@Test func theFlushThreadReadiesAWindowAheadOfTheAppender() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.mappedFileSizeCommitLog = 64 << 20  // a 32 MiB window
    let store = try MessageStore(config: config, logger: testLogger)
    let path = segmentPath(root, 0)
    #expect(!FileManager.default.fileExists(atPath: path))
    func allocated() -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : -1
    }
    // What the flush thread does first: an empty log's first segment is created and its first 32 MiB allocated, so
    // that the first appends neither create a file nor write into holes; the rest stays sparse until the appender nears.
    store.commitLog.prefault(from: 0, to: 32 << 20)
    #expect(allocated() >= 32 << 20 && allocated() < 64 << 20)
    store.commitLog.prefault(from: 32 << 20, to: 64 << 20)
    #expect(allocated() >= 64 << 20)
    put(store, message(body: "first"))
    #expect(bodies(pull(store, offset: 0).1) == ["first"])
    #expect(store.commitLog.allSegments.map(\.path) == [path])
    store.shutdown()
}

private func allocatedBytes(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : -1
}

@Test func consumeQueuesAreReadiedAheadAndTheirNextFileIsTakenAtTheRoll() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.mappedFileSizeCommitLog = 1 << 20
    config.consumeQueueEntriesPerFile = 4096  // 81,920-byte files
    let directory = root + "/consumequeue/TopicTest/0/"
    let first = directory + String(format: "%020lld", 0), second = directory + String(format: "%020lld", 81_920)
    func putEntries(_ store: MessageStore, _ range: Range<Int>) {
        for i in range { put(store, message(body: "m\(i)")) }
    }

    let store = try MessageStore(config: config, logger: testLogger)
    putEntries(store, 0..<3)
    let queue = try #require(store.queue(topic: "TopicTest", queueId: 0))
    #expect(allocatedBytes(first) < 64 << 10)
    queue.prepareAhead(minimum: 64 << 10)
    #expect(allocatedBytes(first) >= 64 << 10)
    // Near the file's end the window reaches the next file: it is created, but readers and the queue's range do not
    // see it until the appender rolls into it.
    putEntries(store, 3..<3_500)
    queue.prepareAhead(minimum: 64 << 10)
    #expect(FileManager.default.fileExists(atPath: second))
    #expect(queue.maxOffset == 3_500 && queue.file(for: 4_096) == nil)
    store.shutdown()

    // A restart drops the prepared file the appender never rolled into: the queue ends at its last entry.
    let reopened = try MessageStore(config: config, logger: testLogger)
    let again = try #require(reopened.queue(topic: "TopicTest", queueId: 0))
    #expect(again.maxOffset == 3_500)
    #expect(!FileManager.default.fileExists(atPath: second))
    putEntries(reopened, 3_500..<3_600)
    again.prepareAhead(minimum: 64 << 10)
    #expect(FileManager.default.fileExists(atPath: second))
    // The roll takes the prepared file: entries on both sides of the boundary read back, and the directory holds the
    // two files only.
    putEntries(reopened, 3_600..<4_200)
    #expect(again.maxOffset == 4_200)
    #expect(bodies(pull(reopened, offset: 4_090, maxCount: 10).1) == (4_090..<4_100).map { "m\($0)" })
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == [first, second].map { ($0 as NSString).lastPathComponent })
    reopened.shutdown()
}

@Test func theIndexSlotTableIsAllocatedWholeAndItsEntriesAhead() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.indexSlotCount = 16_384       // 64 KiB of slots
    config.indexEntryCount = 100_000     // 2 MB of entries
    let store = try MessageStore(config: config, logger: testLogger)
    put(store, message(body: "keyed", keys: "k1"))
    let path = root + "/index/" + String(format: "%020lld", 0)
    #expect(allocatedBytes(path) < 64 << 10)
    store.index.prepareAhead(minimum: 256 << 10)
    #expect(allocatedBytes(path) >= 40 + 16_384 * 4 + 256 << 10)
    #expect(allocatedBytes(path) < 1 << 20)
    #expect(bodies(store.queryMessages(topic: "TopicTest", key: "k1", maxCount: 4, beginTimestamp: 0, endTimestamp: .max)) == ["keyed"])
    store.shutdown()
}

/// Bytes of the first `length` bytes of `path` that are in the page cache (`mincore` over a mapping of our own).
private func cachedBytes(_ path: String, _ length: Int) -> Int {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return -1 }
    defer { close(fd) }
    guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else { return -1 }
    defer { munmap(base, length) }
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    var resident = [UInt8](repeating: 0, count: (length + pageSize - 1) / pageSize)
    guard mincore(base, length, &resident) == 0 else { return -1 }
    return resident.reduce(0) { $0 + Int($1 & 1) } * pageSize
}

@Test func theCacheThreadCachesTheWindowAheadOfAQuietAppender() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.mappedFileSizeCommitLog = 64 << 20  // a 32 MiB window
    let store = try MessageStore(config: config, logger: testLogger)
    store.start()
    // Nothing is appended: the flush thread readies the first 32 MiB and the cache thread brings them into the page
    // cache (zeroed, without I/O), so the first appends copy into pages that exist; the rest of the segment stays out.
    let path = segmentPath(root, 0)
    #expect(eventually { cachedBytes(path, 32 << 20) == 32 << 20 })
    #expect(cachedBytes(path, 64 << 20) < 40 << 20)
    // Appends over those pages read back, and survive a restart (caching writes nothing).
    for i in 0..<100 { put(store, message(body: "m\(i)", size: 1000)) }
    #expect(bodies(pull(store, offset: 0, maxCount: 100).1) == (0..<100).map { "m\($0)" })
    store.shutdown()
    let reopened = try MessageStore(config: config, logger: testLogger)
    #expect(bodies(pull(reopened, offset: 0, maxCount: 100).1) == (0..<100).map { "m\($0)" })
    reopened.shutdown()
}

@Test func topicsCreatedOnALoopGetTheirQueueFilesFromTheFlushThread() throws {
    let root = temporaryDirectory()
    let store = try MessageStore(config: smallConfig(root), logger: testLogger)
    store.start()
    let queues = root + "/consumequeue/"
    store.prepareQueuesSoon(topic: "Deleted", count: 2, stillExists: { false })
    store.prepareQueuesSoon(topic: "Fresh", count: 2, stillExists: { true })
    #expect(eventually { FileManager.default.fileExists(atPath: queues + "Fresh/1/" + String(format: "%020lld", 0)) })
    #expect(FileManager.default.fileExists(atPath: queues + "Fresh/0/" + String(format: "%020lld", 0)))
    #expect(!FileManager.default.fileExists(atPath: queues + "Deleted"))
    store.shutdown()
}

@Test func aSegmentAfterTheFirstIsAllocatedWholeWhenPrepared() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.mappedFileSizeCommitLog = 1 << 20  // a 1 MiB window, one segment
    let store = try MessageStore(config: config, logger: testLogger)
    put(store, message(body: "first"))
    let log = store.commitLog
    // The first segment is readied a window at a time (disk follows the data); the window that reaches the second
    // segment creates it and allocates it whole, so the appender's writes there never wait for an allocation.
    log.prefault(from: 0, to: 256 << 10)
    #expect(allocatedBytes(segmentPath(root, 0)) >= 256 << 10 && allocatedBytes(segmentPath(root, 0)) < 1 << 20)
    log.prefault(from: 256 << 10, to: (1 << 20) + 4096)
    #expect(allocatedBytes(segmentPath(root, 0)) >= 1 << 20)
    #expect(allocatedBytes(segmentPath(root, 1 << 20)) == 1 << 20)
    #expect(log.allSegments.count == 1, "prepared, not yet rolled into")
    store.shutdown()
}

@Test func theFlushMapsRecentlyReadHotPagesBeforeWritingThemBack() throws {
    let root = temporaryDirectory()
    var config = smallConfig(root)
    config.mappedFileSizeCommitLog = 4 << 20  // one segment, all of it the hot window
    let store = try MessageStore(config: config, logger: testLogger)
    let log = store.commitLog, path = segmentPath(root, 0)
    for i in 0..<600 { put(store, message(body: "m\(i)", size: 1000)) }  // about 700 KiB, written with pwrite
    #expect(mappedKiB(path) == 0)
    // No reader came by: the flush writes the pages back without mapping them.
    log.flush(upTo: log.committedPosition.load(ordering: .acquiring))
    #expect(mappedKiB(path) == 0)
    // A reader near the appender maps the page it touches (and a few around it); the next flush maps the rest of
    // what it writes back, before writeback can lock those pages against the reader's next first touch.
    for i in 600..<1_200 { put(store, message(body: "m\(i)", size: 1000)) }
    #expect(bodies(pull(store, offset: 1_100, maxCount: 1).1) == ["m1100"])
    let touched = mappedKiB(path)
    #expect(touched > 0 && touched < 200)
    log.flush(upTo: log.committedPosition.load(ordering: .acquiring))
    #expect(mappedKiB(path) >= 600)
    #expect(bodies(pull(store, offset: 600, maxCount: 2).1) == ["m600", "m601"])
    store.shutdown()
}

@Test func queuesFoundJustBeforeTheirTopicIsDeletedAreNotFoundAfter() throws {
    let store = try MessageStore(config: smallConfig(temporaryDirectory()), logger: testLogger)
    // More queues than the store remembers, each found (appended to, read, its end asked) before the deletion.
    for queueId in Int32(0)..<10 { for i in 0..<3 { put(store, message(queueId: queueId, body: "q\(queueId) m\(i)")) } }
    put(store, message(topic: "Kept", body: "k"))
    for queueId in Int32(0)..<10 {
        #expect(store.maxOffset(topic: "TopicTest", queueId: queueId) == 3)
        #expect(pull(store, queueId: queueId, offset: 0).0.messageCount == 3)
    }
    #expect(store.deleteQueues(topic: "TopicTest") == 10)
    for queueId in Int32(0)..<10 {
        #expect(store.maxOffset(topic: "TopicTest", queueId: queueId) == 0)
        #expect(pull(store, queueId: queueId, offset: 0).0.status == .noMatchedLogicQueue)
    }
    #expect(store.maxOffset(topic: "Kept", queueId: 0) == 1)
    put(store, message(queueId: 3, body: "again"))
    #expect(store.maxOffset(topic: "TopicTest", queueId: 3) == 1, "a topic created again starts with empty queues")
    #expect(bodies(pull(store, queueId: 3, offset: 0).1) == ["again"])
    store.shutdown()
}
