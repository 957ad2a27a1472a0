// apus admin: brokerStatus, getBrokerConfig, updateBrokerConfig, statsAll (admin.md §8, §11).

import ApusRemoting
import ArgumentParser
import Foundation
import NIOCore

struct AdminBrokerStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brokerStatus", abstract: "Print a broker's runtime information (28).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker address (default: every broker of the only cluster).", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name: every broker of it.", valueName: "clusterName"))
    var clusterName: String?

    func run() async throws {
        try await options.run("BrokerStatusSubCommand") { session in
            let addresses = try await session.targetAddresses(broker: brokerAddr, cluster: clusterName)
            var tables: [(String, [String: String])] = []
            for address in addresses { tables.append((address, try await runtimeInfo(session, address))) }
            if session.json {
                session.emit(.object(tables.map { address, table in
                    (address, .object(table.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
                }))
                return
            }
            let prefixed = clusterName != nil || tables.count > 1
            for (address, table) in tables {
                for (key, value) in table.sorted(by: { $0.key < $1.key }) {
                    print((prefixed ? left(address, 24) + " " : "") + left(key, 32) + ": " + value)
                }
            }
        }
    }
}

struct AdminGetBrokerConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getBrokerConfig", abstract: "Print a broker's configuration (26).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker address (default: every broker of the only cluster).", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name: every broker of it.", valueName: "clusterName"))
    var clusterName: String?

    func run() async throws {
        try await options.run("GetBrokerConfigCommand") { session in
            var configs: [(String, [(String, String)])] = []
            for address in try await session.targetAddresses(broker: brokerAddr, cluster: clusterName) {
                let response = try await session.invoke(address, .getBrokerConfig)
                configs.append((address, parseProperties(response.body.map { String(buffer: $0) } ?? "")))
            }
            if session.json {
                session.emit(.object(configs.map { address, pairs in
                    (address, .object(pairs.sorted { $0.0 < $1.0 }.map { ($0.0, .string($0.1)) }))
                }))
                return
            }
            for (address, pairs) in configs {
                print(brokerAddr != nil ? "============\(address)============" : "============Master: \(address)============")
                for (key, value) in pairs.sorted(by: { $0.0 < $1.0 }) { print(left(key, 50) + "=  " + value) }
                print("")
            }
        }
    }
}

struct AdminUpdateBrokerConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "updateBrokerConfig", abstract: "Change one broker setting (25 per master).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("k"), help: ArgumentHelp("Configuration key.", valueName: "key"))
    var key: String
    @Option(name: .customShort("v"), help: ArgumentHelp("New value.", valueName: "value"))
    var value: String
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker address (default: every master of the only cluster).", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name: every master of it.", valueName: "clusterName"))
    var clusterName: String?

    func run() async throws {
        try await options.run("UpdateBrokerConfigSubCommand") { session in
            var done: [String] = []
            for target in try await session.targetMasters(broker: brokerAddr, cluster: clusterName) {
                _ = try await session.invoke(target.address, .updateBrokerConfig, body: ByteBuffer(string: "\(key)=\(value)\n"))
                done.append(target.address)
                if !session.json { print("update broker config success, \(target.address)") }
            }
            if session.json {
                session.emit(.object([("key", .string(key)), ("value", .string(value)), ("brokers", .array(done.map { .string($0) }))]))
            }
        }
    }
}

