// ReadyAhead: how far ahead of a writer the flush thread readies a file (allocates its blocks, creates the next file)
// — the one window rule of the commit log, the consume queues and the index, as a plain value.

/// The flush thread looks at a writer's position once per pass (every 100 ms while the log moves fast; FlushPace)
/// and readies `[readied, position + lead)`, where the lead is at least `minimum` bytes, or four times what was written
/// since the previous look when that is more (so a fast writer does not outrun it into unallocated blocks), and at most
/// `maximum` (the file size). It readies again only once the writer has come within half a lead of the readied end,
/// so most looks do nothing.
struct ReadyAhead {
    let maximum: Int64
    /// Idle writers (no bytes since the previous look) get nothing: many of them (consume queues) would otherwise each
    /// take `minimum` bytes of disk ahead for nothing.
    let skipIdle: Bool
    private var lastPosition: Int64
    private var readied: Int64 = 0

    init(maximum: Int64, skipIdle: Bool = false, position: Int64 = 0) {
        self.maximum = maximum
        self.skipIdle = skipIdle
        lastPosition = position
    }

    /// The range to ready at this look, if any. The caller readies it and reports how far it got (`readied(upTo:)`).
    mutating func range(at position: Int64, minimum: Int64) -> Range<Int64>? {
        let moved = position - lastPosition
        lastPosition = position
        if skipIdle && moved <= 0 { return nil }
        let lead = Swift.min(maximum, Swift.max(minimum, 4 * moved))
        let from = Swift.max(position, readied)
        guard from < position + lead / 2 else { return nil }
        return from..<(position + lead)
    }

    /// Records that everything below `end` is ready.
    mutating func readied(upTo end: Int64) { readied = end }
}
