// OpaqueTable: the requests in flight of a client or server, keyed by opaque — an open-addressing table indexed by
// the opaque itself, with timeouts counted in sweeps. Pure state; PendingResponses owns the lock and the sweeps.

/// A map from request opaque to `Value`, built for keys handed out one after another by a counter: a key's home slot
/// is the key masked to the capacity, so consecutive keys take consecutive slots and a lookup is an index, not a hash
/// (a `Dictionary` hashed every opaque with SipHash and cost the pipelining producer about 5% of its CPU). Collisions
/// probe linearly with Robin Hood placement; removal shifts the probe chain back, so no tombstones build up and a
/// removal among a thousand consecutive keys in flight touches one slot. The table grows to keep at most half its
/// slots used.
///
/// Each entry expires after a number of sweeps instead of at a clock time: registering a request reads no clock, and
/// `sweep()` (called every sweep interval) returns the entries whose count ran out.
struct OpaqueTable<Value> {
    private struct Slot {
        var key: Int32
        var expiresAtSweep: UInt64
        var value: Value
    }

    private var slots: [Slot?]
    private var mask: Int
    private(set) var count = 0
    /// Sweeps done so far.
    private(set) var sweeps: UInt64 = 0

    init(capacity: Int = 64) {
        let size = max(8, 1 << (Int.bitWidth - (max(capacity, 4) * 2 - 1).leadingZeroBitCount))
        slots = Array(repeating: nil, count: size)
        mask = size - 1
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always) private func home(_ key: Int32) -> Int { Int(truncatingIfNeeded: key) & mask }

    /// How far the entry in slot `i` sits past its home slot.
    @inline(__always) private func distance(_ i: Int, _ key: Int32) -> Int { (i &- home(key)) & mask }

    /// The slot holding `key`. Entries are kept in order of their home slot along each probe chain (Robin Hood
    /// placement), so a search stops at the first entry closer to its home than the key would be.
    private func find(_ key: Int32) -> Int? {
        var i = home(key), travelled = 0
        while let slot = slots[i] {
            if slot.key == key { return i }
            if distance(i, slot.key) < travelled { return nil }
            i = (i + 1) & mask
            travelled += 1
        }
        return nil
    }

    /// Adds `value` for `key` (replacing one already there), to expire once `sweepsToLive` more sweeps have run.
    mutating func insert(_ key: Int32, _ value: Value, sweepsToLive: UInt64) {
        let slot = Slot(key: key, expiresAtSweep: sweeps &+ sweepsToLive, value: value)
        if let i = find(key) {
            slots[i] = slot
            return
        }
        if (count + 1) * 2 > slots.count { grow() }
        place(slot)
        count += 1
    }

    /// Puts `slot` on its probe chain, displacing entries that sit closer to their home than it would.
    private mutating func place(_ slot: Slot) {
        var carried = slot, i = home(slot.key), travelled = 0
        while let occupant = slots[i] {
            let occupantDistance = distance(i, occupant.key)
            if occupantDistance < travelled {
                slots[i] = carried
                carried = occupant
                travelled = occupantDistance
            }
            i = (i + 1) & mask
            travelled += 1
        }
        slots[i] = carried
    }

    /// Removes and returns the value for `key`, if any.
    mutating func remove(_ key: Int32) -> Value? {
        find(key).map { take(at: $0) }
    }

    /// Counts one sweep and removes the entries that expire with it.
    mutating func sweep() -> [Value] {
        sweeps &+= 1
        let now = sweeps
        return removeAll { $0.expiresAtSweep <= now }
    }

    /// Removes and returns every value for which `isRemoved` holds.
    mutating func removeAll(where isRemoved: (Value) -> Bool) -> [Value] {
        removeAll { isRemoved($0.value) }
    }

    private mutating func removeAll(matching isRemoved: (Slot) -> Bool) -> [Value] {
        guard count > 0 else { return [] }
        var removed: [Value] = []
        var i = 0
        while i < slots.count {
            // A removal may shift a later entry back into slot i: look at i again before moving on.
            if let slot = slots[i], isRemoved(slot) { removed.append(take(at: i)) } else { i += 1 }
        }
        return removed
    }

    /// Empties slot `index` and moves the rest of its probe chain back one slot, up to an entry that sits at its home:
    /// no entry after that one could have probed through this slot.
    private mutating func take(at index: Int) -> Value {
        let value = slots[index]!.value
        slots[index] = nil
        count -= 1
        var hole = index
        while true {
            let next = (hole + 1) & mask
            guard let slot = slots[next], distance(next, slot.key) > 0 else { break }
            slots[hole] = slot
            slots[next] = nil
            hole = next
        }
        return value
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        mask = slots.count - 1
        for case let slot? in old { place(slot) }
    }
}
