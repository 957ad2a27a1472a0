// AccumulationAlerts: the pure state machine behind accumulation alerting. Rules (group, optional topic, thresholds on
// the unconsumed message count and on the age of the oldest unconsumed message, and how long the condition must hold)
// are evaluated against samples of the group's progress; every change of an alert (firing, resolved) is returned as a
// transition for the broker to deliver. No IO, no clock: the caller passes `now` (epoch ms).
//
// One alert per (rule, topic): a rule without a topic watches every topic the group has progress on, each on its own,
// as Prometheus keeps one alert per label set. Rules on a broadcasting group are refused: the broker does not track
// broadcasting progress (the clients keep it), so any figure it could give would be wrong.

/// One alerting rule of the rules file.
public struct AlertRule: Sendable, Equatable {
    public var name: String
    public var group: String
    /// nil: every topic the group has progress on.
    public var topic: String?
    /// Fires when more than this many messages are unconsumed.
    public var maxDiff: Int64?
    /// Fires when the oldest unconsumed message was stored more than this many seconds ago.
    public var maxAgeSeconds: Int64?
    /// How long the condition must hold before the alert fires.
    public var forSeconds: Int64

    public init(name: String, group: String, topic: String? = nil, maxDiff: Int64? = nil, maxAgeSeconds: Int64? = nil,
                forSeconds: Int64 = 0) {
        self.name = name
        self.group = group
        self.topic = topic
        self.maxDiff = maxDiff
        self.maxAgeSeconds = maxAgeSeconds
        self.forSeconds = forSeconds
    }
}

/// The rules file: where to deliver, how often to evaluate, and the rules.
public struct AlertRuleSet: Sendable, Equatable {
    public var webhook: String?
    public var alertmanager: String?
    public var evaluationIntervalSeconds: Int64
    public var rules: [AlertRule]

    public static let defaultEvaluationIntervalSeconds: Int64 = 15

    public init(webhook: String? = nil, alertmanager: String? = nil,
                evaluationIntervalSeconds: Int64 = AlertRuleSet.defaultEvaluationIntervalSeconds, rules: [AlertRule] = []) {
        self.webhook = webhook
        self.alertmanager = alertmanager
        self.evaluationIntervalSeconds = evaluationIntervalSeconds
        self.rules = rules
    }

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Checks what a file must get right; the first problem is thrown (the whole file is then refused).
    public func validate() throws(Invalid) {
        guard evaluationIntervalSeconds >= 1 else {
            throw Invalid("evaluationIntervalSeconds must be at least 1 (got \(evaluationIntervalSeconds))")
        }
        for url in [webhook, alertmanager].compactMap({ $0 }) where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw Invalid("'\(url)' is not an http:// or https:// URL")
        }
        var seen = Set<String>()
        for (index, rule) in rules.enumerated() {
            let label = rule.name.isEmpty ? "rule #\(index + 1)" : "rule '\(rule.name)'"
            guard !rule.name.isEmpty else { throw Invalid("\(label): 'name' is empty") }
            guard seen.insert(rule.name).inserted else { throw Invalid("\(label): the name is used twice") }
            guard !rule.group.isEmpty else { throw Invalid("\(label): 'group' is empty") }
            guard rule.topic.map({ !$0.isEmpty }) ?? true else { throw Invalid("\(label): 'topic' is empty") }
            guard rule.maxDiff != nil || rule.maxAgeSeconds != nil else {
                throw Invalid("\(label): give maxDiff and/or maxAgeSeconds")
            }
            guard (rule.maxDiff ?? 0) >= 0, (rule.maxAgeSeconds ?? 0) >= 0, rule.forSeconds >= 0 else {
                throw Invalid("\(label): maxDiff, maxAgeSeconds and forSeconds must not be negative")
            }
        }
    }
}

/// The progress of a group on one topic at evaluation time.
public struct AccumulationSample: Sendable, Equatable {
    public var group: String
    public var topic: String
    /// Unconsumed messages (broker offset − consumer offset, summed over the topic's queues).
    public var diff: Int64
    /// Store time (epoch ms) of the oldest unconsumed message; nil when nothing is unconsumed or it is unknown.
    public var oldestUnconsumedTimestamp: Int64?

