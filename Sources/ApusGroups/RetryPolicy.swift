// RetryPolicy and DelayLevels: what CONSUMER_SEND_MSG_BACK does with a failed message (spec §5.4, §5.5); no IO.

/// The retry/dead-letter decision for one send-back of a clustering consumer.
public struct RetryPolicy: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Store into `%RETRY%{group}` with this delay level.
        case retry(delayLevel: Int32)
        /// Store into `%DLQ%{group}`, queue 0, no delay.
        case deadLetter
        /// Answer SUCCESS and keep nothing (the group has no retry queues).
        case drop
    }

    public let maxDelayLevel: Int32

    public init(maxDelayLevel: Int32 = 18) {
        self.maxDelayLevel = maxDelayLevel
    }

    /// requestedDelayLevel: from the request (0 = broker chooses: 3 + reconsumeTimes, capped at maxDelayLevel;
    /// < 0 = DLQ). A requested level above maxDelayLevel is lowered to it, as the store does.
    public func decide(reconsumeTimes: Int32, requestedDelayLevel: Int32, maxReconsumeTimes: Int32,
                       retryQueueNums: Int32) -> Decision {
        if retryQueueNums <= 0 { return .drop }
        if reconsumeTimes >= maxReconsumeTimes || requestedDelayLevel < 0 { return .deadLetter }
        let level = requestedDelayLevel > 0 ? Int64(requestedDelayLevel) : 3 + Int64(reconsumeTimes)
        return .retry(delayLevel: Int32(max(1, min(level, Int64(maxDelayLevel)))))
    }
}

/// The broker's delay levels (`messageDelayLevel`).
public enum DelayLevels {
    public struct ParseError: Error, Equatable {
        /// The offending item, or the whole spec when it has no items.
        public var item: String
    }

    /// RocketMQ's default: levels 1…18.
    public static let defaultSpec = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"

    /// The spec text of `levels` (the inverse of `parse` for whole seconds), each delay in its largest exact unit.
    public static func format(_ levels: [Int64]) -> String {
        levels.map { millis in
            for (unit, suffix) in [(Int64(86_400_000), "d"), (3_600_000, "h"), (60_000, "m")] where millis > 0 && millis % unit == 0 {
                return "\(millis / unit)\(suffix)"
            }
            return "\(millis / 1_000)s"
        }.joined(separator: " ")
    }

    /// Parses a space-separated list like `defaultSpec` (each item: digits then one unit of s, m, h, d) → the delay
    /// of each level in milliseconds; element 0 is level 1.
    public static func parse(_ spec: String) throws -> [Int64] {
        let items = spec.split(whereSeparator: \.isWhitespace)
        if items.isEmpty { throw ParseError(item: spec) }
        return try items.map { item in
            let unit: Int64
            switch item.last {
            case "s": unit = 1_000
            case "m": unit = 60_000
            case "h": unit = 3_600_000
            case "d": unit = 86_400_000
            default: throw ParseError(item: String(item))
            }
            let digits = item.dropLast()
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let n = Int64(digits) else {
                throw ParseError(item: String(item))
            }
            let (millis, overflow) = n.multipliedReportingOverflow(by: unit)
            if overflow { throw ParseError(item: String(item)) }
            return millis
        }
    }
}
