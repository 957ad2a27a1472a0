// HTTPConsumption: the in-flight state of one HTTP consumer group on one topic (spec http-api §10.3, §10.5) as a
// pure value — no IO, no clock: every operation takes `now` (epoch ms).
//
// Model. Per queue a read cursor (the next consume-queue offset not yet looked at). A message read from the store is
// *tracked* (an `HTTPInflight` entry) until it is acked, filtered out, or dead-lettered. A tracked entry is visible
// when it was never delivered or its `nextConsumeTime` has passed; delivering it makes it invisible until
// `now + invisibility` (300 s unordered, 60 s orderly by default), gives it a new delivery number and counts
// `consumedTimes` (+1 per delivery; `firstConsumeTime` is set once). A group's progress in a queue is the lowest
// tracked offset (or the cursor when nothing is tracked): everything below is done, so acks may arrive out of order.
//
// Orderly (`trans=order`): a partition is (queue, `__SHARDINGKEY` or "" when absent). While a partition has a
// message delivered by an earlier batch and still invisible, nothing of the partition is delivered; once it is
// visible again the same messages are offered again, in offset order, before anything newer.
//
// Receipt handle (opaque to clients, XML-safe ASCII, < 60 bytes):
//     "A1" + "-" + hex(owner) + "-" + hex(queueId) + "-" + hex(queueOffset) + "-" + hex(delivery) + "-" + hex(expiry)
// `owner` is FNV-1a-32 of "group\0topic" (a handle shown to another group or topic is unknown there), `delivery` is
// this state's monotonic delivery number (persisted with it, so unique across restarts: every delivery, redeliveries
// included, gets a new handle), `expiry` is the delivery's NextConsumeTime. (queueId, queueOffset) finds the entry;
// a handle is valid only while the entry's current delivery number equals the handle's and `now < expiry`; the
// ack removes the entry, so a second use finds nothing (`.invalid`).

/// One tracked message of an HTTP group.
public struct HTTPInflight: Sendable, Equatable, Codable {
    public var queueId: Int32
    public var queueOffset: Int64
    /// The orderly partition key within the queue: `__SHARDINGKEY`, "" without one.
    public var shardingKey: String
    /// 0 until the first delivery.
    public var firstConsumeTime: Int64
    public var consumedTimes: Int32
    /// Invisible until then; 0: never delivered (visible).
    public var nextConsumeTime: Int64
    /// The current delivery's number; 0: never delivered.
    public var delivery: UInt64

    public init(queueId: Int32, queueOffset: Int64, shardingKey: String) {
        self.queueId = queueId
        self.queueOffset = queueOffset
        self.shardingKey = shardingKey
        firstConsumeTime = 0
        consumedTimes = 0
        nextConsumeTime = 0
        delivery = 0
    }

    public var key: HTTPMessageKey { HTTPMessageKey(queueId: queueId, queueOffset: queueOffset) }
}

public struct HTTPMessageKey: Sendable, Hashable, Comparable, Codable {
    public var queueId: Int32
    public var queueOffset: Int64

    public init(queueId: Int32, queueOffset: Int64) {
        self.queueId = queueId
        self.queueOffset = queueOffset
    }

    public static func < (a: Self, b: Self) -> Bool { (a.queueId, a.queueOffset) < (b.queueId, b.queueOffset) }
}

/// The parsed form of a receipt handle (format at the top of this file).
public struct HTTPReceiptHandle: Sendable, Equatable {
    public var owner: UInt32
    public var key: HTTPMessageKey
    public var delivery: UInt64
    public var expiry: Int64

    public init(owner: UInt32, key: HTTPMessageKey, delivery: UInt64, expiry: Int64) {
        self.owner = owner
        self.key = key
        self.delivery = delivery
        self.expiry = expiry
    }

    public var text: String {
        HandleText.make(prefix: "A1-", [UInt64(owner), UInt64(UInt32(bitPattern: key.queueId)),
                                        UInt64(bitPattern: key.queueOffset), delivery, UInt64(bitPattern: expiry)],
                        uppercase: true)
    }

    public init?(parsing text: String) {
        guard let n = HandleText.parse(text, prefix: "A1-", count: 5, maxBytes: 100),
              n[0] <= UInt64(UInt32.max), n[1] <= UInt64(UInt32.max) else { return nil }
        owner = UInt32(n[0])
        key = HTTPMessageKey(queueId: Int32(bitPattern: UInt32(n[1])), queueOffset: Int64(bitPattern: n[2]))
        delivery = n[3]
        expiry = Int64(bitPattern: n[4])
    }

