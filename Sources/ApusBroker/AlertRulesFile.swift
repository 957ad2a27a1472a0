// AlertRulesFile: the YAML rules file named by `alertRulesFile` (README "Accumulation alerting") → AlertRuleSet.
//
//   webhook: http://hooks.example/apus          # optional: Alertmanager-webhook-format POSTs on every change
//   alertmanager: http://127.0.0.1:9093         # optional: pushed through /api/v2/alerts
//   evaluationIntervalSeconds: 15               # optional, default 15
//   rules:
//     - name: orders-lag
//       group: GID_orders
//       topic: orders                           # optional: without it, every topic of the group
//       maxDiff: 1000                           # messages; and/or
//       maxAgeSeconds: 300                      # age of the oldest unconsumed message
//       forSeconds: 60                          # optional, default 0

import ApusGroups
import Yams

enum AlertRulesFile {
    private struct File: Decodable {
        var webhook: String?
        var alertmanager: String?
        var evaluationIntervalSeconds: Int64?
        var rules: [Rule]?
    }

    private struct Rule: Decodable {
        var name: String
        var group: String
        var topic: String?
        var maxDiff: Int64?
        var maxAgeSeconds: Int64?
        var forSeconds: Int64?
    }

    /// Parses and validates; the error is one line naming the problem.
    static func parse(_ text: String) throws(AlertRuleSet.Invalid) -> AlertRuleSet {
        let file: File
        if text.allSatisfy(\.isWhitespace) {
            file = File()
        } else {
            do { file = try YAMLDecoder().decode(File.self, from: text) } catch {
                throw AlertRuleSet.Invalid(describe(error))
            }
            try checkKeys(text)
        }
        let set = AlertRuleSet(
            webhook: file.webhook.flatMap { $0.isEmpty ? nil : $0 }, alertmanager: file.alertmanager.flatMap { $0.isEmpty ? nil : $0 },
            evaluationIntervalSeconds: file.evaluationIntervalSeconds ?? AlertRuleSet.defaultEvaluationIntervalSeconds,
            rules: (file.rules ?? []).map {
                AlertRule(name: $0.name, group: $0.group, topic: $0.topic, maxDiff: $0.maxDiff, maxAgeSeconds: $0.maxAgeSeconds,
                          forSeconds: $0.forSeconds ?? 0)
            })
        try set.validate()
        return set
    }

    static let fileKeys: Set<String> = ["webhook", "alertmanager", "evaluationIntervalSeconds", "rules"]
    static let ruleKeys: Set<String> = ["name", "group", "topic", "maxDiff", "maxAgeSeconds", "forSeconds"]

    /// A misspelt key (`maxdiff`, `for`) would silently change a rule's meaning: every key must be known.
    private static func checkKeys(_ text: String) throws(AlertRuleSet.Invalid) {
        guard let root = try? Yams.compose(yaml: text), let top = root.mapping else { return }
        for key in top.keys.compactMap(\.string) where !fileKeys.contains(key) {
            throw AlertRuleSet.Invalid("unknown key '\(key)' (known: \(fileKeys.sorted().joined(separator: ", ")))")
        }
        for (index, rule) in (top["rules"]?.sequence.map(Array.init) ?? []).enumerated() {
            for key in rule.mapping?.keys.compactMap(\.string) ?? [] where !ruleKeys.contains(key) {
                throw AlertRuleSet.Invalid("rules[\(index)]: unknown key '\(key)' (known: \(ruleKeys.sorted().joined(separator: ", ")))")
            }
        }
    }

    /// Decoding errors as one line: what is wrong and where (`rules[1].maxDiff`).
    private static func describe(_ error: Error) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case let DecodingError.keyNotFound(key, context):
            let at = path(context.codingPath)
            return "missing '\(key.stringValue)'" + (at.isEmpty ? "" : " in \(at)")
        case let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context):
            return "\(path(context.codingPath)): expected \(type == String.self ? "a string" : type == Int64.self ? "an integer" : "\(type)")"
        case let DecodingError.dataCorrupted(context):
            let at = path(context.codingPath)
            // Yams' own error: `line:column: error: parser: … problem:` then a snippet of the file (left out).
            let detail = context.underlyingError.map { error -> String in
                var text = Substring("\(error)")
                if let snippet = text.range(of: ":\n", options: .backwards) { text = text[..<snippet.lowerBound] }
                return text.split(whereSeparator: \.isNewline).joined(separator: " ")
            }
            return (at.isEmpty ? "" : at + ": ") + (detail.flatMap { $0.isEmpty ? nil : $0 } ?? context.debugDescription)
        default:
            return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }
}
