// MessageStore: the storage engine's API — append, pull reads, offsets, queries, recovery on open, shutdown.
import ApusMessage
import Logging
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Files under `rootDir`: `commitlog/` (CommitLog), `consumequeue/<topic>/<queueId>/` (ConsumeQueue), `index/`
/// (IndexFile), `checkpoint` (StoreCheckpoint), `abort` (empty; present while the store is open — finding it on
/// open means the last run did not shut down cleanly), and `config/` (metadata JSON, see Metadata.swift).
public final class MessageStore: Sendable {
    public let config: StoreConfig
    let logger: Logger
    let commitLog: CommitLog
    let index: IndexService
    let queueRoot: String
    let checkpointPath: String
    let abortPath: String
    private let queueTable = Mutex(QueueTable())
    private let pendingPreparations = Mutex<[PendingPreparation]>([])
    private let appendState: Mutex<AppendState>
    /// Where a put's records are encoded before their pwrite; used only under `appendState`'s lock.
    private let scratch = ScratchBuffer()
    /// Held in a struct: a Mutex whose value is itself a function type re-abstracts it on every `withLock`, stacking thunks.
    private struct ArrivalListenerSlot {
        var listener: (@Sendable (String, Int32, Int64) -> Void)?
    }
    private let arrivalListener = Mutex(ArrivalListenerSlot())
    private struct RetentionFloorSlot {
        var floor: (@Sendable () -> Int64?)?
    }
    private let retentionFloorSlot = Mutex(RetentionFloorSlot())
    let flushControl = FlushControl()

    struct AppendState {
        var segment: MappedFile?
        var position: Int64
        var closed = false
        /// `appendRun`'s working lists, kept empty between runs with their capacity: a put allocates neither.
        fileprivate var placements: [Placement] = []
        fileprivate var placed: [(queue: Int, offset: Int64)] = []
    }

    public init(config: StoreConfig, logger: Logger) throws {
        guard config.mappedFileSizeCommitLog >= 4096, config.consumeQueueEntriesPerFile > 0,
              config.indexSlotCount > 0, config.indexEntryCount > 1 else { throw StoreError("invalid store configuration") }
        self.config = config
        self.logger = logger
        let root = config.rootDir
        try makeDirectories(root)
        queueRoot = root + "/consumequeue"
        checkpointPath = root + "/checkpoint"
        abortPath = root + "/abort"
        try makeDirectories(queueRoot)
        try makeDirectories(root + "/config")
        commitLog = try CommitLog(directory: root + "/commitlog", segmentSize: config.mappedFileSizeCommitLog)
        index = try IndexService(directory: root + "/index", slotCount: config.indexSlotCount, entryCount: config.indexEntryCount)
        var queues: [QueueKey: ConsumeQueue] = [:]
        for topic in subdirectories(of: queueRoot) {
            for name in subdirectories(of: queueRoot + "/" + topic) {
                guard let queueId = Int32(name) else { continue }
                queues[QueueKey(topic: topic, queueId: queueId)] = try ConsumeQueue(
                    topic: topic, queueId: queueId, directory: queueRoot + "/" + topic + "/" + name,
                    entriesPerFile: config.consumeQueueEntriesPerFile)
            }
        }
        queueTable.withLock { $0 = QueueTable(queues) }
        appendState = Mutex(AppendState(segment: nil, position: 0))
        try recover()
        let fd = open(abortPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.errno("create", abortPath) }
        fsync(fd)
        close(fd)
        syncDirectory(root)
    }

    // MARK: Recovery

