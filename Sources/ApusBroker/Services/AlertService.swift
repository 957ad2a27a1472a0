// AlertService: accumulation alerting (README "Accumulation alerting"). Every `evaluationIntervalSeconds` it re-reads
// the rules file when its modification time (or size, or inode) changed, takes each rule's group progress from
// AdminService.consumeStats (unconsumed count and store time of the oldest unconsumed message per topic) and the groups'
// effective models from GroupService, runs the AccumulationAlerts state machine, and hands every change to the
// notifier (AlertSink): a webhook POST in Alertmanager's webhook format and a push to Alertmanager's /api/v2/alerts
// (firing alerts are re-pushed every minute, as Prometheus does, so Alertmanager never times them out).
//
// An invalid or unreadable file is logged once (until it changes) and the previous rules are kept.

import ApusGroups
import ApusMessage
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization

/// What `apus admin alertList` shows (APUS_GET_ALERT_STATE, 9001).
struct AlertSnapshot: Sendable {
    var rulesFile: String?
    /// Why the file's current content is not in use (the previous rules are), if it is not.
    var fileError: String?
    var evaluationIntervalSeconds: Int64
    var webhook: String?
    var alertmanager: String?
    var rules: [AlertRuleStatus]
    /// Destination kind ("webhook", "alertmanager") → its delivery counters.
    var delivery: [(kind: String, url: String, counters: AlertDeliveryCounters)]
    /// Time of the last evaluation (0: none yet).
    var evaluatedAt: Int64
}

final class AlertService: Sendable {
    let rulesFile: String?
    private let admin: AdminService
    private let groups: GroupService
    private let brokerName: String
    private let logger: Logger
    private let client: HTTPClient?
    /// How often a firing alert is pushed to Alertmanager again (Prometheus' resend delay).
    static let resendMillis: Int64 = 60_000

    private struct FileStamp: Equatable {
        var mtimeSeconds: Int
        var mtimeNanos: Int
        var size: Int64
        var inode: UInt64
    }

    private struct State {
        var machine = AccumulationAlerts()
        var ruleSet = AlertRuleSet()
        var stamp: FileStamp?
        var fileError: String?
        var webhook: AlertSink?
        var alertmanager: AlertSink?
        /// Alert (rule + topic) → last push to Alertmanager while firing.
        var lastPush: [String: Int64] = [:]
        var evaluatedAt: Int64 = 0
        var task: Task<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())

