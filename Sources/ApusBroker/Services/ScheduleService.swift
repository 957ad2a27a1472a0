// ScheduleService: delayed, timer and retry messages. A scheduled message is stored once, under SCHEDULE_TOPIC_XXXX
// (queue = delay level − 1, timers in queue 0) with its real topic and due time as properties; the service files each
// into the on-disk ScheduleIndex by due time and re-appends it to its real topic when it becomes due. It ticks when
// something is due or newly stored (`poke`), not at a fixed rate.

import ApusGroups
import ApusMessage
import ApusStore
import HeapModule
import Logging
import NIOCore
import Synchronization

final class ScheduleService: Sendable {
    static let topic = TopicNames.schedule
    /// Internal property: the due time (epoch ms) of a message stored in SCHEDULE_TOPIC_XXXX; also its consume-queue
    /// tags code, so that recovery rebuilds the same entries.
    static let dueProperty = MessageProperty.timerOutMs
    /// Ticks are at least this far apart (a burst of stores is filed in one tick).
    static let tickMillis: Int64 = 50

    let rules: DeliveryTime
    private let store: MessageStore
    private let logger: Logger
    private let timeline: Mutex<Timeline>
    private let loop = TickLoop(label: "apus-schedule", minimumMillis: tickMillis)
    private let counters = Mutex(Counters())

    struct Counters: Sendable, Equatable {
        var scheduled = 0
        var delivered = 0
    }

    /// What is being delivered: the undelivered entries of every window whose start has passed.
    struct Timeline: Sendable {
        var index: ScheduleIndex
        var due = Heap<ScheduleIndex.Entry>()
        /// Windows with a bucket file not yet loaded into `due` (they start in the future).
        var pendingWindows: Set<Int64> = []
        /// The lowest commit-log offset filed in each pending window (what retention must keep).
        var pendingMinOffset: [Int64: Int64] = [:]
        /// Loaded windows → entries of theirs still in `due`.
        var outstanding: [Int64: Int] = [:]
        var lastSync: Int64 = 0
        var changed = false
    }

    /// The SCHEDULE_TOPIC_XXXX queues read: one per delay level, and any left by an earlier, longer level table.
    private let queueIds: [Int32]

    init(rules: DeliveryTime, store: MessageStore, directory: String, logger: Logger) throws {
        self.rules = rules
        self.store = store
        self.logger = logger
        let existing = store.queues().filter { $0.topic == Self.topic }.map(\.queueId)
        queueIds = Array(Set(existing).union(0..<rules.maxLevel)).sorted()
        let index = try ScheduleIndex(directory: directory)
        var timeline = Timeline(index: index)
        for window in index.windows() {
            timeline.pendingWindows.insert(window)
            timeline.pendingMinOffset[window] = index.load(window: window).map(\.commitLogOffset).min()
        }
        self.timeline = Mutex(timeline)
    }

    /// The oldest commit-log offset a scheduled message not yet delivered lives at: retention keeps everything from
    /// there, so a timer longer than `fileReservedTime` is not lost.
    func retentionFloor() -> Int64? {
        timeline.withLock { state in
            var floor = state.pendingMinOffset.values.min() ?? .max
            for entry in state.due.unordered { floor = min(floor, entry.commitLogOffset) }
            for queueId in queueIds where store.maxOffset(topic: Self.topic, queueId: queueId) > state.index.filed(queueId: queueId) {
                let unfiled = store.getMessages(topic: Self.topic, queueId: queueId, offset: state.index.filed(queueId: queueId),
                                                maxCount: 1, maxBytes: 8 << 20, filter: { _ in true })
                if let first = unfiled.body.flatMap({ StoredMessageCodec.decodeAll($0).first }) {
                    floor = min(floor, first.physicalOffset)
                }
            }
            return floor == .max ? nil : floor
        }
    }

    var counts: Counters { counters.withLock { $0 } }

    /// The form in which `message` is stored until `due`: topic SCHEDULE_TOPIC_XXXX, its real topic and queue and
    /// its due time as properties.
    func scheduled(_ message: MessageToStore, due: Int64, delayLevel: Int32?) -> MessageToStore {
        var copy = message
        var properties = message.properties
        MessagePropertyCodec.append(MessageProperty.realTopic, message.topic, to: &properties)
        MessagePropertyCodec.append(MessageProperty.realQueueId, String(message.queueId), to: &properties)
        MessagePropertyCodec.append(Self.dueProperty, String(due), to: &properties)
        copy.properties = properties
        copy.topic = Self.topic
        copy.queueId = max(0, (delayLevel ?? 1) - 1)
        copy.tagsCode = due
        counters.withLock { $0.scheduled += 1 }
        return copy
    }

    func start() { loop.start { [self] now in tick(now: now) } }

    /// A message was stored under SCHEDULE_TOPIC_XXXX: file it soon.
    func poke() { loop.poke() }

