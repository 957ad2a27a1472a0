// Tests of HTTPConsumptionChange: the journal's unit — a diff of two states that replays to the later one (also on
// a state that already holds part of it), and its binary record with torn-tail detection.
import ApusGroups
import Testing

private let settings = HTTPConsumptionSettings(invisibleMillis: 300_000, orderlyInvisibleMillis: 60_000, maxReconsumeTimes: 2)

private func key(_ q: Int32, _ o: Int64) -> HTTPMessageKey { HTTPMessageKey(queueId: q, queueOffset: o) }

/// Three steps of one group's life: read and deliver 3, ack one and redeliver another later, read more.
private func history() -> [HTTPConsumption] {
    var s = HTTPConsumption(group: "G", topic: "T")
    var states = [s]
    s.advanceCursor(queueId: 0, to: 0)
    for o in Int64(0)..<3 { s.track(queueId: 0, queueOffset: o, shardingKey: o == 1 ? "k1" : "") }
    let handles = (Int64(0)..<3).map { s.deliver(key(0, $0), now: 1_000, orderly: false, settings: settings)!.receiptHandle }
    states.append(s)
    _ = s.ack(handles[1], now: 2_000)
    _ = s.deliver(key(0, 2), now: 301_000, orderly: false, settings: settings)
    states.append(s)
    s.track(queueId: 1, queueOffset: 7, shardingKey: "ü|<x>")
    s.finish(key(0, 0))
    states.append(s)
    return states
}

private func changes(_ states: [HTTPConsumption]) -> [HTTPConsumptionChange] {
    zip(states, states.dropFirst()).map { $1.changes(since: $0) }
}

@Test func replayingTheChangesRebuildsTheState() {
    let states = history()
    var replayed = HTTPConsumption(group: "G", topic: "T")
    for change in changes(states) { replayed.apply(change) }
    #expect(replayed == states.last!)
    #expect(states[1].changes(since: states[1]).isEmpty)
}

@Test func replayingChangesAStateAlreadyHoldsIsHarmless() {
    // A snapshot taken after change 2 followed by a journal that still starts at change 1.
    let states = history()
    var replayed = states[2]
    for change in changes(states) { replayed.apply(change) }
    #expect(replayed == states.last!)
}

@Test func recordsRoundTripAndATornTailIsCutOff() {
    let all = changes(history())
    let bytes = all.flatMap(\.record)
    let decoded = HTTPConsumptionChange.decodeAll(bytes)
    #expect(decoded.changes == all && decoded.validLength == bytes.count)
    let firstTwo = all[0].record.count + all[1].record.count
    // Any cut inside the third record leaves the first two.
    for cut in [firstTwo + 1, firstTwo + 7, firstTwo + 9, bytes.count - 1] {
        let torn = HTTPConsumptionChange.decodeAll(Array(bytes[..<cut]))
        #expect(torn.changes == Array(all[..<2]) && torn.validLength == firstTwo)
    }
    // A flipped byte in the second record's payload: its CRC fails, only the first survives.
    var flipped = bytes
    flipped[all[0].record.count + 12] ^= 0x40
    #expect(HTTPConsumptionChange.decodeAll(flipped).changes == [all[0]])
    // Zeros (a preallocated or truncated-then-extended tail) are not a record.
    #expect(HTTPConsumptionChange.decodeAll(bytes + [UInt8](repeating: 0, count: 32)).validLength == bytes.count)
}
