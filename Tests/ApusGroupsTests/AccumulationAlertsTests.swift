// AccumulationAlerts: fires only after forSeconds, resolves, per-topic alerts, rule reload keeps the state of unchanged
// rules, broadcasting groups refused, file validation.

import ApusGroups
import Testing

private let t0: Int64 = 1_800_000_000_000

private func sample(_ diff: Int64, topic: String = "T", group: String = "G", oldest: Int64? = nil) -> AccumulationSample {
    AccumulationSample(group: group, topic: topic, diff: diff, oldestUnconsumedTimestamp: oldest)
}

@Test func firesOnlyAfterForSecondsThenResolves() {
    var alerts = AccumulationAlerts()
    let rule = AlertRule(name: "lag", group: "G", topic: "T", maxDiff: 5, forSeconds: 30)
    #expect(alerts.replaceRules([rule], now: t0).isEmpty)
    #expect(alerts.evaluate(samples: [sample(3)], models: [:], now: t0).isEmpty)
    #expect(alerts.status[0].alerts.map(\.state) == [.inactive])
    // Over the threshold: pending, not yet firing.
    #expect(alerts.evaluate(samples: [sample(10)], models: [:], now: t0 + 1_000).isEmpty)
    #expect(alerts.status[0].alerts.first?.state == .pending)
    #expect(alerts.evaluate(samples: [sample(10)], models: [:], now: t0 + 30_999).isEmpty)
    // Held for 30 s: fires, starting when the condition began.
    let fired = alerts.evaluate(samples: [sample(12)], models: [:], now: t0 + 31_000)
    #expect(fired == [AlertTransition(kind: .firing, rule: rule, topic: "T", diff: 12, ageSeconds: 0, startsAt: t0 + 1_000, endsAt: nil)])
    #expect(alerts.firing.map(\.topic) == ["T"] && alerts.firing.first?.since == t0 + 31_000)
    // Still over: no new transition.
    #expect(alerts.evaluate(samples: [sample(20)], models: [:], now: t0 + 40_000).isEmpty)
    // Drained: resolved once.
    let resolved = alerts.evaluate(samples: [sample(0)], models: [:], now: t0 + 50_000)
    #expect(resolved.map(\.kind) == [.resolved] && resolved.first?.endsAt == t0 + 50_000 && resolved.first?.startsAt == t0 + 1_000)
    #expect(alerts.evaluate(samples: [sample(0)], models: [:], now: t0 + 60_000).isEmpty)
    #expect(alerts.status[0].alerts.first?.state == .inactive && alerts.status[0].alerts.first?.since == t0 + 50_000)
}

@Test func pendingThatClearsNeverFires() {
    var alerts = AccumulationAlerts()
    _ = alerts.replaceRules([AlertRule(name: "lag", group: "G", maxDiff: 5, forSeconds: 10)], now: t0)
    #expect(alerts.evaluate(samples: [sample(9)], models: [:], now: t0).isEmpty)
    #expect(alerts.evaluate(samples: [sample(1)], models: [:], now: t0 + 5_000).isEmpty)
    // The condition starts over: 10 s from its new start.
    #expect(alerts.evaluate(samples: [sample(9)], models: [:], now: t0 + 6_000).isEmpty)
    #expect(alerts.evaluate(samples: [sample(9)], models: [:], now: t0 + 15_000).isEmpty)
    #expect(alerts.evaluate(samples: [sample(9)], models: [:], now: t0 + 16_000).map(\.kind) == [.firing])
}

@Test func ageThresholdAndForZeroFireAtOnce() {
    var alerts = AccumulationAlerts()
    _ = alerts.replaceRules([AlertRule(name: "old", group: "G", maxAgeSeconds: 60)], now: t0)
    #expect(alerts.evaluate(samples: [sample(1, oldest: t0 - 60_000)], models: [:], now: t0).isEmpty, "60 s is not more than 60 s")
    let fired = alerts.evaluate(samples: [sample(1, oldest: t0 - 60_000)], models: [:], now: t0 + 1_000)
    #expect(fired.map(\.kind) == [.firing] && fired.first?.ageSeconds == 61)
    // Nothing unconsumed: no age, resolved.
    #expect(alerts.evaluate(samples: [sample(0, oldest: t0 - 60_000)], models: [:], now: t0 + 2_000).map(\.kind) == [.resolved])
}