    func shutdown() {
        loop.stop()
        timeline.withLock { state in
            do { try state.index.sync() } catch {
                logger.error("cannot persist the schedule progress", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One step: file newly stored scheduled messages, load windows that have started, deliver what is due, and
    /// every second make the progress durable. Returns when the next step is due. Runs on the service's queue (tests
    /// call it directly).
    @discardableResult
    func tick(now: Int64) -> Int64 {
        timeline.withLock { state in
            file(&state, now: now)
            load(&state, now: now)
            deliver(&state, now: now)
            if state.changed, now - state.lastSync >= 1_000 || state.due.isEmpty {
                do {
                    try state.index.sync()
                    state.changed = false
                    state.lastSync = now
                } catch {
                    logger.error("cannot persist the schedule progress", metadata: ["error": "\(error)"])
                }
            }
            return Self.nextTick(state)
        }
    }

    /// When the timeline needs its next step: its earliest due entry, its earliest window still on disk, the end of a
    /// finished window still to remove, a progress sync a second after the last one (`.max`: nothing).
    static func nextTick(_ state: Timeline) -> Int64 {
        var next = min(state.due.min?.dueMillis ?? .max, state.pendingWindows.min() ?? .max)
        for (window, count) in state.outstanding where count == 0 {
            next = min(next, window + state.index.windowMillis)
        }
        if state.changed { next = min(next, state.lastSync + 1_000) }
        return next
    }

    /// Reads SCHEDULE_TOPIC_XXXX's queues past what was filed. An entry due in the past is filed as due `now`, so it
    /// is never filed behind the delivery watermark (which would lose it after a restart).
    private func file(_ state: inout Timeline, now: Int64) {
        for queueId in queueIds {
            var next = state.index.filed(queueId: queueId)
            while store.maxOffset(topic: Self.topic, queueId: queueId) > next {
                let result = store.getMessages(topic: Self.topic, queueId: queueId, offset: next, maxCount: 512,
                                               maxBytes: 8 << 20, filter: { _ in true })
                if let body = result.body {
                    for message in StoredMessageCodec.decodeAll(body) {
                        let due = MessagePropertyCodec.value(of: Self.dueProperty, in: message.properties).flatMap { Int64($0) } ?? 0
                        let entry = ScheduleIndex.Entry(dueMillis: max(due, now), commitLogOffset: message.physicalOffset,
                                                        size: message.totalSize)
                        do { try state.index.file(entry) } catch {
                            logger.error("cannot file a scheduled message", metadata: ["error": "\(error)"])
                            return
                        }
                        let window = state.index.windowStart(of: entry.dueMillis)
                        if state.outstanding[window] != nil {
                            state.due.insert(entry)
                            state.outstanding[window, default: 0] += 1
                        } else {
                            state.pendingWindows.insert(window)
                            state.pendingMinOffset[window] = min(state.pendingMinOffset[window] ?? .max, entry.commitLogOffset)
                        }
                    }
                }
                guard result.nextBeginOffset > next else { break }
                next = result.nextBeginOffset
                state.index.setFiled(queueId: queueId, next: next)
                state.changed = true
            }
        }
    }

    private func load(_ state: inout Timeline, now: Int64) {
        for window in state.pendingWindows where window <= now {
            state.pendingWindows.remove(window)
            state.pendingMinOffset[window] = nil
            let entries = state.index.load(window: window)
            state.outstanding[window, default: 0] += entries.count
            for entry in entries { state.due.insert(entry) }
        }
        // Windows wholly in the past with nothing left are done.
        for (window, count) in state.outstanding where count == 0 && window + state.index.windowMillis <= now {
            state.outstanding[window] = nil
            state.index.remove(window: window)
        }
    }

    private func deliver(_ state: inout Timeline, now: Int64) {
        while (state.due.min?.dueMillis ?? .max) <= now {
            var batch: [ScheduleIndex.Entry] = []
            while batch.count < 256, let entry = state.due.min, entry.dueMillis <= now {
                batch.append(state.due.removeMin())
            }
            var messages: [MessageToStore] = []
            messages.reserveCapacity(batch.count)
            for entry in batch {
                if let message = store.message(atCommitLogOffset: entry.commitLogOffset) {
                    messages.append(Self.realMessage(message))
                } else {
                    logger.warning("a scheduled message is no longer in the commit log (retention); skipped",
                                   metadata: ["offset": "\(entry.commitLogOffset)"])
                }
            }
            if !messages.isEmpty {
                let result = store.putMessages(&messages)
                guard result.status == .ok else {
                    logger.error("cannot deliver scheduled messages; will retry", metadata: ["status": "\(result.status)"])
                    for entry in batch { state.due.insert(entry) }
                    return
                }
            }
            for entry in batch {
                state.outstanding[state.index.windowStart(of: entry.dueMillis), default: 1] -= 1
                state.index.setDelivered(through: entry)
            }
            state.changed = true
            counters.withLock { $0.delivered += messages.count }
        }
    }

    /// The message as its consumers see it: real topic and queue restored; REAL_TOPIC, REAL_QID and DELAY kept, as
    /// RocketMQ 4.9 delivers them.
    static func realMessage(_ stored: StoredMessage) -> MessageToStore {
        var properties = stored.properties
        let realTopic = MessagePropertyCodec.value(of: MessageProperty.realTopic, in: properties) ?? stored.topic
        let realQueue = MessagePropertyCodec.value(of: MessageProperty.realQueueId, in: properties).flatMap { Int32($0) } ?? 0
        MessagePropertyCodec.remove(dueProperty, from: &properties)
        return MessageToStore(
            topic: realTopic, queueId: realQueue, flag: stored.flag, body: stored.body,
            properties: properties, sysFlag: stored.sysFlag, bornTimestamp: stored.bornTimestamp, bornHost: stored.bornHost,
            storeHost: stored.storeHost, reconsumeTimes: stored.reconsumeTimes, preparedTransactionOffset: 0,
            tagsCode: TagsCode.of(MessagePropertyCodec.value(of: MessageProperty.tags, in: properties)))
    }
}
