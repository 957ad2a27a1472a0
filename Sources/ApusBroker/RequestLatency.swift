// RequestLatency: per-request-code histograms of the time from a request's arrival (the socket read that brought it,
// `RemotingConnection.readStarted`) to its answer being written: a send's includes its read burst's append, a held pull
// or a relay counts until it is parked. The hot path is one clock read and one observe per request (per read burst for
// sends): a lock, a dictionary lookup and a bucket scan.

import Dispatch
import Synchronization

/// One request code's histogram as the metrics snapshot reports it.
public struct RequestLatencySnapshot: Sendable, Equatable {
    public var code: Int32
    /// Cumulative counts per upper bound of `RequestLatencyTable.bucketBounds` (the `+Inf` bucket is `count`).
    public var cumulativeCounts: [UInt64]
    public var count: UInt64
    public var sumSeconds: Double
}

public final class RequestLatencyTable: Sendable {
    /// Upper bounds in seconds: 50 µs … 5 s.
    public static let bucketBounds: [Double] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    private static let boundNanos: [UInt64] = bucketBounds.map { UInt64($0 * 1_000_000_000) }

    private struct Histogram {
        var buckets = [UInt64](repeating: 0, count: RequestLatencyTable.bucketBounds.count)
        var count: UInt64 = 0
        var sumNanos: UInt64 = 0

        mutating func record(bucket: Int, nanos: UInt64, count n: UInt64) {
            count &+= n
            sumNanos &+= nanos &* n
            if bucket < buckets.count { buckets[bucket] &+= n }
        }
    }

    private let table = Mutex<[Int32: Histogram]>([:])

    public init() {}

    /// A monotonic reading in nanoseconds (the start of a measurement).
    @inline(__always)
    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Records one request of `code` that started at `start` (a `now()` reading).
    @inline(__always)
    public func observe(code: Int32, since start: UInt64) {
        let elapsed = Self.now() &- start
        observe(code: code, nanos: elapsed)
    }

    /// Records `count` requests of `code` that each took `nanos`.
    public func observe(code: Int32, nanos: UInt64, count: UInt64 = 1) {
        let bounds = Self.boundNanos
        var index = bounds.count
        for i in bounds.indices where nanos <= bounds[i] {
            index = i
            break
        }
        // One in-place dictionary access under the lock.
        table.withLock { $0[code, default: Histogram()].record(bucket: index, nanos: nanos, count: count) }
    }

    /// Every code seen so far, sorted by code.
    public func snapshot() -> [RequestLatencySnapshot] {
        let copy = table.withLock { $0 }
        return copy.keys.sorted().map { code in
            let h = copy[code]!
            var running: UInt64 = 0
            let cumulative = h.buckets.map { running &+= $0; return running }
            return RequestLatencySnapshot(code: code, cumulativeCounts: cumulative, count: h.count,
                                          sumSeconds: Double(h.sumNanos) / 1_000_000_000)
        }
    }
}
