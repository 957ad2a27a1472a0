// apus admin: consumerProgress, consumerConnection, consumerStatus, producerConnection, resetOffsetByTime,
// skipAccumulatedMessage (admin.md §6, §7, §12).

import ApusGroups
import ApusMessage
import ApusRemoting
import ArgumentParser
import Foundation
import NIOCore

struct ConsumeStatsRow {
    var queue: QueueKey
    var brokerOffset: Int64
    var consumerOffset: Int64
    var lastTimestamp: Int64
    /// Apus's addition to 208 (0: nothing unconsumed, or unknown; absent from other brokers).
    var oldestUnconsumedTimestamp: Int64 = 0

    var diff: Int64 { brokerOffset - consumerOffset }
}

/// Apus's addition to 208 for broadcasting groups: a position the broker saw a client pull from (not committed).
struct ObservedPositionRow {
    var brokerName: String
    var clientId: String
    var topic: String
    var queueId: Int64
    var nextOffset: Int64
    var brokerOffset: Int64
    var lastPull: Int64
}

struct GroupConsumeStats {
    var rows: [ConsumeStatsRow]
    var tps: Double
    /// A broker said the group is broadcasting (its progress is kept by the clients).
    var broadcasting = false
    var observed: [ObservedPositionRow] = []
}

/// GET_CONSUME_STATS (208) to every broker of `%RETRY%{group}`, merged and sorted.
func consumeStats(_ session: AdminSession, group: String, topic: String? = nil) async throws -> GroupConsumeStats {
    var ext: ExtFields = ["consumerGroup": group]
    if let topic { ext["topic"] = topic }
    var result = GroupConsumeStats(rows: [], tps: 0)
    for broker in try await session.groupBrokers(group) {
        let json = try AdminSession.json(await session.invoke(broker.address, .getConsumeStats, ext, timeoutMillis: 15_000))
        result.tps += json["consumeTps"]?.double ?? 0
        for (queue, value) in QueueKey.table(json["offsetTable"]) {
            result.rows.append(ConsumeStatsRow(queue: queue, brokerOffset: value["brokerOffset"]?.int ?? 0,
                                               consumerOffset: value["consumerOffset"]?.int ?? 0,
                                               lastTimestamp: value["lastTimestamp"]?.int ?? 0,
                                               oldestUnconsumedTimestamp: value["oldestUnconsumedTimestamp"]?.int ?? 0))
        }
        if json["apusBroadcasting"]?.boolValue == true { result.broadcasting = true }
        for p in json["apusObservedPositions"]?.arrayValue ?? [] {
            result.observed.append(ObservedPositionRow(
                brokerName: broker.brokerName, clientId: p["clientId"]?.stringValue ?? "", topic: p["topic"]?.stringValue ?? "",
                queueId: p["queueId"]?.int ?? 0, nextOffset: p["nextOffset"]?.int ?? 0, brokerOffset: p["brokerOffset"]?.int ?? 0,
                lastPull: p["lastPull"]?.int ?? 0))
        }
    }
    result.rows.sort { $0.queue < $1.queue }
    result.observed.sort { ($0.clientId, $0.topic, $0.brokerName, $0.queueId) < ($1.clientId, $1.topic, $1.brokerName, $1.queueId) }
    return result
}

/// The age of the oldest unconsumed message among `rows` (Apus), nil when nothing is unconsumed or unknown.
func oldestUnconsumedAge(_ rows: [ConsumeStatsRow], now: Int64) -> Int64? {
    AccumulationAge.oldest(rows.map { ($0.diff, $0.oldestUnconsumedTimestamp) }, now: now)
}

let broadcastingProgressNote = "The broker does not track the progress of broadcasting consumption: each client keeps its own offsets."

/// GET_CONSUMER_CONNECTION_LIST (203): `-b ADDR`, else a broker of `%RETRY%{group}`.
func consumerConnection(_ session: AdminSession, group: String, broker: String? = nil) async throws -> JSONValue {
    let address: String
    if let broker { address = broker } else {
        guard let first = try await session.groupBrokers(group).randomElement() else {
            throw AdminError("no broker in the route of %RETRY%\(group)")
        }
        address = first.address
    }
    let json = try AdminSession.json(await session.invoke(address, .getConsumerConnectionList, ["consumerGroup": group]))
    guard !(json["connectionSet"]?.arrayValue ?? []).isEmpty else {
        throw AdminError("CODE: 206  DESC: Not found the consumer group connection", code: 206)
    }
    return json
}