    init(rulesFile: String?, admin: AdminService, groups: GroupService, brokerName: String, eventLoopGroup: EventLoopGroup,
         logger: Logger) {
        self.rulesFile = rulesFile.flatMap { $0.isEmpty ? nil : $0 }
        self.admin = admin
        self.groups = groups
        self.brokerName = brokerName
        self.logger = logger
        client = self.rulesFile == nil ? nil
            : HTTPClient(eventLoopGroup: eventLoopGroup,
                         configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(10))),
                         backgroundActivityLogger: logger)
    }

    /// Loads the rules and starts evaluating (nothing when no rules file is configured).
    func start() {
        guard rulesFile != nil else { return }
        tick(now: currentMillis())
        let task = Task { [self] in
            while !Task.isCancelled {
                let seconds = state.withLock { $0.ruleSet.evaluationIntervalSeconds }
                do { try await Task.sleep(for: .seconds(seconds)) } catch { return }
                tick(now: currentMillis())
            }
        }
        state.withLock { $0.task = task }
    }

    /// Stops evaluating and delivering; the HTTP client is shut down.
    func shutdown() async {
        let (task, sinks): (Task<Void, Never>?, [AlertSink]) = state.withLock { state in
            state.stopped = true
            defer { state.task = nil }
            return (state.task, [state.webhook, state.alertmanager].compactMap { $0 })
        }
        task?.cancel()
        await task?.value
        for sink in sinks { await sink.close() }
        try? await client?.shutdown()
    }

    /// One round: reload the file if it changed, evaluate, deliver the changes.
    func tick(now: Int64) {
        let reloaded = reloadIfChanged(now: now)
        let rules = state.withLock { $0.ruleSet.rules }
        let samples = samples(for: rules, now: now)
        let models: [String: MessageModel] = groups.state.withLock { state in
            var models: [String: MessageModel] = [:]
            for group in Set(rules.map(\.group)) { models[group] = state.consumers.effectiveModel(of: group) }
            return models
        }
        let (transitions, webhook, alertmanager, repush): ([AlertTransition], AlertSink?, AlertSink?, [AlertInstance]) =
            state.withLock { state in
                guard !state.stopped else { return ([], nil, nil, []) }
                let transitions = reloaded + state.machine.evaluate(samples: samples, models: models, now: now)
                state.evaluatedAt = now
                var repush: [AlertInstance] = []
                for alert in state.machine.firing {
                    let key = alert.rule.name + "\u{0}" + alert.topic
                    if let last = state.lastPush[key], now - last < Self.resendMillis { continue }
                    state.lastPush[key] = now
                    repush.append(alert)
                }
                let firing = Set(state.machine.firing.map { $0.rule.name + "\u{0}" + $0.topic })
                state.lastPush = state.lastPush.filter { firing.contains($0.key) }
                return (transitions, state.webhook, state.alertmanager, repush)
            }
        let horizon = now + 4 * max(Self.resendMillis, state.withLock { $0.ruleSet.evaluationIntervalSeconds } * 1000)
        for t in transitions {
            switch t.kind {
            case .firing:
                logger.warning("accumulation alert firing", metadata: [
                    "rule": "\(t.rule.name)", "group": "\(t.rule.group)", "topic": "\(t.topic)", "diff": "\(t.diff)",
                    "ageSeconds": "\(t.ageSeconds)",
                ])
            case .resolved:
                logger.info("accumulation alert resolved", metadata: [
                    "rule": "\(t.rule.name)", "group": "\(t.rule.group)", "topic": "\(t.topic)", "diff": "\(t.diff)",
                ])
                alertmanager?.submit(AlertPayloads.alertmanager(rule: t.rule, topic: t.topic, diff: t.diff, ageSeconds: t.ageSeconds,
                                                                startsAt: t.startsAt, endsAt: t.endsAt ?? now, broker: brokerName))
            case let .refused(reason):
                logger.error("accumulation alert rule refused", metadata: ["rule": "\(t.rule.name)", "reason": "\(reason)"])
                continue
            }
            webhook?.submit(AlertPayloads.webhook(t, broker: brokerName))
        }
        // Firing alerts (new ones included) go to Alertmanager, and again every minute while they fire.
        for alert in repush {
            alertmanager?.submit(AlertPayloads.alertmanager(rule: alert.rule, topic: alert.topic, diff: alert.diff,
                                                            ageSeconds: alert.ageSeconds, startsAt: alert.activeSince ?? alert.since,
                                                            endsAt: horizon, broker: brokerName))
        }
    }

    /// Each rule group's unconsumed count and oldest unconsumed store time per topic.
    private func samples(for rules: [AlertRule], now: Int64) -> [AccumulationSample] {
        var samples: [AccumulationSample] = []
        var seen = Set<String>()
        var topicsByGroup: [String: Set<String>] = [:]
        for rule in rules {
            topicsByGroup[rule.group, default: []].formUnion(rule.topic.map { [$0] } ?? [])
        }
        for (group, explicit) in topicsByGroup.sorted(by: { $0.key < $1.key }) {
            var queues = admin.consumeStats(group: group, topic: nil, now: now).offsets
            for topic in explicit where !queues.keys.contains(where: { $0.topic == topic }) {
                queues.merge(admin.consumeStats(group: group, topic: topic, now: now).offsets) { a, _ in a }
            }
            var byTopic: [String: (diff: Int64, oldest: Int64?)] = [:]
            for (queue, progress) in queues {
                var entry = byTopic[queue.topic] ?? (0, nil)
                let lag = max(0, progress.lag)
                entry.diff += lag
                if lag > 0, progress.oldestUnconsumedTimestamp > 0 {
                    entry.oldest = min(entry.oldest ?? .max, progress.oldestUnconsumedTimestamp)
                }
                byTopic[queue.topic] = entry
            }
            for (topic, entry) in byTopic where seen.insert(group + "\u{0}" + topic).inserted {
                samples.append(AccumulationSample(group: group, topic: topic, diff: entry.diff, oldestUnconsumedTimestamp: entry.oldest))
            }
        }
        return samples
    }

    /// Reads the rules file when it changed; returns the transitions of replaced rules. Problems are logged once.
    private func reloadIfChanged(now: Int64) -> [AlertTransition] {
        guard let path = rulesFile else { return [] }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let problem = "cannot read the alert rules file \(path): \(String(cString: strerror(errno)))"
            reportFileProblem(problem, stamp: nil)
            return []
        }
        let stamp = FileStamp(mtimeSeconds: Int(info.st_mtim.tv_sec), mtimeNanos: Int(info.st_mtim.tv_nsec),
                              size: Int64(info.st_size), inode: UInt64(info.st_ino))
        guard state.withLock({ $0.stamp != stamp }) else { return [] }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            reportFileProblem("cannot read the alert rules file \(path): \(error.localizedDescription)", stamp: stamp)
            return []
        }
        let set: AlertRuleSet
        do { set = try AlertRulesFile.parse(text) } catch {
            reportFileProblem("invalid alert rules file \(path): \(error.description); keeping the previous rules", stamp: stamp)
            return []
        }
        let (transitions, oldSinks): ([AlertTransition], [AlertSink]) = state.withLock { state in
            state.stamp = stamp
            state.fileError = nil
            var old: [AlertSink] = []
            if state.webhook?.url != set.webhook {
                if let sink = state.webhook { old.append(sink) }
                state.webhook = set.webhook.flatMap { url in client.map { AlertSink(kind: "webhook", url: url, client: $0, logger: logger) } }
            }
            let pushURL = set.alertmanager.map { Self.alertmanagerAlertsURL($0) }
            if state.alertmanager?.url != pushURL {
                if let sink = state.alertmanager { old.append(sink) }
                state.alertmanager = pushURL.flatMap { url in
                    client.map { AlertSink(kind: "alertmanager", url: url, client: $0, logger: logger) }
                }
                state.lastPush = [:]
            }
            state.ruleSet = set
            return (state.machine.replaceRules(set.rules, now: now), old)
        }
        if !oldSinks.isEmpty { Task { for sink in oldSinks { await sink.close() } } }
        logger.info("alert rules loaded", metadata: [
            "file": "\(path)", "rules": "\(set.rules.count)", "evaluationIntervalSeconds": "\(set.evaluationIntervalSeconds)",
            "webhook": "\(set.webhook ?? "-")", "alertmanager": "\(set.alertmanager ?? "-")",
        ])
        return transitions
    }

    private func reportFileProblem(_ problem: String, stamp: FileStamp?) {
        let isNew: Bool = state.withLock { state in
            if let stamp { state.stamp = stamp }
            guard state.fileError != problem else { return false }
            state.fileError = problem
            return true
        }
        if isNew { logger.error("\(problem)") }
    }

    /// `http://am:9093` or `http://am:9093/` → `http://am:9093/api/v2/alerts`.
    static func alertmanagerAlertsURL(_ base: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/api/v2/alerts") ? base : base + "/api/v2/alerts"
    }

    func snapshot() -> AlertSnapshot {
        state.withLock { state in
            AlertSnapshot(
                rulesFile: rulesFile, fileError: state.fileError, evaluationIntervalSeconds: state.ruleSet.evaluationIntervalSeconds,
                webhook: state.ruleSet.webhook, alertmanager: state.ruleSet.alertmanager, rules: state.machine.status,
                delivery: [state.webhook, state.alertmanager].compactMap { $0 }.map { ($0.kind, $0.url, $0.counters) },
                evaluatedAt: state.evaluatedAt)
        }
    }

    /// For the metrics endpoint: `apus_alert_firing{rule,group,topic}` — 1 while an alert fires, 0 while it is inactive
    /// or pending; one series per rule and topic evaluated.
    func firingGauges() -> [(labels: [(String, String)], value: Double)] {
        state.withLock { state in
            state.machine.alerts.map { alert in
                ([("rule", alert.rule.name), ("group", alert.rule.group), ("topic", alert.topic)], alert.state == .firing ? 1 : 0)
            }
        }
    }
}
