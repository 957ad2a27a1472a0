// Flush service: the background thread that msyncs the log (async interval or sync group commit), writes the
// checkpoint and runs retention; plus the `whenFlushed` waiters it serves.
import ApusMessage
import Dispatch
import Foundation
import Synchronization

/// Waiters for durability and the flush thread's wake-up/stop signals.
final class FlushControl: Sendable {
    struct Waiter {
        var offset: Int64
        var deadline: Int64
        var done: @Sendable (Bool) -> Void
    }

    private let waiters = Mutex<[Waiter]>([])
    let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    let stopping = Atomic<Bool>(false)
    let running = Atomic<Bool>(false)
    let lastCheckpoint = Mutex<(Int64, Int64)>((-1, -1))
    /// The dispatched position when the index was last flushed (every record below it is durably indexed), and when.
    let indexFlushed = Mutex<(below: Int64, atMillis: Int64)>((0, 0))

    /// Adds a waiter; returns true if it is the first pending one (the flush thread should be woken).
    func add(_ waiter: Waiter) -> Bool {
        waiters.withLock { list in
            list.append(waiter)
            return list.count == 1
        }
    }

    var hasWaiters: Bool { waiters.withLock { !$0.isEmpty } }

    /// Completes waiters satisfied by `flushed` (true) or past their deadline (false), outside the lock.
    func serveWaiters(flushed: Int64, now: Int64) {
        let (done, expired): ([Waiter], [Waiter]) = waiters.withLock { list in
            guard !list.isEmpty else { return ([], []) }
            var done: [Waiter] = [], expired: [Waiter] = [], kept: [Waiter] = []
            for waiter in list {
                if waiter.offset <= flushed { done.append(waiter) } else if waiter.deadline <= now { expired.append(waiter) } else { kept.append(waiter) }
            }
            list = kept
            return (done, expired)
        }
        for waiter in done { waiter.done(true) }
        for waiter in expired { waiter.done(false) }
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        guard running.load(ordering: .acquiring) else { return }
        wake.signal()
        stopped.wait()
    }

    func threadExited() { stopped.signal() }
}