    public init(group: String, topic: String, diff: Int64, oldestUnconsumedTimestamp: Int64?) {
        self.group = group
        self.topic = topic
        self.diff = diff
        self.oldestUnconsumedTimestamp = oldestUnconsumedTimestamp
    }

    /// Seconds since the oldest unconsumed message was stored (0 when nothing is unconsumed).
    func ageSeconds(now: Int64) -> Int64 {
        guard diff > 0, let stored = oldestUnconsumedTimestamp else { return 0 }
        return max(0, now - stored) / 1000
    }
}

public enum AlertState: String, Sendable, Equatable {
    /// The condition does not hold.
    case inactive
    /// The condition holds, not yet for `forSeconds`.
    case pending
    case firing
}

/// One alert: a rule on one topic.
public struct AlertInstance: Sendable, Equatable {
    public var rule: AlertRule
    public var topic: String
    public var state: AlertState
    /// When the current state began (epoch ms).
    public var since: Int64
    /// When the condition began to hold (pending or firing; Alertmanager's `startsAt`).
    public var activeSince: Int64?
    public var diff: Int64
    public var ageSeconds: Int64
}

/// A change to deliver, or a rule refused.
public struct AlertTransition: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case firing
        case resolved
        /// The rule is not evaluated; the reason says why (logged once).
        case refused(String)
    }

    public var kind: Kind
    public var rule: AlertRule
    /// Empty for `.refused`.
    public var topic: String
    public var diff: Int64
    public var ageSeconds: Int64
    /// When the condition began to hold.
    public var startsAt: Int64
    /// When the alert resolved (nil while firing).
    public var endsAt: Int64?

    public init(kind: Kind, rule: AlertRule, topic: String, diff: Int64, ageSeconds: Int64, startsAt: Int64, endsAt: Int64?) {
        self.kind = kind
        self.rule = rule
        self.topic = topic
        self.diff = diff
        self.ageSeconds = ageSeconds
        self.startsAt = startsAt
        self.endsAt = endsAt
    }
}

/// A rule as `apus admin alertList` shows it.
public struct AlertRuleStatus: Sendable, Equatable {
    public var rule: AlertRule
    /// Why the rule is not evaluated, if it is not.
    public var refusal: String?
    /// When the rule was loaded, or last changed.
    public var loadedAt: Int64
    /// One per topic seen, sorted by topic.
    public var alerts: [AlertInstance]
}

public struct AccumulationAlerts: Sendable {
    private struct Key: Hashable {
        var rule: String
        var topic: String
    }

    public private(set) var rules: [AlertRule] = []
    private var loadedAt: [String: Int64] = [:]
    private var refusals: [String: String] = [:]
    private var instances: [Key: AlertInstance] = [:]

    public init() {}

    public static func broadcastingRefusal(group: String) -> String {
        "group \(group) consumes in BROADCASTING mode: accumulation alerts are refused for broadcasting groups, because the "
            + "broker does not track broadcasting progress (each consumer keeps its own offsets)"
    }

    /// Replaces the rules. A rule whose name and definition are unchanged keeps its state (a pending alert keeps
    /// counting, a firing one stays firing); a changed or removed rule starts over, and its firing alerts resolve.
    public mutating func replaceRules(_ newRules: [AlertRule], now: Int64) -> [AlertTransition] {
        let old = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let kept = Set(newRules.filter { old[$0.name] == $0 }.map(\.name))
        var transitions: [AlertTransition] = []
        for key in instances.keys.sorted(by: { ($0.rule, $0.topic) < ($1.rule, $1.topic) }) where !kept.contains(key.rule) {
            if let instance = instances.removeValue(forKey: key), instance.state == .firing {
                transitions.append(Self.resolved(instance, now: now))
            }
        }
        for name in old.keys where !kept.contains(name) {
            refusals[name] = nil
            loadedAt[name] = nil
        }
        for rule in newRules where !kept.contains(rule.name) { loadedAt[rule.name] = now }
        rules = newRules
        return transitions
    }

