// SendBackProcessor: CONSUMER_SEND_MSG_BACK (36) — a failed message of a clustering consumer goes back into
// %RETRY%{group} (or %DLQ%{group} once it has failed maxReconsumeTimes times) so nothing is lost.
// Delay levels are recorded by the retry policy but not yet applied: the copy is immediately consumable.

import ApusGroups
import ApusMessage
import ApusRemoting
import ApusStore
import NIOCore

final class SendBackProcessor: Sendable {
    private let broker: Broker
    private let policy = RetryPolicy()

    init(broker: Broker) {
        self.broker = broker
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        let header: ConsumerSendMsgBackRequestHeader
        do { header = try request.decodeHeader() } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let group = header.group, offset = header.offset
        let groupConfig: SubscriptionGroupConfig
        do { groupConfig = try broker.subscriptionGroups.getOrCreate(group) } catch {
            return .response(to: request, code: .subscriptionGroupNotExist, remark: "subscription group [\(group)]: \(error)")
        }
        // Broadcasting consumption has no retry: a member of an effectively broadcasting group is not retried.
        let (known, retries) = broker.groups.withLock {
            ($0.consumers.clientId(of: connection.id) != nil, $0.consumers.retriesFailures(group: group, connection: connection.id))
        }
        if known && !retries {
            return .response(to: request, code: .success)
        }
        guard let original = broker.store.message(atCommitLogOffset: offset) else {
            return .response(to: request, code: .systemError, remark: "look message by offset failed, \(offset)")
        }
        // Java clients from V3_4_9 (version 121) may carry their own limit.
        let maxTimes = request.version >= 121 ? (header.maxReconsumeTimes ?? groupConfig.retryMaxTimes) : groupConfig.retryMaxTimes
        let decision = policy.decide(reconsumeTimes: original.reconsumeTimes, requestedDelayLevel: header.delayLevel,
                                     maxReconsumeTimes: maxTimes, retryQueueNums: groupConfig.retryQueueNums)
        let destination: String
        switch decision {
        case .drop:
            return .response(to: request, code: .success)
        case .retry:
            destination = TopicNames.retry(group)
        case .deadLetter:
            destination = TopicNames.deadLetter(group)
        }
        guard broker.topics.ensureSingleQueueTopic(destination) != nil else {
            return .response(to: request, code: .systemError, remark: "cannot create topic \(destination)")
        }
        var properties = original.propertyMap
        if properties[MessageProperty.retryTopic] == nil { properties[MessageProperty.retryTopic] = original.topic }
        if properties[MessageProperty.originMessageId] == nil {
            properties[MessageProperty.originMessageId] = original.offsetMessageId
        }
        properties[MessageProperty.wait] = "false"
        let copy = MessageToStore(
            topic: destination, queueId: 0, flag: original.flag, body: ByteBuffer(bytes: original.body),
            properties: MessagePropertyCodec.encode(properties.sorted { $0.key < $1.key }),
            sysFlag: original.sysFlag, bornTimestamp: original.bornTimestamp, bornHost: original.bornHost,
            storeHost: original.storeHost, reconsumeTimes: original.reconsumeTimes + 1, preparedTransactionOffset: 0,
            tagsCode: TagsCode.of(properties[MessageProperty.tags]))
        let result = broker.store.putMessages([copy])
        guard result.status == .ok else {
            return .response(to: request, code: .systemError, remark: "cannot store the message back: \(result.status)")
        }
        if case .deadLetter = decision {
            broker.logger.info("message moved to dead-letter queue", metadata: ["group": "\(group)", "topic": "\(original.topic)"])
        }
        return .response(to: request, code: .success)
    }
}