struct AdminStatsAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statsAll", abstract: "Per topic and group: accumulation, TPS and 24-hour counts (206, 105, 300, 315, 208).")

    @OptionGroup var options: AdminOptions
    @Flag(name: .customShort("a"), help: "Only topics with traffic in the last 24 hours.")
    var activeOnly = false
    @Option(name: .customShort("t"), help: ArgumentHelp("Only this topic.", valueName: "topic"))
    var topic: String?

    struct Row {
        var topic: String
        var group: String?
        var accumulation: Int64
        var inTPS: Double
        var outTPS: Double
        var inMsg24Hour: Int64
        var outMsg24Hour: Int64
    }

    func run() async throws {
        try await options.run("StatsAllSubCommand") { session in
            let topics: [String]
            if let topic { topics = [topic] } else {
                topics = try AdminSession.json(await session.invokeNameServer(.getAllTopicListFromNameserver))["topicList"]?
                    .arrayValue?.compactMap(\.stringValue).sorted() ?? []
            }
            var rows: [Row] = []
            for topic in topics where !topic.hasPrefix("%RETRY%") && !topic.hasPrefix("%DLQ%") {
                guard let route = try? await session.route(topic) else { continue }
                let brokers = AdminSession.brokerAddresses(route)
                var inTPS = 0.0, inMsg: Int64 = 0
                for broker in brokers {
                    let stats = await brokerStats(session, broker.address, "TOPIC_PUT_NUMS", topic)
                    inTPS += stats.tps
                    inMsg += stats.sum24h
                }
                var groups: [String] = []
                if let first = brokers.first,
                   let response = try? await session.invoke(first.address, .queryTopicConsumeByWho, ["topic": topic]),
                   let json = try? AdminSession.json(response) {
                    groups = json["groupList"]?.arrayValue?.compactMap(\.stringValue).sorted() ?? []
                }
                if groups.isEmpty {
                    rows.append(Row(topic: topic, group: nil, accumulation: 0, inTPS: inTPS, outTPS: 0, inMsg24Hour: inMsg, outMsg24Hour: 0))
                }
                for group in groups {
                    var outTPS = 0.0, outMsg: Int64 = 0
                    for broker in brokers {
                        let stats = await brokerStats(session, broker.address, "GROUP_GET_NUMS", "\(topic)@\(group)")
                        outTPS += stats.tps
                        outMsg += stats.sum24h
                    }
                    var accumulation: Int64 = 0
                    if let stats = try? await consumeStats(session, group: group, topic: topic) {
                        accumulation = max(0, stats.rows.reduce(0) { $0 + $1.brokerOffset - $1.consumerOffset })
                    }
                    rows.append(Row(topic: topic, group: group, accumulation: accumulation, inTPS: inTPS, outTPS: outTPS,
                                    inMsg24Hour: inMsg, outMsg24Hour: outMsg))
                }
            }
            if activeOnly { rows.removeAll { $0.inMsg24Hour == 0 && $0.outMsg24Hour == 0 } }
            if session.json {
                session.emit(.object([("stats", .array(rows.map { row in
                    .object([("topic", .string(row.topic)), ("consumerGroup", row.group.map { .string($0) } ?? .null),
                             ("accumulation", .int(row.accumulation)), ("inTPS", .double(row.inTPS)), ("outTPS", .double(row.outTPS)),
                             ("inMsg24Hour", .int(row.inMsg24Hour)), ("outMsg24Hour", .int(row.outMsg24Hour))])
                }))]))
                return
            }
            print(left("#Topic", 64) + "  " + left("#Consumer Group", 64) + " " + right("#Accumulation", 12) + " " + right("#InTPS", 11)
                + " " + right("#OutTPS", 11) + " " + right("#InMsg24Hour", 14) + " " + right("#OutMsg24Hour", 14))
            for row in rows {
                let head = left(row.topic, 64) + "  " + left(row.group ?? "", 64) + " " + right(String(row.accumulation), 12) + " "
                    + right(fixed(row.inTPS, "%.2f"), 11) + " "
                if row.group == nil {
                    print(head + right("", 11) + " " + right(String(row.inMsg24Hour), 14) + " " + right("NO_CONSUMER", 14))
                } else {
                    print(head + right(fixed(row.outTPS, "%.2f"), 11) + " " + right(String(row.inMsg24Hour), 14) + " "
                        + right(String(row.outMsg24Hour), 14))
                }
            }
        }
    }

    /// VIEW_BROKER_STATS_DATA (315): minute TPS and the 24-hour count (day sum, else hour, else minute); 0 when absent.
    private func brokerStats(_ session: AdminSession, _ address: String, _ name: String, _ key: String) async -> (tps: Double, sum24h: Int64) {
        guard let response = try? await session.invoke(address, .viewBrokerStatsData, ["statsName": name, "statsKey": key]),
              let json = try? AdminSession.json(response) else { return (0, 0) }
        let tps = json["statsMinute"]?["tps"]?.double ?? 0
        let sums = ["statsDay", "statsHour", "statsMinute"].map { json[$0]?["sum"]?.int ?? 0 }
        return (tps, sums.first { $0 != 0 } ?? 0)
    }
}