    /// Verifies the log tail by magic + CRC from the segment holding the checkpoint's consume-queue flush point (the
    /// whole log without a valid checkpoint or consume queues), truncates at the first bad record, drops queue entries
    /// past the valid end and re-dispatches every record the queues and index may be missing.
    private func recover() throws {
        let abnormal = fileExists(abortPath)
        let checkpoint = StoreCheckpoint.read(checkpointPath)
        let segments = commitLog.allSegments
        guard let first = segments.first else {
            // No log at all: nothing the queues or index point to exists any more.
            for queue in allQueues() { queue.truncate(logEnd: 0) }
            index.deleteFiles(startingAtOrAbove: 0)
            return
        }
        let queuesMissing = queueTable.withLock { $0.queues.isEmpty }
        let fullScan = checkpoint == nil || queuesMissing
        let start = fullScan ? first : (segments.last { $0.startOffset <= checkpoint!.logicsFlushedOffset } ?? first)
        let indexFrom: Int64 = index.isEmpty ? 0 : (checkpoint?.logicsFlushedOffset ?? 0)

        // Pass 1: find the end of the valid log.
        var position = start.startOffset
        scan: while let segment = commitLog.segment(for: position) {
            let relative = Int(position - segment.startOffset)
            switch StoredMessageCodec.decode(UnsafeRawBufferPointer(start: segment.base + relative, count: segment.size - relative),
                                             verifyCRC: true) {
            case .message(let message, let length) where message.physicalOffset == position:
                position += Int64(length)
            case .blank(let length) where length == segment.size - relative:
                position += Int64(length)
            default:
                break scan
            }
        }
        let validEnd = position
        if let segment = commitLog.segment(for: validEnd), Int(validEnd - segment.startOffset) + 8 <= segment.size,
           segment.loadInt64(Int(validEnd - segment.startOffset)) != 0 {
            logger.warning("commit log tail is torn or corrupt; truncating", metadata: ["at": "\(validEnd)"])
        }
        commitLog.truncate(at: validEnd)
        for queue in allQueues() { queue.truncate(logEnd: validEnd) }
        index.deleteFiles(startingAtOrAbove: validEnd)
        commitLog.committedPosition.store(validEnd, ordering: .releasing)

        // Pass 2: re-dispatch what the consume queues and index may not have.
        position = start.startOffset
        var redispatched = 0
        while position < validEnd, let segment = commitLog.segment(for: position) {
            let relative = Int(position - segment.startOffset)
            switch StoredMessageCodec.decode(UnsafeRawBufferPointer(start: segment.base + relative, count: segment.size - relative),
                                             verifyCRC: false) {
            case .message(let message, let length):
                if try dispatch(message, indexFrom: indexFrom) { redispatched += 1 }
                position += Int64(length)
            case .blank(let length):
                position += Int64(length)
            default:
                position = validEnd
            }
        }
        let minOffset = commitLog.minOffset
        for queue in allQueues() { queue.correctMinOffset(logMinOffset: minOffset) }
        commitLog.dispatchedPosition.store(validEnd, ordering: .releasing)
        commitLog.flushedPosition.store(start.startOffset, ordering: .releasing)
        commitLog.flush(upTo: validEnd)
        appendState.withLock { $0 = AppendState(segment: commitLog.segment(for: validEnd), position: validEnd) }
        logger.info("store recovered", metadata: [
            "abnormal": "\(abnormal)", "from": "\(start.startOffset)", "logEnd": "\(validEnd)", "redispatched": "\(redispatched)",
        ])
    }

    /// Recovery: adds the consume-queue entry (unless present) and index entries of a record found in the log.
    private func dispatch(_ message: StoredMessage, indexFrom: Int64) throws -> Bool {
        var added = false
        if Self.entersConsumeQueue(message.sysFlag) {
            let queue = try consumeQueue(topic: message.topic, queueId: message.queueId)
            if message.queueOffset >= queue.maxOffset {
                let tagsCode = Self.consumeQueueTagsCode(topic: message.topic, properties: message.properties)
                try queue.put(index: message.queueOffset, .init(physicalOffset: message.physicalOffset, size: message.totalSize,
                                                                tagsCode: tagsCode))
                added = true
            }
        }
        if message.physicalOffset >= indexFrom {
            try index.put(topic: message.topic, properties: message.properties, physicalOffset: message.physicalOffset,
                          storeTimestamp: message.storeTimestamp)
        }
        return added
    }

    /// The consume-queue tags code of a record, as the appender's caller computes it and recovery rebuilds it: in
    /// `SCHEDULE_TOPIC_XXXX` the time the message is due (the Int64 value of `TIMER_OUT_MS`, 0 if missing or not a
    /// number), so the schedule service finds due messages from the queue alone; elsewhere `TagsCode.of(TAGS)`.
    public static func consumeQueueTagsCode(topic: String, properties: String) -> Int64 {
        if topic == TopicNames.schedule {
            return MessagePropertyCodec.value(of: MessageProperty.timerOutMs, in: properties).flatMap { Int64($0) } ?? 0
        }
        return TagsCode.of(MessagePropertyCodec.value(of: MessageProperty.tags, in: properties))
    }

