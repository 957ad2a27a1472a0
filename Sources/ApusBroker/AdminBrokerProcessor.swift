// AdminBrokerProcessor: the broker's admin request codes (admin.md §4–§9) — 17, 21, 25, 26, 28, 200, 201, 202, 203,
// 204, 207, 208, 215, 222 (and the RESET_CONSUMER_CLIENT_OFFSET 220 it sends to the group's members), 300, 303, 305,
// 306, 314, 315, 316, 317, 321, 328, 329, 12, 33, and the relays 307 and 309 (answered by the client). Decodes the
// header or body, calls AdminService, encodes the answer in the tools' JSON shapes (AdminBodies).

import ApusGroups
import ApusMessage
import ApusRemoting
import ApusStore
import Logging
import NIOCore

final class AdminBrokerProcessor: Sendable {
    private let admin: AdminService
    private let logger: Logger
    /// Sends a one-way request to a client connection (if it is still open).
    private let tell: @Sendable (ConnectionID, RemotingCommand) -> Void

    /// Sends a request to a client connection and returns its answer (nil: the connection is gone).
    private let call: @Sendable (ConnectionID, RemotingCommand, TimeAmount) -> EventLoopFuture<RemotingCommand>?

    init(admin: AdminService, logger: Logger, tell: @escaping @Sendable (ConnectionID, RemotingCommand) -> Void,
         call: @escaping @Sendable (ConnectionID, RemotingCommand, TimeAmount) -> EventLoopFuture<RemotingCommand>?) {
        self.admin = admin
        self.logger = logger
        self.tell = tell
        self.call = call
    }

    /// Requests answered by a client of the group: GET_CONSUMER_RUNNING_INFO (307), CONSUME_MESSAGE_DIRECTLY (309).
    static func relays(_ code: RequestCode) -> Bool { code == .getConsumerRunningInfo || code == .consumeMessageDirectly }

    /// Relays the request to the client and answers with the client's response unchanged (10 s, admin.md §7.1).
    func relay(_ request: RemotingCommand, code: RequestCode, reply: @escaping @Sendable (RemotingCommand) -> Void) {
        let group: String, clientId: String?
        var forward = RemotingCommand(code: request.code, extFields: request.extFields, body: request.body)
        do {
            if code == .getConsumerRunningInfo {
                let header: GetConsumerRunningInfoRequestHeader = try request.decodeHeader()
                (group, clientId) = (header.consumerGroup, header.clientId)
            } else {
                var header: ConsumeMessageDirectlyRequestHeader = try request.decodeHeader()
                (group, clientId) = (header.consumerGroup, header.clientId)
                header.brokerName = admin.name
                forward.extFields = header.extFields()
                forward.body = admin.record(offsetMessageId: header.msgId)
            }
        } catch {
            return reply(.response(to: request, code: .systemError, remark: "\(error)"))
        }
        let target: ConnectionID
        do { target = try admin.clientConnection(group: group, clientId: clientId) } catch {
            return reply(.response(to: request, refusal: error))
        }
        let who = "consumer <\(group)> <\(clientId ?? "")>"
        guard let answer = call(target, forward, .seconds(10)) else {
            return reply(.response(to: request, code: .systemError, remark: "invoke \(who) Exception: connection closed"))
        }
        answer.whenComplete { result in
            switch result {
            case let .success(response):
                reply(.relayedResponse(to: request, answer: response))
            case .failure(RemotingError.timeout):
                reply(.response(to: request, code: .consumeMsgTimeout, remark: "\(who) Timeout: no answer within 10000 ms"))
            case let .failure(error):
                reply(.response(to: request, code: .systemError, remark: "invoke \(who) Exception: \(error)"))
            }
        }
    }

