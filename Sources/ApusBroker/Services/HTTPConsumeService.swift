// HTTPConsumeService: the transport-independent consumption engine of the HTTP API (http-api §10): consume with
// receipt handles and invisibility, ack, orderly partitions, dead-lettering, and a wake-up for long polls. The
// per-(group, topic) state is an `HTTPConsumption` value under its own lock (consumers of different groups or topics
// never wait for each other); this service reads messages from the store, executes the DLQ moves through
// RetryService, commits each queue's progress to OffsetService (so lag and admin tools see HTTP groups), and keeps
// the state on disk through HTTPConsumptionJournal (format there: `config/httpConsumption.json` snapshot plus
// `config/httpConsumption.journal.<gen>` change records).
//
// Durability: every consume or ack that changed a state appends one change record (under the state's lock, so the
// journal order is the order of the changes) and answers only once the record is synced — group commit: concurrent
// calls share one fdatasync. The async entry points (`consume(_:waitingUntil:)`, `acknowledge`) await the sync
// without blocking a thread; the synchronous ones (`consume(_:now:)`, `ack`) block their caller. So a handle a client
// holds, the invisibility it started and ConsumedTimes survive a clean stop and kill -9. A crash between the state
// change and the sync loses only deliveries no client saw (their messages are read again: at-least-once) or acks not
// yet answered (their messages come back). Missing files: no HTTP group has consumed yet. A queue without a cursor
// starts at the group's committed offset (OffsetService, which this service keeps at each queue's progress) or else
// at the earliest retained message (§10.1) — so losing the files only redelivers what was in flight.

import ApusGroups
import ApusMessage
import ApusStore
import Foundation
import Logging
import Synchronization

struct HTTPConsumeRequest: Sendable {
    var group: String
    var topic: String
    /// `tag`: one tag or `A||B`; nil, "" or `*`: every message.
    var tag: String?
    /// 1...16.
    var numOfMessages: Int
    /// `trans=order`.
    var orderly: Bool = false
    /// Who polls (e.g. the access key or remote address); feeds the protocol-consistency report.
    var client: String = "http"
}

struct HTTPConsumedMessage: Sendable {
    var message: StoredMessage
    var receiptHandle: String
    var firstConsumeTime: Int64
    var nextConsumeTime: Int64
    var consumedTimes: Int32
}

final class HTTPConsumeService: Sendable {
    static let maxBatch = 16
    /// New messages read per consume call at most (orderly read-ahead past blocked partitions).
    static let maxReadsPerCall = 256
    /// Tracked entries per (group, topic) beyond which no new message is read.
    static let maxTracked = 10_000

    private struct Key: Hashable {
        var group: String
        var topic: String
    }

    /// One (group, topic): its state under its own lock.
    private final class Slot: Sendable {
        let state: Mutex<HTTPConsumption>

        init(_ state: HTTPConsumption) { self.state = Mutex(state) }
    }

    /// Every (group, topic) slot; the lock covers only lookup and insertion.
    private final class SlotTable: Sendable {
        let all: Mutex<[Key: Slot]>

        init(_ slots: [Key: Slot]) { all = Mutex(slots) }

        /// Each state, read under its own lock.
        func states() -> [HTTPConsumption] { all.withLock { Array($0.values) }.map { slot in slot.state.withLock { $0 } } }
    }

    private struct Waiters {
        /// Arrivals per topic while a long poll waits (`watching`), so that one parks only if nothing arrived since
        /// it last looked.
        var generation: [String: UInt64] = [:]
        /// Long polls inside `waitForDeliverable`. With none, an arrival counts nothing: every append notifies, and
        /// a poll that starts later looks at the store after it has registered.
        var watching = 0
        var parked: [Int: (topic: String, resume: CheckedContinuation<Void, Never>)] = [:]
        /// Woken before they parked.
        var woken: Set<Int> = []
        var nextId = 0
    }

