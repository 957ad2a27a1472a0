// FlushPace: how long the flush thread sleeps between passes — a tenth of a second while the log moves, until the
// next interval flush while it is quiet, with the log position at which an appender wakes it sooner.

/// The flush thread's passes ready the log ahead of the appender (ReadyAhead) and prepare queue and index pages; while
/// the log moves fast they come every `busyMillis`. A quiet log needs them only at the interval flush (500 ms by
/// default): in W4 (2,000 messages a second) the four passes between two flushes each woke the thread on whichever
/// vCPU the client was running, where the broker loop, woken for the next message, then went to the other, halted
/// vCPU (round 38).
///
/// Quiet means that at the rate since the previous pass the appender would write less than an eighth of the readied
/// window (`window`, which ReadyAhead keeps at least half ready) before the next flush. The pass then sleeps until that
/// flush, and an appender that gets an eighth of the window further wakes it at once (FlushControl.appended), long
/// before it could reach unready blocks.
///
/// Idle means the log has not moved since the previous pass and is flushed to its end: nothing is due but the
/// retention look (every 10 s), so the pass sleeps `idleMillis` and the next append, of any size, wakes it.
struct FlushPace {
    static let busyMillis: Int64 = 100
    static let idleMillis: Int64 = 10_000
    let window: Int64
    private var position: Int64
    private var at: Int64

    init(window: Int64, position: Int64, now: Int64) {
        self.window = window
        self.position = position
        at = now
    }

    /// At a pass at `now` with the log at `position` and flushed to `flushed`, `untilFlush` ms before the next
    /// interval flush: how long to sleep, and (when quiet or idle) the log position at which an appender should wake
    /// the thread.
    mutating func sleep(position: Int64, flushed: Int64, now: Int64, untilFlush: Int64) -> (millis: Int64, wakeAt: Int64?) {
        let moved = Swift.max(0, position - self.position), elapsed = Swift.max(1, now - at)
        self.position = position
        at = now
        if moved == 0 && flushed >= position { return (Self.idleMillis, position + 1) }
        let busy = Swift.min(Self.busyMillis, untilFlush)
        let margin = window / 8
        guard untilFlush > busy, moved * untilFlush / elapsed < margin else { return (busy, nil) }
        return (untilFlush, position + margin)
    }
}
