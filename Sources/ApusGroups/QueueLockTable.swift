// QueueLockTable: order-queue locks per (group, queue) for LOCK_BATCH_MQ / UNLOCK_BATCH_MQ (spec §2.14, §5.11).
import ApusMessage

/// Exclusive locks: one client per (group, queue), renewed by the holder, free again after `lockMaxLiveMillis`
/// without renewal. The broker decides whether a group uses them (spec §8.10 recommends granting every requester
/// of a broadcasting group; that policy is the caller's).
public struct QueueLockTable: Sendable {
    struct Lock { var clientId: String; var connection: ConnectionID?; var lastUpdate: Int64 }

    let lockMaxLiveMillis: Int64
    var locks: [String: [MessageQueue: Lock]] = [:]    // group → queue → lock

    public init(lockMaxLiveMillis: Int64 = 60_000) {
        self.lockMaxLiveMillis = lockMaxLiveMillis
    }

    /// Grants each queue that is free, already held by clientId (refreshes) or expired. Returns the queues now held
    /// by clientId, in request order, without duplicates.
    /// `connection`: where the holder is reached, so that its locks go when the connection closes.
    public mutating func lock(group: String, queues: [MessageQueue], clientId: String, connection: ConnectionID? = nil,
                              now: Int64) -> [MessageQueue] {
        var held: [MessageQueue] = []
        var table = locks[group] ?? [:]
        for queue in queues where !held.contains(queue) {
            if let lock = table[queue], lock.clientId != clientId, !expired(lock, now) { continue }
            table[queue] = Lock(clientId: clientId, connection: connection, lastUpdate: now)
            held.append(queue)
        }
        locks[group] = table.isEmpty ? nil : table
        return held
    }

    /// Releases the queues held by clientId; locks of other clients are left alone.
    public mutating func unlock(group: String, queues: [MessageQueue], clientId: String) {
        guard var table = locks[group] else { return }
        for queue in queues where table[queue]?.clientId == clientId { table[queue] = nil }
        locks[group] = table.isEmpty ? nil : table
    }

    /// Releases every lock taken over `connection` (closed, or its client expired), in every group.
    public mutating func release(connection: ConnectionID) {
        for (group, var table) in locks {
            table = table.filter { $0.value.connection != connection }
            locks[group] = table.isEmpty ? nil : table
        }
    }

    /// The client holding an unexpired lock on the queue, if any.
    public func holder(group: String, queue: MessageQueue, now: Int64) -> String? {
        guard let lock = locks[group]?[queue], !expired(lock, now) else { return nil }
        return lock.clientId
    }

    private func expired(_ lock: Lock, _ now: Int64) -> Bool {
        now - lock.lastUpdate > lockMaxLiveMillis
    }
}
