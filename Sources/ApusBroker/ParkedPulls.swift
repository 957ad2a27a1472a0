// ParkedPulls: the pulls parked per queue (long polling) with their hold deadlines, and when each event loop's one
// timeout sweep must next run. A plain value: PullHoldService keeps it under its lock and does the IO.

import ApusStore

/// Parked pulls, found by queue (an arrival wakes those below its offset) and timed out by one sweep per event loop.
///
/// An event loop has at most one sweep armed, at or before the earliest deadline of the pulls parked on it: parking a
/// pull arms one only when the loop has none that early, and a sweep answers what is due and arms the next. A pull
/// woken by an arrival leaves nothing to cancel. (A timer per pull, scheduled when parked and cancelled when woken,
/// cost each parked pull a scheduled task, its promise and two trips through the loop's task heap: about 12,000
/// instructions of W4's 95,000 per message.)
///
/// A sweep answers the pulls due within `tolerance` of it, so nearby deadlines share one timer: a hold ends up to
/// 5 ms early, where RocketMQ's broker checks its holds every 5 s (1 s with short polling).
struct ParkedPulls<Pull> {
    static var tolerance: UInt64 { 5_000_000 }

    private struct Entry {
        var offset: Int64
        var loop: ObjectIdentifier
        var deadline: UInt64
        var pull: Pull
    }

    private var byQueue: [QueueKey: [UInt64: Entry]] = [:]
    /// Each loop's armed sweep: its deadline (uptime ns).
    private var armed: [ObjectIdentifier: UInt64] = [:]
    private var nextId: UInt64 = 0
    private(set) var count = 0

    /// Parks `pull` until a message at `offset` or beyond arrives in `key`'s queue, or until `deadline` (uptime ns);
    /// returns its id and, when `loop` needs a sweep armed for it, that sweep's deadline.
    mutating func park(_ pull: Pull, key: QueueKey, offset: Int64, loop: ObjectIdentifier,
                       deadline: UInt64) -> (id: UInt64, arm: UInt64?) {
        nextId += 1
        byQueue[key, default: [:]][nextId] = Entry(offset: offset, loop: loop, deadline: deadline, pull: pull)
        count += 1
        if let at = armed[loop], at <= deadline { return (nextId, nil) }
        armed[loop] = deadline
        return (nextId, deadline)
    }

    /// Unparks one pull, if still parked. (A queue's entry stays when it empties, as after an arrival.)
    mutating func take(_ key: QueueKey, _ id: UInt64) -> Pull? {
        guard let entry = byQueue[key]?.removeValue(forKey: id) else { return nil }
        count -= 1
        return entry.pull
    }

    /// Unparks the pulls of `key`'s queue waiting for an offset below `maxOffset` (a message arrived). Every append
    /// calls this: with nothing parked it hashes nothing, and otherwise the queue's pulls are found with one lookup and
    /// changed in place. The queue's entry stays when it empties (the consumer parks its next pull there at once;
    /// removing and re-adding it hashed the key three more times); the sweep drops empty entries.
    mutating func arrived(_ key: QueueKey, maxOffset: Int64) -> [Pull] {
        guard count > 0, let index = byQueue.index(forKey: key) else { return [] }
        var woken: [Pull] = []
        var kept = 0
        for entry in byQueue.values[index].values {
            if entry.offset < maxOffset { woken.append(entry.pull) } else { kept += 1 }
        }
        guard !woken.isEmpty else { return [] }
        if kept == 0 {
            byQueue.values[index].removeAll(keepingCapacity: true)
        } else {
            byQueue.values[index] = byQueue.values[index].filter { $0.value.offset >= maxOffset }
        }
        count -= woken.count
        return woken
    }

    /// The sweep armed at `armedAt` ran on `loop` at `now`: unparks the loop's pulls due by then, and returns the
    /// deadline of the next sweep to arm, if the loop still has pulls parked. A sweep a later parking made
    /// redundant (an earlier one was armed after it) answers what is due but arms nothing.
    mutating func sweep(loop: ObjectIdentifier, armedAt: UInt64, now: UInt64) -> (due: [Pull], arm: UInt64?) {
        var due: [Pull] = []
        var earliest: UInt64?
        for (key, entries) in byQueue {
            var kept = entries
            for (id, entry) in entries where entry.loop == loop {
                if entry.deadline <= now &+ Self.tolerance {
                    due.append(entry.pull)
                    kept[id] = nil
                } else {
                    earliest = min(earliest ?? entry.deadline, entry.deadline)
                }
            }
            if kept.isEmpty { byQueue[key] = nil } else if kept.count != entries.count { byQueue[key] = kept }
        }
        count -= due.count
        guard armed[loop] == armedAt else { return (due, nil) }
        armed[loop] = earliest
        return (due, earliest)
    }

    /// Unparks every pull (shutdown); no sweep stays armed.
    mutating func takeAll() -> [Pull] {
        let all = byQueue.values.flatMap { $0.values.map(\.pull) }
        byQueue.removeAll()
        armed.removeAll()
        count = 0
        return all
    }
}