    /// Half (prepared) and rollback transactional records stay in the log only, as in RocketMQ.
    static func entersConsumeQueue(_ sysFlag: Int32) -> Bool {
        let transaction = sysFlag & MessageSysFlag.transactionMask
        return transaction != MessageSysFlag.transactionPrepared && transaction != MessageSysFlag.transactionRollback
    }

    // MARK: Queues

    func allQueues() -> [ConsumeQueue] { queueTable.withLock { Array($0.queues.values) } }

    func queue(topic: String, queueId: Int32) -> ConsumeQueue? {
        queueTable.withLock { $0.find(topic: topic, queueId: queueId) }
    }

    /// Creates the first file of each of `topic`'s queues 0..<count that has none, so the first message to a new
    /// queue does not create directories and files on its appender's event loop (there, an ext4 create once waited
    /// 380 ms for an inode-table block under writeback). For callers off the event loop: admin topic creation.
    public func prepareQueues(topic: String, count: Int32) throws {
        for queueId in 0..<Swift.max(0, count) {
            try consumeQueue(topic: topic, queueId: queueId).prepareFirstFile()
        }
    }

    /// As `prepareQueues`, on the flush thread, which it wakes, for callers on an event loop: topics
    /// created by a send, a consumer's heartbeat (its retry topic) or a send-back. Skipped if `stillExists` is false
    /// by then (the topic was deleted). A message that arrives first creates its queue's file itself, as before.
    public func prepareQueuesSoon(topic: String, count: Int32, stillExists: @escaping @Sendable () -> Bool) {
        pendingPreparations.withLock { $0.append(PendingPreparation(topic: topic, count: count, stillExists: stillExists)) }
        flushControl.wake.signal()  // the flush thread may be sleeping through a quiet log
    }

    struct PendingPreparation {
        var topic: String
        var count: Int32
        var stillExists: @Sendable () -> Bool
    }

    /// Flush thread, each pass: the queues `prepareQueuesSoon` asked for, then every written queue's and the index's
    /// next pages (ConsumeQueue.prepareAhead, IndexService.prepareAhead).
    func prepareQueuesAndIndex() {
        for pending in pendingPreparations.withLock({ list in defer { list = [] }; return list }) where pending.stillExists() {
            do { try prepareQueues(topic: pending.topic, count: pending.count) } catch {
                logger.warning("cannot prepare a new topic's queues", metadata: ["topic": "\(pending.topic)", "error": "\(error)"])
            }
        }
        for queue in allQueues() { queue.prepareAhead(minimum: 64 << 10) }
        index.prepareAhead(minimum: 1 << 20)
    }

    private func consumeQueue(topic: String, queueId: Int32) throws -> ConsumeQueue {
        try queueTable.withLock { table in
            if let queue = table.find(topic: topic, queueId: queueId) { return queue }
            let queue = try ConsumeQueue(topic: topic, queueId: queueId, directory: queueRoot + "/" + topic + "/" + String(queueId),
                                         entriesPerFile: config.consumeQueueEntriesPerFile)
            table.insert(queue)
            return queue
        }
    }

    /// One consume-queue entry as QUERY_CONSUME_QUEUE shows it.
    public struct QueueEntry: Sendable, Equatable {
        public var physicalOffset: Int64
        public var size: Int32
        public var tagsCode: Int64
    }

    /// Up to `count` consume-queue entries from `index` (QUERY_CONSUME_QUEUE), with the queue's min and max offsets;
    /// nil when the queue does not exist. `entries` is nil when `index` is outside the stored range.
    public func queueEntries(topic: String, queueId: Int32, from index: Int64,
                             count: Int) -> (minOffset: Int64, maxOffset: Int64, entries: [QueueEntry]?)? {
        guard let queue = queue(topic: topic, queueId: queueId) else { return nil }
        let minOffset = queue.minOffset, maxOffset = queue.maxOffset
        guard index >= minOffset, index < maxOffset else { return (minOffset, maxOffset, nil) }
        var entries: [QueueEntry] = []
        var i = index
        while i < maxOffset, entries.count < max(0, count), let entry = queue.entry(at: i) {
            entries.append(QueueEntry(physicalOffset: entry.physicalOffset, size: entry.size, tagsCode: entry.tagsCode))
            i += 1
        }
        return (minOffset, maxOffset, entries)
    }

