// apus admin: clusterList, topicList, topicRoute, topicStatus, updateTopic, deleteTopic (admin.md §3, §4, §8.1, §11).

import ApusMessage
import ApusRemoting
import ArgumentParser
import Foundation
import NIOCore

struct AdminClusterList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusterList", abstract: "List the brokers of every cluster with their load (106, then 28 per broker).")

    @OptionGroup var options: AdminOptions
    @Flag(name: .customShort("m"), help: "Print message totals (yesterday, today) instead of TPS.")
    var moreStats = false
    @Option(name: .customShort("i"), help: ArgumentHelp("Repeat every N seconds.", valueName: "interval"))
    var interval: Int?

    func run() async throws {
        try await options.run("ClusterListSubCommand") { session in
            while true {
                try await printOnce(session)
                guard let interval, interval > 0 else { return }
                try await Task.sleep(for: .seconds(interval))
            }
        }
    }

    private func printOnce(_ session: AdminSession) async throws {
        let info = try await session.clusterInfo()
        var rows: [(cluster: String, broker: String, id: Int64, address: String, table: [String: String]?)] = []
        for cluster in info.clusters.keys.sorted() {
            for (broker, id, address) in info.addresses(cluster: cluster, mastersOnly: false) {
                // A broker that cannot answer 28 is still listed, with empty statistics.
                let table = try? await runtimeInfo(session, address)
                rows.append((cluster, broker, id, address, table))
            }
        }
        if session.json {
            session.emit(.object([("brokers", .array(rows.map { row in
                .object([("cluster", .string(row.cluster)), ("brokerName", .string(row.broker)), ("brokerId", .int(row.id)),
                         ("addr", .string(row.address)),
                         ("runtime", row.table.map { table in .object(table.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }) } ?? .null)])
            }))]))
            return
        }
        if moreStats {
            print(left("#Cluster Name", 16) + "  " + left("#Broker Name", 32) + " " + right("#InTotalYest", 14) + " "
                + right("#OutTotalYest", 14) + " " + right("#InTotalToday", 14) + " " + right("#OutTotalToday", 14))
            for row in rows where row.id == 0 {
                let t = row.table ?? [:]
                func n(_ key: String) -> Int64 { Int64(t[key] ?? "") ?? 0 }
                let values = [n("msgPutTotalTodayMorning") - n("msgPutTotalYesterdayMorning"),
                              n("msgGetTotalTodayMorning") - n("msgGetTotalYesterdayMorning"),
                              n("msgPutTotalTodayNow") - n("msgPutTotalTodayMorning"),
                              n("msgGetTotalTodayNow") - n("msgGetTotalTodayMorning")]
                print(left(row.cluster, 16) + "  " + left(row.broker, 32) + values.map { " " + right(String($0), 14) }.joined())
            }
            return
        }
        func line(_ c: [String]) -> String {
            left(c[0], 16) + "  " + left(c[1], 22) + "  " + left(c[2], 4) + "  " + left(c[3], 22) + " " + left(c[4], 16) + " "
                + right(c[5], 19) + " " + right(c[6], 19) + " " + right(c[7], 10) + " " + right(c[8], 5) + " " + right(c[9], 6)
        }
        print(line(["#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)",
                    "#PCWait(ms)", "#Hour", "#SPACE"]))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for row in rows {
            guard let t = row.table else {
                print(line([row.cluster, row.broker, String(row.id), row.address, "", "", "", "", "", ""]))
                continue
            }
            func firstNumber(_ key: String) -> Double { t[key]?.split(separator: " ").first.flatMap { Double($0) } ?? 0 }
            let inTPS = fixed(firstNumber("putTps"), "%9.2f")
                + "(\(t["sendThreadPoolQueueSize"] ?? "0"),\(t["sendThreadPoolQueueHeadWaitTimeMills"] ?? "0")ms)"
            let outTPS = fixed(firstNumber("getTransferedTps"), "%9.2f")
                + "(\(t["pullThreadPoolQueueSize"] ?? "0"),\(t["pullThreadPoolQueueHeadWaitTimeMills"] ?? "0")ms)"
            let earliest = Int64(t["earliestMessageTimeStamp"] ?? "") ?? now
            let hours = earliest > 0 ? Double(now - earliest) / 3_600_000 : 0
            print(line([row.cluster, row.broker, String(row.id), row.address, t["brokerVersionDesc"] ?? "", inTPS, outTPS,
                        t["pageCacheLockTimeMills"] ?? "0", fixed(hours, "%2.2f"),
                        fixed(Double(t["commitLogDiskRatio"] ?? "") ?? 0, "%.4f")]))
        }
    }
}

