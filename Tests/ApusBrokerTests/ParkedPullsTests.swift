// ParkedPulls: parked pulls woken by arrivals, timed out by one sweep per event loop, without sockets or timers.

@testable import ApusBroker
import ApusStore
import Testing

/// Two event loops, as the state machine tells them apart (alive for the whole run, so their identifiers stay distinct).
private final class Loop: Sendable {}
private let loopA = Loop(), loopB = Loop()

private let ms: UInt64 = 1_000_000
private let queue0 = QueueKey(topic: "T", queueId: 0)
private let queue1 = QueueKey(topic: "T", queueId: 1)

@Test func aLoopArmsOneSweepForItsEarliestHoldAndNoneForLaterOnes() {
    let (a, b) = (ObjectIdentifier(loopA), ObjectIdentifier(loopB))
    var parked = ParkedPulls<String>()
    #expect(parked.park("p1", key: queue0, offset: 5, loop: a, deadline: 20_000 * ms).arm == 20_000 * ms)
    #expect(parked.park("p2", key: queue1, offset: 5, loop: a, deadline: 20_001 * ms).arm == nil,
            "a later hold on the same loop is covered by the sweep already armed")
    #expect(parked.park("p3", key: queue0, offset: 5, loop: b, deadline: 20_002 * ms).arm == 20_002 * ms,
            "another loop arms its own")
    #expect(parked.park("p4", key: queue0, offset: 5, loop: a, deadline: 5_000 * ms).arm == 5_000 * ms,
            "a shorter hold arms an earlier sweep")
    #expect(parked.count == 4)
}

@Test func aSweepAnswersTheLoopsDuePullsAndArmsTheNextDeadline() {
    let (a, b) = (ObjectIdentifier(loopA), ObjectIdentifier(loopB))
    var parked = ParkedPulls<String>()
    _ = parked.park("due", key: queue0, offset: 5, loop: a, deadline: 1_000 * ms)
    _ = parked.park("nearly due", key: queue1, offset: 5, loop: a, deadline: 1_003 * ms)
    _ = parked.park("later", key: queue0, offset: 5, loop: a, deadline: 2_000 * ms)
    _ = parked.park("other loop", key: queue0, offset: 5, loop: b, deadline: 500 * ms)

    let first = parked.sweep(loop: a, armedAt: 1_000 * ms, now: 1_000 * ms)
    #expect(Set(first.due) == ["due", "nearly due"], "holds due within the tolerance share the sweep")
    #expect(first.arm == 2_000 * ms)
    #expect(parked.count == 2, "the other loop's pull waits for its own sweep")

    let second = parked.sweep(loop: a, armedAt: 2_000 * ms, now: 2_000 * ms)
    #expect(second.due == ["later"])
    #expect(second.arm == nil, "nothing left on the loop, nothing armed")
    #expect(parked.park("next", key: queue0, offset: 6, loop: a, deadline: 30_000 * ms).arm == 30_000 * ms,
            "a loop with no sweep armed arms one for its next hold")
}

@Test func aSweepMadeRedundantByAnEarlierOneArmsNothing() {
    let a = ObjectIdentifier(loopA)
    var parked = ParkedPulls<String>()
    _ = parked.park("long", key: queue0, offset: 5, loop: a, deadline: 20_000 * ms)
    _ = parked.park("short", key: queue1, offset: 5, loop: a, deadline: 1_000 * ms)

    let early = parked.sweep(loop: a, armedAt: 1_000 * ms, now: 1_000 * ms)
    #expect(early.due == ["short"])
    #expect(early.arm == 20_000 * ms)
    // The sweep first armed for 20 s also runs; it answers the long hold, which is due, and arms no third sweep.
    let stale = parked.sweep(loop: a, armedAt: 20_000 * ms, now: 20_000 * ms)
    #expect(stale.due == ["long"])
    #expect(parked.count == 0)
}

@Test func anArrivalWakesTheQueuesPullsBelowItsOffsetAndTheSweepNeverAnswersThemAgain() {
    let a = ObjectIdentifier(loopA)
    var parked = ParkedPulls<String>()
    _ = parked.park("at 5", key: queue0, offset: 5, loop: a, deadline: 1_000 * ms)
    _ = parked.park("at 9", key: queue0, offset: 9, loop: a, deadline: 1_000 * ms)
    _ = parked.park("other queue", key: queue1, offset: 5, loop: a, deadline: 1_000 * ms)

    #expect(parked.arrived(queue0, maxOffset: 6) == ["at 5"])
    #expect(parked.arrived(queue0, maxOffset: 6) == [], "a pull is woken once")
    #expect(parked.count == 2)
    #expect(Set(parked.sweep(loop: a, armedAt: 1_000 * ms, now: 1_000 * ms).due) == ["at 9", "other queue"])
}

@Test func aPullTakenBackOrWokenAtShutdownLeavesNothingParked() {
    let a = ObjectIdentifier(loopA)
    var parked = ParkedPulls<String>()
    let (id, _) = parked.park("raced", key: queue0, offset: 5, loop: a, deadline: 1_000 * ms)
    _ = parked.park("waiting", key: queue1, offset: 5, loop: a, deadline: 1_000 * ms)
    #expect(parked.take(queue0, id) == "raced")
    #expect(parked.take(queue0, id) == nil)
    #expect(parked.takeAll() == ["waiting"])
    #expect(parked.count == 0)
    #expect(parked.park("after", key: queue0, offset: 5, loop: a, deadline: 9_000 * ms).arm == 9_000 * ms,
            "shutdown disarms every loop's sweep")
}

@Test func aQueueEmptiedByAnArrivalTakesItsNextPullAndTheSweepDropsWhatStaysEmpty() {
    let a = ObjectIdentifier(loopA)
    var parked = ParkedPulls<String>()
    _ = parked.park("first", key: queue0, offset: 5, loop: a, deadline: 1_000 * ms)
    #expect(parked.arrived(queue0, maxOffset: 6) == ["first"])
    #expect(parked.count == 0)
    #expect(parked.arrived(queue0, maxOffset: 7) == [], "nothing parked: nothing woken")
    _ = parked.park("next", key: queue0, offset: 6, loop: a, deadline: 2_000 * ms)
    #expect(parked.arrived(queue0, maxOffset: 6) == [], "not beyond its offset yet")
    #expect(parked.arrived(queue0, maxOffset: 7) == ["next"])
    #expect(parked.sweep(loop: a, armedAt: 1_000 * ms, now: 1_000 * ms).due == [])
    _ = parked.park("after the sweep", key: queue0, offset: 7, loop: a, deadline: 3_000 * ms)
    #expect(parked.arrived(queue0, maxOffset: 8) == ["after the sweep"])
    #expect(parked.count == 0)
}