    /// Deletes the consume queues of `topic` (DELETE_TOPIC_IN_BROKER): its messages stay in the commit log until
    /// retention removes them, but a topic created again under the name starts with empty queues. Returns how many
    /// queues were deleted.
    @discardableResult
    public func deleteQueues(topic: String) -> Int {
        let removed = queueTable.withLock { $0.removeQueues(of: topic) }
        for queue in removed { queue.destroy() }
        if !removed.isEmpty { rmdir(queueRoot + "/" + topic) }
        return removed.count
    }

    public func queues() -> [(topic: String, queueId: Int32)] {
        queueTable.withLock { $0.queues.keys.map { ($0.topic, $0.queueId) } }.sorted { ($0.topic, $0.queueId) < ($1.topic, $1.queueId) }
    }

    // MARK: Append

    /// `message` is borrowed, and callers lend it from the put's buffer (`MessageRun.lend`): no copy, no retain and
    /// release of its fields.
    private static func validate(_ message: borrowing MessageToStore, maxMessageSize: Int, segmentSize: Int) -> String? {
        let topicLength = message.topic.utf8.count
        guard topicLength > 0, topicLength <= StoredMessageCodec.maxTopicLength else { return "topic length \(topicLength) not in 1...127" }
        let slashOrNUL: (UInt8) -> Bool = { $0 == 0x2F || $0 == 0 }
        let bad = message.topic.withContiguousUTF8 { $0.contains(where: slashOrNUL) }
        guard !bad, topicLength > 2 || (message.topic != "." && message.topic != "..") else {
            return "topic \(message.topic) contains illegal characters"
        }
        let propertiesLength = message.properties.utf8.count
        guard propertiesLength <= StoredMessageCodec.maxPropertiesLength else { return "properties length \(propertiesLength) > 32767" }
        let bodyLength = message.body.readableBytes
        guard bodyLength <= maxMessageSize else { return "body length \(bodyLength) > maxMessageSize \(maxMessageSize)" }
        let length = StoredMessageCodec.recordLength(bodyLength: bodyLength, topicLength: topicLength, propertiesLength: propertiesLength)
        guard length + 8 <= segmentSize else { return "record length \(length) exceeds the commit-log segment size" }
        return nil
    }

    /// Appends `messages` in order. They are `inout` only to be lent out one at a time while they are encoded and
    /// validated (`MessageRun.lend`); the array is left as it was passed.
    public func putMessages(_ messages: inout [MessageToStore]) -> PutResult {
        messages.withUnsafeMutableBufferPointer { putBuffered(MessageRun($0)) }
    }

    /// A put's messages, read in place. An array element passed to a function or read field by field is copied first,
    /// and so is an element of an `UnsafeBufferPointer` (its subscript returns a value): a retain and a release of the
    /// message's topic, body and properties each time. This subscript addresses the element instead.
    private struct MessageRun {
        let base: UnsafeMutablePointer<MessageToStore>?
        let count: Int

        init(_ buffer: UnsafeMutableBufferPointer<MessageToStore>) {
            base = buffer.baseAddress
            count = buffer.count
        }

        var indices: Range<Int> { 0..<count }

        /// The message in place: read field by field, it is not copied.
        subscript(i: Int) -> MessageToStore {
            unsafeAddress {
                precondition(i >= 0 && i < count, "message index out of range")
                return UnsafePointer(base! + i)
            }
        }