    static func handles(_ code: RequestCode) -> Bool {
        switch code {
        case .getAllTopicConfig, .getTopicStatsInfo, .deleteTopicInBroker, .updateAndCreateSubscriptionGroup,
             .getAllSubscriptionGroupConfig, .deleteSubscriptionGroup, .getConsumeStats, .getConsumerConnectionList,
             .getProducerConnectionList, .invokeBrokerToResetOffset, .queryMessage, .viewMessageById, .getBrokerRuntimeInfo,
             .getBrokerConfig, .queryTopicConsumeByWho, .getSystemTopicListFromBroker, .getAllProducerInfo, .updateAndCreateTopic,
             .viewBrokerStatsData, .updateBrokerConfig, .cloneGroupOffset, .getBrokerConsumeStats, .cleanExpiredConsumeQueue,
             .cleanUnusedTopic, .deleteExpiredCommitLog, .queryConsumeTimeSpan, .queryConsumeQueue:
            return true
        default:
            return false
        }
    }

    /// Codes that change metadata and wait for its write: run them off the event loop.
    static func writesMetadata(_ code: RequestCode) -> Bool {
        switch code {
        case .updateAndCreateTopic, .deleteTopicInBroker, .updateAndCreateSubscriptionGroup, .deleteSubscriptionGroup: return true
        default: return false
        }
    }