extension MessageStore {
    /// Starts the flush + retention thread.
    public func start() {
        guard !flushControl.running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in flushLoop() }
        thread.name = "apus-store-flush"
        thread.start()
    }

    /// SYNC_FLUSH group commit: `done(true)` once the log is durable past `offset` (from the flush thread),
    /// `done(false)` after syncFlushTimeoutMillis. Works (immediately or on the next flush) in ASYNC mode too.
    public func whenFlushed(upTo offset: Int64, _ done: @escaping @Sendable (Bool) -> Void) {
        if commitLog.flushedPosition.load(ordering: .acquiring) >= offset { return done(true) }
        let waiter = FlushControl.Waiter(offset: offset, deadline: currentMillis() + Int64(config.syncFlushTimeoutMillis), done: done)
        if flushControl.add(waiter) && config.flushDiskType == .syncFlush { flushControl.wake.signal() }
    }

    private func flushLoop() {
        let interval = Int64(config.flushIntervalMillis)
        var lastFull = currentMillis(), lastRetention = lastFull, lastPrepared: Int64 = 0, lastIndexFlush: Int64 = 0
        var logAhead = ReadyAhead(maximum: Int64(commitLog.segmentSize), position: commitLog.committedPosition.load(ordering: .acquiring))
        while !flushControl.stopping.load(ordering: .acquiring) {
            if let range = logAhead.range(at: commitLog.committedPosition.load(ordering: .acquiring),
                                          minimum: Int64(commitLog.prefaultWindow)) {
                commitLog.prefault(from: range.lowerBound, to: range.upperBound)
                logAhead.readied(upTo: range.upperBound)
            }
            if currentMillis() - lastPrepared >= 10 {  // not on every group commit of SYNC_FLUSH
                prepareQueuesAndIndex()
                lastPrepared = currentMillis()
            }
            let groupCommitPending = config.flushDiskType == .syncFlush && flushControl.hasWaiters
            if !groupCommitPending {
                _ = flushControl.wake.wait(timeout: .now() + .milliseconds(Int(min(100, max(1, interval - (currentMillis() - lastFull))))))
            }
            if flushControl.stopping.load(ordering: .acquiring) { break }
            if config.flushDiskType == .syncFlush && flushControl.hasWaiters {
                let flushed = commitLog.flush(upTo: commitLog.committedPosition.load(ordering: .acquiring))
                flushControl.serveWaiters(flushed: flushed, now: currentMillis())
            }
            var now = currentMillis()
            if now - lastFull >= interval {
                let indexDue = now - lastIndexFlush >= Self.indexFlushIntervalMillis
                if indexDue { lastIndexFlush = now }
                flushAll(includingIndex: indexDue)
                now = currentMillis()
                lastFull = now
                flushControl.serveWaiters(flushed: commitLog.flushedPosition.load(ordering: .acquiring), now: now)
                commitLog.releaseCold(below: commitLog.committedPosition.load(ordering: .acquiring) - Int64(commitLog.prefaultWindow))
            }
            if now - lastRetention >= 10_000 {
                lastRetention = now
                runRetention(now: now)
            }
            if groupCommitPending && flushControl.hasWaiters {
                // Waiters that arrived during the flush are served by the next one; let them gather for a moment.
                _ = flushControl.wake.wait(timeout: .now() + .microseconds(50))
            }
        }
        flushControl.threadExited()
    }

    /// How often the flush thread writes the index back (it flushes the log and queues every `flushIntervalMillis`).
    /// The appender stores into index pages at random (the slots), and a store into a page that writeback holds locked
    /// waits for it: on a saturated disk the event loop waited 0.4–0.5 s there, in several runs of a minute, while the index
    /// was flushed every 500 ms. The index is derived from the log; after a crash, recovery re-indexes from the
    /// checkpoint, which therefore records the position the index was last flushed at.
    static let indexFlushIntervalMillis: Int64 = 10_000

    /// Flushes the commit log and consume queues, and the index with `includingIndex` (at shutdown, and every
    /// `indexFlushIntervalMillis`), then records the checkpoint if anything moved.
    func flushAll(includingIndex: Bool) {
        let dispatched = commitLog.dispatchedPosition.load(ordering: .acquiring)
        let committed = commitLog.committedPosition.load(ordering: .acquiring)
        commitLog.flush(upTo: committed)
        for queue in allQueues() { queue.flush() }
        if includingIndex {
            index.flush()
            flushControl.indexFlushed.withLock { $0 = (dispatched, currentMillis()) }
        }
        let (logics, indexedAt) = flushControl.indexFlushed.withLock { $0 }
        let moved = flushControl.lastCheckpoint.withLock { last in
            defer { last = (committed, logics) }
            return last != (committed, logics)
        }
        guard moved else { return }
        let now = currentMillis()
        do {
            try StoreCheckpoint(physicMsgTimestamp: now, logicsMsgTimestamp: now, indexMsgTimestamp: indexedAt,
                                physicalFlushedOffset: committed, logicsFlushedOffset: logics).write(checkpointPath)
        } catch {
            logger.error("checkpoint write failed", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes commit-log segments not modified for `fileReservedTimeHours` (never the newest, never one at or above
    /// the retention floor), then consume-queue and index files that only point below the new log minimum.
    func runRetention(now: Int64) {
        let cutoff = now - Int64(config.fileReservedTimeHours) * 3_600_000
        guard commitLog.hasSegments(modifiedBefore: cutoff) else { return }
        let deleted = commitLog.deleteSegments(modifiedBefore: cutoff, below: retentionFloor ?? .max)
        guard deleted > 0 else { return }
        let minOffset = commitLog.minOffset
        for queue in allQueues() { queue.correctMinOffset(logMinOffset: minOffset) }
        index.deleteFiles(below: minOffset)
        logger.info("retention deleted commit-log segments", metadata: ["count": "\(deleted)", "logMin": "\(minOffset)"])
    }
}