    private let store: MessageStore
    private let topics: TopicRegistry
    private let groups: GroupService
    private let offsets: OffsetService
    private let retry: RetryService
    private let stats: StatsService
    private let logger: Logger
    private let invisibleMillis: Int64
    private let orderlyInvisibleMillis: Int64
    private let memberExpiryMillis: Int64
    /// The snapshot file (`journal.snapshotPath`).
    let path: String
    let journal: HTTPConsumptionJournal
    private let slots: SlotTable
    private let waiters = Mutex(Waiters())

    init(store: MessageStore, topics: TopicRegistry, groups: GroupService, offsets: OffsetService, retry: RetryService,
         stats: StatsService, logger: Logger, path: String, invisibleMillis: Int64, orderlyInvisibleMillis: Int64,
         memberExpiryMillis: Int64) throws {
        self.store = store
        self.topics = topics
        self.groups = groups
        self.offsets = offsets
        self.retry = retry
        self.stats = stats
        self.logger = logger
        self.path = path
        self.invisibleMillis = invisibleMillis
        self.orderlyInvisibleMillis = orderlyInvisibleMillis
        self.memberExpiryMillis = memberExpiryMillis
        journal = HTTPConsumptionJournal(snapshotPath: path, logger: logger)
        let loaded = try journal.load()
        var slots: [Key: Slot] = [:]
        for state in loaded { slots[Key(group: state.group, topic: state.topic)] = Slot(state) }
        let table = SlotTable(slots)
        self.slots = table
        try journal.start(with: loaded) { table.states() }
    }

    private func slot(_ key: Key) -> Slot {
        slots.all.withLock { all in
            if let slot = all[key] { return slot }
            let slot = Slot(HTTPConsumption(group: key.group, topic: key.topic))
            all[key] = slot
            return slot
        }
    }

    private func existingSlot(_ key: Key) -> Slot? { slots.all.withLock { $0[key] } }

    // MARK: Consume

    /// Consumes now; returns once the change is on disk (blocks the calling thread for the sync: prefer
    /// `consume(_:waitingUntil:)` from async code).
    func consume(_ request: HTTPConsumeRequest, now: Int64) throws(ServiceError) -> [HTTPConsumedMessage] {
        let (out, ticket) = try consumeStep(request, now: now)
        if let ticket { journal.waitDurableBlocking(ticket) }
        return out
    }