/// GET_BROKER_RUNTIME_INFO (28): the KVTable as a dictionary.
func runtimeInfo(_ session: AdminSession, _ address: String) async throws -> [String: String] {
    let json = try AdminSession.json(await session.invoke(address, .getBrokerRuntimeInfo))
    var table: [String: String] = [:]
    for (key, value) in json["table"]?.objectValue ?? [] { table[key] = value.stringValue ?? "" }
    return table
}

struct AdminTopicList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topicList", abstract: "List every topic known to the name server (206).")

    @OptionGroup var options: AdminOptions
    @Flag(name: .customShort("c"), help: "With cluster names and consumer groups (106, 105 and 300 per topic).")
    var withClusters = false

    func run() async throws {
        try await options.run("TopicListSubCommand") { session in
            let topics = try AdminSession.json(await session.invokeNameServer(.getAllTopicListFromNameserver))["topicList"]?
                .arrayValue?.compactMap(\.stringValue).sorted() ?? []
            guard withClusters else {
                if session.json { session.emit(.object([("topicList", .array(topics.map { .string($0) }))])) }
                else { topics.forEach { print($0) } }
                return
            }
            let info = try await session.clusterInfo()
            var rows: [(cluster: String, topic: String, group: String)] = []
            for topic in topics where !topic.hasPrefix("%RETRY%") && !topic.hasPrefix("%DLQ%") {
                guard let route = try? await session.route(topic) else { continue }
                let brokers = AdminSession.brokerAddresses(route)
                let cluster = brokers.first.flatMap { info.cluster(ofBroker: $0.brokerName) } ?? ""
                var groups: [String] = []
                if let first = brokers.first,
                   let response = try? await session.invoke(first.address, .queryTopicConsumeByWho, ["topic": topic]),
                   let json = try? AdminSession.json(response) {
                    groups = json["groupList"]?.arrayValue?.compactMap(\.stringValue).sorted() ?? []
                }
                if groups.isEmpty { rows.append((cluster, topic, "")) }
                for group in groups { rows.append((cluster, topic, group)) }
            }
            if session.json {
                session.emit(.object([("topics", .array(rows.map {
                    .object([("cluster", .string($0.cluster)), ("topic", .string($0.topic)), ("consumerGroup", .string($0.group))])
                }))]))
                return
            }
            print(left("#Cluster Name", 20) + "  " + left("#Topic", 48) + "  " + left("#Consumer Group", 48))
            for row in rows { print(left(row.cluster, 20) + "  " + left(row.topic, 64) + "  " + left(row.group, 64)) }
        }
    }
}

struct AdminTopicRoute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topicRoute", abstract: "Print the route of a topic (105).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Flag(name: .customShort("l"), help: "Print the route as a table.")
    var list = false

    func run() async throws {
        try await options.run("TopicRouteSubCommand") { session in
            let response = try await session.invokeNameServer(.getRouteinfoByTopic, GetRouteInfoRequestHeader(topic: topic).extFields())
            let json = try AdminSession.json(response)
            if session.json {
                session.emit(json)
                return
            }
            guard list else {
                print(prettyJSON(json))
                return
            }
            let route = try TopicRouteData(json: json)
            let info = try? await session.clusterInfo()
            func line(_ c: [String]) -> String {
                left(c[0], 45) + " " + left(c[1], 32) + " " + left(c[2], 50) + " " + left(c[3], 10) + " " + left(c[4], 11) + " " + left(c[5], 5)
            }
            print(line(["#ClusterName", "#BrokerName", "#BrokerAddrs", "#ReadQueue", "#WriteQueue", "#Perm"]))
            var totalRead: Int64 = 0, totalWrite: Int64 = 0
            for broker in route.brokerDatas.sorted(by: { $0.brokerName < $1.brokerName }) {
                let queue = route.queueDatas.first { $0.brokerName == broker.brokerName }
                let addrs = "{" + broker.brokerAddrs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}"
                totalRead += Int64(queue?.readQueueNums ?? 0)
                totalWrite += Int64(queue?.writeQueueNums ?? 0)
                print(line([info?.cluster(ofBroker: broker.brokerName) ?? broker.cluster, broker.brokerName, addrs,
                            String(queue?.readQueueNums ?? 0), String(queue?.writeQueueNums ?? 0), String(queue?.perm ?? 0)]))
            }
            print(String(repeating: "-", count: 158))
            print(line(["Total:", String(route.brokerDatas.count), "", String(totalRead), String(totalWrite), ""]))
        }
    }
}