/// GET_CONSUMER_RUNNING_INFO (307) relayed by the first broker of `%RETRY%{group}`.
func consumerRunningInfo(_ session: AdminSession, group: String, clientId: String, jstack: Bool = false,
                         broker: String? = nil, timeoutMillis: Int64 = 15_000) async throws -> JSONValue {
    let address: String
    if let broker { address = broker } else {
        guard let first = try await session.groupBrokers(group).first else { throw AdminError("no broker in the route of %RETRY%\(group)") }
        address = first.address
    }
    return try AdminSession.json(await session.invoke(
        address, .getConsumerRunningInfo, ["consumerGroup": group, "clientId": clientId, "jstackEnable": jstack ? "true" : "false"],
        timeoutMillis: timeoutMillis))
}

struct AdminConsumerProgress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumerProgress", abstract: "Consume progress and lag of a group (208), or a summary of every group.")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Consumer group (default: every group, one line each).", valueName: "groupName"))
    var groupName: String?
    @Option(name: .customShort("s"), help: ArgumentHelp("Show the client owning each queue: true|false.", valueName: "showClientIP"))
    var showClientIP: String?

    func run() async throws {
        try await options.run("ConsumerProgressSubCommand") { session in
            if let groupName { try await oneGroup(session, groupName) } else { try await allGroups(session) }
        }
    }

    private func oneGroup(_ session: AdminSession, _ group: String) async throws {
        let stats = try await consumeStats(session, group: group)
        guard !stats.rows.isEmpty || stats.broadcasting else {
            throw AdminError("CODE: 206  DESC: Not found the consumer group consume stats, because return offset table is empty, "
                + "maybe the consumer not consume any message", code: 206)
        }
        var owners: [QueueKey: String]? = nil
        if javaBool(showClientIP) == true {
            var table: [QueueKey: String] = [:]
            if let connections = try? await consumerConnection(session, group: group) {
                for connection in connections["connectionSet"]?.arrayValue ?? [] {
                    guard let clientId = connection["clientId"]?.stringValue,
                          let info = try? await consumerRunningInfo(session, group: group, clientId: clientId) else { continue }
                    let ip = String(clientId.split(separator: "@").first ?? "")
                    for (queue, _) in QueueKey.table(info["mqTable"]) { table[queue] = ip }
                }
            }
            owners = table
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let diffTotal = stats.rows.reduce(Int64(0)) { $0 + $1.diff }
        let groupAge = oldestUnconsumedAge(stats.rows, now: now)
        func age(_ row: ConsumeStatsRow) -> Int64? { oldestUnconsumedAge([row], now: now) }
        if session.json {
            var members: [(String, JSONValue)] = [
                ("consumerGroup", .string(group)), ("consumeTps", .double(stats.tps)), ("diffTotal", .int(diffTotal)),
                ("oldestUnconsumedAgeMillis", groupAge.map { .int($0) } ?? .null),
                ("offsetTable", .array(stats.rows.map { row in
                    var members: [(String, JSONValue)] = [
                        ("topic", .string(row.queue.topic)), ("brokerName", .string(row.queue.brokerName)),
                        ("queueId", .int(row.queue.queueId)), ("brokerOffset", .int(row.brokerOffset)),
                        ("consumerOffset", .int(row.consumerOffset)), ("diff", .int(row.diff)),
                        ("lastTimestamp", .int(row.lastTimestamp)), ("oldestUnconsumedTimestamp", .int(row.oldestUnconsumedTimestamp)),
                        ("oldestUnconsumedAgeMillis", age(row).map { .int($0) } ?? .null),
                    ]
                    if let owners { members.append(("clientIP", owners[row.queue].map { .string($0) } ?? .null)) }
                    return .object(members)
                })),
            ]
            if stats.broadcasting {
                members += [
                    ("broadcasting", .bool(true)), ("note", .string(broadcastingProgressNote)),
                    ("observedPositions", .array(stats.observed.map { p in
                        .object([("clientId", .string(p.clientId)), ("topic", .string(p.topic)), ("brokerName", .string(p.brokerName)),
                                 ("queueId", .int(p.queueId)), ("brokerOffset", .int(p.brokerOffset)),
                                 ("observedOffset", .int(p.nextOffset)), ("diff", .int(p.brokerOffset - p.nextOffset)),
                                 ("lastPull", .int(p.lastPull))])
                    })),
                ]
            }
            session.emit(.object(members))
            return
        }
        if !stats.rows.isEmpty {
            func line(_ c: [String], _ client: String?) -> String {
                left(c[0], 64) + "  " + left(c[1], 32) + "  " + left(c[2], 4) + "  " + left(c[3], 20) + "  " + left(c[4], 20) + "  "
                    + (client.map { left($0, 20) + " " } ?? "") + left(c[5], 20) + "  " + left(c[6], 20) + "  " + c[7]
            }
            print(line(["#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime", "#OldestUnconsumedAge"],
                       owners == nil ? nil : "#Client IP"))
            for row in stats.rows {
                print(line([row.queue.topic, row.queue.brokerName, String(row.queue.queueId), String(row.brokerOffset),
                            String(row.consumerOffset), String(row.diff),
                            row.lastTimestamp > 0 ? formatTime(row.lastTimestamp, "yyyy-MM-dd HH:mm:ss") : "N/A",
                            age(row).map(AccumulationAge.text(millis:)) ?? "-"],
                           owners.map { $0[row.queue] ?? "N/A" }))
            }
            print("")
            print("Consume TPS: " + fixed(stats.tps, "%.2f"))
            print("Diff Total: \(diffTotal)")
            print("Oldest Unconsumed Age: " + (groupAge.map { "\(AccumulationAge.text(millis: $0)) (\($0) ms)" } ?? "-"))
        }
        if stats.broadcasting {
            if !stats.rows.isEmpty { print("") }
            print("Broadcasting group: " + broadcastingProgressNote)
            print("Positions the broker has seen each client pull from (observed, not committed):")
            func line(_ c: [String]) -> String {
                left(c[0], 40) + "  " + left(c[1], 48) + "  " + left(c[2], 24) + "  " + left(c[3], 4) + "  " + left(c[4], 14) + "  "
                    + left(c[5], 16) + "  " + left(c[6], 10) + "  " + c[7]
            }
            print(line(["#ClientId", "#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Observed Offset", "#Diff", "#LastPull"]))
            for p in stats.observed {
                print(line([p.clientId, p.topic, p.brokerName, String(p.queueId), String(p.brokerOffset), String(p.nextOffset),
                            String(p.brokerOffset - p.nextOffset), formatTime(p.lastPull, "yyyy-MM-dd HH:mm:ss")]))
            }
            if stats.observed.isEmpty { print("(no pull seen yet)") }
        }
    }

    private func allGroups(_ session: AdminSession) async throws {
        let topics = try AdminSession.json(await session.invokeNameServer(.getAllTopicListFromNameserver))["topicList"]?
            .arrayValue?.compactMap(\.stringValue) ?? []
        let groups = topics.filter { $0.hasPrefix("%RETRY%") }.map { String($0.dropFirst("%RETRY%".count)) }.sorted()
        var rows: [(group: String, count: Int, version: String, type: String, model: String, tps: Int64, diff: Int64)] = []
        for group in groups {
            let stats = try? await consumeStats(session, group: group)
            let connection = try? await consumerConnection(session, group: group)
            let set = connection?["connectionSet"]?.arrayValue ?? []
            let lowest = set.compactMap { $0["version"]?.int64Value }.min()
            let push = connection?["consumeType"]?.stringValue == "CONSUME_PASSIVELY"
            rows.append((group, set.count, set.isEmpty ? "OFFLINE" : lowest.map(versionName) ?? "",
                         set.isEmpty ? "" : (push ? "PUSH" : "PULL"),
                         set.isEmpty || !push ? "" : connection?["messageModel"]?.stringValue ?? "",
                         Int64(stats?.tps ?? 0), stats?.rows.reduce(Int64(0)) { $0 + $1.diff } ?? 0))
        }
        if session.json {
            session.emit(.object([("groups", .array(rows.map { row in
                .object([("group", .string(row.group)), ("count", .int(row.count)), ("version", .string(row.version)),
                         ("type", .string(row.type)), ("model", .string(row.model)), ("tps", .int(row.tps)), ("diffTotal", .int(row.diff))])
            }))]))
            return
        }
        func line(_ c: [String]) -> String {
            left(c[0], 64) + "  " + left(c[1], 6) + "  " + left(c[2], 24) + " " + left(c[3], 5) + "  " + left(c[4], 14) + "  "
                + left(c[5], 7) + "  " + c[6]
        }
        print(line(["#Group", "#Count", "#Version", "#Type", "#Model", "#TPS", "#Diff Total"]))
        for row in rows {
            print(line([row.group, String(row.count), row.version, row.type, row.model, String(row.tps), String(row.diff)]))
        }
    }
}