    /// FNV-1a 32 of "group\0topic".
    public static func owner(group: String, topic: String) -> UInt32 { HandleText.hash(group, topic) }
}

/// What one delivery tells the consumer (spec §9).
public struct HTTPDelivery: Sendable, Equatable {
    public var key: HTTPMessageKey
    public var receiptHandle: String
    public var firstConsumeTime: Int64
    public var nextConsumeTime: Int64
    public var consumedTimes: Int32
}

public enum HTTPAckResult: Sendable, Equatable {
    case acked
    /// Unknown, malformed, wrong group/topic, stale (redelivered since) or already used: `ReceiptHandleError`.
    case invalid
    /// The delivery's NextConsumeTime has passed: `MessageNotExist`.
    case expired

    /// The spec's per-handle error code (§6.4), nil on success.
    public var errorCode: String? {
        switch self {
        case .acked: nil
        case .invalid: "ReceiptHandleError"
        case .expired: "MessageNotExist"
        }
    }
}

public struct HTTPConsumptionSettings: Sendable, Equatable {
    public var invisibleMillis: Int64
    public var orderlyInvisibleMillis: Int64
    /// A message delivered more than 1 + this many times and still unacked goes to the DLQ.
    public var maxReconsumeTimes: Int32

    public init(invisibleMillis: Int64 = 300_000, orderlyInvisibleMillis: Int64 = 60_000, maxReconsumeTimes: Int32 = 16) {
        self.invisibleMillis = invisibleMillis
        self.orderlyInvisibleMillis = orderlyInvisibleMillis
        self.maxReconsumeTimes = maxReconsumeTimes
    }
}

public struct HTTPConsumption: Sendable, Equatable, Codable {
    public let group: String
    public let topic: String
    /// Per queue: the next offset not yet read.
    public private(set) var cursors: [Int32: Int64]
    public private(set) var entries: [HTTPMessageKey: HTTPInflight]
    /// The last delivery number handed out.
    public private(set) var lastDelivery: UInt64

    public init(group: String, topic: String) {
        self.group = group
        self.topic = topic
        cursors = [:]
        entries = [:]
        lastDelivery = 0
    }

    public var owner: UInt32 { HTTPReceiptHandle.owner(group: group, topic: topic) }

    // MARK: Reading

    public func cursor(queueId: Int32) -> Int64? { cursors[queueId] }

    /// Moves the cursor of a queue to `offset` if it is unset or behind (a new group starts at the earliest retained
    /// message; a retention cut moves it forward). Tracked entries below `offset` stay until finished.
    public mutating func advanceCursor(queueId: Int32, to offset: Int64) {
        if let current = cursors[queueId], current >= offset { return }
        cursors[queueId] = offset
    }

    /// A message just read at the cursor becomes tracked (visible, never delivered); the cursor moves past it.
    public mutating func track(queueId: Int32, queueOffset: Int64, shardingKey: String) {
        let key = HTTPMessageKey(queueId: queueId, queueOffset: queueOffset)
        if entries[key] == nil { entries[key] = HTTPInflight(queueId: queueId, queueOffset: queueOffset, shardingKey: shardingKey) }
        advanceCursor(queueId: queueId, to: queueOffset + 1)
    }

    /// A message done without an ack: filtered out, dead-lettered, or no longer in the store. Also moves the cursor
    /// past it when it was read just now and never tracked.
    public mutating func finish(_ key: HTTPMessageKey) {
        entries[key] = nil
        advanceCursor(queueId: key.queueId, to: key.queueOffset + 1)
    }

    // MARK: Delivering

    /// Tracked entries visible now that have been delivered 1 + maxReconsumeTimes times already: the service moves
    /// them to the DLQ and then calls `finish`.
    public func deadLetterDue(now: Int64, settings: HTTPConsumptionSettings) -> [HTTPMessageKey] {
        entries.values.filter { $0.delivery != 0 && $0.nextConsumeTime <= now && $0.consumedTimes > settings.maxReconsumeTimes }
            .map(\.key).sorted()
    }

    /// Whether a partition has a message invisible now because of a delivery numbered below `batchStart`.
    public func isBlocked(queueId: Int32, shardingKey: String, now: Int64, batchStart: UInt64) -> Bool {
        entries.values.contains {
            $0.queueId == queueId && $0.shardingKey == shardingKey && $0.delivery != 0 && $0.delivery < batchStart
                && $0.nextConsumeTime > now
        }
    }

