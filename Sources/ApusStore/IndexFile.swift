// IndexFile and IndexService: message key / unique key → commit-log offsets, files under <root>/index/ (a
// MappedFileQueue of index files).
import ApusMessage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// RocketMQ's index file layout, big-endian, `40 + slotCount × 4 + entryCount × 20` bytes, named by the 20-digit
/// commit-log offset of the first message indexed in it (see IndexService.add):
///
///     header (40 bytes)
///      0     8   beginTimestamp        store time of the first entry (ms)
///      8     8   endTimestamp          store time of the last entry (ms)
///     16     8   beginPhyOffset        commit-log offset of the first entry
///     24     8   endPhyOffset          commit-log offset of the last entry
///     32     4   hashSlotCount         number of slots in use
///     36     4   indexCount            next entry number (starts at 1; entry 0 is never used)
///     slots (slotCount × 4 bytes)      entry number of the newest entry whose keyHash % slotCount is this slot, 0 = none
///     entries (entryCount × 20 bytes)
///      0     4   keyHash               |javaHash("topic#key")| (0 if negative after abs)
///      4     8   phyOffset             commit-log offset of the message
///     12     4   timeDiff              seconds between the message's store time and beginTimestamp
///     16     4   prevIndex             previous entry number in the same slot, 0 = end of chain
///
/// A file is full when indexCount reaches entryCount; the next key rolls to a new file. A fresh (all-zero) file
/// gets indexCount 1 when IndexService opens or creates it.
///
/// A view of one of IndexService's mapped files, made on demand (no allocation).
struct IndexFile {
    static let headerSize = 40
    static let entrySize = 20
    let file: MappedFile
    let slotCount: Int
    let entryCount: Int

    static func size(slotCount: Int, entryCount: Int) -> Int { headerSize + slotCount * 4 + entryCount * entrySize }

    /// Marks a new file's entry 0 as used (entry numbers start at 1).
    func initializeIfNew() {
        if indexCount == 0 { file.store(Int32(1), at: 36) }
    }

    var beginTimestamp: Int64 { file.loadInt64(0) }
    var endTimestamp: Int64 { file.loadInt64(8) }
    var endPhyOffset: Int64 { file.loadInt64(24) }
    var indexCount: Int32 { file.loadInt32(36) }
    var isFull: Bool { Int(indexCount) >= entryCount }

    /// Caller holds the IndexService lock. Returns false if the file is full.
    func put(keyHash: Int32, physicalOffset: Int64, storeTimestamp: Int64) -> Bool {
        let count = indexCount
        guard Int(count) < entryCount else { return false }
        if count == 1 {
            file.store(storeTimestamp, at: 0)
            file.store(physicalOffset, at: 16)
        }
        let slotAt = Self.headerSize + Int(keyHash) % slotCount * 4
        var previous = file.loadInt32(slotAt)
        if previous < 0 || previous >= count { previous = 0 }
        let at = Self.headerSize + slotCount * 4 + Int(count) * Self.entrySize
        file.store(keyHash, at: at)
        file.store(physicalOffset, at: at + 4)
        file.store(Int32(clamping: Swift.max(0, storeTimestamp - beginTimestamp) / 1000), at: at + 12)
        file.store(previous, at: at + 16)
        file.store(count, at: slotAt)
        if previous == 0 { file.store(file.loadInt32(32) + 1, at: 32) }
        file.store(storeTimestamp, at: 8)
        file.store(physicalOffset, at: 24)
        file.store(count + 1, at: 36)
        return true
    }

    /// Commit-log offsets of entries with `keyHash`, newest first. Caller holds the IndexService lock.
    func lookup(keyHash: Int32, limit: Int, into result: inout [Int64]) {
        let count = indexCount
        var entry = file.loadInt32(Self.headerSize + Int(keyHash) % slotCount * 4)
        var steps = 0
        while entry > 0, entry < count, result.count < limit, steps < entryCount {
            let at = Self.headerSize + slotCount * 4 + Int(entry) * Self.entrySize
            if file.loadInt32(at) == keyHash { result.append(file.loadInt64(at + 4)) }
            let previous = file.loadInt32(at + 16)
            guard previous < entry else { break }
            entry = previous
            steps += 1
        }
    }
}

