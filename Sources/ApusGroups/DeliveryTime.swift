// DeliveryTime: when a produced or retried message becomes deliverable — delay levels (`DELAY`), ApsaraMQ timers
// (`__STARTDELIVERTIME`) and RocketMQ 5 timers (`TIMER_DELIVER_MS`, `TIMER_DELAY_SEC`, `TIMER_DELAY_MS`); no IO.

import ApusMessage
#if canImport(Glibc)
import Glibc
#endif

/// The broker's schedule rules: the delay-level table and the longest timer allowed.
public struct DeliveryTime: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Deliverable now: store the message as it is.
        case now
        /// Deliverable at this epoch-millisecond time; `delayLevel` when it came from a delay level.
        case at(Int64, delayLevel: Int32?)
        /// The request asks for something the broker refuses; the text says what.
        case rejected(String)
    }

    /// Delay of each level in milliseconds; element 0 is level 1.
    public let levels: [Int64]
    public let maxDelayMillis: Int64

    public init(levels: [Int64], maxDelayMillis: Int64) {
        precondition(!levels.isEmpty)
        self.levels = levels
        self.maxDelayMillis = maxDelayMillis
    }

    public var maxLevel: Int32 { Int32(levels.count) }

    /// The delay of `level`, clamped to 1…maxLevel as RocketMQ's store does.
    public func delay(ofLevel level: Int32) -> Int64 {
        levels[Int(min(max(level, 1), maxLevel)) - 1]
    }

    /// When a message with these properties may be delivered; `lookup` returns a property's value.
    /// Timers win over a delay level; a time at or before `now` means now.
    public func outcome(now: Int64, lookup: (String) -> String?) -> Outcome {
        struct NotANumber: Error { var reason: String }
        func number(_ key: String) -> Result<Int64?, NotANumber> {
            guard let text = lookup(key) else { return .success(nil) }
            guard let value = Int64(text.trimmingCharacters()) else {
                return .failure(NotANumber(reason: "the property \(key)=\(text) is not a whole number"))
            }
            return .success(value)
        }
        var due: Int64?
        for (key, toDue) in [
            (MessageProperty.startDeliverTime, { (v: Int64) in v }),
            (MessageProperty.timerDeliverMs, { (v: Int64) in v }),
            (MessageProperty.timerDelaySec, { (v: Int64) in now &+ v.multipliedReportingOverflow(by: 1000).partialValue }),
            (MessageProperty.timerDelayMs, { (v: Int64) in now &+ v }),
        ] {
            switch number(key) {
            case let .failure(error): return .rejected(error.reason)
            case let .success(value?): due = toDue(value)
            case .success(nil): continue
            }
            break
        }
        if let due {
            if due <= now { return .now }
            if due - now > maxDelayMillis {
                return .rejected("the delivery time is \((due - now) / 1000) s away; the most this broker schedules is "
                    + "\(maxDelayMillis / 1000) s (timerMaxDelaySec)")
            }
            return .at(due, delayLevel: nil)
        }
        switch number(MessageProperty.delayLevel) {
        case let .failure(error): return .rejected(error.reason)
        case let .success(level?) where level > 0:
            let clamped = Int32(min(level, Int64(maxLevel)))
            return .at(now + delay(ofLevel: clamped), delayLevel: clamped)
        default: return .now
        }
    }
}

extension DeliveryTime {
    /// Cheap pre-check on a properties string (`key 0x01 value 0x02`…): true when some key could be one of the
    /// schedule keys, so that ordinary sends skip the lookups.
    public static func mayApply(to properties: String) -> Bool {
        PropertyDigest(properties).mayBeDelayed
    }
}

extension String {
    fileprivate func trimmingCharacters() -> Substring {
        var s = Substring(self)
        while let f = s.first, f == " " { s.removeFirst() }
        while let l = s.last, l == " " { s.removeLast() }
        return s
    }
}