        /// Lends message `i` to `body` as a local value: moved out and back, bitwise. Borrowed straight from the
        /// buffer by a call into code the compiler does not see (the record encoder is in another module, validation
        /// and the index call the standard library's string code), it is copied first — a retain and a release of its
        /// topic, body and properties — since that code might, for all the compiler knows, overwrite the buffer.
        /// `body` must not touch message `i` through the run; the message is put back if it throws.
        func lend<R, E: Error>(_ i: Int, _ body: (borrowing MessageToStore) throws(E) -> R) throws(E) -> R {
            precondition(i >= 0 && i < count, "message index out of range")
            let message = (base! + i).move()
            defer { (base! + i).initialize(to: message) }
            return try body(message)
        }
    }

    private func putBuffered(_ messages: MessageRun) -> PutResult {
        let segmentSize = config.mappedFileSizeCommitLog
        for i in messages.indices {
            if let problem = messages.lend(i, { Self.validate($0, maxMessageSize: config.maxMessageSize, segmentSize: segmentSize) }) {
                return PutResult(status: .messageIllegal(problem), records: [], endOffset: commitLog.committedPosition.load(ordering: .acquiring))
            }
        }
        var records: [AppendedRecord] = []
        records.reserveCapacity(messages.count)
        var endOffset: Int64 = 0
        let status: PutStatus = appendState.withLock { state in
            endOffset = state.position
            guard !state.closed else { return .serviceNotAvailable("message store is shut down") }
            let now = currentMillis()
            do {
                var next = 0
                while next < messages.count {
                    try appendRun(messages, from: &next, now: now, state: &state, records: &records)
                }
            } catch {
                logger.error("append failed", metadata: ["error": "\(error)"])
                endOffset = state.position
                return .serviceNotAvailable("append failed: \(error)")
            }
            endOffset = state.position
            return .ok
        }
        flushControl.appended(upTo: endOffset)
        if !records.isEmpty, let listener = arrivalListener.withLock({ $0.listener }) {
            notifyArrivals(messages, records, listener)
        }
        return PutResult(status: status, records: records, endOffset: endOffset)
    }

    private func notifyArrivals(_ messages: MessageRun, _ records: [AppendedRecord],
                                _ listener: @Sendable (String, Int32, Int64) -> Void) {
        // Once per (topic, queueId): at its last record in this put (linear in the put's size, not quadratic), in the
        // order of those records. The last record's queue is kept apart: most puts fill one queue, and then no list
        // is allocated.
        var last: (key: QueueKey, maxOffset: Int64)?
        var others: [(key: QueueKey, maxOffset: Int64)] = []
        for i in records.indices.reversed() where Self.entersConsumeQueue(messages[i].sysFlag) {
            let key = QueueKey(topic: messages[i].topic, queueId: messages[i].queueId)
            guard let found = last else {
                last = (key, records[i].queueOffset + 1)
                continue
            }
            guard found.key != key, !others.contains(where: { $0.key == key }) else { continue }
            others.append((key, records[i].queueOffset + 1))
        }
        for (key, maxOffset) in others.reversed() { listener(key.topic, key.queueId, maxOffset) }
        if let (key, maxOffset) = last { listener(key.topic, key.queueId, maxOffset) }
    }

    /// A consume queue a run appends to, and the offset its next message takes.
    fileprivate struct Placement {
        var queue: ConsumeQueue
        var offset: Int64
    }

