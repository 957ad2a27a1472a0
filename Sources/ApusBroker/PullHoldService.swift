// PullHoldService: parked pull requests per queue (long polling); woken the moment a message arrives or on timeout.

import ApusRemoting
import ApusStore
import NIOCore
import Synchronization

final class PullHoldService: Sendable {
    typealias Rerun = @Sendable (RemotingCommand, RemotingConnection) -> Void

    private struct QueueKey: Hashable {
        var topic: String
        var queueId: Int32
    }

    private struct Held {
        var request: RemotingCommand
        var connection: RemotingConnection
        var offset: Int64
        var rerun: Rerun
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var held: [QueueKey: [UInt64: Held]] = [:]
        var nextId: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Parks `request` until a message beyond `offset` arrives in the queue or `holdMillis` pass; then `rerun` answers it
    /// on the connection's event loop.
    func hold(_ request: RemotingCommand, on connection: RemotingConnection, topic: String, queueId: Int32, offset: Int64,
              holdMillis: Int64, store: MessageStore, rerun: @escaping Rerun) {
        let key = QueueKey(topic: topic, queueId: queueId)
        let id = state.withLock { state -> UInt64 in
            state.nextId += 1
            state.held[key, default: [:]][state.nextId] = Held(request: request, connection: connection, offset: offset,
                                                               rerun: rerun, timeout: nil)
            return state.nextId
        }
        let timeout = connection.eventLoop.scheduleTask(in: .milliseconds(holdMillis)) { [self] in
            if let held = take(key, id) { held.rerun(held.request, held.connection) }
        }
        let stillHeld = state.withLock { state -> Bool in
            guard state.held[key]?[id] != nil else { return false }
            state.held[key]?[id]?.timeout = timeout
            return true
        }
        if !stillHeld { timeout.cancel() }
        // A message may have arrived between the read and the parking.
        if store.maxOffset(topic: topic, queueId: queueId) > offset, let held = take(key, id) {
            held.timeout?.cancel()
            connection.eventLoop.execute { held.rerun(held.request, held.connection) }
        }
    }

    /// Wakes the requests parked on this queue that are waiting for an offset below `maxOffset`.
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
            held.timeout?.cancel()
            // Answer inline when the consumer's connection lives on this thread (no queue hop on the latency path).
            if held.connection.eventLoop.inEventLoop {
                held.rerun(held.request, held.connection)
            } else {
                held.connection.eventLoop.execute { held.rerun(held.request, held.connection) }
            }
        }
    }

    /// Answers every parked request now (shutdown).
    func wakeAll() {
        let all = state.withLock { state -> [Held] in
            defer { state.held.removeAll() }
            return state.held.values.flatMap(\.values)
        }
        for held in all {
            held.timeout?.cancel()
            held.connection.eventLoop.execute { held.rerun(held.request, held.connection) }
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
