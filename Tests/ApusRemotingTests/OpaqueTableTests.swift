// Tests of OpaqueTable (requests in flight by opaque, expiring by sweeps) and of how PendingResponses turns a timeout
// into sweeps.
import NIOCore
import Testing
@testable import ApusRemoting

/// A fixed-seed generator (SplitMix64), so a failing sequence of operations repeats.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test func aTableAnswersEachOpaqueOnceAcrossGrowth() {
    var table = OpaqueTable<Int>(capacity: 4)
    for key in 0..<Int32(1_000) { table.insert(key, Int(key) * 10, sweepsToLive: 5) }
    #expect(table.count == 1_000)
    // Answered out of order, as pipelined responses may be.
    var rng = SplitMix(state: 7)
    for key in (0..<Int32(1_000)).shuffled(using: &rng) {
        #expect(table.remove(key) == Int(key) * 10)
        #expect(table.remove(key) == nil)
    }
    #expect(table.isEmpty)
}

/// Random inserts, removals, removals by predicate and sweeps over keys that collide, checked against a dictionary:
/// every removal must find exactly what the model holds, whatever chains the probing built.
@Test func aTableMatchesADictionaryUnderCollidingKeys() {
    var rng = SplitMix(state: 42)
    var table = OpaqueTable<Int>(capacity: 8)
    var model: [Int32: (value: Int, expires: UInt64)] = [:]
    var sweeps: UInt64 = 0
    for step in 0..<20_000 {
        // Multiples of 64 share a home slot until the table outgrows 64 slots; the small keys fill the gaps between.
        let key = Bool.random(using: &rng) ? Int32.random(in: 0..<40, using: &rng) * 64 : Int32.random(in: 0..<40, using: &rng)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<50:
            let live = UInt64.random(in: 1...4, using: &rng)
            table.insert(key, step, sweepsToLive: live)
            model[key] = (step, sweeps + live)
        case 50..<90:
            #expect(table.remove(key) == model.removeValue(forKey: key)?.value)
        case 90..<95:
            let odd = table.removeAll { $0 % 2 == 1 }
            let expected = model.filter { $0.value.value % 2 == 1 }
            for k in expected.keys { model[k] = nil }
            #expect(odd.sorted() == expected.values.map(\.value).sorted())
        default:
            sweeps += 1
            let expired = table.sweep()
            let expected = model.filter { $0.value.expires <= sweeps }
            for k in expected.keys { model[k] = nil }
            #expect(expired.sorted() == expected.values.map(\.value).sorted())
        }
        #expect(table.count == model.count)
    }
    for (key, entry) in model { #expect(table.remove(key) == entry.value) }
    #expect(table.isEmpty)
}

@Test func anEntryExpiresWithItsLastSweep() {
    var table = OpaqueTable<String>()
    table.insert(1, "short", sweepsToLive: 1)
    table.insert(2, "long", sweepsToLive: 3)
    #expect(table.sweep() == ["short"])
    #expect(table.sweep().isEmpty)
    table.insert(3, "late", sweepsToLive: 1)  // counted from when it was added
    #expect(table.sweep().sorted() == ["late", "long"])
    #expect(table.isEmpty)
}

/// A request must never fail before its timeout: the first sweep comes anywhere within one interval of registering.
@Test func aTimeoutLastsAtLeastItsLength() {
    let interval = PendingResponses.sweepInterval.nanoseconds
    for millis: Int64 in [0, 1, 99, 100, 101, 250, 3_000] {
        let sweeps = Int64(PendingResponses.sweepsToLive(.milliseconds(millis)))
        #expect((sweeps - 1) * interval >= millis * 1_000_000)  // the earliest the last sweep can run
        #expect((sweeps - 2) * interval < millis * 1_000_000)   // and not a whole interval later than needed
    }
}
