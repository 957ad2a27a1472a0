// SendMessageProcessor: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) — single, batch,
// compressed and orderly sends, auto-created topics, SYNC_FLUSH acknowledgement after group commit.

import ApusMessage
import ApusRemoting
import ApusStore
import Logging
import NIOCore

/// The send header under either naming (§2.4 long names, §2.5 one-letter names).
struct SendMessageHeader {
    var producerGroup: String
    var topic: String
    var defaultTopic: String?
    var queueId: Int32
    var sysFlag: Int32
    var bornTimestamp: Int64
    var flag: Int32
    var properties: String
    var reconsumeTimes: Int32
    var maxReconsumeTimes: Int32?
    var batch: Bool

    init(_ request: RemotingCommand) throws {
        let v2 = request.code != RequestCode.sendMessage.rawValue
        func key(_ long: String, _ short: String) -> String { v2 ? short : long }
        producerGroup = request.string(key("producerGroup", "a")) ?? ""
        topic = try request.required(key("topic", "b"))
        defaultTopic = request.string(key("defaultTopic", "c"))
        queueId = request.int32(key("queueId", "e")) ?? -1
        sysFlag = request.int32(key("sysFlag", "f")) ?? 0
        bornTimestamp = request.int64(key("bornTimestamp", "g")) ?? currentMillis()
        flag = request.int32(key("flag", "h")) ?? 0
        properties = request.string(key("properties", "i")) ?? ""
        reconsumeTimes = request.int32(key("reconsumeTimes", "j")) ?? 0
        maxReconsumeTimes = request.int32(key("maxReconsumeTimes", "l"))
        // The C++ client marks batches with "1"; Java clients send code 320.
        batch = request.code == RequestCode.sendBatchMessage.rawValue || (request.bool(key("batch", "m")) ?? false)
    }
}

final class SendMessageProcessor: Sendable {
    private let broker: Broker

