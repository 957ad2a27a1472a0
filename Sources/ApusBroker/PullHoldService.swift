// PullHoldService: parked pulls per queue (long polling), for any transport; each is woken the moment a message
// arrives in its queue, or when its hold time runs out.

import ApusStore
import NIOCore
import Synchronization

final class PullHoldService: Sendable {
    /// Called once, on the event loop given to `hold`, when the pull should be answered (arrival, timeout, shutdown).
    typealias Wake = @Sendable () -> Void

    private struct Held {
        var offset: Int64
        var eventLoop: EventLoop
        var wake: Wake
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var held: [QueueKey: [UInt64: Held]] = [:]
        var nextId: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Parks a pull until a message beyond `offset` arrives in the queue or `holdMillis` pass; `currentMax` closes the
    /// race with an arrival between the caller's read and the parking.
    func hold(topic: String, queueId: Int32, offset: Int64, holdMillis: Int64, on eventLoop: EventLoop,
              currentMax: @Sendable () -> Int64, wake: @escaping Wake) {
        let key = QueueKey(topic: topic, queueId: queueId)
        let id = state.withLock { state -> UInt64 in
            state.nextId += 1
            state.held[key, default: [:]][state.nextId] = Held(offset: offset, eventLoop: eventLoop, wake: wake, timeout: nil)
            return state.nextId
        }
        let timeout = eventLoop.scheduleTask(in: .milliseconds(holdMillis)) { [self] in
            if let held = take(key, id) { held.wake() }
        }
        let stillHeld = state.withLock { state -> Bool in
            guard state.held[key]?[id] != nil else { return false }
            state.held[key]?[id]?.timeout = timeout
            return true
        }
        if !stillHeld { timeout.cancel() }
        if currentMax() > offset, let held = take(key, id) {
            held.timeout?.cancel()
            eventLoop.execute { held.wake() }
        }
    }

    /// Wakes the pulls parked on this queue that are waiting for an offset below `maxOffset`.
    func notifyArrival(topic: String, queueId: Int32, maxOffset: Int64) {
        let key = QueueKey(topic: topic, queueId: queueId)
        let woken = state.withLock { state -> [Held] in
            guard let parked = state.held[key] else { return [] }
            var wake: [Held] = []
            var keep: [UInt64: Held] = [:]
            for (id, held) in parked {
                if held.offset < maxOffset { wake.append(held) } else { keep[id] = held }
            }
            state.held[key] = keep.isEmpty ? nil : keep
            return wake
        }
        for held in woken {
            // Answer inline when the consumer lives on this thread (no queue hop on the latency path); the timeout is
            // cancelled after (it would find nothing to take).
            if held.eventLoop.inEventLoop { held.wake() } else { held.eventLoop.execute { held.wake() } }
            held.timeout?.cancel()
        }
    }

    /// Answers every parked pull now (shutdown).
    func wakeAll() {
        let all = state.withLock { state -> [Held] in
            defer { state.held.removeAll() }
            return state.held.values.flatMap(\.values)
        }
        for held in all {
            held.timeout?.cancel()
            held.eventLoop.execute { held.wake() }
        }
    }

    var heldCount: Int { state.withLock { $0.held.values.reduce(0) { $0 + $1.count } } }

    private func take(_ key: QueueKey, _ id: UInt64) -> Held? {
        state.withLock { state in
            guard let held = state.held[key]?.removeValue(forKey: id) else { return nil }
            if state.held[key]?.isEmpty == true { state.held[key] = nil }
            return held
        }
    }
}