struct AdminConsumerConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumerConnection", abstract: "Clients and subscriptions of a consumer group (203).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Consumer group.", valueName: "groupName"))
    var groupName: String
    @Option(name: .customShort("b"), help: ArgumentHelp("Ask this broker address directly.", valueName: "brokerAddr"))
    var brokerAddr: String?

    func run() async throws {
        try await options.run("ConsumerConnectionSubCommand") { session in
            let json = await withConsumeOrder(session, group: groupName,
                                              connection: try await consumerConnection(session, group: groupName, broker: brokerAddr),
                                              broker: brokerAddr)
            if session.json {
                session.emit(json)
                return
            }
            print(left("#ClientId", 36) + " " + left("#ClientAddr", 22) + " " + left("#Language", 10) + " #Version")
            for connection in json["connectionSet"]?.arrayValue ?? [] {
                print(left(connection["clientId"]?.stringValue ?? "", 36) + " " + left(connection["clientAddr"]?.stringValue ?? "", 22)
                    + " " + left(connection["language"]?.stringValue ?? "", 10) + " " + versionName(connection["version"]?.int ?? 0))
            }
            print("")
            print("Below is subscription:")
            print(left("#Topic", 20) + " #SubExpression")
            for (topic, data) in (json["subscriptionTable"]?.objectValue ?? []).sorted(by: { $0.0 < $1.0 }) {
                print(left(topic, 20) + " " + (data["subString"]?.stringValue ?? ""))
            }
            print("")
            print("ConsumeType: \(json["consumeType"]?.stringValue ?? "")")
            print("MessageModel: \(json["messageModel"]?.stringValue ?? "")")
            print("ConsumeFromWhere: \(json["consumeFromWhere"]?.stringValue ?? "")")
            for line in verdictLines(json) { print(line) }
        }
    }
}

