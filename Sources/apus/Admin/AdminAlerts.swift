// apus admin: alertList — the broker's accumulation alert rules with their state (inactive, pending, firing, refused),
// since when, and the current unconsumed count and age, over Apus's own request code APUS_GET_ALERT_STATE (9001).

import ApusRemoting
import ArgumentParser
import Foundation
import NIOCore

struct AdminAlertList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alertList",
        abstract: "List accumulation alert rules with their state and since when (Apus code 9001).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker address (default: every broker of the only cluster).", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name: every broker of it.", valueName: "clusterName"))
    var clusterName: String?

    func run() async throws {
        try await options.run("AlertListCommand") { session in
            var states: [(String, JSONValue)] = []
            for address in try await session.targetAddresses(broker: brokerAddr, cluster: clusterName) {
                let response = try await session.invoke(address, .apusGetAlertState)
                states.append((address, try AdminSession.json(response)))
            }
            if session.json {
                session.emit(.object(states))
                return
            }
            let prefixed = clusterName != nil || states.count > 1
            print((prefixed ? left("#Broker", 24) + " " : "") + left("#Rule", 24) + left("#Group", 32) + left("#Topic", 32)
                + left("#State", 10) + left("#Since", 25) + right("#Diff", 10) + right("#Age(s)", 9))
            var notes: [String] = []
            for (address, state) in states {
                let at = prefixed ? " (\(address))" : ""
                if state["rulesFile"]?.stringValue == nil {
                    notes.append("no alert rules file configured\(at): set alertRulesFile in the broker config")
                }
                if let problem = state["fileError"]?.stringValue { notes.append(problem + at) }
                for rule in state["rules"]?.arrayValue ?? [] {
                    let name = rule["name"]?.stringValue ?? "", group = rule["group"]?.stringValue ?? ""
                    let row = { (topic: String, stateName: String, since: Int64, diff: String, age: String) in
                        print((prefixed ? left(address, 24) + " " : "") + left(name, 24) + left(group, 32) + left(topic, 32)
                            + left(stateName, 10) + left(since > 0 ? formatTime(since, "yyyy-MM-dd HH:mm:ss") : "-", 25)
                            + right(diff, 10) + right(age, 9))
                    }
                    let alerts = rule["alerts"]?.arrayValue ?? []
                    if let refusal = rule["refusal"]?.stringValue {
                        row(rule["topic"]?.stringValue ?? "*", "refused", rule["loadedAt"]?.int ?? 0, "-", "-")
                        notes.append("rule \(name) refused: \(refusal)")
                    } else if alerts.isEmpty {
                        row(rule["topic"]?.stringValue ?? "*", "inactive", rule["loadedAt"]?.int ?? 0, "-", "-")
                    }
                    for alert in alerts {
                        row(alert["topic"]?.stringValue ?? "", alert["state"]?.stringValue ?? "", alert["since"]?.int ?? 0,
                            String(alert["diff"]?.int ?? 0), String(alert["ageSeconds"]?.int ?? 0))
                    }
                }
                for delivery in state["delivery"]?.arrayValue ?? [] where (delivery["failed"]?.int ?? 0) + (delivery["dropped"]?.int ?? 0) > 0 {
                    notes.append("\(delivery["kind"]?.stringValue ?? "") \(delivery["url"]?.stringValue ?? ""): "
                        + "\(delivery["failed"]?.int ?? 0) failed, \(delivery["dropped"]?.int ?? 0) dropped\(at)")
                }
            }
            notes.forEach { print("# " + $0) }
        }
    }
}
