// TickLoop: runs a background service's tick on its own serial queue only when there is work: at the time the last
// tick said comes next, or soon after a poke (new work stored), instead of polling at a fixed rate while idle.

import ApusMessage
import Dispatch
import Synchronization

final class TickLoop: Sendable {
    /// One step at `now` (epoch ms); returns when the next step is due (`.max`: nothing is waiting).
    typealias Tick = @Sendable (_ now: Int64) -> Int64

    private struct Armed {
        /// Set while the loop runs.
        var tick: Tick?
        /// When the armed wake-up fires; a wake-up whose generation is no longer current does nothing.
        var at = Int64.max
        var generation: UInt64 = 0
    }

    private let queue: DispatchQueue
    private let minimumMillis: Int64
    private let idleMillis: Int64
    private let armed = Mutex(Armed())

    /// Ticks are at least `minimumMillis` apart (so a burst of pokes batches into one tick) and, while something waits,
    /// at most `idleMillis` (so a step of the wall clock delays nothing for longer; a second for every service, tests
    /// aside). A service with nothing waiting is not ticked until a poke: an idle broker's three services had woken
    /// a dispatch thread each every second, on whichever vCPU a client was running (round 38).
    init(label: String, minimumMillis: Int64, idleMillis: Int64 = 1_000) {
        queue = DispatchQueue(label: label)
        self.minimumMillis = minimumMillis
        self.idleMillis = idleMillis
    }

    /// Runs `tick` now, then as it asks.
    func start(_ tick: @escaping Tick) {
        armed.withLock { $0.tick = tick }
        arm(at: currentMillis()) { _ in true }
    }

    /// No tick starts after this returns; a tick under way has finished.
    func stop() {
        armed.withLock { $0.tick = nil }
        queue.sync {}
    }

    /// New work was stored: a tick within `minimumMillis`, unless one is armed sooner.
    func poke() {
        let soon = currentMillis() + minimumMillis
        arm(at: soon) { $0.at > soon }
    }

    private func fire(_ generation: UInt64) {
        let tick = armed.withLock { armed -> Tick? in
            guard armed.generation == generation, let tick = armed.tick else { return nil }
            armed.at = .max  // nothing is armed while the tick runs: a poke meanwhile arms the next one
            return tick
        }
        guard let tick else { return }
        let now = currentMillis()
        let asked = tick(now)
        guard asked != .max else { return }  // nothing waits: asleep until a poke (or one made during the tick)
        let next = min(max(asked, now + minimumMillis), now + idleMillis)
        arm(at: next) { $0.at > next }  // unless a poke during the tick armed a sooner one
    }

    private func arm(at time: Int64, if condition: (Armed) -> Bool) {
        let generation: UInt64? = armed.withLock { armed in
            guard armed.tick != nil, condition(armed) else { return nil }
            armed.generation &+= 1
            armed.at = time
            return armed.generation
        }
        guard let generation else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(max(0, time - currentMillis())))) { [self] in fire(generation) }
    }
}
