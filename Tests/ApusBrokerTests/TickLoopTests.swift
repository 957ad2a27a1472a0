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

/// A loop ticking at least `minimumMillis` apart, whose ticks return `next`; returned after its first tick.
private func startedLoop(minimumMillis: Int64, idleMillis: Int64 = 600_000,
                         next: @escaping @Sendable (Int64) -> Int64) async throws -> (Ticks, TickLoop) {
    let ticks = Ticks(next: next)
    let loop = TickLoop(label: "test", minimumMillis: minimumMillis, idleMillis: idleMillis)
    loop.start { ticks.tick($0) }
    try await waitFor("the first tick") { ticks.value >= 1 }
    return (ticks, loop)
}

@Test func anIdleLoopTicksOnlyWhenPoked() async throws {
    let (ticks, loop) = try await startedLoop(minimumMillis: 5) { _ in .max }
    defer { loop.stop() }
    #expect(ticks.value == 1)
    // The old loop ticked every 50 ms; an idle one must not tick at all in this window.
    try await Task.sleep(for: .milliseconds(300))
    #expect(ticks.value == 1)
    loop.poke()
    try await waitFor("the poked tick") { ticks.value == 2 }
}

@Test func anIdleLoopIsNotWokenEveryIdleIntervalButAWaitingOneIs() async throws {
    // Nothing waits: no tick at the idle interval (a dispatch thread woken every second for nothing).
    let (idle, idleLoop) = try await startedLoop(minimumMillis: 5, idleMillis: 20) { _ in .max }
    defer { idleLoop.stop() }
    // Something waits far ahead: ticked at the idle interval, so a step of the wall clock delays it no longer.
    let (waiting, waitingLoop) = try await startedLoop(minimumMillis: 5, idleMillis: 20) { $0 + 3_600_000 }
    defer { waitingLoop.stop() }
    try await waitFor("three ticks of the waiting loop, 20 ms apart") { waiting.value >= 3 }
    #expect(idle.value == 1)
}

@Test func aLoopTicksWhenItsLastTickSaidAndStopsWhenStopped() async throws {
    let (ticks, loop) = try await startedLoop(minimumMillis: 5) { $0 + 20 }
    try await waitFor("three ticks, each due 20 ms after the last") { ticks.value >= 3 }
    loop.stop()
    let stopped = ticks.value
    loop.poke()
    try await Task.sleep(for: .milliseconds(200))
    #expect(ticks.value == stopped, "no tick after stop, poked or due")
}

@Test func pokesInABurstShareOneTick() async throws {
    let (ticks, loop) = try await startedLoop(minimumMillis: 100) { _ in .max }
    defer { loop.stop() }
    for _ in 0..<1_000 { loop.poke() }
    try await waitFor("the poked tick") { ticks.value >= 2 }
    try await Task.sleep(for: .milliseconds(300))
    #expect(ticks.value == 2, "a thousand pokes within the minimum interval are one tick")
}

@Test func aPokeWhileATickRunsGetsATickOfItsOwn() async throws {
    let loop = TickLoop(label: "test", minimumMillis: 5, idleMillis: 600_000)
    let ticks = Atomic<Int>(0)
    loop.start { _ in
        // Something is stored while the first tick runs, after that tick has looked.
        if ticks.add(1, ordering: .relaxed).newValue == 1 { loop.poke() }
        return .max
    }
    defer { loop.stop() }
    try await waitFor("the tick the poke asked for") { ticks.load(ordering: .relaxed) == 2 }
}