/// fastjson's pretty format: tab indentation, `"key":value`, keys sorted, numeric map keys bare.
func prettyJSON(_ value: JSONValue, indent: Int = 0) -> String {
    let pad = String(repeating: "\t", count: indent + 1), end = String(repeating: "\t", count: indent)
    switch value {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let n): return n
    case .string(let s):
        var writer = JSONWriter()
        writer.string(s)
        return writer.text
    case .array(let items):
        if items.isEmpty { return "[]" }
        return "[\n" + items.map { pad + prettyJSON($0, indent: indent + 1) }.joined(separator: ",\n") + "\n" + end + "]"
    case .object(let members):
        if members.isEmpty { return "{}" }
        return "{\n" + members.sorted { $0.0 < $1.0 }.map { key, value in
            let name = Int64(key) != nil ? key : prettyJSON(.string(key))
            return pad + name + ":" + prettyJSON(value, indent: indent + 1)
        }.joined(separator: ",\n") + "\n" + end + "}"
    }
}

struct AdminTopicStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topicStatus", abstract: "Min/max offsets of every queue of a topic (105, then 202 per broker).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String

    func run() async throws {
        try await options.run("TopicStatusSubCommand") { session in
            let route = try await session.route(topic)
            var rows: [(QueueKey, JSONValue)] = []
            for broker in AdminSession.brokerAddresses(route) {
                let json = try AdminSession.json(await session.invoke(broker.address, .getTopicStatsInfo, ["topic": topic]))
                rows += QueueKey.table(json["offsetTable"])
            }
            guard !rows.isEmpty else { throw AdminError("Not found the topic stats info") }
            rows.sort { $0.0 < $1.0 }
            if session.json {
                session.emit(.object([("offsetTable", .array(rows.map { key, value in
                    .object([("brokerName", .string(key.brokerName)), ("queueId", .int(key.queueId)), ("topic", .string(key.topic)),
                             ("minOffset", .int(value["minOffset"]?.int ?? 0)), ("maxOffset", .int(value["maxOffset"]?.int ?? 0)),
                             ("lastUpdateTimestamp", .int(value["lastUpdateTimestamp"]?.int ?? 0))])
                }))]))
                return
            }
            func line(_ c: [String]) -> String { left(c[0], 32) + "  " + left(c[1], 4) + "  " + left(c[2], 20) + "  " + left(c[3], 20) + "    " + c[4] }
            print(line(["#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"]))
            for (key, value) in rows {
                let last = value["lastUpdateTimestamp"]?.int ?? 0
                print(line([key.brokerName, String(key.queueId), String(value["minOffset"]?.int ?? 0),
                            String(value["maxOffset"]?.int ?? 0), last > 0 ? formatTime(last) : ""]))
            }
        }
    }
}

