// TickLoop: a background service ticks when its last tick asked to, or when poked, and not while it is idle.

@testable import ApusBroker
import ApusMessage
import Synchronization
import Testing

/// Counts ticks; each returns `next(now)` as the time the following one is due.
private final class Ticks: Sendable {
    let count = Atomic<Int>(0)
    let next: @Sendable (Int64) -> Int64
    init(next: @escaping @Sendable (Int64) -> Int64) { self.next = next }
    func tick(_ now: Int64) -> Int64 {
        count.add(1, ordering: .relaxed)
        return next(now)
    }
    var value: Int { count.load(ordering: .relaxed) }
}

@Test func anIdleLoopTicksOnlyWhenPoked() async throws {
    let ticks = Ticks { _ in .max }
    let loop = TickLoop(label: "test-idle", minimumMillis: 5, idleMillis: 600_000)
    loop.start { ticks.tick($0) }
    defer { loop.stop() }
    try await waitFor("the first tick") { ticks.value == 1 }
    // The old loop ticked every 50 ms; an idle one must not tick at all in this window.
    try await Task.sleep(for: .milliseconds(300))
    #expect(ticks.value == 1)
    loop.poke()
    try await waitFor("the poked tick") { ticks.value == 2 }
}

@Test func aLoopTicksWhenItsLastTickSaidAndStopsWhenStopped() async throws {
    let ticks = Ticks { $0 + 20 }
    let loop = TickLoop(label: "test-due", minimumMillis: 5, idleMillis: 600_000)
    loop.start { ticks.tick($0) }
    try await waitFor("three ticks, each due 20 ms after the last") { ticks.value >= 3 }
    loop.stop()
    let stopped = ticks.value
    loop.poke()
    try await Task.sleep(for: .milliseconds(200))
    #expect(ticks.value == stopped, "no tick after stop, poked or due")
}

@Test func pokesInABurstShareOneTick() async throws {
    let ticks = Ticks { _ in .max }
    let loop = TickLoop(label: "test-burst", minimumMillis: 100, idleMillis: 600_000)
    loop.start { ticks.tick($0) }
    defer { loop.stop() }
    try await waitFor("the first tick") { ticks.value == 1 }
    for _ in 0..<1_000 { loop.poke() }
    try await waitFor("the poked tick") { ticks.value >= 2 }
    try await Task.sleep(for: .milliseconds(300))
    #expect(ticks.value == 2, "a thousand pokes within the minimum interval are one tick")
}