struct AdminConsumerStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consumerStatus", abstract: "Running information of a group's clients (203, then 307 per client).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Consumer group.", valueName: "groupName"))
    var groupName: String
    @Option(name: .customShort("i"), help: ArgumentHelp("Only this client id: print its running information.", valueName: "clientId"))
    var clientId: String?
    @Option(name: .customShort("b"), help: ArgumentHelp("Ask this broker address directly.", valueName: "brokerAddr"))
    var brokerAddr: String?
    @Flag(name: .customShort("s"), help: "Include the client's thread dump (jstack).")
    var jstack = false

    func run() async throws {
        try await options.run("ConsumerStatusSubCommand") { session in
            if let clientId {
                let info = try await consumerRunningInfo(session, group: groupName, clientId: clientId, jstack: jstack, broker: brokerAddr)
                if session.json { session.emit(info) } else { print(formatRunningInfo(info)) }
                return
            }
            let connection = try await consumerConnection(session, group: groupName, broker: brokerAddr)
            var results: [(clientId: String, version: String, info: JSONValue?, file: String)] = []
            let directory = String(Int64(Date().timeIntervalSince1970 * 1000))
            for client in connection["connectionSet"]?.arrayValue ?? [] {
                let id = client["clientId"]?.stringValue ?? ""
                let info = try? await consumerRunningInfo(session, group: groupName, clientId: id, jstack: jstack, broker: brokerAddr)
                var file = ""
                if let info, !session.json {
                    file = "\(directory)/\(id)"
                    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    try? formatRunningInfo(info).write(toFile: file, atomically: true, encoding: .utf8)
                }
                results.append((id, versionName(client["version"]?.int ?? 0), info, file))
            }
            let subscriptions = Set(results.compactMap { result in
                result.info.map { info in
                    (info["subscriptionSet"]?.arrayValue ?? []).compactMap { s in
                        s["topic"]?.stringValue.map { $0 + " " + (s["subString"]?.stringValue ?? "") }
                    }.sorted().joined(separator: ",")
                }
            })
            let order = consumeOrderDifference(results.map { ($0.clientId, $0.info) })?["text"]?.stringValue
            if session.json {
                var verdict = connection["apusSubscriptionVerdict"]?["differences"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
                if let order { verdict.append(order) }
                session.emit(.object([
                    ("clients", .array(results.map { .object([("clientId", .string($0.clientId)), ("version", .string($0.version)),
                                                              ("runningInfo", $0.info ?? .null)]) })),
                    ("sameSubscription", .bool(subscriptions.count <= 1)),
                    ("consistent", .bool(verdict.isEmpty)), ("differences", .array(verdict.map { .string($0) })),
                ]))
                return
            }
            print(left("#Index", 10) + " " + left("#ClientId", 40) + " " + left("#Version", 20) + " #ConsumerRunningInfoFile")
            for (index, result) in results.enumerated() {
                print(left(String(index + 1), 10) + " " + left(result.clientId, 40) + " " + left(result.version, 20) + " " + result.file)
            }
            print("")
            if subscriptions.count <= 1 {
                print("Same subscription in the same group of consumer")
                print("")
                print("Rebalance OK")
            } else {
                print("WARN: Different subscription in the same group of consumer!!!")
            }
            let lines = verdictLines(connection, extra: order.map { [$0] } ?? [])
            if !lines.isEmpty { print("") }
            for line in lines { print(line) }
        }
    }
}

