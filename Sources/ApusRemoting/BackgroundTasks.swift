// BackgroundTasks: the unstructured tasks a long-lived component starts in the background (registration rounds,
// rebalances, heartbeats, reconnects), recorded so that its shutdown can wait for them: a task still connecting when
// the event loops shut down leaves a promise on a dead loop, which NIO traps.

import Synchronization

public final class BackgroundTasks: Sendable {
    private struct State {
        var running: [UInt64: Task<Void, Never>] = [:]
        var next: UInt64 = 0
        var stopped = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `body` in a new task unless `stopAndWait` has begun; returns whether it started.
    @discardableResult
    public func run(_ body: @escaping @Sendable () async -> Void) -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            state.next += 1
            let id = state.next
            // Recorded under the lock the task needs to remove itself: it cannot finish before it is recorded.
            state.running[id] = Task { [self] in
                await body()
                _ = self.state.withLock { $0.running.removeValue(forKey: id) }
            }
            return true
        }
    }

    /// Tasks started and not yet finished.
    public var count: Int { state.withLock { $0.running.count } }

    /// Refuses new tasks from now on and waits for those under way (and any they wait for).
    public func stopAndWait() async {
        let running = state.withLock { state in
            state.stopped = true
            return Array(state.running.values)
        }
        for task in running { await task.value }
    }
}
