// RateMeter: per-key event counts in one-second buckets over the last minute, for the admin TPS figures
// (GET_CONSUME_STATS `consumeTps` = messages delivered to `topic@group` per second over the last minute).

public struct RateMeter: Sendable {
    private struct Series {
        /// (second, count), oldest first; at most `windowSeconds` entries.
        var buckets: [(second: Int64, count: Int64)] = []
    }

    public let windowSeconds: Int64
    private var series: [String: Series] = [:]

    public init(windowSeconds: Int64 = 60) {
        self.windowSeconds = windowSeconds
    }

    public mutating func record(_ key: String, count: Int64, now: Int64) {
        let second = now / 1000
        var s = series[key] ?? Series()
        if let last = s.buckets.last, last.second == second {
            s.buckets[s.buckets.count - 1].count += count
        } else {
            s.buckets.append((second, count))
        }
        let horizon = second - windowSeconds
        if let first = s.buckets.firstIndex(where: { $0.second > horizon }), first > 0 { s.buckets.removeFirst(first) }
        series[key] = s
    }

    /// Events per second over the last `windowSeconds` (including the current second).
    public func perSecond(_ key: String, now: Int64) -> Double {
        guard let s = series[key] else { return 0 }
        let horizon = now / 1000 - windowSeconds
        let total = s.buckets.reduce(Int64(0)) { $1.second > horizon ? $0 + $1.count : $0 }
        return Double(total) / Double(windowSeconds)
    }
}