/// All index files; one lock serialises the appender's puts and queries (queries are rare).
final class IndexService: Sendable {
    let slotCount: Int
    let entryCount: Int
    private struct State {
        var files: MappedFileQueue
        /// The topic of the last put and its hash: an appender's run is mostly of one topic, whose string is the topic
        /// registry's own (equal at once).
        var topic = ""
        var topicHash: Int32 = 0
    }
    private let state: Mutex<State>
    private let flushedCount = Mutex<(Int64, Int32)>((-1, 0))
    /// `prepareAhead`'s progress (flush thread only): the file it readies (its start offset) and how far.
    private let ahead = Mutex<(file: Int64, ahead: ReadyAhead)>((-1, ReadyAhead(maximum: 0)))

    init(directory: String, slotCount: Int, entryCount: Int) throws {
        try makeDirectories(directory)
        self.slotCount = slotCount
        self.entryCount = entryCount
        let queue = try MappedFileQueue(directory: directory, fileSize: IndexFile.size(slotCount: slotCount, entryCount: entryCount),
                                        naming: .unaligned)
        for file in queue.files { IndexFile(file: file, slotCount: slotCount, entryCount: entryCount).initializeIfNew() }
        state = Mutex(State(files: queue))
    }

    private func view(_ file: MappedFile) -> IndexFile { IndexFile(file: file, slotCount: slotCount, entryCount: entryCount) }

    var isEmpty: Bool { state.withLock { $0.files.isEmpty } }

    /// `|javaHash(topic + "#" + key)|` over UTF-16, without building the string.
    static func keyHash(topicHash: Int32, key: UnsafeBufferPointer<UInt8>) -> Int32 {
        let h = TagsCode.javaHash(utf8: key, seed: topicHash &* 31 &+ 35)  // '#'
        let positive = h == Int32.min ? 0 : abs(h)
        return positive
    }

    /// Indexes UNIQ_KEY and every space-separated KEYS value of a message, under one lock. Called by the appender.
    func put(topic: String, properties: String, physicalOffset: Int64, storeTimestamp: Int64) throws {
        try properties.withContiguousUTF8 { bytes in
            let uniqueName = StaticString("UNIQ_KEY"), keysName = StaticString("KEYS")
            let uniqueKey = UnsafeBufferPointer(start: uniqueName.utf8Start, count: uniqueName.utf8CodeUnitCount)
            let keysKey = UnsafeBufferPointer(start: keysName.utf8Start, count: keysName.utf8CodeUnitCount)
            let (unique, keys) = MessagePropertyCodec.valueRanges(of: uniqueKey, keysKey, in: bytes)
            guard unique?.isEmpty == false || keys != nil else { return }
            try state.withLock { state in
                if state.topic != topic {
                    state.topic = topic
                    state.topicHash = TagsCode.javaHash(topic)
                }
                func add(_ key: Range<Int>) throws {
                    let keyHash = Self.keyHash(topicHash: state.topicHash, key: UnsafeBufferPointer(rebasing: bytes[key]))
                    try self.add(keyHash, physicalOffset, storeTimestamp, to: &state.files)
                }
                if let range = unique, !range.isEmpty { try add(range) }
                if let range = keys {
                    var tokenStart = range.lowerBound
                    for i in range.lowerBound...range.upperBound where i == range.upperBound || bytes[i] == 0x20 {
                        if i > tokenStart { try add(tokenStart..<i) }
                        tokenStart = i + 1
                    }
                }
            }
        }
    }