    init(broker: Broker) {
        self.broker = broker
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand? {
        let header: SendMessageHeader
        do { header = try SendMessageHeader(request) } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        guard TopicRegistry.isValidName(header.topic) else {
            return reject(request, .systemError, "the topic name [\(header.topic)] is illegal: use letters, digits, %, |, _ and - (at most 127)", connection)
        }
        guard !TopicRegistry.notAllowedToSend.contains(header.topic) else {
            return reject(request, .systemError, "sending to the system topic [\(header.topic)] is forbidden", connection)
        }
        guard var topicConfig = broker.topics.configForSend(topic: header.topic, defaultTopic: header.defaultTopic) else {
            return reject(request, .topicNotExist, "topic [\(header.topic)] not exist, apply first please! (autoCreateTopicEnable=\(broker.config.autoCreateTopicEnable))", connection)
        }
        guard topicConfig.perm & Permission.write != 0 else {
            return reject(request, .noPermission, "the topic [\(header.topic)] is not writable", connection)
        }
        var topic = header.topic
        var queueId = header.queueId
        let queueCount = max(topicConfig.readQueueNums, topicConfig.writeQueueNums)
        if queueId >= queueCount {
            return reject(request, .systemError, "queueId \(queueId) is out of range: topic [\(topic)] has \(queueCount) queues", connection)
        }
        if queueId < 0 { queueId = Int32.random(in: 0..<max(1, topicConfig.writeQueueNums)) }

        // A direct send into a retry topic past the group's limit goes to the dead-letter queue.
        if topic.hasPrefix(RetryTopics.retryPrefix) {
            let group = String(topic.dropFirst(RetryTopics.retryPrefix.count))
            let maxTimes = header.maxReconsumeTimes ?? broker.subscriptionGroups.get(group)?.retryMaxTimes ?? 16
            if header.reconsumeTimes >= maxTimes, let dlq = broker.topics.ensureSingleQueueTopic(RetryTopics.deadLetter(group)) {
                topic = dlq.topicName
                topicConfig = dlq
                queueId = 0
            }
        }

        let body = request.body ?? ByteBuffer()
        guard body.readableBytes > 0 else {
            return reject(request, .messageIllegal, "the message body is empty", connection)
        }
        let bornHost = connection.remoteAddress ?? .zero
        var messages: [MessageToStore]
        if header.batch {
            do {
                messages = try batchMessages(header, topic: topic, queueId: queueId, body: body, bornHost: bornHost)
            } catch {
                return reject(request, .messageIllegal, "the batch body cannot be decoded: \(error)", connection)
            }
        } else {
            guard body.readableBytes <= broker.config.maxMessageSize else {
                return reject(request, .messageIllegal, "the message body is \(body.readableBytes) bytes; maxMessageSize is \(broker.config.maxMessageSize)", connection)
            }
            messages = [MessageToStore(
                topic: topic, queueId: queueId, flag: header.flag, body: body, properties: header.properties,
                sysFlag: header.sysFlag, bornTimestamp: header.bornTimestamp, bornHost: bornHost, storeHost: broker.storeHost,
                reconsumeTimes: header.reconsumeTimes, preparedTransactionOffset: 0,
                tagsCode: TagsCode.of(MessagePropertyCodec.value(of: MessageProperty.tags, in: header.properties)))]
        }

        let result = broker.store.putMessages(messages)
        switch result.status {
        case .ok:
            break
        case let .messageIllegal(reason):
            return reject(request, .messageIllegal, reason, connection)
        case let .serviceNotAvailable(reason):
            return reject(request, .serviceNotAvailable, reason, connection)
        }
        let ids = result.records.map { MessageId.offsetMessageId(storeHost: broker.storeHost, commitLogOffset: $0.physicalOffset) }
        let ext: ExtFields = [
            "msgId": ids.count == 1 ? ids[0] : ids.joined(separator: ","),
            "queueId": String(queueId),
            "queueOffset": String(result.records.first?.queueOffset ?? 0),
        ]
        guard broker.config.store.flushDiskType == .syncFlush else {
            return .response(to: request, code: .success, extFields: ext)
        }
        // SYNC_FLUSH: acknowledge only once the group commit covering this append is durable.
        broker.store.whenFlushed(upTo: result.endOffset) { durable in
            connection.writeAndFlush(.response(to: request, code: durable ? .success : .flushDiskTimeout, extFields: ext))
        }
        return nil
    }

    /// Splits a batch body (§2.6) into one message per element; a compressed wrapper is inflated first.
    private func batchMessages(_ header: SendMessageHeader, topic: String, queueId: Int32, body: ByteBuffer,
                               bornHost: HostAddress) throws -> [MessageToStore] {
        let maxSize = broker.config.maxMessageSize
        var raw = body
        if header.sysFlag & MessageSysFlag.compressed != 0 {
            let inflated = try body.withUnsafeReadableBytes { try Zlib.inflate($0, maxOutput: maxSize) }
            raw = ByteBuffer(bytes: inflated)
        }
        guard raw.readableBytes <= maxSize else { throw BatchError.tooLarge(raw.readableBytes, maxSize) }
        let elements = try raw.withUnsafeReadableBytes { try MessageBatchCodec.decode($0) }
        guard !elements.isEmpty else { throw BatchError.empty }
        let sysFlag = header.sysFlag & ~MessageSysFlag.compressed
        return elements.map { element in
            let properties = element.properties + header.properties
            return MessageToStore(
                topic: topic, queueId: queueId, flag: element.flag, body: ByteBuffer(bytes: element.body),
                properties: properties, sysFlag: sysFlag, bornTimestamp: header.bornTimestamp, bornHost: bornHost,
                storeHost: broker.storeHost, reconsumeTimes: header.reconsumeTimes, preparedTransactionOffset: 0,
                tagsCode: TagsCode.of(MessagePropertyCodec.value(of: MessageProperty.tags, in: element.properties)))
        }
    }

    private func reject(_ request: RemotingCommand, _ code: ResponseCode, _ remark: String,
                        _ connection: RemotingConnection) -> RemotingCommand {
        broker.logger.warning("send rejected", metadata: [
            "code": "\(code.rawValue)", "reason": "\(remark)", "peer": "\(connection.remoteAddress?.description ?? "?")",
        ])
        return .response(to: request, code: code, remark: remark)
    }
}

enum BatchError: Error, CustomStringConvertible {
    case tooLarge(Int, Int)
    case empty

    var description: String {
        switch self {
        case let .tooLarge(size, limit): return "batch of \(size) bytes exceeds maxMessageSize \(limit)"
        case .empty: return "the batch holds no message"
        }
    }
}
