// SendMessageProcessor: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) — single, batch,
// compressed and orderly sends, auto-created topics, SYNC_FLUSH acknowledgement after group commit.

import ApusMessage
import ApusRemoting
import ApusStore
import Logging
import NIOCore
import Synchronization

final class SendMessageProcessor: Sendable {
    private struct PendingSend {
        var request: RemotingCommand
        var messages: [MessageToStore]
        var queueId: Int32
    }

    private let broker: Broker
    /// Validated sends of the current read burst, per connection.
    private let pending = Mutex<[UInt64: [PendingSend]]>([:])

    init(broker: Broker) {
        self.broker = broker
    }

    /// `creating`: an unknown topic may be auto-created (first pass); false once creation was attempted.
    func process(_ request: RemotingCommand, on connection: RemotingConnection, creating: Bool = true) -> RemotingCommand? {
        let header: SendMessageRequestHeader
        do { header = try SendMessageRequestHeader(request: request) } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let known = broker.topics.get(header.topic)
        if known == nil {
            guard TopicNames.isValidTopicName(header.topic) else {
                return reject(request, .systemError, "the topic name [\(header.topic)] is illegal: use letters, digits, %, |, _ and - (at most 127)", connection)
            }
            if creating {
                // Creating the topic writes its config file: do it off the event loop, then process the send again there.
                broker.metadataQueue.async { [self] in
                    _ = broker.topics.configForSend(topic: header.topic, defaultTopic: header.defaultTopic)
                    connection.eventLoop.execute {
                        if let response = self.process(request, on: connection, creating: false) { connection.write(response) }
                        self.flush(connection)
                        connection.flush()
                    }
                }
                return nil
            }
        }
        guard !TopicNames.notAllowedToSend.contains(header.topic) else {
            return reject(request, .systemError, "sending to the system topic [\(header.topic)] is forbidden", connection)
        }
        guard var topicConfig = known ?? broker.topics.get(header.topic) else {
            return reject(request, .topicNotExist, "topic [\(header.topic)] not exist, apply first please! (autoCreateTopicEnable=\(broker.config.autoCreateTopicEnable))", connection)
        }
        guard Permission.isWritable(topicConfig.perm) else {
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
        if let group = TopicNames.groupOfRetry(topic) {
            let maxTimes = header.maxReconsumeTimes ?? broker.subscriptionGroups.get(group)?.retryMaxTimes ?? 16
            if header.reconsumeTimes >= maxTimes, let dlq = broker.topics.ensureSingleQueueTopic(TopicNames.deadLetter(group)) {
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

        if let oversized = messages.first(where: { $0.properties.utf8.count > Int(Int16.max) }) {
            return reject(request, .messageIllegal, "the properties are \(oversized.properties.utf8.count) bytes; at most 32767", connection)
        }
        // Sends are appended once per read burst (`flush(connection:)`): under load one append serves many requests.
        pending.withLock { $0[connection.id, default: []].append(PendingSend(request: request, messages: messages, queueId: queueId)) }
        return nil
    }

    /// Appends every send received in this read burst with one `putMessages` and answers each request.
    func flush(_ connection: RemotingConnection) {
        guard let sends = pending.withLock({ $0.removeValue(forKey: connection.id) }), !sends.isEmpty else { return }
        let result = broker.store.putMessages(sends.count == 1 ? sends[0].messages : sends.flatMap(\.messages))
        var responses: [RemotingCommand] = []
        responses.reserveCapacity(sends.count)
        var next = 0
        for send in sends {
            let records = result.records[next..<min(next + send.messages.count, result.records.count)]
            next += send.messages.count
            switch result.status {
            case .ok:
                let msgId = records.count == 1
                    ? MessageId.offsetMessageId(storeHost: broker.storeHost, commitLogOffset: records[records.startIndex].physicalOffset)
                    : records.map { MessageId.offsetMessageId(storeHost: broker.storeHost, commitLogOffset: $0.physicalOffset) }
                        .joined(separator: ",")
                responses.append(.response(to: send.request, code: .success, header: SendMessageResponseHeader(
                    msgId: msgId, queueId: send.queueId, queueOffset: records.first?.queueOffset ?? 0)))
            case let .messageIllegal(reason):
                responses.append(reject(send.request, .messageIllegal, reason, connection))
            case let .serviceNotAvailable(reason):
                responses.append(reject(send.request, .serviceNotAvailable, reason, connection))
            }
        }
        guard broker.config.store.flushDiskType == .syncFlush, result.status == .ok else {
            responses.forEach(connection.write)
            return
        }
        // SYNC_FLUSH: acknowledge only once the group commit covering these appends is durable.
        let answers = responses
        broker.store.whenFlushed(upTo: result.endOffset) { durable in
            for response in answers {
                var response = response
                if !durable { response.code = ResponseCode.flushDiskTimeout.rawValue }
                connection.write(response)
            }
            connection.flush()
        }
    }

    func connectionClosed(_ connection: RemotingConnection) {
        pending.withLock { $0[connection.id] = nil }
    }

    /// Splits a batch body (§2.6) into one message per element; a compressed wrapper is inflated first.
    private func batchMessages(_ header: SendMessageRequestHeader, topic: String, queueId: Int32, body: ByteBuffer,
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
            // Java 4.9.x elements end without a 0x02; a plain concatenation would glue "TagE" and "WAIT…" together.
            let properties = MessagePropertyCodec.appending(header.properties, to: element.properties)
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