    private func add(_ keyHash: Int32, _ physicalOffset: Int64, _ storeTimestamp: Int64, to files: inout MappedFileQueue) throws {
        if let last = files.last, view(last).put(keyHash: keyHash, physicalOffset: physicalOffset, storeTimestamp: storeTimestamp) {
            return
        }
        // Named by the first record indexed in it; one past the previous name when that is not later (one record's
        // keys overflowed a file, or recovery re-indexes records), so names stay unique and ordered.
        let file = view(try files.roll(startingAt: Swift.max(physicalOffset, (files.last?.startOffset ?? -1) + 1)))
        file.initializeIfNew()
        _ = file.put(keyHash: keyHash, physicalOffset: physicalOffset, storeTimestamp: storeTimestamp)
    }

    /// Candidate commit-log offsets for `key` in files overlapping [begin, end], newest first, deduplicated.
    /// Hash collisions are possible: the caller verifies each message.
    func query(topic: String, key: String, limit: Int, beginTimestamp: Int64, endTimestamp: Int64) -> [Int64] {
        let hash = key.withContiguousUTF8 { Self.keyHash(topicHash: TagsCode.javaHash(topic), key: $0) }
        var result: [Int64] = []
        state.withLock { state in
            for file in state.files.files.reversed().lazy.map(view) where file.indexCount > 1 {
                guard file.beginTimestamp <= endTimestamp, file.endTimestamp >= beginTimestamp else { continue }
                file.lookup(keyHash: hash, limit: limit, into: &result)
                if result.count >= limit { break }
            }
        }
        var seen = Set<Int64>()
        return result.filter { seen.insert($0).inserted }
    }

    /// Flush thread, each pass: readies the newest file for the appender, which stores into it through the mapping.
    /// A file seen for the first time gets its header and slot table allocated whole (its slots are written at random,
    /// so nearly every page of them is written within the first few tens of thousands of keys anyway); then the entries
    /// past the last one are allocated by the log's and the consume queues' window rule (ReadyAhead): at least
    /// `minimum` bytes, or four times what was written since the previous pass. The files' rolls (one per `entryCount`
    /// keys) stay with the appender.
    func prepareAhead(minimum: Int) {
        guard let (file, count) = state.withLock({ state in state.files.last.map { ($0, view($0).indexCount) } }) else { return }
        let entries = IndexFile.headerSize + slotCount * 4
        let position = Int64(entries + Int(count) * IndexFile.entrySize)
        ahead.withLock { state in
            if state.file != file.startOffset {
                file.allocate(0..<entries)
                state = (file.startOffset, ReadyAhead(maximum: Int64(file.size), position: position))
            }
            guard let range = state.ahead.range(at: position, minimum: Int64(minimum)) else { return }
            file.allocate(Int(range.lowerBound)..<Int(range.upperBound))
            state.ahead.readied(upTo: range.upperBound)
        }
    }

    /// msyncs the files written since the last flush (outside the lock: the appender is never blocked by IO).
    func flush() {
        let previous = flushedCount.withLock { $0 }
        let (dirty, flushed): ([MappedFile], (Int64, Int32)) = state.withLock { state in
            guard let last = state.files.last else { return ([], previous) }
            return (state.files.files.filter { $0.startOffset >= previous.0 }, (last.startOffset, view(last).indexCount))
        }
        guard flushed != previous else { return }
        for file in dirty { file.flush(0..<file.size) }
        flushedCount.withLock { $0 = flushed }
    }

    /// Recovery: deletes files started at or past the valid log end (they only index records that are gone).
    func deleteFiles(startingAtOrAbove logEnd: Int64) {
        state.withLock { $0.files.deleteFiles(startingAtOrAbove: logEnd) }
    }

    /// Retention: deletes files whose newest entry is below `logMinOffset` (never the last file).
    func deleteFiles(below logMinOffset: Int64) {
        _ = state.withLock { $0.files.deleteFirst { view($0).endPhyOffset < logMinOffset } }
    }
}