    /// The number the next delivery will get: pass it as `batchStart` for one orderly batch.
    public var nextDelivery: UInt64 { lastDelivery + 1 }

    /// Tracked entries deliverable now, in (queue, offset) order: visible ones; orderly, only those of partitions not
    /// blocked by an earlier batch.
    public func candidates(now: Int64, orderly: Bool, batchStart: UInt64) -> [HTTPMessageKey] {
        let visible = entries.values.filter { $0.nextConsumeTime <= now }.sorted { $0.key < $1.key }
        guard orderly else { return visible.map(\.key) }
        return visible.filter { !isBlocked(queueId: $0.queueId, shardingKey: $0.shardingKey, now: now, batchStart: batchStart) }
            .map(\.key)
    }

    /// Delivers a tracked, visible entry: a new handle, invisible until now + invisibility, consumedTimes + 1.
    public mutating func deliver(_ key: HTTPMessageKey, now: Int64, orderly: Bool, settings: HTTPConsumptionSettings)
        -> HTTPDelivery?
    {
        guard var entry = entries[key], entry.nextConsumeTime <= now else { return nil }
        lastDelivery += 1
        entry.delivery = lastDelivery
        if entry.firstConsumeTime == 0 { entry.firstConsumeTime = now }
        entry.consumedTimes += 1
        entry.nextConsumeTime = now + max(1, orderly ? settings.orderlyInvisibleMillis : settings.invisibleMillis)
        entries[key] = entry
        let handle = HTTPReceiptHandle(owner: owner, key: key, delivery: entry.delivery, expiry: entry.nextConsumeTime)
        return HTTPDelivery(key: key, receiptHandle: handle.text, firstConsumeTime: entry.firstConsumeTime,
                            nextConsumeTime: entry.nextConsumeTime, consumedTimes: entry.consumedTimes)
    }

    // MARK: Acking

    public mutating func ack(_ handle: String, now: Int64) -> HTTPAckResult {
        guard let parsed = HTTPReceiptHandle(parsing: handle), parsed.owner == owner,
              let entry = entries[parsed.key], entry.delivery == parsed.delivery, entry.nextConsumeTime == parsed.expiry
        else { return .invalid }
        guard now < entry.nextConsumeTime else { return .expired }
        entries[parsed.key] = nil
        return .acked
    }

    // MARK: Progress and timing

    /// The offset below which everything of the queue is done (nil: the queue was never read).
    public func progress(queueId: Int32) -> Int64? {
        let lowest = entries.keys.filter { $0.queueId == queueId }.map(\.queueOffset).min()
        guard let cursor = cursors[queueId] else { return lowest }
        return min(lowest ?? cursor, cursor)
    }

    /// The earliest moment after `now` when an invisible entry becomes visible again.
    public func nextVisibility(after now: Int64) -> Int64? {
        entries.values.map(\.nextConsumeTime).filter { $0 > now }.min()
    }

    public var inflightCount: Int { entries.values.filter { $0.delivery != 0 }.count }
}

// MARK: Changes (the journal's unit)

extension HTTPConsumption {
    /// What changed from `before` (an earlier value of this same state) to `self`, as absolute assignments: replaying
    /// it on `before` gives `self`, and replaying a run of changes on a state that already contains a prefix of them
    /// gives the same result as replaying only the rest (each field ends with the value of the last change touching it).
    public func changes(since before: HTTPConsumption) -> HTTPConsumptionChange {
        var change = HTTPConsumptionChange(group: group, topic: topic, lastDelivery: lastDelivery)
        for (queueId, offset) in cursors where before.cursors[queueId] != offset {
            change.cursors.append(HTTPQueueOffset(queueId: queueId, queueOffset: offset))
        }
        for (key, entry) in entries where before.entries[key] != entry { change.set.append(entry) }
        for key in before.entries.keys where entries[key] == nil { change.removed.append(key) }
        change.cursors.sort { ($0.queueId, $0.queueOffset) < ($1.queueId, $1.queueOffset) }
        change.set.sort { $0.key < $1.key }
        change.removed.sort()
        return change
    }

    /// Replays one change (from the journal) onto this state.
    public mutating func apply(_ change: HTTPConsumptionChange) {
        for cursor in change.cursors { cursors[cursor.queueId] = cursor.queueOffset }
        for key in change.removed { entries[key] = nil }
        for entry in change.set { entries[entry.key] = entry }
        lastDelivery = change.lastDelivery
    }
}
