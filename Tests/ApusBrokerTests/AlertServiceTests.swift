// AlertService driven directly (no sockets, explicit clock): rules from the YAML file, lag and age from the store,
// reload on change, an invalid file keeps the previous rules, a broadcasting group's rule refused; the rules-file
// parser's errors; the Alertmanager payload shapes.

@testable import ApusBroker
import ApusGroups
import ApusMessage
import ApusRemoting
import Foundation
import Testing

private let t0: Int64 = 1_800_000_000_000

private func withAlerts(_ yaml: String, _ body: (ServiceHarness, String) async throws -> Void) async throws {
    let file = NSTemporaryDirectory() + "apus-alert-rules-\(UUID().uuidString).yaml"
    try yaml.write(toFile: file, atomically: true, encoding: .utf8)
    let h = try ServiceHarness { $0.alertRulesFile = file }
    do { try await body(h, file) } catch {
        await h.broker.alerts.shutdown()
        h.stop()
        try? FileManager.default.removeItem(atPath: file)
        throw error
    }
    await h.broker.alerts.shutdown()
    h.stop()
    try? FileManager.default.removeItem(atPath: file)
}

@Test func firesOnLagWithAgeAndResolvesWhenConsumed() async throws {
    try await withAlerts("""
        evaluationIntervalSeconds: 1
        rules:
          - name: lag
            group: GA
            topic: TA
            maxDiff: 2
        """) { h, _ in
        let alerts = h.broker.alerts
        alerts.tick(now: t0)
        #expect(alerts.snapshot().rules.map(\.rule) == [AlertRule(name: "lag", group: "GA", topic: "TA", maxDiff: 2)])
        for i in 0..<3 { try h.send(topic: "TA", body: "m\(i)", now: t0, queueNums: 1) }
        try h.broker.offsets.commit(group: "GA", topic: "TA", queueId: 0, offset: 0, connection: nil)
        let stored = h.messages(topic: "TA")
        let now = stored[0].storeTimestamp + 5_000
        alerts.tick(now: now)
        let alert = try #require(alerts.snapshot().rules.first?.alerts.first)
        #expect(alert.state == .firing && alert.diff == 3 && alert.ageSeconds == 5 && alert.topic == "TA")
        #expect(alerts.firingGauges().map { "\($0.labels) \($0.value)" }
            == [#"[("rule", "lag"), ("group", "GA"), ("topic", "TA")] 1.0"#])
        // The oldest unconsumed message is also in consume stats.
        let progress = h.broker.admin.consumeStats(group: "GA", topic: "TA", now: now).offsets.values.first
        #expect(progress?.oldestUnconsumedTimestamp == stored[0].storeTimestamp)

        try h.broker.offsets.commit(group: "GA", topic: "TA", queueId: 0, offset: 2, connection: nil)
        alerts.tick(now: now + 1_000)
        #expect(alerts.snapshot().rules.first?.alerts.first?.state == .inactive, "1 left is not more than 2")
        #expect(alerts.firingGauges().map(\.value) == [0])
    }
}

@Test func reloadsOnChangeAndKeepsPreviousRulesWhenInvalid() async throws {
    try await withAlerts("rules:\n  - {name: a, group: G1, maxDiff: 1}\n") { h, file in
        let alerts = h.broker.alerts
        alerts.tick(now: t0)
        #expect(alerts.snapshot().rules.map(\.rule.name) == ["a"])
        try "rules:\n  - {name: b, group: G1, maxAgeSeconds: 10, forSeconds: 5}\nwebhook: http://127.0.0.1:1/hook\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        alerts.tick(now: t0 + 1_000)
        let reloaded = alerts.snapshot()
        #expect(reloaded.rules.map(\.rule) == [AlertRule(name: "b", group: "G1", maxAgeSeconds: 10, forSeconds: 5)])
        #expect(reloaded.webhook == "http://127.0.0.1:1/hook" && reloaded.fileError == nil)

        try "rules:\n  - {name: c, group: G1}\n".write(toFile: file, atomically: true, encoding: .utf8)
        alerts.tick(now: t0 + 2_000)
        let invalid = alerts.snapshot()
        #expect(invalid.rules.map(\.rule.name) == ["b"], "previous rules kept")
        #expect(invalid.fileError?.contains("rule 'c': give maxDiff and/or maxAgeSeconds") == true)

        try "rules: [".write(toFile: file, atomically: true, encoding: .utf8)
        alerts.tick(now: t0 + 3_000)
        #expect(alerts.snapshot().rules.map(\.rule.name) == ["b"])
        #expect(alerts.snapshot().fileError?.hasPrefix("invalid alert rules file") == true)
    }
}

@Test func ruleOnBroadcastingGroupIsRefused() async throws {
    try await withAlerts("rules:\n  - {name: bc, group: GB, topic: TB, maxDiff: 0}\n") { h, _ in
        try h.broker.groups.heartbeat([ConsumerHeartbeat(group: "GB", clientId: "c1", messageModel: .broadcasting, subscriptions: [])],
                                      connection: 1, now: t0)
        try h.send(topic: "TB", now: t0, queueNums: 1)
        h.broker.alerts.tick(now: t0)
        let rule = try #require(h.broker.alerts.snapshot().rules.first)
        #expect(rule.refusal?.contains("BROADCASTING") == true && rule.alerts.isEmpty)
        let body = String(buffer: AlertStateProcessor.encode(h.broker.alerts.snapshot()))
        #expect(body.contains(#""refusal":"group GB consumes in BROADCASTING mode"#))
    }
}

@Test func rulesFileErrorsNameThePlace() {
    func problem(_ yaml: String) -> String? {
        do { _ = try AlertRulesFile.parse(yaml); return nil } catch { return error.description }
    }
    #expect(problem("") == nil)
    #expect(problem("rules:\n  - {name: a, group: G, maxDiff: many}\n") == "rules[0].maxDiff: expected an integer")
    #expect(problem("rules:\n  - {name: a, maxDiff: 1}\n") == "missing 'group' in rules[0]")
    #expect(problem("rules:\n  - {name: a, group: G, maxdiff: 1}\n")
        == "rules[0]: unknown key 'maxdiff' (known: forSeconds, group, maxAgeSeconds, maxDiff, name, topic)")
    let syntax = problem("rules: [")
    #expect(syntax?.hasPrefix("2:1: error: parser: while parsing a flow node") == true, "\(syntax ?? "")")
    #expect(problem("webhooks: http://x\n")?.hasPrefix("unknown key 'webhooks'") == true)
    let set = try? AlertRulesFile.parse("alertmanager: http://am:9093/\nrules:\n  - {name: a, group: G, maxDiff: 1}\n")
    #expect(set?.evaluationIntervalSeconds == 15 && set?.rules.first?.forSeconds == 0)
    #expect(AlertService.alertmanagerAlertsURL("http://am:9093/") == "http://am:9093/api/v2/alerts")
}

