// CacheAhead: when, and how much of, the log's readied window the cache thread brings into the page cache ahead of the
// appender (CommitLog.cache) — a plain value, as ReadyAhead is for the window itself.

/// The cache thread (MessageStore.cacheLoop) caches the window the flush thread readied (ReadyAhead: created and
/// allocated) ahead of the appender, a slice per look, and only while appends are quiet: less than `quietBytes` in the
/// last `sampleMillis`. During a burst the appender makes its own new pages: with another thread making the window's
/// pages while the appender wrote, W1 ran at 0.67–0.88 of its rate (round 34, three batches of pairs). Once the burst
/// ends, the window readied for it (up to four looks' worth of its rate) is cached, so the next burst writes into pages
/// that exist. A slow writer (W4's 2.4 MB/s) counts as quiet, and so makes no new page on its event loop.
struct CacheAhead {
    /// At most this much per look, so that a burst that starts stops the caching within a slice (about 0.6 ms of work
    /// on this guest where new pages are dearest).
    static let sliceBytes: Int64 = 256 << 10
    static let quietBytes: Int64 = 1 << 20
    static let sampleMillis: Int64 = 100

    /// Everything below it was cached (or written).
    private(set) var cachedEnd: Int64
    /// Whether appends were quiet over the last full sample.
    private(set) var quiet = true
    private var sample: (at: Int64, position: Int64)

    init(position: Int64, now: Int64) {
        cachedEnd = position
        sample = (now, position)
    }

    /// The range to cache at this look, if any, given the appender's position and the end of the readied window; it
    /// counts as cached from now on.
    mutating func next(position: Int64, readiedEnd: Int64, now: Int64) -> Range<Int64>? {
        if now - sample.at >= Self.sampleMillis {
            quiet = position - sample.position < Self.quietBytes
            sample = (now, position)
        }
        guard quiet else { return nil }
        let from = Swift.max(cachedEnd, position)
        guard from < readiedEnd else { return nil }
        cachedEnd = Swift.min(readiedEnd, from + Self.sliceBytes)
        return from..<cachedEnd
    }
}
