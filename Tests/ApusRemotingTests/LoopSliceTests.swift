// LoopSlice tests: the governor's switches (a busy loop back to the kernel's default slice, an idle one short again,
// hysteresis between, at most one look per interval), and the request as the kernel records it for a thread.

import ApusRemoting
import Foundation
import Testing

/// A hundredth of the governor's interval: 100 units make one look.
private let unit: UInt64 = SliceGovernor.intervalNanos / 100

@Test func aLoopStartsShortAndGoesBackToTheDefaultWhenBusy() {
    var governor = SliceGovernor(now: 0, cpu: 0)
    #expect(governor.isShort)
    #expect(governor.look(now: 100 * unit, cpu: 10 * unit) == nil)  // 10% busy: stays short
    #expect(governor.look(now: 200 * unit, cpu: 80 * unit) == .kernelDefault)  // 70%
    #expect(!governor.isShort)
    #expect(governor.look(now: 300 * unit, cpu: 180 * unit) == nil)  // still busy: no second request
}

@Test func aBusyLoopThatGoesIdleIsShortAgain() {
    var governor = SliceGovernor(now: 0, cpu: 0)
    _ = governor.look(now: 100 * unit, cpu: 90 * unit)
    #expect(governor.look(now: 200 * unit, cpu: 130 * unit) == nil)  // 40%: between the marks, no change
    #expect(!governor.isShort)
    // Idle for ten looks (no read bursts, so no looks), then one burst: the share over the whole gap is what counts.
    #expect(governor.look(now: 1_200 * unit, cpu: 131 * unit) == .short)
    #expect(governor.isShort)
}

@Test func looksAreAtLeastAnIntervalApart() {
    var governor = SliceGovernor(now: 0, cpu: 0)
    #expect(!governor.isDue(99 * unit))
    #expect(governor.look(now: 99 * unit, cpu: 99 * unit) == nil)  // 100% busy, but too soon to judge
    #expect(governor.isShort)
    #expect(governor.isDue(100 * unit))
    #expect(governor.look(now: 100 * unit, cpu: 99 * unit) == .kernelDefault)
}

/// The slice the kernel keeps for the calling thread (`se.slice` in /proc, ns); nil where it is not shown (before
/// Linux 6.6) or not settable (before 6.12: then the request is ignored and the default stays).
private func kernelSlice() -> UInt64? {
    guard let text = try? String(contentsOfFile: "/proc/thread-self/sched", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("se.slice") }),
          let value = line.split(separator: ":").last.flatMap({ UInt64($0.trimmingCharacters(in: .whitespaces)) })
    else { return nil }
    return value
}

@Test func enablingAsksTheKernelForTheShortSliceOnThatThreadOnly() async throws {
    let (before, after, afterLook) = try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            let before = kernelSlice()
            let enabled = LoopSlice.enable(sliceNanos: 200_000)
            let after = kernelSlice()
            LoopSlice.look()  // too soon for a look: nothing changes
            continuation.resume(returning: (before, enabled ? after : nil, kernelSlice()))
        }
        thread.start()
    }
    guard let before, before != 200_000, let after else { return }  // no /proc field, or the kernel refused
    if after == before { return }  // a kernel before 6.12 takes the call and ignores the slice
    #expect(after == 200_000)
    #expect(afterLook == 200_000)
    #expect(kernelSlice() != 200_000)  // this (test) thread was not touched
}