@Test func ruleWithoutTopicAlertsPerTopicAndOnlyItsGroup() {
    var alerts = AccumulationAlerts()
    _ = alerts.replaceRules([AlertRule(name: "any", group: "G", maxDiff: 0)], now: t0)
    let fired = alerts.evaluate(samples: [sample(1, topic: "A"), sample(0, topic: "B"), sample(5, topic: "A", group: "Other")],
                                models: [:], now: t0)
    #expect(fired.map(\.topic) == ["A"] && fired.map(\.kind) == [.firing])
    #expect(alerts.status[0].alerts.map(\.topic) == ["A", "B"])
    // A topic that is no longer reported counts as drained.
    #expect(alerts.evaluate(samples: [sample(0, topic: "B")], models: [:], now: t0 + 1_000).map { "\($0.kind) \($0.topic)" }
        == ["resolved A"])
}

@Test func reloadKeepsUnchangedRulesAndResolvesChangedOrRemovedOnes() {
    var alerts = AccumulationAlerts()
    let keep = AlertRule(name: "keep", group: "G", topic: "T", maxDiff: 5, forSeconds: 60)
    let change = AlertRule(name: "change", group: "G", topic: "T", maxDiff: 5)
    let remove = AlertRule(name: "remove", group: "G", topic: "T", maxDiff: 5)
    _ = alerts.replaceRules([keep, change, remove], now: t0)
    #expect(alerts.evaluate(samples: [sample(10)], models: [:], now: t0).map(\.rule.name) == ["change", "remove"])
    #expect(alerts.status.first { $0.rule.name == "keep" }?.alerts.first?.state == .pending)

    var changed = change
    changed.maxDiff = 50
    let transitions = alerts.replaceRules([keep, changed], now: t0 + 10_000)
    #expect(transitions.map { "\($0.kind) \($0.rule.name)" } == ["resolved change", "resolved remove"])
    #expect(alerts.status.map(\.rule.name) == ["keep", "change"])
    // `keep` kept its pending start: fires 60 s after t0, not 60 s after the reload.
    #expect(alerts.evaluate(samples: [sample(10)], models: [:], now: t0 + 60_000).map(\.rule.name) == ["keep"])
    #expect(alerts.status.first { $0.rule.name == "keep" }?.loadedAt == t0)
    #expect(alerts.status.first { $0.rule.name == "change" }?.loadedAt == t0 + 10_000)
    #expect(alerts.firing.map(\.rule.name) == ["keep"])
}

@Test func broadcastingGroupIsRefusedUntilSeenClustering() {
    var alerts = AccumulationAlerts()
    let rule = AlertRule(name: "b", group: "G", topic: "T", maxDiff: 5)
    _ = alerts.replaceRules([rule], now: t0)
    #expect(alerts.evaluate(samples: [sample(10)], models: [:], now: t0).map(\.kind) == [.firing])
    let refused = alerts.evaluate(samples: [sample(10)], models: ["G": .broadcasting], now: t0 + 1_000)
    #expect(refused.map(\.kind) == [.resolved, .refused(AccumulationAlerts.broadcastingRefusal(group: "G"))])
    #expect(alerts.status[0].refusal?.contains("BROADCASTING") == true && alerts.status[0].alerts.isEmpty)
    // Refused once; the group going offline does not lift it.
    #expect(alerts.evaluate(samples: [sample(10)], models: ["G": .broadcasting], now: t0 + 2_000).isEmpty)
    #expect(alerts.evaluate(samples: [sample(10)], models: [:], now: t0 + 3_000).isEmpty)
    #expect(alerts.status[0].refusal != nil)
    // Clustering members again: evaluated.
    #expect(alerts.evaluate(samples: [sample(10)], models: ["G": .clustering], now: t0 + 4_000).map(\.kind) == [.firing])
    #expect(alerts.status[0].refusal == nil)
}

@Test func validationNamesTheProblem() {
    func problem(_ set: AlertRuleSet) -> String? {
        do { try set.validate(); return nil } catch { return error.description }
    }
    #expect(problem(AlertRuleSet(rules: [AlertRule(name: "a", group: "G", maxDiff: 1)])) == nil)
    #expect(problem(AlertRuleSet(rules: [AlertRule(name: "a", group: "G")]))?.contains("maxDiff and/or maxAgeSeconds") == true)
    #expect(problem(AlertRuleSet(rules: [AlertRule(name: "a", group: "G", maxDiff: 1), AlertRule(name: "a", group: "H", maxDiff: 1)]))?
        .contains("used twice") == true)
    #expect(problem(AlertRuleSet(rules: [AlertRule(name: "", group: "G", maxDiff: 1)])) == "rule #1: 'name' is empty")
    #expect(problem(AlertRuleSet(evaluationIntervalSeconds: 0))?.contains("evaluationIntervalSeconds") == true)
    #expect(problem(AlertRuleSet(webhook: "ftp://x")) == "'ftp://x' is not an http:// or https:// URL")
    #expect(problem(AlertRuleSet(rules: [AlertRule(name: "a", group: "G", maxDiff: -1)]))?.contains("negative") == true)
}