    /// One consume: the state changed in memory and its record queued; the ticket to wait for before answering.
    private func consumeStep(_ request: HTTPConsumeRequest, now: Int64) throws(ServiceError) -> ([HTTPConsumedMessage], UInt64?) {
        guard (1...Self.maxBatch).contains(request.numOfMessages) else {
            throw ServiceError(.messageIllegal, "numOfMessages must be 1..\(Self.maxBatch)")
        }
        let config = try groups.config(of: request.group)
        guard config.consumeEnable else {
            throw ServiceError(.noPermission, "subscription group no permission, \(request.group)")
        }
        guard let topicConfig = topics.get(request.topic) else {
            throw ServiceError(.topicNotExist, "topic[\(request.topic)] not exist")
        }
        guard Permission.isReadable(topicConfig.perm) else {
            throw ServiceError(.noPermission, "the topic [\(request.topic)] is not readable")
        }
        groups.state.withLock {
            $0.recordHTTPConsumer(group: request.group, client: request.client, now: now, expiryMillis: memberExpiryMillis)
        }
        let settings = HTTPConsumptionSettings(invisibleMillis: invisibleMillis, orderlyInvisibleMillis: orderlyInvisibleMillis,
                                               maxReconsumeTimes: config.retryMaxTimes)
        let filter = Subscription(topic: request.topic, expression: request.tag ?? "*", subVersion: 0)
        func matches(_ message: StoredMessage) -> Bool {
            filter.matchesAll || filter.tags.contains(MessagePropertyCodec.value(of: MessageProperty.tags, in: message.properties) ?? "")
        }
        let key = Key(group: request.group, topic: request.topic)
        let queueCount = max(0, Int(topicConfig.readQueueNums))
        let (out, ticket) = slot(key).state.withLock { stored -> ([HTTPConsumedMessage], UInt64?) in
            var state = stored
            let before = state
            for q in 0..<queueCount {
                let queueId = Int32(q)
                var start = store.minOffset(topic: request.topic, queueId: queueId)
                // A queue this state never read: the group's committed progress if it has one (consumed before over
                // TCP, or this file was lost), else the earliest retained message (§10.1).
                if state.cursor(queueId: queueId) == nil,
                   case let .offset(committed)? = try? offsets.query(group: request.group, topic: request.topic,
                                                                     queueId: queueId, connection: nil) {
                    start = max(start, committed)
                }
                state.advanceCursor(queueId: queueId, to: start)
            }
            for due in state.deadLetterDue(now: now, settings: settings) {
                guard let message = read(topic: request.topic, due) else { state.finish(due); continue }
                do {
                    _ = try retry.sendBack(SendBackRequest(group: request.group, commitLogOffset: message.physicalOffset,
                                                           delayLevel: -1), now: now)
                    state.finish(due)
                } catch {
                    logger.warning("cannot dead-letter an HTTP message", metadata: [
                        "group": "\(request.group)", "topic": "\(request.topic)", "error": "\(error)"])
                }
            }
            var out: [HTTPConsumedMessage] = []
            func deliver(_ message: StoredMessage, _ k: HTTPMessageKey) {
                if let d = state.deliver(k, now: now, orderly: request.orderly, settings: settings) {
                    out.append(HTTPConsumedMessage(message: message, receiptHandle: d.receiptHandle,
                                                   firstConsumeTime: d.firstConsumeTime, nextConsumeTime: d.nextConsumeTime,
                                                   consumedTimes: d.consumedTimes))
                }
            }
            let batchStart = state.nextDelivery
            // Redeliveries and messages read earlier but held back (orderly), oldest first.
            for k in state.candidates(now: now, orderly: request.orderly, batchStart: batchStart) {
                if out.count >= request.numOfMessages { break }
                guard let message = read(topic: request.topic, k) else { state.finish(k); continue }
                guard matches(message) else { state.finish(k); continue }
                deliver(message, k)
            }
            // New messages, queue by queue from each cursor.
            var reads = 0
            queues: for q in 0..<queueCount where out.count < request.numOfMessages {
                let queueId = Int32(q)
                while out.count < request.numOfMessages, reads < Self.maxReadsPerCall, state.entries.count < Self.maxTracked {
                    guard let cursor = state.cursor(queueId: queueId) else { continue queues }
                    let result = store.getMessages(topic: request.topic, queueId: queueId, offset: cursor,
                                                   maxCount: min(32, Self.maxReadsPerCall - reads), maxBytes: 4 << 20,
                                                   filter: { _ in true })
                    guard result.status == .found, let body = result.body else { continue queues }
                    let messages = StoredMessageCodec.decodeAll(body, topic: request.topic)
                    if messages.isEmpty { continue queues }
                    for message in messages {
                        if out.count >= request.numOfMessages { continue queues }
                        reads += 1
                        let k = HTTPMessageKey(queueId: queueId, queueOffset: message.queueOffset)
                        guard matches(message) else { state.finish(k); continue }
                        let sharding = MessagePropertyCodec.value(of: MessageProperty.shardingKey, in: message.properties) ?? ""
                        state.track(queueId: queueId, queueOffset: message.queueOffset, shardingKey: sharding)
                        if request.orderly {
                            let blocked = state.isBlocked(queueId: queueId, shardingKey: sharding, now: now, batchStart: batchStart)
                                || state.entries.values.contains {
                                    $0.queueId == queueId && $0.shardingKey == sharding && $0.queueOffset < message.queueOffset
                                        && $0.delivery < batchStart && $0.nextConsumeTime <= now
                                }
                            if blocked { continue }
                        }
                        deliver(message, k)
                    }
                    if out.count < request.numOfMessages { state.advanceCursor(queueId: queueId, to: result.nextBeginOffset) }
                }
            }
            let change = state.changes(since: before)
            guard !change.isEmpty || state.lastDelivery != before.lastDelivery else { return (out, nil) }
            stored = state
            return (out, journal.append(change.record))
        }
        if ticket != nil { commitProgress(key: key) }
        stats.recordGet(topic: request.topic, group: request.group, count: out.count,
                        bytes: out.reduce(0) { $0 + $1.message.body.readableBytes }, now: now)
        return (out, ticket)
    }