struct AdminUpdateTopic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "updateTopic", abstract: "Create or update a topic (17 per master; -o true also writes ORDER_TOPIC_CONFIG).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker address (default: every master of the only cluster).", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name: every master of it.", valueName: "clusterName"))
    var clusterName: String?
    @Option(name: .customShort("r"), help: ArgumentHelp("Read queue count.", valueName: "readQueueNums"))
    var readQueueNums: Int32 = 8
    @Option(name: .customShort("w"), help: ArgumentHelp("Write queue count.", valueName: "writeQueueNums"))
    var writeQueueNums: Int32 = 8
    @Option(name: .customShort("p"), help: ArgumentHelp("Permission: 2 write, 4 read, 6 read+write.", valueName: "perm"))
    var perm: Int32 = 6
    @Option(name: .customShort("o"), help: ArgumentHelp("Order topic: true|false.", valueName: "order"))
    var order: String?
    @Option(name: .customShort("u"), help: ArgumentHelp("Unit topic: true|false.", valueName: "unit"))
    var unit: String?
    @Option(name: .customShort("s"), help: ArgumentHelp("Has unit subscription: true|false.", valueName: "hasUnitSub"))
    var hasUnitSub: String?

    func run() async throws {
        try await options.run("UpdateTopicSubCommand") { session in
            let isOrder = javaBool(order) ?? false
            let sysFlag: Int32 = (javaBool(unit) == true ? 1 : 0) | (javaBool(hasUnitSub) == true ? 2 : 0)
            let header = CreateTopicRequestHeader(topic: topic, defaultTopic: "TBW102", readQueueNums: readQueueNums,
                                                  writeQueueNums: writeQueueNums, perm: perm, topicSysFlag: sysFlag, order: isOrder)
            let targets = try await session.targetMasters(broker: brokerAddr, cluster: clusterName)
            var done: [String] = []
            for target in targets {
                _ = try await session.invoke(target.address, .updateAndCreateTopic, header.extFields())
                done.append(target.address)
                if !session.json { print("create topic to \(target.address) success.") }
            }
            if isOrder { try await writeOrderConf(session, targets: targets.map(\.address)) }
            let config = "TopicConfig [topicName=\(topic), readQueueNums=\(readQueueNums), writeQueueNums=\(writeQueueNums), "
                + "perm=\(permString(perm)), topicFilterType=SINGLE_TAG, topicSysFlag=\(sysFlag), order=\(isOrder)]"
            if session.json {
                session.emit(.object([("brokers", .array(done.map { .string($0) })), ("topicConfig", .object([
                    ("order", .bool(isOrder)), ("perm", .int(perm)), ("readQueueNums", .int(readQueueNums)),
                    ("topicFilterType", .string("SINGLE_TAG")), ("topicName", .string(topic)), ("topicSysFlag", .int(sysFlag)),
                    ("writeQueueNums", .int(writeQueueNums)),
                ]))]))
            } else {
                print(config)
            }
        }
    }

    /// PUT_KV_CONFIG (100) `ORDER_TOPIC_CONFIG` topic → "brokerName:writeQueueNums;…" on every name server. A name
    /// server without KV support is tolerated: the order flag already travelled in the 17 header.
    private func writeOrderConf(_ session: AdminSession, targets: [String]) async throws {
        let info = try? await session.clusterInfo()
        let names = targets.compactMap { address in
            info?.brokers.values.first { $0.addresses.contains { $0.address == address } }?.name
        }
        guard !names.isEmpty else { return }
        let value = names.sorted().map { "\($0):\(writeQueueNums)" }.joined(separator: ";")
        for address in session.nameServers {
            let response = try await session.send(address, rawCode: AdminSession.putKVConfigCode,
                                                  ["namespace": "ORDER_TOPIC_CONFIG", "key": topic, "value": value])
            if response.code != ResponseCode.success.rawValue && response.code != ResponseCode.requestCodeNotSupported.rawValue {
                throw AdminError.remote(response, address: address)
            }
        }
    }
}

struct AdminDeleteTopic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deleteTopic", abstract: "Delete a topic from every master of a cluster (215) and the name servers (216).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Option(name: .customShort("c"), help: ArgumentHelp("Cluster name (default: the only cluster).", valueName: "clusterName"))
    var clusterName: String?

    func run() async throws {
        try await options.run("DeleteTopicSubCommand") { session in
            let info = try await session.clusterInfo()
            let cluster = try info.resolveCluster(clusterName)
            let lines = try await deleteTopic(session, topic: topic, cluster: cluster, info: info)
            if session.json {
                session.emit(.object([("topic", .string(topic)), ("cluster", .string(cluster)),
                                      ("brokers", .array(lines.brokers.map { .string($0) }))]))
            } else {
                lines.text.forEach { print($0) }
            }
        }
    }
}

/// 215 to every master of `cluster`, then 216 to every name server; returns mqadmin's lines.
func deleteTopic(_ session: AdminSession, topic: String, cluster: String, info: ClusterInfoView) async throws
    -> (brokers: [String], text: [String]) {
    let masters = info.addresses(cluster: cluster, mastersOnly: true).map(\.address)
    for address in masters { _ = try await session.invoke(address, .deleteTopicInBroker, ["topic": topic]) }
    var text = ["delete topic [\(topic)] from cluster [\(cluster)] success."]
    for address in session.nameServers {
        _ = try await session.invoke(address, .deleteTopicInNamesrv, ["topic": topic, "clusterName": cluster])
    }
    text.append("delete topic [\(topic)] from NameServer success.")
    return (masters, text)
}
