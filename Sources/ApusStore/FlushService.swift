// Flush service: the background thread that msyncs the log (async interval or sync group commit), writes back the
// consume queues and the index with the checkpoint, and runs retention; plus the `whenFlushed` waiters it serves.
import ApusMessage
import CLinux
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
    /// The cache thread's (see `cacheLoop`): it waits on `cacheWake` between looks, which the flush thread signals
    /// when it has readied more of the log.
    let cacheWake = DispatchSemaphore(value: 0)
    private let cacheStopped = DispatchSemaphore(value: 0)
    /// The end of the log's window the flush thread readied (ReadyAhead), for the cache thread.
    let logReadiedEnd = Atomic<Int64>(0)
    /// While the flush thread sleeps through a quiet log, the log position at which an appender wakes it
    /// (`appended(upTo:)`); `.max`: no appender wakes it.
    let wakeAt = Atomic<Int64>(.max)
    let stopping = Atomic<Bool>(false)
    let running = Atomic<Bool>(false)
    let lastCheckpoint = Mutex<(Int64, Int64)>((-1, -1))

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

    /// Called by the appender after each put, outside the append lock: past `wakeAt`, the first caller wakes the
    /// flush thread.
    @inline(__always)
    func appended(upTo position: Int64) {
        if position >= wakeAt.load(ordering: .relaxed) && wakeAt.exchange(.max, ordering: .relaxed) != .max { wake.signal() }
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        guard running.load(ordering: .acquiring) else { return }
        wake.signal()
        cacheWake.signal()
        stopped.wait()
        cacheStopped.wait()
    }

    func threadExited() { stopped.signal() }
    func cacheThreadExited() { cacheStopped.signal() }
}