/// Apus's addition to 203 (`apusSubscriptionVerdict`), as text: "Subscription Consistency: consistent", or
/// "INCONSISTENT" and one line per difference naming the members. Nothing when the broker did not send it.
func verdictLines(_ connection: JSONValue, extra: [String] = []) -> [String] {
    guard let verdict = connection["apusSubscriptionVerdict"] else { return [] }
    let differences = (verdict["differences"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue } + extra
    guard !differences.isEmpty else { return ["Subscription Consistency: consistent"] }
    return ["Subscription Consistency: INCONSISTENT"] + differences.map { "  " + $0 }
}

/// Orderly vs concurrent from each client's running info (307, `PROP_CONSUMEORDERLY`: "true", else concurrent — the
/// C++ client writes "flase"): the difference as 203's verdict writes one, or nil when every answering client
/// consumes the same way.
func consumeOrderDifference(_ infos: [(clientId: String, info: JSONValue?)]) -> JSONValue? {
    var holders: [String: [String]] = [:]
    for (id, info) in infos {
        guard let properties = info?["properties"]?.objectValue,
              let orderly = properties.first(where: { $0.0 == "PROP_CONSUMEORDERLY" || $0.0 == "PROP_CONSUME_ORDERLY" })?.1.stringValue
        else { continue }
        holders[orderly == "true" ? "ORDERLY" : "CONCURRENTLY", default: []].append(id)
    }
    guard holders.count > 1 else { return nil }
    let values = holders.keys.sorted()
    let text = "consume order differs: " + values.map { "\($0) by \(holders[$0]!.sorted().joined(separator: ","))" }
        .joined(separator: "; ")
    return .object([("aspect", .string("consumeOrder")), ("text", .string(text)),
                    ("variants", .array(values.map { value in
                        .object([("clientIds", .array(holders[value]!.sorted().map { .string($0) })), ("value", .string(value))])
                    }))])
}

/// 203's answer with the consume-order difference (found through 307, best effort: clients that do not answer within
/// 3 s are left out) added to `apusSubscriptionVerdict`.
func withConsumeOrder(_ session: AdminSession, group: String, connection: JSONValue, broker: String?) async -> JSONValue {
    guard case .object(var members) = connection, let index = members.firstIndex(where: { $0.0 == "apusSubscriptionVerdict" }),
          case .object(var verdict) = members[index].1 else { return connection }
    var infos: [(clientId: String, info: JSONValue?)] = []
    for client in connection["connectionSet"]?.arrayValue ?? [] {
        guard let id = client["clientId"]?.stringValue else { continue }
        infos.append((id, try? await consumerRunningInfo(session, group: group, clientId: id, broker: broker, timeoutMillis: 3_000)))
    }
    guard let order = consumeOrderDifference(infos) else { return connection }
    let differences = (connection["apusSubscriptionVerdict"]?["differences"]?.arrayValue ?? []) + [order]
    verdict = verdict.filter { $0.0 != "consistent" && $0.0 != "differences" }
    verdict.insert(("differences", .array(differences)), at: 0)
    verdict.insert(("consistent", .bool(false)), at: 0)
    members[index].1 = .object(verdict)
    return .object(members)
}

/// ConsumerRunningInfo.formatString-like text.
func formatRunningInfo(_ info: JSONValue) -> String {
    var lines: [String] = ["#Consumer Properties#"]
    for (key, value) in (info["properties"]?.objectValue ?? []).sorted(by: { $0.0 < $1.0 }) {
        lines.append(left(key, 40) + ": " + (value.stringValue ?? ""))
    }
    lines += ["", "#Consumer Subscription#"]
    for (index, s) in (info["subscriptionSet"]?.arrayValue ?? []).enumerated() {
        lines.append(String(format: "%03d", index + 1) + " Topic: " + left(s["topic"]?.stringValue ?? "", 40) + " ClassFilter: "
            + left(s["classFilterMode"]?.boolValue == true ? "true" : "false", 8) + " SubExpression: " + (s["subString"]?.stringValue ?? ""))
    }
    let queues = QueueKey.table(info["mqTable"]).sorted { $0.0 < $1.0 }
    lines += ["", "#Consumer Offset#", left("#Topic", 32) + "  " + left("#Broker Name", 32) + "  " + left("#QID", 4) + "  #Consumer Offset"]
    for (queue, value) in queues {
        lines.append(left(queue.topic, 32) + "  " + left(queue.brokerName, 32) + "  " + left(String(queue.queueId), 4) + "  "
            + String(value["commitOffset"]?.int ?? 0))
    }
    lines += ["", "#Consumer MQ Detail#", left("#Topic", 32) + "  " + left("#Broker Name", 32) + "  " + left("#QID", 4) + "  #ProcessQueueInfo"]
    for (queue, value) in queues {
        let detail = (value.objectValue ?? []).sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1.stringValue ?? "")" }.joined(separator: ", ")
        lines.append(left(queue.topic, 32) + "  " + left(queue.brokerName, 32) + "  " + left(String(queue.queueId), 4)
            + "  ProcessQueueInfo [" + detail + "]")
    }
    lines += ["", "#Consumer RT&TPS#", left("#Topic", 32) + " " + right("#Pull RT", 14) + " " + right("#Pull TPS", 14) + " "
        + right("#Consume RT", 14) + " " + right("#ConsumeOK TPS", 14) + " " + right("#ConsumeFailed TPS", 18) + " "
        + right("#ConsumeFailedMsgsInHour", 25)]
    for (topic, s) in (info["statusTable"]?.objectValue ?? []).sorted(by: { $0.0 < $1.0 }) {
        lines.append(left(topic, 32) + " " + right(fixed(s["pullRT"]?.double ?? 0, "%.2f"), 14) + " "
            + right(fixed(s["pullTPS"]?.double ?? 0, "%.2f"), 14) + " " + right(fixed(s["consumeRT"]?.double ?? 0, "%.2f"), 14) + " "
            + right(fixed(s["consumeOKTPS"]?.double ?? 0, "%.2f"), 14) + " " + right(fixed(s["consumeFailedTPS"]?.double ?? 0, "%.2f"), 18)
            + " " + right(String(s["consumeFailedMsgs"]?.int ?? 0), 25))
    }
    if let jstack = info["jstack"]?.stringValue, !jstack.isEmpty { lines += ["", "#Consumer jstack#", jstack] }
    return lines.joined(separator: "\n")
}