    /// Appends the run of `messages` from `next` that fits in the current segment (rolling to a new one first if
    /// not even one record fits): encodes them into the scratch buffer, writes them with one pwrite, then publishes
    /// each record's positions and consume-queue and index entries in log order. Advances `next` past the run.
    private func appendRun(_ messages: MessageRun, from next: inout Int, now: Int64, state: inout AppendState,
                           records: inout [AppendedRecord]) throws {
        let segmentSize = config.mappedFileSizeCommitLog
        func length(_ i: Int) -> Int {
            StoredMessageCodec.recordLength(bodyLength: messages[i].body.readableBytes, topicLength: messages[i].topic.utf8.count,
                                            propertiesLength: messages[i].properties.utf8.count)
        }
        if state.segment == nil || Int(state.position - state.segment!.startOffset) + length(next) + 8 > segmentSize {
            if let segment = state.segment {
                let relative = Int(state.position - segment.startOffset)
                var filler = (Int32(segmentSize - relative).bigEndian, StoredMessageCodec.blankMagicCode.bigEndian)
                guard withUnsafeBytes(of: &filler, { segment.write($0, at: relative) }) else {
                    throw StoreError.errno("pwrite", segment.path)
                }
                state.position = segment.endOffset
            }
            state.segment = try commitLog.createSegment(start: state.position)
        }
        let segment = state.segment!
        let runStart = state.position
        var room = segmentSize - Int(runStart - segment.startOffset) - 8
        var end = next, bytes = 0
        while end < messages.count {
            let n = length(end)
            guard n <= room else { break }
            room -= n
            bytes += n
            end += 1
        }
        // Queue offsets first: messages of one queue in this run take consecutive offsets. Each message notes its
        // queue's index in `queues` (-1: none), not the queue itself: a reference per message was a retain and a
        // release per message.
        var queues: [Placement] = [], placed: [(queue: Int, offset: Int64)] = []
        swap(&queues, &state.placements)
        swap(&placed, &state.placed)
        defer {
            // No queue is held past the run, nor the capacity of an unusually long one.
            queues.removeAll(keepingCapacity: queues.capacity <= 64)
            placed.removeAll(keepingCapacity: placed.capacity <= 4096)
            swap(&queues, &state.placements)
            swap(&placed, &state.placed)
        }
        placed.reserveCapacity(end - next)
        for i in next..<end {
            guard Self.entersConsumeQueue(messages[i].sysFlag) else { placed.append((-1, 0)); continue }
            // The run's queues first: a table lookup hashes the topic and takes a lock.
            let queueId = messages[i].queueId
            var k = 0  // a loop, not a closure: a closure copied the message to compare its topic
            while k < queues.count && !(queues[k].queue.queueId == queueId && queues[k].queue.topic == messages[i].topic) { k += 1 }
            if k < queues.count {
                placed.append((k, queues[k].offset))
                queues[k].offset += 1
            } else {
                let queue = try consumeQueue(topic: messages[i].topic, queueId: queueId)
                placed.append((k, queue.maxOffset))
                queues.append(Placement(queue: queue, offset: queue.maxOffset + 1))
            }
        }
        let scratch = self.scratch.reserve(bytes)
        var position = runStart
        for i in next..<end {
            let queueOffset = placed[i - next].offset, into = scratch + Int(position - runStart)
            let written = messages.lend(i) {
                StoredMessageCodec.encode($0, queueOffset: queueOffset, physicalOffset: position, storeTimestamp: now, into: into)
            }
            position += Int64(written)
        }
        guard segment.write(UnsafeRawBufferPointer(start: scratch, count: bytes), at: Int(runStart - segment.startOffset)) else {
            throw StoreError.errno("pwrite", segment.path)
        }
        position = runStart
        for i in next..<end {
            let size = length(i), k = i - next
            commitLog.committedPosition.store(position + Int64(size), ordering: .releasing)
            if placed[k].queue >= 0 {
                try queues[placed[k].queue].queue.put(index: placed[k].offset,
                                                      .init(physicalOffset: position, size: Int32(size), tagsCode: messages[i].tagsCode))
            }
            try messages.lend(i) { try index.put(topic: $0.topic, properties: $0.properties, physicalOffset: position, storeTimestamp: now) }
            commitLog.dispatchedPosition.store(position + Int64(size), ordering: .releasing)
            records.append(AppendedRecord(queueOffset: placed[k].offset, physicalOffset: position, size: Int32(size), storeTimestamp: now))
            position += Int64(size)
            state.position = position
        }
        next = end
    }

    /// `floor` returns the lowest commit-log offset that must survive retention (nil: none), e.g. the oldest
    /// scheduled message not yet delivered. Called from the flush thread, only when a segment is old enough to go.
    public func setRetentionFloor(_ floor: @escaping @Sendable () -> Int64?) {
        retentionFloorSlot.withLock { $0.floor = floor }
    }

    var retentionFloor: Int64? { retentionFloorSlot.withLock { $0.floor }?() }

    public func setArrivalListener(_ listener: @escaping @Sendable (_ topic: String, _ queueId: Int32, _ maxOffset: Int64) -> Void) {
        arrivalListener.withLock { $0.listener = listener }
    }

    // MARK: Reads

