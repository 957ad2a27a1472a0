// SubscriptionVerdict: one group's subscription-consistency verdict ("consistent", or how its members differ), the
// tracker that reports only verdict changes (so the broker logs once per change, not at every membership
// notification), and the age of a group's oldest unconsumed message.

/// The verdict on one consumer group: consistent, or the aspects in which its members differ.
public struct SubscriptionVerdict: Sendable, Equatable, CustomStringConvertible {
    /// Empty when the group is consistent.
    public var differences: [SubscriptionInconsistency]

    public init(differences: [SubscriptionInconsistency]) { self.differences = differences }

    public var isConsistent: Bool { differences.isEmpty }

    /// "consistent", or every difference ("topics differs: A by c1; A,B by c2; …").
    public var description: String {
        isConsistent ? "consistent" : differences.map(\.description).joined(separator: "; ")
    }
}

/// The last verdict of every group; `update` says whether a group's verdict changed (to log it once).
public struct SubscriptionVerdictTracker: Sendable {
    /// Only inconsistent groups are kept: an unknown group is consistent.
    var last: [String: SubscriptionVerdict] = [:]

    public init() {}

    /// Records the group's current verdict and returns it when it differs from the previous one (a group seen for
    /// the first time counts as previously consistent); nil when nothing changed.
    public mutating func update(group: String, verdict: SubscriptionVerdict) -> SubscriptionVerdict? {
        let previous = last[group] ?? SubscriptionVerdict(differences: [])
        last[group] = verdict.isConsistent ? nil : verdict
        return previous == verdict ? nil : verdict
    }

    /// The inconsistent groups as last recorded.
    public var inconsistent: [String: SubscriptionVerdict] { last }
}

/// Age of the oldest unconsumed message of a group (or of one queue).
public enum AccumulationAge {
    /// `now` − the oldest store time among queues with lag (`lag > 0`, known store time > 0); nil when nothing is
    /// unconsumed or no store time is known. Never negative (clock steps).
    public static func oldest(_ queues: [(lag: Int64, oldestUnconsumedTimestamp: Int64)], now: Int64) -> Int64? {
        let oldest = queues.filter { $0.lag > 0 && $0.oldestUnconsumedTimestamp > 0 }.map(\.oldestUnconsumedTimestamp).min()
        return oldest.map { max(0, now - $0) }
    }

    /// "850ms", "12.3s", "4m05s", "2h03m", "3d04h".
    public static func text(millis: Int64) -> String {
        let ms = max(0, millis)
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 { return "\(ms / 1000).\(ms % 1000 / 100)s" }
        let s = ms / 1000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if s < 3600 { return "\(s / 60)m\(two(s % 60))s" }
        if s < 86400 { return "\(s / 3600)h\(two(s / 60 % 60))m" }
        return "\(s / 86400)d\(two(s / 3600 % 24))h"
    }
}
