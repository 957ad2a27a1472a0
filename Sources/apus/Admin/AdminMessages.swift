// apus admin: queryMsgById, queryMsgByKey, queryMsgByUniqueKey, queryMsgByOffset (admin.md §9).

import ApusMessage
import ApusRemoting
import ArgumentParser
import Foundation
import NIOCore

struct AdminQueryMsgById: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queryMsgById", abstract: "Show messages by offset message id (33 to the id's store host).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("i"), help: ArgumentHelp("Offset message id(s), comma-separated.", valueName: "msgId"))
    var msgId: String
    @Option(name: .customShort("g"), help: ArgumentHelp("With -d: consumer group to push the message to (309).", valueName: "consumerGroup"))
    var consumerGroup: String?
    @Option(name: .customShort("d"), help: ArgumentHelp("With -g: client id to push the message to.", valueName: "clientId"))
    var clientId: String?

    func run() async throws {
        try await options.run("QueryMsgByIdSubCommand") { session in
            var results: [JSONValue] = []
            for id in msgId.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !id.isEmpty {
                let message = try await viewMessage(session, id)
                if let consumerGroup, let clientId {
                    let response = try await session.invoke(message.storeHost.description, .consumeMessageDirectly,
                                                            ["consumerGroup": consumerGroup, "clientId": clientId, "msgId": id],
                                                            timeoutMillis: 15_000)
                    let result = try AdminSession.json(response)
                    if session.json { results.append(.object([("msgId", .string(id)), ("consumeResult", result)])) } else {
                        print("ConsumeMessageDirectlyResult [" + (result.objectValue ?? []).map { "\($0.0)=\($0.1.stringValue ?? "")" }
                            .joined(separator: ", ") + "]")
                    }
                    continue
                }
                let tracks = await messageTracks(session, message)
                if session.json { results.append(messageJSON(message, tracks: tracks)) } else {
                    printMessage(message, offsetId: id, tracks: tracks)
                }
            }
            if session.json { session.emit(.array(results)) }
        }
    }
}

/// VIEW_MESSAGE_BY_ID (33) to the store host encoded in an offset message id.
func viewMessage(_ session: AdminSession, _ id: String) async throws -> StoredMessage {
    guard let (host, offset) = MessageId.decodeOffsetMessageId(id) else {
        throw AdminError("CODE: 208  DESC: query message by id finished, but no message.", code: 208)
    }
    let response = try await session.invoke(host.description, .viewMessageById, ["offset": String(offset)])
    guard let body = response.body, let message = StoredMessageCodec.decodeAll(body).first else {
        throw AdminError("CODE: 208  DESC: query message by id finished, but no message.", code: 208)
    }
    return message
}

struct AdminQueryMsgByKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queryMsgByKey", abstract: "Find messages by key (12 to every broker of the topic).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Option(name: .customShort("k"), help: ArgumentHelp("Message key.", valueName: "msgKey"))
    var msgKey: String

    func run() async throws {
        try await options.run("QueryMsgByKeySubCommand") { session in
            let messages = try await queryMessages(session, topic: topic, key: msgKey, unique: false).filter { message in
                message.topic == topic
                    && (message.propertyMap[MessageProperty.keys] ?? "").split(separator: " ").contains { $0 == msgKey }
            }
            guard !messages.isEmpty else {
                throw AdminError("CODE: 208  DESC: query message by key finished, but no message.", code: 208)
            }
            if session.json {
                session.emit(.array(messages.map { messageJSON($0, tracks: nil) }))
                return
            }
            print(left("#Message ID", 50) + " " + right("#QID", 4) + " " + right("#Offset", 40))
            for message in messages {
                let id = message.propertyMap[MessageProperty.uniqueKey] ?? message.offsetMessageId
                print(left(id, 50) + " " + right(String(message.queueId), 4) + " " + right(String(message.queueOffset), 40))
            }
        }
    }
}

/// QUERY_MESSAGE (12) to every broker of the topic's route; non-SUCCESS answers are ignored.
func queryMessages(_ session: AdminSession, topic: String, key: String, unique: Bool) async throws -> [StoredMessage] {
    var messages: [StoredMessage] = []
    var unsupported: AdminError?
    for broker in AdminSession.brokerAddresses(try await session.route(topic)) {
        let ext: ExtFields = ["topic": topic, "key": key, "maxNum": unique ? "32" : "64", "beginTimestamp": "0",
                              "endTimestamp": String(Int64.max), "_UNIQUE_KEY_QUERY": unique ? "true" : "false"]
        let response = try await session.send(broker.address, .queryMessage, ext, timeoutMillis: 15_000)
        if response.code == ResponseCode.success.rawValue, let body = response.body {
            messages += StoredMessageCodec.decodeAll(body)
        } else if response.code == ResponseCode.requestCodeNotSupported.rawValue {
            unsupported = AdminError.remote(response, address: broker.address)
        }
    }
    if messages.isEmpty, let unsupported { throw unsupported }
    return messages
}

struct AdminQueryMsgByUniqueKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queryMsgByUniqueKey", abstract: "Show a message by its unique key (client message id) (12).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("i"), help: ArgumentHelp("Unique key (UNIQ_KEY).", valueName: "msgId"))
    var msgId: String
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Flag(name: .customShort("a"), help: "Print every match, not only the oldest.")
    var showAll = false
    @Option(name: .customShort("g"), help: ArgumentHelp("With -d: consumer group to push the message to (309).", valueName: "consumerGroup"))
    var consumerGroup: String?
    @Option(name: .customShort("d"), help: ArgumentHelp("With -g: client id to push the message to.", valueName: "clientId"))
    var clientId: String?

    func run() async throws {
        try await options.run("QueryMsgByUniqueKeySubCommand") { session in
            var messages = try await queryMessages(session, topic: topic, key: msgId, unique: true)
                .filter { $0.propertyMap[MessageProperty.uniqueKey] == msgId }
                .sorted { $0.storeTimestamp < $1.storeTimestamp }
            guard !messages.isEmpty else {
                throw AdminError("CODE: 208  DESC: query message by key finished, but no message.", code: 208)
            }
            if !showAll { messages = [messages[0]] }
            if let consumerGroup, let clientId {
                let message = messages[0]
                let response = try await session.invoke(message.storeHost.description, .consumeMessageDirectly,
                                                        ["consumerGroup": consumerGroup, "clientId": clientId,
                                                         "msgId": message.offsetMessageId], timeoutMillis: 15_000)
                let result = try AdminSession.json(response)
                if session.json { session.emit(result) } else {
                    print("ConsumeMessageDirectlyResult [" + (result.objectValue ?? []).map { "\($0.0)=\($0.1.stringValue ?? "")" }
                        .joined(separator: ", ") + "]")
                }
                return
            }
            var results: [JSONValue] = []
            for message in messages {
                let tracks = await messageTracks(session, message)
                if session.json { results.append(messageJSON(message, tracks: tracks)) } else {
                    printMessage(message, offsetId: nil, tracks: tracks)
                }
            }
            if session.json { session.emit(.array(results)) }
        }
    }
}

struct AdminQueryMsgByOffset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queryMsgByOffset", abstract: "Show the message at a queue offset (11 PULL_MESSAGE, group TOOLS_CONSUMER).")

    @OptionGroup var options: AdminOptions
    @Option(name: .customShort("t"), help: ArgumentHelp("Topic.", valueName: "topic"))
    var topic: String
    @Option(name: .customShort("b"), help: ArgumentHelp("Broker name.", valueName: "brokerName"))
    var brokerName: String
    @Option(name: .customShort("i"), help: ArgumentHelp("Queue id.", valueName: "queueId"))
    var queueId: Int32
    @Option(name: .customShort("o"), help: ArgumentHelp("Queue offset.", valueName: "offset"))
    var offset: Int64

    func run() async throws {
        try await options.run("QueryMsgByOffsetSubCommand") { session in
            let route = try await session.route(topic)
            guard let broker = AdminSession.brokerAddresses(route).first(where: { $0.brokerName == brokerName }) else {
                throw AdminError("broker \(brokerName) is not in the route of \(topic)")
            }
            let header = PullMessageRequestHeader(consumerGroup: "TOOLS_CONSUMER", topic: topic, queueId: queueId, queueOffset: offset,
                                                  maxMsgNums: 1, sysFlag: .subscription, commitOffset: 0, suspendTimeoutMillis: 0,
                                                  subscription: "*", subVersion: 0, expressionType: "TAG")
            var ext = header.extFields()
            ext["ReqT"] = "0"
            let response = try await session.send(broker.address, .pullMessage, ext)
            guard response.code == ResponseCode.success.rawValue, let body = response.body,
                  let message = StoredMessageCodec.decodeAll(body).first else {
                if response.code == ResponseCode.requestCodeNotSupported.rawValue { throw AdminError.remote(response, address: broker.address) }
                throw AdminError("no message at \(topic) \(brokerName) queue \(queueId) offset \(offset)"
                    + " (pull status \(response.code)\(response.remark.map { ": " + $0 } ?? ""))")
            }
            let tracks = await messageTracks(session, message)
            if session.json { session.emit(messageJSON(message, tracks: tracks)) } else {
                printMessage(message, offsetId: message.offsetMessageId, tracks: tracks)
            }
        }
    }
}

// MARK: message detail and track

struct MessageTrack {
    var group: String
    var type: String
    var exception: String?
}