    public func getMessages(topic: String, queueId: Int32, offset: Int64, maxCount: Int, maxBytes: Int,
                            filter: (Int64) -> Bool) -> GetMessageResult {
        guard let queue = queue(topic: topic, queueId: queueId) else {
            return GetMessageResult(status: .noMatchedLogicQueue, nextBeginOffset: 0, minOffset: 0, maxOffset: 0, messageCount: 0, body: nil)
        }
        let minOffset = queue.minOffset, maxOffset = queue.maxOffset
        func answer(_ status: GetMessageStatus, _ next: Int64, _ count: Int = 0, _ body: ByteBuffer? = nil) -> GetMessageResult {
            GetMessageResult(status: status, nextBeginOffset: next, minOffset: minOffset, maxOffset: maxOffset, messageCount: count, body: body)
        }
        if maxOffset == 0 { return answer(.noMessageInQueue, 0) }
        if offset < minOffset { return answer(.offsetTooSmall, minOffset) }
        if offset == maxOffset { return answer(.offsetOverflowOne, offset) }
        if offset > maxOffset { return answer(.offsetOverflowBadly, maxOffset) }

        let end = Swift.min(maxOffset, offset + Int64(Swift.max(16_000, maxCount * ConsumeQueue.entrySize) / ConsumeQueue.entrySize))
        let logMinOffset = commitLog.minOffset
        var index = offset, count = 0, bytes = 0, removing = false
        var body: ByteBuffer?
        var file: MappedFile?
        var logSegment: MappedFile?
        while index < end {
            if file == nil || index * Int64(ConsumeQueue.entrySize) >= file!.endOffset {
                file = queue.file(for: index)
                if file == nil {
                    if count > 0 { break }
                    let perFile = Int64(config.consumeQueueEntriesPerFile)
                    return answer(.offsetFoundNull, (index / perFile + 1) * perFile)
                }
            }
            let entry = queue.entry(in: file!, index: index)
            if entry.physicalOffset < logMinOffset { removing = true; index += 1; continue }
            if !filter(entry.tagsCode) { index += 1; continue }
            if count >= maxCount || (count > 0 && bytes + Int(entry.size) > maxBytes) { break }
            guard let record = commitLog.read(at: entry.physicalOffset, size: Int(entry.size), reusing: &logSegment) else {
                removing = true
                index += 1
                continue
            }
            if body == nil {
                let estimate = Int(entry.size) * Swift.min(maxCount, Int(end - index))
                body = ByteBufferAllocator().buffer(capacity: Swift.max(Int(entry.size), Swift.min(estimate, maxBytes)))
            }
            body!.writeBytes(record)
            withExtendedLifetime(logSegment) {}  // it keeps `record` mapped
            bytes += Int(entry.size)
            count += 1
            index += 1
        }
        if count > 0 { return answer(.found, index, count, body) }
        return answer(removing ? .messageWasRemoving : .noMatchedMessage, index)
    }

    public func maxOffset(topic: String, queueId: Int32) -> Int64 { queue(topic: topic, queueId: queueId)?.maxOffset ?? 0 }

    public func minOffset(topic: String, queueId: Int32) -> Int64 { queue(topic: topic, queueId: queueId)?.minOffset ?? 0 }

    /// Store time of the record behind consume-queue entry `index`, if it is still readable.
    private func storeTime(_ queue: ConsumeQueue, _ index: Int64) -> Int64? {
        guard let entry = queue.entry(at: index), entry.size >= Int32(StoredMessageCodec.fixedLength),
              let (segment, record) = commitLog.read(at: entry.physicalOffset, size: Int(entry.size)) else { return nil }
        return withExtendedLifetime(segment) { Int64(bigEndian: record.loadUnaligned(fromByteOffset: 56, as: Int64.self)) }
    }