    /// Consumes, waiting up to `untilMillis` (wall clock) for something deliverable when nothing is (long polling,
    /// §10.2): returns as soon as at least one message is delivered; empty when the wait ends without any.
    func consume(_ request: HTTPConsumeRequest, waitingUntil untilMillis: Int64) async throws(ServiceError) -> [HTTPConsumedMessage] {
        while true {
            let found = try await consumeDurably(request, now: currentMillis())
            if !found.isEmpty || currentMillis() >= untilMillis || Task.isCancelled { return found }
            if !(await waitForDeliverable(group: request.group, topic: request.topic, orderly: request.orderly,
                                          untilMillis: untilMillis)) {
                return try await consumeDurably(request, now: currentMillis())
            }
        }
    }

    private func consumeDurably(_ request: HTTPConsumeRequest, now: Int64) async throws(ServiceError) -> [HTTPConsumedMessage] {
        let (out, ticket) = try consumeStep(request, now: now)
        if let ticket { await journal.waitDurable(ticket) }
        return out
    }

    private func read(topic: String, _ key: HTTPMessageKey) -> StoredMessage? {
        let result = store.getMessages(topic: topic, queueId: key.queueId, offset: key.queueOffset, maxCount: 1,
                                       maxBytes: 64 << 20, filter: { _ in true })
        guard result.status == .found, let body = result.body,
              let message = StoredMessageCodec.decodeAll(body).first, message.queueOffset == key.queueOffset else { return nil }
        return message
    }

    // MARK: Ack

    /// One result per handle, in order; valid handles are acked even when others fail (§6.4). Returns once the acks
    /// are on disk, blocking the calling thread for the sync (prefer `acknowledge` from async code).
    func ack(group: String, topic: String, handles: [String], now: Int64) -> [HTTPAckResult] {
        let (results, ticket) = ackStep(group: group, topic: topic, handles: handles, now: now)
        if let ticket { journal.waitDurableBlocking(ticket) }
        return results
    }

    /// `ack`, awaiting the sync without blocking a thread.
    func acknowledge(group: String, topic: String, handles: [String], now: Int64) async -> [HTTPAckResult] {
        let (results, ticket) = ackStep(group: group, topic: topic, handles: handles, now: now)
        if let ticket { await journal.waitDurable(ticket) }
        return results
    }

    private func ackStep(group: String, topic: String, handles: [String], now: Int64) -> ([HTTPAckResult], UInt64?) {
        let key = Key(group: group, topic: topic)
        guard let slot = existingSlot(key) else { return (handles.map { _ in .invalid }, nil) }
        let (results, ticket) = slot.state.withLock { stored -> ([HTTPAckResult], UInt64?) in
            var state = stored
            let results = handles.map { state.ack($0, now: now) }
            guard results.contains(.acked) else { return (results, nil) }
            let change = state.changes(since: stored)
            stored = state
            return (results, journal.append(change.record))
        }
        if ticket != nil {
            commitProgress(key: key)
            wake(topic: topic)  // an orderly partition may be free now
        }
        return (results, ticket)
    }

    // MARK: Inspection

    /// The state of one group on one topic (tests, admin).
    func state(group: String, topic: String) -> HTTPConsumption? {
        existingSlot(Key(group: group, topic: topic))?.state.withLock { $0 }
    }