struct AdminProducerConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producerConnection", abstract: "Clients of a producer group (204 to a broker of the topic).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Producer group.", valueName: "producerGroup"))
    var producerGroup: String
    @Option(name: .customShort("t"), help: ArgumentHelp("A topic the group sends to (locates a broker).", valueName: "topic"))
    var topic: String

    func run() async throws {
        try await options.run("ProducerConnectionSubCommand") { session in
            guard let broker = AdminSession.brokerAddresses(try await session.route(topic)).randomElement() else {
                throw AdminError("no broker in the route of \(topic)")
            }
            let json = try AdminSession.json(await session.invoke(broker.address, .getProducerConnectionList, ["producerGroup": producerGroup]))
            let set = json["connectionSet"]?.arrayValue ?? []
            guard !set.isEmpty else { throw AdminError("Not found the producer group connection") }
            if session.json {
                session.emit(json)
                return
            }
            for (index, connection) in set.enumerated() {
                print(String(format: "%04d", index + 1) + "  " + left(connection["clientId"]?.stringValue ?? "", 32) + " "
                    + left(connection["clientAddr"]?.stringValue ?? "", 22) + " " + left(connection["language"]?.stringValue ?? "", 8)
                    + " " + versionName(connection["version"]?.int ?? 0))
            }
        }
    }
}

struct AdminResetOffsetByTime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resetOffsetByTime", abstract: "Move a group's offsets of a topic to a point in time (222; offline: 208/29/30/15).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Consumer group.", valueName: "group"))
    var group: String
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Option(name: .customShort("s"), help: ArgumentHelp("Time: now, milliseconds since the epoch, or yyyy-MM-dd#HH:mm:ss:SSS (local time).", valueName: "timestamp"))
    var timestamp: String
    @Option(name: .customShort("f"), help: ArgumentHelp("Force (also move forward): true|false (default true).", valueName: "force"))
    var force: String?
    @Flag(name: .customShort("c"), help: "Send the request as a C++ client would (the broker builds the C++ body).")
    var cplus = false

    func run() async throws {
        try await options.run("ResetOffsetByTimeCommand") { session in
            let millis = try parseResetTime(timestamp)
            try await resetOffset(session, group: group, topic: topic, timestamp: millis, force: javaBool(force) ?? true,
                                  cplus: cplus, header: "timestamp(string)[\(timestamp)], timestamp(long)[\(millis)]")
        }
    }
}