    /// The offset whose store time equals `timestamp` (the first such), else the nearer of its neighbours; 0 if none.
    public func offsetByTimestamp(topic: String, queueId: Int32, timestamp: Int64) -> Int64 {
        guard let queue = queue(topic: topic, queueId: queueId) else { return 0 }
        let minOffset = queue.minOffset, maxOffset = queue.maxOffset
        guard minOffset < maxOffset else { return 0 }
        var low = minOffset, high = maxOffset
        while low < high {
            let mid = (low + high) / 2
            if (storeTime(queue, mid) ?? Int64.min) < timestamp { low = mid + 1 } else { high = mid }
        }
        guard low < maxOffset else { return maxOffset - 1 }
        guard low > minOffset, let right = storeTime(queue, low), right != timestamp,
              let left = storeTime(queue, low - 1) else { return low }
        return timestamp - left <= right - timestamp ? low - 1 : low
    }

    /// The first offset whose message was stored at or after `timestamp`; the max offset when none was.
    public func offsetAtOrAfter(topic: String, queueId: Int32, timestamp: Int64) -> Int64 {
        guard let queue = queue(topic: topic, queueId: queueId) else { return 0 }
        var low = queue.minOffset, high = queue.maxOffset
        while low < high {
            let mid = (low + high) / 2
            if (storeTime(queue, mid) ?? Int64.min) < timestamp { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Store time of the message at `offset` of the queue, if it is still stored.
    public func storeTime(topic: String, queueId: Int32, offset: Int64) -> Int64? {
        guard let queue = queue(topic: topic, queueId: queueId), offset >= queue.minOffset, offset < queue.maxOffset else {
            return nil
        }
        return storeTime(queue, offset)
    }

    public func earliestStoreTime(topic: String, queueId: Int32) -> Int64 {
        guard let queue = queue(topic: topic, queueId: queueId) else { return -1 }
        return storeTime(queue, queue.minOffset) ?? -1
    }

    public func message(atCommitLogOffset offset: Int64) -> StoredMessage? {
        guard offset >= commitLog.minOffset else { return nil }
        return commitLog.message(at: offset)
    }

    /// The raw stored record (spec §4.1) of `message`, as read from the log (the body of QUERY_MESSAGE / VIEW_MESSAGE_BY_ID).
    public func record(of message: StoredMessage) -> ByteBuffer? {
        guard message.physicalOffset >= commitLog.minOffset, message.totalSize > 0,
              let (segment, pointer) = commitLog.read(at: message.physicalOffset, size: Int(message.totalSize)) else { return nil }
        return withExtendedLifetime(segment) { ByteBuffer(bytes: pointer) }
    }

    /// Messages of `topic` whose UNIQ_KEY is `key` or whose KEYS contain `key`, stored within [begin, end], newest first.
    public func queryMessages(topic: String, key: String, maxCount: Int, beginTimestamp: Int64, endTimestamp: Int64) -> [StoredMessage] {
        guard maxCount > 0 else { return [] }
        let candidates = index.query(topic: topic, key: key, limit: Swift.max(64, maxCount * 8),
                                     beginTimestamp: beginTimestamp, endTimestamp: endTimestamp)
        var result: [StoredMessage] = []
        for offset in candidates {
            guard let message = message(atCommitLogOffset: offset), message.topic == topic,
                  message.storeTimestamp >= beginTimestamp, message.storeTimestamp <= endTimestamp else { continue }
            let unique = MessagePropertyCodec.value(of: MessageProperty.uniqueKey, in: message.properties)
            let keys = MessagePropertyCodec.value(of: MessageProperty.keys, in: message.properties)
            guard unique == key || (keys?.split(separator: " ").contains { $0 == key } ?? false) else { continue }
            result.append(message)
            if result.count == maxCount { break }
        }
        return result
    }

    public var commitLogMinOffset: Int64 { commitLog.minOffset }

    public var commitLogMaxOffset: Int64 { commitLog.committedPosition.load(ordering: .acquiring) }

    // MARK: Lifecycle

    /// Stops accepting appends and the flush thread, flushes everything, writes the checkpoint, removes the abort marker.
    public func shutdown() {
        let wasOpen = appendState.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard wasOpen else { return }
        flushControl.stop()
        flushAll(includingQueuesAndIndex: true)
        flushControl.serveWaiters(flushed: commitLog.flushedPosition.load(ordering: .acquiring), now: .max)
        unlink(abortPath)
        syncDirectory(config.rootDir)
        logger.info("store shut down", metadata: ["logEnd": "\(commitLogMaxOffset)"])
    }
}