    /// Whether a consume now could deliver something (or move past filtered messages).
    func hasDeliverable(group: String, topic: String, orderly: Bool, now: Int64) -> Bool {
        let queueCount = Int(topics.get(topic)?.readQueueNums ?? 0)
        let state = existingSlot(Key(group: group, topic: topic))?.state.withLock { $0 }
        if let state, !state.candidates(now: now, orderly: orderly, batchStart: state.nextDelivery).isEmpty { return true }
        // Read-ahead full (orderly partitions blocked): new arrivals cannot be read until something is acked or expires.
        if let state, state.entries.count >= Self.maxTracked { return false }
        for q in 0..<max(0, queueCount) {
            let queueId = Int32(q)
            let cursor = max(state?.cursor(queueId: queueId) ?? 0, store.minOffset(topic: topic, queueId: queueId))
            if store.maxOffset(topic: topic, queueId: queueId) > cursor { return true }
        }
        return false
    }

    // MARK: Long polling

    /// Waits until something may be deliverable to the group (a message arrived, an invisibility ended, an ack freed
    /// an orderly partition) or `untilMillis` (wall clock) passes. True: consume again; false: the time is up.
    func waitForDeliverable(group: String, topic: String, orderly: Bool, untilMillis: Int64) async -> Bool {
        waiters.withLock { $0.watching += 1 }
        defer { waiters.withLock { $0.watching -= 1 } }
        while !Task.isCancelled {
            let seen = waiters.withLock { $0.generation[topic] ?? 0 }
            let now = currentMillis()
            if hasDeliverable(group: group, topic: topic, orderly: orderly, now: now) { return true }
            if now >= untilMillis { return false }
            let visible = existingSlot(Key(group: group, topic: topic))?.state.withLock { $0.nextVisibility(after: now) }
            await park(topic: topic, seen: seen, untilMillis: min(untilMillis, visible ?? untilMillis))
        }
        return false
    }

    /// Called on every arrival in the store (and on commits of transactional messages).
    func notifyArrival(topic: String) { wake(topic: topic) }

    /// Releases every parked long poll (shutdown).
    func wakeAll() {
        let all = waiters.withLock { w -> [CheckedContinuation<Void, Never>] in
            let list = w.parked.values.map(\.resume)
            w.parked.removeAll()
            for t in w.generation.keys { w.generation[t, default: 0] += 1 }
            return list
        }
        all.forEach { $0.resume() }
    }

    private func wake(topic: String) {
        let woken = waiters.withLock { w -> [CheckedContinuation<Void, Never>] in
            guard w.watching > 0 else { return [] }  // every append notifies: keep the common case cheap
            w.generation[topic, default: 0] += 1
            guard !w.parked.isEmpty else { return [] }
            let ids = w.parked.filter { $0.value.topic == topic }.map(\.key)
            return ids.compactMap { w.parked.removeValue(forKey: $0)?.resume }
        }
        woken.forEach { $0.resume() }
    }

    private func park(topic: String, seen: UInt64, untilMillis: Int64) async {
        let id = waiters.withLock { w -> Int in
            w.nextId += 1
            return w.nextId
        }
        let delay = max(1, untilMillis - currentMillis())
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = self.waiters.withLock { w -> Bool in
                        if w.woken.remove(id) != nil || (w.generation[topic] ?? 0) != seen { return true }
                        w.parked[id] = (topic, c)
                        return false
                    }
                    if now { c.resume() }
                }
            }
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(delay) * 1_000_000) }
            await group.next()
            group.cancelAll()
            let pending = self.waiters.withLock { w -> CheckedContinuation<Void, Never>? in
                if let parked = w.parked.removeValue(forKey: id) { return parked.resume }
                w.woken.insert(id)
                return nil
            }
            pending?.resume()
            await group.waitForAll()
            self.waiters.withLock { _ = $0.woken.remove(id) }
        }
    }

    // MARK: Progress and persistence

    private func commitProgress(key: Key) {
        guard let state = existingSlot(key)?.state.withLock({ $0 }) else { return }
        for (queueId, _) in state.cursors {
            if let progress = state.progress(queueId: queueId) {
                try? offsets.commit(group: key.group, topic: key.topic, queueId: queueId, offset: progress, connection: nil)
            }
        }
    }

    /// Clean shutdown: syncs the journal and compacts it into the snapshot.
    func persistNow() { journal.compactNow() }
}