struct AdminSkipAccumulatedMessage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skipAccumulatedMessage", abstract: "Move a group's offsets of a topic to the end (resetOffsetByTime -s now).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("g"), help: ArgumentHelp("Consumer group.", valueName: "group"))
    var group: String
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Option(name: .customShort("f"), help: ArgumentHelp("Force: true|false (default true).", valueName: "force"))
    var force: String?

    func run() async throws {
        try await options.run("SkipAccumulatedMessageCommand") { session in
            try await resetOffset(session, group: group, topic: topic, timestamp: -1, force: javaBool(force) ?? true, cplus: false, header: nil)
        }
    }
}

/// `now` → -1; digits → milliseconds; `yyyy-MM-dd#HH:mm:ss:SSS` in local time.
func parseResetTime(_ text: String) throws -> Int64 {
    if text == "now" { return -1 }
    if let millis = Int64(text) { return millis }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone.current
    formatter.dateFormat = "yyyy-MM-dd#HH:mm:ss:SSS"
    guard let date = formatter.date(from: text) else {
        throw AdminError("invalid -s '\(text)': expected now, milliseconds or yyyy-MM-dd#HH:mm:ss:SSS")
    }
    return Int64((date.timeIntervalSince1970 * 1000).rounded())
}

/// INVOKE_BROKER_TO_RESET_OFFSET (222) per broker of the topic; on 206 (group offline) the "old" way: 208, 202,
/// 29/30 and 15 per queue (admin.md §7.3). `header` is resetOffsetByTime's first line (nil for skipAccumulatedMessage).
func resetOffset(_ session: AdminSession, group: String, topic: String, timestamp: Int64, force: Bool, cplus: Bool,
                 header: String?) async throws {
    let route = try await session.route(topic)
    let brokers = AdminSession.brokerAddresses(route)
    var rows: [(QueueKey, Int64)] = []
    do {
        for broker in brokers {
            let ext: ExtFields = ["topic": topic, "group": group, "timestamp": String(timestamp), "isForce": force ? "true" : "false"]
            let json = try AdminSession.json(await session.invoke(broker.address, .invokeBrokerToResetOffset, ext,
                                                                  language: cplus ? "CPP" : "JAVA"))
            rows += QueueKey.table(json["offsetTable"]).map { ($0.0, $0.1.int) }
        }
    } catch let error as AdminError where error.code == ResponseCode.consumerNotOnline.rawValue {
        try await resetOffsetOffline(session, group: group, topic: topic, timestamp: timestamp, force: force, route: route, header: header)
        return
    }
    rows.sort { $0.0 < $1.0 }
    if session.json {
        session.emit(.object([("group", .string(group)), ("topic", .string(topic)), ("force", .bool(force)),
                              ("timestamp", .int(timestamp)), ("offsetTable", .array(rows.map { queue, offset in
                                  .object([("brokerName", .string(queue.brokerName)), ("queueId", .int(queue.queueId)),
                                           ("topic", .string(queue.topic)), ("offset", .int(offset))])
                              }))]))
        return
    }
    if let header { print("rollback consumer offset by specified group[\(group)], topic[\(topic)], force[\(force)], \(header)") }
    print(left("#brokerName", 40) + "  " + left("#queueId", 40) + "  " + left("#offset", 40))
    for (queue, offset) in rows { print(left(queue.brokerName, 40) + "  " + left(String(queue.queueId), 40) + "  " + left(String(offset), 40)) }
}

/// Store time of the message at a queue offset (11 as TOOLS_CONSUMER), nil when there is none or it cannot be read.
private func storeTimestamp(_ session: AdminSession, _ address: String, topic: String, queueId: Int32, offset: Int64) async -> Int64? {
    let header = PullMessageRequestHeader(consumerGroup: "TOOLS_CONSUMER", topic: topic, queueId: queueId, queueOffset: offset,
                                          maxMsgNums: 1, sysFlag: .subscription, commitOffset: 0, suspendTimeoutMillis: 0,
                                          subscription: "*", subVersion: 0, expressionType: "TAG")
    var ext = header.extFields()
    ext["ReqT"] = "0"
    guard let response = try? await session.send(address, .pullMessage, ext), response.code == ResponseCode.success.rawValue,
          let body = response.body, let message = StoredMessageCodec.decodeAll(body).first, message.queueOffset == offset else { return nil }
    return message.storeTimestamp
}