extension MessageStore {
    /// Starts the flush + retention thread.
    public func start() {
        guard !flushControl.running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            // Named from inside: Foundation does not apply `Thread.name` on Linux (the thread kept the name of the
            // dispatch worker that started it), and Linux keeps at most 15 bytes of it.
            _ = pthread_setname_np(pthread_self(), "apus-flush")
            flushLoop()
        }
        thread.start()
        let cacheThread = Thread { [self] in
            var parameters = sched_param()
            _ = sched_setscheduler(0, APUS_SCHED_IDLE, &parameters)
            _ = pthread_setname_np(pthread_self(), "apus-cache")  // after the policy: a named thread has its policy
            cacheLoop()
        }
        cacheThread.start()
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
        var lastFull = currentMillis(), lastRetention = lastFull, lastPrepared: Int64 = 0, lastDerivedFlush: Int64 = 0
        var logAhead = ReadyAhead(maximum: Int64(commitLog.segmentSize), position: commitLog.committedPosition.load(ordering: .acquiring))
        var pace = FlushPace(window: Int64(commitLog.prefaultWindow), position: commitLog.committedPosition.load(ordering: .acquiring),
                             now: lastFull)
        while !flushControl.stopping.load(ordering: .acquiring) {
            if let range = logAhead.range(at: commitLog.committedPosition.load(ordering: .acquiring),
                                          minimum: Int64(commitLog.prefaultWindow)) {
                commitLog.prefault(from: range.lowerBound, to: range.upperBound)
                logAhead.readied(upTo: range.upperBound)
                flushControl.logReadiedEnd.store(range.upperBound, ordering: .releasing)
                flushControl.cacheWake.signal()
            }
            if currentMillis() - lastPrepared >= 10 {  // not on every group commit of SYNC_FLUSH
                prepareQueuesAndIndex()
                lastPrepared = currentMillis()
            }
            let groupCommitPending = config.flushDiskType == .syncFlush && flushControl.hasWaiters
            if !groupCommitPending {
                let now = currentMillis(), committed = commitLog.committedPosition.load(ordering: .acquiring)
                let sleep = pace.sleep(position: committed, flushed: commitLog.flushedPosition.load(ordering: .acquiring), now: now,
                                       untilFlush: max(1, interval - (now - lastFull)))
                if let wakeAt = sleep.wakeAt {
                    // An append between the look and this store did not see it: look again. (The appender publishes
                    // its position before it releases the append lock, a full barrier, and only then reads `wakeAt`.)
                    flushControl.wakeAt.store(wakeAt, ordering: .sequentiallyConsistent)
                    flushControl.appended(upTo: commitLog.committedPosition.load(ordering: .sequentiallyConsistent))
                }
                _ = flushControl.wake.wait(timeout: .now() + .milliseconds(Int(sleep.millis)))
                flushControl.wakeAt.store(.max, ordering: .relaxed)
            }
            if flushControl.stopping.load(ordering: .acquiring) { break }
            if config.flushDiskType == .syncFlush && flushControl.hasWaiters {
                let flushed = commitLog.flush(upTo: commitLog.committedPosition.load(ordering: .acquiring))
                flushControl.serveWaiters(flushed: flushed, now: currentMillis())
            }
            var now = currentMillis()
            if now - lastFull >= interval {
                let derivedDue = now - lastDerivedFlush >= Self.derivedFlushIntervalMillis
                if derivedDue { lastDerivedFlush = now }
                flushAll(includingQueuesAndIndex: derivedDue)
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

    /// The cache thread (`apus-cache`, SCHED_IDLE): brings the window the flush thread readied into the page cache while
    /// appends are quiet (CacheAhead, CommitLog.cache). It runs at the idle policy because making pages is work for a
    /// CPU nothing else wants: on the flush thread, a run of slices held a vCPU for 5 ms while a woken client thread
    /// waited there behind it (the other vCPU idle), the slowest of a W4 run. At SCHED_IDLE any other thread that
    /// wakes on its CPU takes it at the next return from a request (32 KiB, MappedFile.cache). With the window cached
    /// it sleeps until the flush thread readies more, so an idle broker does not wake it.
    private func cacheLoop() {
        var cache = CacheAhead(position: commitLog.committedPosition.load(ordering: .acquiring), now: currentMillis())
        while !flushControl.stopping.load(ordering: .acquiring) {
            let readiedEnd = flushControl.logReadiedEnd.load(ordering: .acquiring)
            if let range = cache.next(position: commitLog.committedPosition.load(ordering: .acquiring),
                                      readiedEnd: readiedEnd, now: currentMillis()) {
                commitLog.cache(from: range.lowerBound, to: range.upperBound)
            } else if cache.quiet && cache.cachedEnd >= readiedEnd {
                flushControl.cacheWake.wait()
            } else {  // appends are busy: look again after a sample
                _ = flushControl.cacheWake.wait(timeout: .now() + .milliseconds(Int(CacheAhead.sampleMillis)))
            }
        }
        flushControl.cacheThreadExited()
    }

    /// How often the flush thread writes the consume queues and the index back, with the checkpoint (it flushes the log
    /// every `flushIntervalMillis`). Both are derived from the log: after a crash, recovery dispatches again from the
    /// position the checkpoint records, so writing them back more often would make nothing more durable. It would cost:
    /// - every `msync` is an `fsync` of its file, with the disk's cache flush: with the queues and the checkpoint in the
    ///   500 ms flush, a W4 run (12 s) made 211 cache flushes, against 40 with the log alone;
    /// - a written-back queue page that the appender stores into again faults (the page is write-protected on writeback,
    ///   which flushes the other vCPU's TLB); a store into an index page that writeback holds locked waited for it: on a
    ///   saturated disk the event loop waited 0.4–0.5 s there, in several runs of a minute, while the index was flushed
    ///   every 500 ms.
    /// RocketMQ writes a consume queue back at most once a second, when two pages have filled, and otherwise once a minute.
    static let derivedFlushIntervalMillis: Int64 = 10_000

    /// Flushes the commit log; with `includingQueuesAndIndex` (at shutdown, and every `derivedFlushIntervalMillis`) also
    /// the consume queues and the index, then records the checkpoint if anything moved.
    func flushAll(includingQueuesAndIndex: Bool) {
        let dispatched = commitLog.dispatchedPosition.load(ordering: .acquiring)
        let committed = commitLog.committedPosition.load(ordering: .acquiring)
        commitLog.flush(upTo: committed)
        guard includingQueuesAndIndex else { return }
        for queue in allQueues() { queue.flush() }
        index.flush()
        let moved = flushControl.lastCheckpoint.withLock { last in
            defer { last = (committed, dispatched) }
            return last != (committed, dispatched)
        }
        guard moved else { return }
        let now = currentMillis()
        do {
            try StoreCheckpoint(physicMsgTimestamp: now, logicsMsgTimestamp: now, indexMsgTimestamp: now,
                                physicalFlushedOffset: committed, logicsFlushedOffset: dispatched).write(checkpointPath)
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