@Test func payloadsHaveAlertmanagerShapes() throws {
    let rule = AlertRule(name: "lag", group: "G", topic: "T", maxDiff: 5)
    let firing = AlertTransition(kind: .firing, rule: rule, topic: "T", diff: 10, ageSeconds: 7, startsAt: t0, endsAt: nil)
    let hook = try JSONParser.parse(AlertPayloads.webhook(firing, broker: "broker-a"))
    #expect(hook["version"]?.stringValue == "4" && hook["status"]?.stringValue == "firing")
    let alert = try #require(hook["alerts"]?.arrayValue?.first)
    #expect(alert["labels"]?["alertname"]?.stringValue == "lag" && alert["labels"]?["topic"]?.stringValue == "T"
        && alert["labels"]?["group"]?.stringValue == "G")
    #expect(alert["annotations"]?["diff"]?.stringValue == "10" && alert["annotations"]?["ageSeconds"]?.stringValue == "7")
    #expect(alert["startsAt"]?.stringValue == "2027-01-15T08:00:00.000Z" && alert["endsAt"]?.stringValue == "0001-01-01T00:00:00Z")
    #expect(alert["fingerprint"]?.stringValue?.count == 16)
    let push = try JSONParser.parse(AlertPayloads.alertmanager(rule: rule, topic: "T", diff: 0, ageSeconds: 0, startsAt: t0,
                                                               endsAt: t0 + 61_005, broker: "broker-a"))
    #expect(push.arrayValue?.first?["endsAt"]?.stringValue == "2027-01-15T08:01:01.005Z")
}