/// mqadmin's message track: groups of the topic (300), then per group 203 (online? push?) and 208 (consumed?).
/// nil when the groups cannot be listed.
func messageTracks(_ session: AdminSession, _ message: StoredMessage) async -> [MessageTrack]? {
    guard let route = try? await session.route(message.topic), let first = AdminSession.brokerAddresses(route).first,
          let response = try? await session.invoke(first.address, .queryTopicConsumeByWho, ["topic": message.topic]),
          let json = try? AdminSession.json(response) else { return nil }
    let brokerName = route.brokerDatas.first { $0.brokerAddrs.values.contains(message.storeHost.description) }?.brokerName
    var tracks: [MessageTrack] = []
    for group in json["groupList"]?.arrayValue?.compactMap(\.stringValue).sorted() ?? [] {
        guard let connection = try? await consumerConnection(session, group: group) else {
            tracks.append(MessageTrack(group: group, type: "NOT_ONLINE"))
            continue
        }
        if connection["consumeType"]?.stringValue == "CONSUME_ACTIVELY" {
            tracks.append(MessageTrack(group: group, type: "PULL"))
            continue
        }
        do {
            let stats = try await consumeStats(session, group: group, topic: message.topic)
            let row = stats.rows.first { $0.queue.topic == message.topic && $0.queue.queueId == message.queueId
                && (brokerName == nil || $0.queue.brokerName == brokerName) }
            tracks.append(MessageTrack(group: group, type: (row?.consumerOffset ?? 0) > message.queueOffset ? "CONSUMED" : "NOT_CONSUME_YET"))
        } catch {
            tracks.append(MessageTrack(group: group, type: "UNKNOWN", exception: AdminSession.describe(error)))
        }
    }
    return tracks
}

func printMessage(_ message: StoredMessage, offsetId: String?, tracks: [MessageTrack]?) {
    let properties = message.propertyMap
    let id = properties[MessageProperty.uniqueKey] ?? message.offsetMessageId
    let bodyPath = "/tmp/rocketmq/msgbodys/\(id)"
    try? FileManager.default.createDirectory(atPath: "/tmp/rocketmq/msgbodys", withIntermediateDirectories: true)
    try? Data(message.body.readableBytesView).write(to: URL(fileURLWithPath: bodyPath))
    func line(_ name: String, _ value: String) { print(left(name, 20) + " " + value) }
    if let offsetId { line("OffsetID:", offsetId) }
    line("Topic:", message.topic)
    line("Tags:", "[\(properties[MessageProperty.tags] ?? "")]")
    line("Keys:", "[\(properties[MessageProperty.keys] ?? "")]")
    line("Queue ID:", String(message.queueId))
    line("Queue Offset:", String(message.queueOffset))
    line("CommitLog Offset:", String(message.physicalOffset))
    line("Reconsume Times:", String(message.reconsumeTimes))
    line("Born Timestamp:", formatTime(message.bornTimestamp))
    line("Store Timestamp:", formatTime(message.storeTimestamp))
    line("Born Host:", message.bornHost.description)
    line("Store Host:", message.storeHost.description)
    line("System Flag:", String(message.sysFlag))
    line("Properties:", "{" + properties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}")
    line("Message Body Path:", bodyPath)
    print("")
    guard let tracks else { return }
    if tracks.isEmpty {
        print("WARN: No Consumer")
        return
    }
    for track in tracks {
        print("MessageTrack [consumerGroup=\(track.group), trackType=\(track.type), exceptionDesc=\(track.exception ?? "null")]")
    }
}

func messageJSON(_ message: StoredMessage, tracks: [MessageTrack]?) -> JSONValue {
    let properties = message.propertyMap
    var members: [(String, JSONValue)] = [
        ("msgId", .string(properties[MessageProperty.uniqueKey] ?? message.offsetMessageId)),
        ("offsetMsgId", .string(message.offsetMessageId)), ("topic", .string(message.topic)),
        ("tags", properties[MessageProperty.tags].map { .string($0) } ?? .null),
        ("keys", properties[MessageProperty.keys].map { .string($0) } ?? .null),
        ("queueId", .int(message.queueId)), ("queueOffset", .int(message.queueOffset)),
        ("commitLogOffset", .int(message.physicalOffset)), ("reconsumeTimes", .int(message.reconsumeTimes)),
        ("bornTimestamp", .int(message.bornTimestamp)), ("storeTimestamp", .int(message.storeTimestamp)),
        ("bornHost", .string(message.bornHost.description)), ("storeHost", .string(message.storeHost.description)),
        ("sysFlag", .int(message.sysFlag)),
        ("properties", .object(properties.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ("body", .string(String(buffer: message.body))),
    ]
    if let tracks {
        members.append(("tracks", .array(tracks.map { .object([("consumerGroup", .string($0.group)), ("trackType", .string($0.type)),
                                                                ("exceptionDesc", $0.exception.map { .string($0) } ?? .null)]) })))
    }
    return .object(members)
}