private func resetOffsetOffline(_ session: AdminSession, group: String, topic: String, timestamp: Int64, force: Bool,
                                route: TopicRouteData, header: String?) async throws {
    struct Row { var queue: QueueKey; var brokerOffset: Int64; var consumerOffset: Int64; var target: Int64; var rollback: Int64 }
    var rows: [Row] = []
    for broker in AdminSession.brokerAddresses(route) {
        let stats = try AdminSession.json(await session.invoke(broker.address, .getConsumeStats, ["consumerGroup": group], timeoutMillis: 15_000))
        var queues = QueueKey.table(stats["offsetTable"]).filter { $0.0.topic == topic }
            .map { ($0.0, $0.1["brokerOffset"]?.int ?? 0, $0.1["consumerOffset"]?.int ?? 0) }
        if queues.isEmpty {
            let topicStats = try AdminSession.json(await session.invoke(broker.address, .getTopicStatsInfo, ["topic": topic]))
            let readQueues = route.queueDatas.first { $0.brokerName == broker.brokerName }?.readQueueNums ?? 0
            let table = Dictionary(QueueKey.table(topicStats["offsetTable"]).map { ($0.0.queueId, $0.1) }, uniquingKeysWith: { a, _ in a })
            queues = (0..<readQueues).map { id in
                (QueueKey(topic: topic, brokerName: broker.brokerName, queueId: id), table[id]?["maxOffset"]?.int ?? 0,
                 table[id]?["minOffset"]?.int ?? 0)
            }
        }
        for (queue, brokerOffset, consumerOffset) in queues {
            let response: RemotingCommand
            if timestamp == -1 {
                response = try await session.invoke(broker.address, .getMaxOffset, ["topic": topic, "queueId": String(queue.queueId)])
            } else {
                response = try await session.invoke(broker.address, .searchOffsetByTimestamp,
                                                    ["topic": topic, "queueId": String(queue.queueId), "timestamp": String(timestamp)])
            }
            var target = Int64(response.extFields["offset"] ?? "") ?? 0
            // 29 answers the nearest message by time (Java's rule), which may be stored before the time; like the
            // online path (222), start at the first message stored at or after it.
            if timestamp >= 0, let stored = await storeTimestamp(session, broker.address, topic: topic, queueId: Int32(queue.queueId),
                                                                offset: target), stored < timestamp {
                target += 1
            }
            var rollback = consumerOffset
            if force || target <= consumerOffset {
                _ = try await session.invoke(broker.address, .updateConsumerOffset,
                                             ["consumerGroup": group, "topic": topic, "queueId": String(queue.queueId),
                                              "commitOffset": String(target)])
                rollback = target
            }
            rows.append(Row(queue: queue, brokerOffset: brokerOffset, consumerOffset: consumerOffset, target: target, rollback: rollback))
        }
    }
    rows.sort { $0.queue < $1.queue }
    if session.json {
        session.emit(.object([("group", .string(group)), ("topic", .string(topic)), ("force", .bool(force)),
                              ("timestamp", .int(timestamp)), ("offline", .bool(true)), ("offsetTable", .array(rows.map { row in
                                  .object([("brokerName", .string(row.queue.brokerName)), ("queueId", .int(row.queue.queueId)),
                                           ("topic", .string(row.queue.topic)), ("brokerOffset", .int(row.brokerOffset)),
                                           ("consumerOffset", .int(row.consumerOffset)), ("timestampOffset", .int(row.target)),
                                           ("offset", .int(row.rollback))])
                              }))]))
        return
    }
    if let header { print("rollback consumer offset by specified consumerGroup[\(group)], topic[\(topic)], force[\(force)], \(header)") }
    let columns = ["#brokerName", "#queueId", "#brokerOffset", "#consumerOffset", "#timestampOffset", "#rollbackOffset"]
    print(columns.map { left($0, 20) }.joined(separator: "  "))
    for row in rows {
        print([row.queue.brokerName, String(row.queue.queueId), String(row.brokerOffset), String(row.consumerOffset),
               String(row.target), String(row.rollback)].map { left($0, 20) }.joined(separator: "  "))
    }
}
