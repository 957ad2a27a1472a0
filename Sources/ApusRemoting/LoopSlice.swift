// LoopSlice: the time slice an event-loop thread asks the kernel for — short while the loop is mostly idle, the
// kernel's default while it is busy. `SliceGovernor` is the decision (a plain state machine); `LoopSlice` applies it on
// the loop's own thread, looked at once per read burst.
//
// Why: on Linux 6.12 and later (EEVDF) a thread that asks for a shorter slice than the running thread's preempts it
// when woken. A mostly idle loop serving a paced stream (a W4-like load) then runs as soon as its message arrives, not
// after a background thread that took its CPU (on this 2-vCPU host, `kdamond` held it for 0.8–3.7 ms twice a second
// while the other vCPU idled: bench/results/20261205-36). A busy loop keeps the default: short slices under load split
// its read bursts (W1 −8%, W3 −13% with every loop at 100 µs). Looks are 10 ms apart at least: W1 lasts a third of a
// second, and with 100 ms it ran a third of it short. Earlier kernels ignore the request.

import CLinux
import Glibc
import NIOPosix

/// When to switch: from the share of wall time the loop's thread ran over each look (at least `intervalNanos` apart).
public struct SliceGovernor: Sendable, Equatable {
    public enum Request: Sendable, Equatable {
        case short
        case kernelDefault
    }

    /// Busier than this over a look: back to the kernel's default slice.
    public static let busyShare = 0.5
    /// Idler than this over a look: the short slice again.
    public static let idleShare = 0.25
    public static let intervalNanos: UInt64 = 10_000_000

    public private(set) var isShort: Bool
    private var lookedAt: UInt64
    private var cpuAt: UInt64

    /// A loop starts short (idle) at `now`, with `cpu` ns of its thread's CPU time used.
    public init(now: UInt64, cpu: UInt64) {
        isShort = true
        lookedAt = now
        cpuAt = cpu
    }

    /// Whether a look is due at `now` (cheap: the caller reads the thread's CPU clock only then).
    public func isDue(_ now: UInt64) -> Bool { now &- lookedAt >= Self.intervalNanos }

    /// Looks at the loop's CPU share since the last look; returns the slice to ask for when it should change.
    public mutating func look(now: UInt64, cpu: UInt64) -> Request? {
        let elapsed = now &- lookedAt
        guard elapsed >= Self.intervalNanos else { return nil }
        let share = Double(cpu &- cpuAt) / Double(elapsed)
        lookedAt = now
        cpuAt = cpu
        if isShort && share > Self.busyShare {
            isShort = false
            return .kernelDefault
        }
        if !isShort && share < Self.idleShare {
            isShort = true
            return .short
        }
        return nil
    }
}

/// The calling event-loop thread's slice: `enable` once on the thread, `look` after each read burst.
public enum LoopSlice {
    /// One per governed thread, read and changed only on it.
    private final class State: @unchecked Sendable {
        let sliceNanos: UInt64
        var governor: SliceGovernor
        /// A look is scheduled (the loop is on the default slice).
        var recheckArmed = false
        init(sliceNanos: UInt64, governor: SliceGovernor) {
            self.sliceNanos = sliceNanos
            self.governor = governor
        }
    }

    private static let state = ThreadSpecificVariable<State>()

    /// Governs the calling thread's slice from now on, starting with `sliceNanos` (clamped by the kernel to 0.1–100
    /// ms). 0 leaves the thread alone. False when the kernel refused the request (the thread is left alone too).
    @discardableResult
    public static func enable(sliceNanos: UInt64) -> Bool {
        guard sliceNanos > 0, apus_request_slice(sliceNanos) == 0 else { return false }
        state.currentValue = State(sliceNanos: sliceNanos, governor: SliceGovernor(now: monotonic(), cpu: threadCPU()))
        return true
    }

    /// After a read burst, on the loop's thread: switches the slice when the loop's load changed. A thread that was
    /// not enabled returns at once.
    @inline(__always)
    public static func look() {
        guard let current = state.currentValue else { return }
        let now = monotonic()
        guard current.governor.isDue(now) else { return }
        look(current, now: now)
    }

    /// Reads come only while the loop has work, so a loop on the default slice also looks on a timer (every
    /// `recheckNanos` until it is short again): one that went quiet after a burst, or after a busy start-up, gets its
    /// short slice back without waiting for its next read. A short loop schedules nothing, so an idle one stays asleep.
    static let recheckNanos = 5 * SliceGovernor.intervalNanos

    private static func look(_ current: State, now: UInt64) {
        switch current.governor.look(now: now, cpu: threadCPU()) {
        case .short?: _ = apus_request_slice(current.sliceNanos)
        case .kernelDefault?: _ = apus_request_slice(0)
        case nil: break
        }
        guard !current.governor.isShort, !current.recheckArmed, let loop = MultiThreadedEventLoopGroup.currentEventLoop
        else { return }
        current.recheckArmed = true
        loop.scheduleTask(in: .nanoseconds(Int64(recheckNanos))) {
            current.recheckArmed = false
            look(current, now: monotonic())
        }
    }

    private static func monotonic() -> UInt64 { clockNanos(CLOCK_MONOTONIC) }
    private static func threadCPU() -> UInt64 { clockNanos(CLOCK_THREAD_CPUTIME_ID) }

    private static func clockNanos(_ clock: clockid_t) -> UInt64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