    func process(_ request: RemotingCommand, code: RequestCode) -> RemotingCommand {
        do {
            return try answer(request, code: code)
        } catch let error as ServiceError {
            return .response(to: request, refusal: error)
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }

    private func answer(_ request: RemotingCommand, code: RequestCode) throws -> RemotingCommand {
        switch code {
        case .getAllTopicConfig:
            let (configs, version) = try admin.topicConfigs()
            var table: [String: TopicConfigWire] = [:]
            for c in configs {
                table[c.topicName] = TopicConfigWire(topicName: c.topicName, readQueueNums: c.readQueueNums,
                                                     writeQueueNums: c.writeQueueNums, perm: c.perm, topicFilterType: c.topicFilterType,
                                                     topicSysFlag: c.topicSysFlag, order: c.order)
            }
            let body = TopicConfigSerializeWrapper(topicConfigTable: table, dataVersion: version.wire)
            return .response(to: request, code: .success, body: body.encode())

        case .getTopicStatsInfo:
            let header: TopicRequestHeader = try request.decodeHeader()
            let stats = try admin.topicStats(topic: header.topic)
            let body = TopicStatsTable(offsetTable: stats.mapValues {
                TopicOffsetWire(minOffset: $0.minOffset, maxOffset: $0.maxOffset, lastUpdateTimestamp: $0.lastUpdateTimestamp)
            })
            return .response(to: request, code: .success, body: body.encode())

        case .updateAndCreateTopic:
            let header: CreateTopicRequestHeader = try request.decodeHeader()
            try admin.createOrUpdateTopic(TopicConfig(
                topicName: header.topic, readQueueNums: header.readQueueNums, writeQueueNums: header.writeQueueNums,
                perm: header.perm, topicFilterType: header.topicFilterType, topicSysFlag: header.topicSysFlag))
            return .response(to: request, code: .success)

        case .queryTopicConsumeByWho:
            let header: TopicRequestHeader = try request.decodeHeader()
            return .response(to: request, code: .success, body: GroupList(groupList: admin.groupsConsuming(topic: header.topic)).encode())

        case .getSystemTopicListFromBroker:
            return .response(to: request, code: .success, body: TopicList(topicList: admin.systemTopics).encode())

        case .getAllProducerInfo:
            let body = ProducerTableInfo(data: admin.allProducers().mapValues { list in
                list.map {
                    ProducerInfoWire(clientId: $0.clientId, remoteIP: "/" + $0.clientAddr, language: $0.language, version: $0.version,
                                     lastUpdateTimestamp: $0.lastUpdate)
                }
            })
            return .response(to: request, code: .success, body: body.encode())

        case .deleteTopicInBroker:
            let header: TopicRequestHeader = try request.decodeHeader()
            try admin.deleteTopic(header.topic)
            logger.info("topic deleted by admin", metadata: ["topic": "\(header.topic)"])
            return .response(to: request, code: .success)

        case .updateAndCreateSubscriptionGroup:
            // Java ignores an empty or unparsable body and still answers 0.
            guard let buffer = request.body, let wire = try? SubscriptionGroupConfigWire.decode(buffer), !wire.groupName.isEmpty else {
                return .response(to: request, code: .success)
            }
            try admin.updateSubscriptionGroup(SubscriptionGroupConfig(wire))
            logger.info("subscription group updated by admin", metadata: ["group": "\(wire.groupName)"])
            return .response(to: request, code: .success)

        case .getAllSubscriptionGroupConfig:
            let (configs, version) = try admin.subscriptionGroups()
            var table: [String: SubscriptionGroupConfigWire] = [:]
            for c in configs { table[c.groupName] = SubscriptionGroupConfigWire(c) }
            let body = SubscriptionGroupWrapper(subscriptionGroupTable: table, dataVersion: version.wire)
            return .response(to: request, code: .success, body: body.encode())

        case .deleteSubscriptionGroup:
            let header: DeleteSubscriptionGroupRequestHeader = try request.decodeHeader()
            try admin.deleteSubscriptionGroup(header.groupName, removeOffsets: header.removeOffset)
            logger.info("subscription group deleted by admin", metadata: ["group": "\(header.groupName)",
                                                                          "removeOffset": "\(header.removeOffset)"])
            return .response(to: request, code: .success)

        case .getConsumeStats:
            let header: GetConsumeStatsRequestHeader = try request.decodeHeader()
            let stats = admin.consumeStats(group: header.consumerGroup, topic: header.topic, now: currentMillis())
            return .response(to: request, code: .success, body: stats.wire.encode())

        case .getConsumerConnectionList:
            let header: GetConsumerConnectionListRequestHeader = try request.decodeHeader()
            let view = try admin.consumerConnections(group: header.consumerGroup)
            let body = ConsumerConnectionBody(
                connectionSet: view.connections.map(\.wire),
                subscriptionTable: view.subscriptions.mapValues(\.wire),
                consumeType: view.consumeType.rawValue, messageModel: view.messageModel.rawValue,
                consumeFromWhere: ConsumeFromWhereName.name(of: view.consumeFromWhere),
                verdict: admin.subscriptionVerdict(group: header.consumerGroup).wire)
            return .response(to: request, code: .success, body: body.encode())

        case .getProducerConnectionList:
            let header: GetProducerConnectionListRequestHeader = try request.decodeHeader()
            let list = try admin.producerConnections(group: header.producerGroup)
            return .response(to: request, code: .success, body: ProducerConnectionBody(connectionSet: list.map(\.wire)).encode())

        case .invokeBrokerToResetOffset:
            let header: ResetOffsetRequestHeader = try request.decodeHeader()
            let reset = try admin.resetOffset(topic: header.topic, group: header.group, timestamp: header.timestamp,
                                              force: header.isForce)
            let notice = ResetOffsetRequestHeader(topic: header.topic, group: header.group, timestamp: header.timestamp,
                                                  isForce: false)
            let javaBody = ResetOffsetBody(offsetTable: reset.offsets).encode()
            let cBody = ResetOffsetBodyForC(offsetTable: reset.offsets).encode()
            for member in reset.members {
                // Java's map form, or the list form the C++ client parses (remoting.md §3.5).
                tell(member.connection, .request(code: .resetConsumerClientOffset, header: notice,
                                                 body: member.language == "CPP" ? cBody : javaBody))
            }
            logger.info("consumer offsets reset by admin", metadata: [
                "group": "\(header.group)", "topic": "\(header.topic)", "timestamp": "\(header.timestamp)",
                "members": "\(reset.members.count)",
            ])
            return .response(to: request, code: .success, body: javaBody)

        case .queryMessage:
            let header: QueryMessageRequestHeader = try request.decodeHeader()
            let found = try admin.queryMessages(topic: header.topic, key: header.key, maxNum: header.maxNum,
                                                uniqueKey: header.uniqueKeyQuery, begin: header.beginTimestamp,
                                                end: header.endTimestamp)
            var body = ByteBuffer()
            for message in found { if var record = admin.record(of: message) { body.writeBuffer(&record) } }
            let last = found.map(\.storeTimestamp).max() ?? 0
            let lastOffset = found.map(\.physicalOffset).max() ?? 0
            return .response(to: request, code: .success,
                             header: QueryMessageResponseHeader(indexLastUpdateTimestamp: last, indexLastUpdatePhyoffset: lastOffset),
                             body: body)

        case .viewMessageById:
            let header: ViewMessageRequestHeader = try request.decodeHeader()
            let message = try admin.message(atCommitLogOffset: header.offset)
            guard let record = admin.record(of: message) else {
                throw ServiceError(.systemError, "can not find message by the offset, \(header.offset)")
            }
            return .response(to: request, code: .success, body: record)

        case .getBrokerConsumeStats:
            let header: GetConsumeStatsInBrokerHeader = try request.decodeHeader()
            let (groups, total) = admin.brokerConsumeStats(orderOnly: header.isOrder, now: currentMillis())
            let body = ConsumeStatsList(brokerAddr: admin.address, consumeStatsList: groups.map { entry in
                ConsumeStatsList.GroupStats(group: entry.group, stats: entry.stats.map(\.wire))
            }, totalDiff: total)
            return .response(to: request, code: .success, body: body.encode())

        case .queryConsumeTimeSpan:
            let header: QueryConsumeTimeSpanRequestHeader = try request.decodeHeader()
            let spans = try admin.consumeTimeSpan(topic: header.topic, group: header.group, now: currentMillis())
            let body = QueryConsumeTimeSpanBody(consumeTimeSpanSet: spans.map {
                QueueTimeSpanWire(messageQueue: $0.queue, minTimeStamp: $0.minTimeStamp, maxTimeStamp: $0.maxTimeStamp,
                                  consumeTimeStamp: $0.consumeTimeStamp, delayTime: $0.delayTime)
            })
            return .response(to: request, code: .success, body: body.encode())

        case .queryConsumeQueue:
            let header: QueryConsumeQueueRequestHeader = try request.decodeHeader()
            let view = try admin.consumeQueue(topic: header.topic, queueId: header.queueId, index: header.index, count: header.count,
                                              group: header.consumerGroup)
            let offline = header.consumerGroup.flatMap { view.groupOnline ? nil : "\($0)@\(header.topic) is not online!" }
            guard let entries = view.entries else {
                return .response(to: request, code: .success,
                                 remark: "Index \(header.index) of \(header.queueId)@\(header.topic) is not exist!")
            }
            let body = QueryConsumeQueueResponseBody(
                subscriptionData: view.subscription?.wire,
                queueData: entries.map {
                    ConsumeQueueDataWire(physicOffset: $0.physicalOffset, physicSize: $0.size, tagsCode: $0.tagsCode,
                                         eval: view.subscription?.matches(tagsCode: $0.tagsCode) ?? false)
                },
                maxQueueIndex: view.maxOffset, minQueueIndex: view.minOffset)
            return .response(to: request, code: .success, remark: offline, body: body.encode())

        case .cloneGroupOffset:
            let header: CloneGroupOffsetRequestHeader = try request.decodeHeader()
            try admin.cloneGroupOffset(source: header.srcGroup, destination: header.destGroup, topic: header.topic,
                                       offline: header.offline)
            return .response(to: request, code: .success)

        case .cleanExpiredConsumeQueue, .cleanUnusedTopic, .deleteExpiredCommitLog:
            // Retention already removes expired log segments and consume-queue files; nothing more to do on demand.
            return .response(to: request, code: .success)

        case .viewBrokerStatsData:
            let header: ViewBrokerStatsDataRequestHeader = try request.decodeHeader()
            let data = try admin.statsData(name: header.statsName, key: header.statsKey, now: currentMillis())
            let body = BrokerStatsData(statsMinute: data.minute.wire, statsHour: data.hour.wire, statsDay: data.day.wire)
            return .response(to: request, code: .success, body: body.encode())

        case .updateBrokerConfig:
            // No body: nothing changes (Java answers 0).
            guard let body = request.body, body.readableBytes > 0 else { return .response(to: request, code: .success) }
            let applied = try admin.updateBrokerConfig(String(buffer: body), now: currentMillis())
            logger.info("broker settings changed by admin", metadata: ["keys": "\(applied.joined(separator: ","))"])
            return .response(to: request, code: .success)

        case .getBrokerConfig:
            let (text, version) = admin.brokerConfig()
            var json = JSONWriter()
            json.beginObject()
            json.number("counter", version.counter)
            json.number("timestamp", version.timestamp)
            json.endObject()
            return .response(to: request, code: .success, header: GetBrokerConfigResponseHeader(version: json.text),
                             body: ByteBuffer(string: text))

        case .getBrokerRuntimeInfo:
            return .response(to: request, code: .success, body: KVTable(table: admin.runtimeInfo(now: currentMillis())).encode())

        default:
            return .response(to: request, code: .requestCodeNotSupported, remark: " request type \(request.code) not supported")
        }
    }
}

extension ConsumeStats {
    var wire: ConsumeStatsBody {
        ConsumeStatsBody(offsetTable: offsets.mapValues {
            OffsetWrapperWire(brokerOffset: $0.brokerOffset, consumerOffset: $0.consumerOffset, lastTimestamp: $0.lastTimestamp,
                              oldestUnconsumedTimestamp: $0.oldestUnconsumedTimestamp)
        }, consumeTps: consumeTps, broadcasting: broadcasting, observedPositions: observed.map {
            ObservedPositionWire(clientId: $0.position.clientId, topic: $0.position.topic, queueId: $0.position.queueId,
                                 nextOffset: $0.position.nextOffset, lastPull: $0.position.lastPull, brokerOffset: $0.brokerOffset)
        })
    }
}

extension SubscriptionVerdict {
    var wire: SubscriptionVerdictWire {
        SubscriptionVerdictWire(differences: differences.map { d in
            var topic: String?
            if case .expression(let t) = d.aspect { topic = t }
            return SubscriptionVerdictWire.Difference(
                aspect: d.aspect.name, topic: topic,
                variants: d.variants.map { SubscriptionVerdictWire.Difference.Variant(value: $0.value, clientIds: $0.clientIds) },
                text: d.description)
        })
    }
}

extension StatsSnapshot {
    var wire: BrokerStatsItemWire { BrokerStatsItemWire(sum: sum, tps: tps, avgpt: avgpt) }
}

extension DataVersion {
    var wire: DataVersionWire { DataVersionWire(counter: counter, timestamp: timestamp) }
}

extension SubscriptionGroupConfig {
    init(_ wire: SubscriptionGroupConfigWire) {
        self.init(groupName: wire.groupName, consumeEnable: wire.consumeEnable, consumeFromMinEnable: wire.consumeFromMinEnable,
                  consumeBroadcastEnable: wire.consumeBroadcastEnable, retryQueueNums: wire.retryQueueNums,
                  retryMaxTimes: wire.retryMaxTimes, brokerId: wire.brokerId,
                  whichBrokerWhenConsumeSlowly: wire.whichBrokerWhenConsumeSlowly,
                  notifyConsumerIdsChangedEnable: wire.notifyConsumerIdsChangedEnable)
    }
}

extension SubscriptionGroupConfigWire {
    init(_ config: SubscriptionGroupConfig) {
        self.init(groupName: config.groupName, consumeEnable: config.consumeEnable, consumeFromMinEnable: config.consumeFromMinEnable,
                  consumeBroadcastEnable: config.consumeBroadcastEnable, retryQueueNums: config.retryQueueNums,
                  retryMaxTimes: config.retryMaxTimes, brokerId: config.brokerId,
                  whichBrokerWhenConsumeSlowly: config.whichBrokerWhenConsumeSlowly,
                  notifyConsumerIdsChangedEnable: config.notifyConsumerIdsChangedEnable)
    }
}

extension ClientConnectionInfo {
    var wire: ConnectionWire { ConnectionWire(clientId: clientId, clientAddr: clientAddr, language: language, version: version) }
}

extension Subscription {
    var wire: SubscriptionDataWire {
        SubscriptionDataWire(topic: topic, subString: expression, tagsSet: tags,
                             codeSet: tags.map { TagsCode.javaHash($0) }, subVersion: subVersion, expressionType: "TAG")
    }
}