    /// One evaluation. `models`: the effective message model of the groups that have members online (a group absent
    /// keeps its previous verdict: a refused rule stays refused until its group is seen clustering).
    public mutating func evaluate(samples: [AccumulationSample], models: [String: MessageModel], now: Int64) -> [AlertTransition] {
        var transitions: [AlertTransition] = []
        for rule in rules {
            switch models[rule.group] {
            case .broadcasting? where refusals[rule.name] == nil:
                let reason = Self.broadcastingRefusal(group: rule.group)
                refusals[rule.name] = reason
                for key in keys(of: rule.name) {
                    if let instance = instances.removeValue(forKey: key), instance.state == .firing {
                        transitions.append(Self.resolved(instance, now: now))
                    }
                }
                transitions.append(AlertTransition(kind: .refused(reason), rule: rule, topic: "", diff: 0, ageSeconds: 0,
                                                   startsAt: now, endsAt: nil))
            case .clustering?:
                refusals[rule.name] = nil
            default:
                break
            }
            guard refusals[rule.name] == nil else { continue }

            var current: [String: AccumulationSample] = [:]
            for sample in samples where sample.group == rule.group && (rule.topic == nil || rule.topic == sample.topic) {
                current[sample.topic] = sample
            }
            if let topic = rule.topic, current[topic] == nil {
                current[topic] = AccumulationSample(group: rule.group, topic: topic, diff: 0, oldestUnconsumedTimestamp: nil)
            }
            // Topics no longer reported count as drained.
            for key in keys(of: rule.name) where current[key.topic] == nil {
                current[key.topic] = AccumulationSample(group: rule.group, topic: key.topic, diff: 0, oldestUnconsumedTimestamp: nil)
            }
            for topic in current.keys.sorted() {
                let sample = current[topic]!
                if let transition = step(rule: rule, sample: sample, now: now) { transitions.append(transition) }
            }
        }
        return transitions
    }

    private func keys(of rule: String) -> [Key] {
        instances.keys.filter { $0.rule == rule }.sorted { $0.topic < $1.topic }
    }

    private mutating func step(rule: AlertRule, sample: AccumulationSample, now: Int64) -> AlertTransition? {
        let key = Key(rule: rule.name, topic: sample.topic)
        let age = sample.ageSeconds(now: now)
        let breached = rule.maxDiff.map { sample.diff > $0 } == true || rule.maxAgeSeconds.map { age > $0 } == true
        var instance = instances[key]
            ?? AlertInstance(rule: rule, topic: sample.topic, state: .inactive, since: now, activeSince: nil, diff: 0, ageSeconds: 0)
        instance.diff = sample.diff
        instance.ageSeconds = age
        var transition: AlertTransition?
        if breached {
            if instance.state == .inactive {
                instance.state = .pending
                instance.since = now
                instance.activeSince = now
            }
            let activeSince = instance.activeSince ?? now
            if instance.state == .pending, now - activeSince >= rule.forSeconds * 1000 {
                instance.state = .firing
                instance.since = now
                transition = AlertTransition(kind: .firing, rule: rule, topic: sample.topic, diff: sample.diff, ageSeconds: age,
                                             startsAt: activeSince, endsAt: nil)
            }
        } else if instance.state != .inactive {
            if instance.state == .firing { transition = Self.resolved(instance, now: now) }
            instance.state = .inactive
            instance.since = now
            instance.activeSince = nil
        }
        instances[key] = instance
        return transition
    }

    private static func resolved(_ instance: AlertInstance, now: Int64) -> AlertTransition {
        AlertTransition(kind: .resolved, rule: instance.rule, topic: instance.topic, diff: instance.diff,
                        ageSeconds: instance.ageSeconds, startsAt: instance.activeSince ?? instance.since, endsAt: now)
    }

    /// Every rule in file order, with its refusal and its alerts.
    public var status: [AlertRuleStatus] {
        rules.map { rule in
            AlertRuleStatus(rule: rule, refusal: refusals[rule.name], loadedAt: loadedAt[rule.name] ?? 0,
                            alerts: keys(of: rule.name).compactMap { instances[$0] })
        }
    }

    /// Every alert currently firing.
    public var firing: [AlertInstance] {
        instances.values.filter { $0.state == .firing }.sorted { ($0.rule.name, $0.topic) < ($1.rule.name, $1.topic) }
    }

    /// Every alert (any state), sorted by rule and topic.
    public var alerts: [AlertInstance] {
        instances.values.sorted { ($0.rule.name, $0.topic) < ($1.rule.name, $1.topic) }
    }
}
