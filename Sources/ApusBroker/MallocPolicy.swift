// The broker process's malloc policy: glibc's trim and mmap thresholds, set once at start-up by the server commands.
#if canImport(Glibc)
import Glibc
#endif

/// Stops glibc from handing the broker's working memory back to the kernel between bursts.
///
/// By default glibc trims an arena once 128 KiB at its top are free, and it serves larger allocations from their own
/// mappings. A pull's body (32 records of 1 KiB), a read burst and a write burst are each tens of KiB, and the event
/// loop frees them within microseconds. So the top of its arena rose and fell by more than 128 KiB all the time: each
/// fall was an `madvise(MADV_DONTNEED)` with its TLB shootdown, and each rise faulted in fresh zeroed pages. Under
/// fan-out load (W3 after W1 and W2) that was about a fifth of the event loop's time. With these thresholds a burst's
/// memory is reused by the next one.
///
/// What it costs: at most `trimThreshold` of free memory per arena stays resident after a peak. Measured after
/// W1–W4, the broker's anonymous memory was 4.9 MB, against 4.3 MB with glibc's defaults.
public enum MallocPolicy {
    /// Free memory glibc may keep at the top of an arena before it gives it back to the kernel.
    public static let trimThreshold: Int32 = 64 << 20
    /// Allocations at least this large get their own mapping.
    public static let mmapThreshold: Int32 = 4 << 20

    public enum Outcome: Equatable, Sendable {
        /// Both thresholds are set.
        case set
        /// The operator's `GLIBC_TUNABLES` has a malloc setting; it wins, and nothing is changed.
        case leftToTunables
        /// This C library has no `mallopt`, or refused a value; its defaults stay.
        case unavailable
    }

    /// Sets the thresholds for the whole process, unless `environment`'s `GLIBC_TUNABLES` sets malloc parameters.
    public static func apply(environment: [String: String]) -> Outcome {
        if let tunables = environment["GLIBC_TUNABLES"], tunables.contains("glibc.malloc.") { return .leftToTunables }
        #if canImport(Glibc)
        // Glibc's Swift module leaves out <malloc.h>: mallopt and its parameters (M_TRIM_THRESHOLD -1,
        // M_MMAP_THRESHOLD -3) are taken from the C library and its header by hand.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return .unavailable }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        return mallopt(-1, trimThreshold) == 1 && mallopt(-3, mmapThreshold) == 1 ? .set : .unavailable
        #else
        return .unavailable
        #endif
    }
}
