// ExternalPublish: the broker's entry point for sends that arrive over another protocol (the ApsaraMQ HTTP API):
// one message through SendService — the same validation, auto-creation, timer scheduling and durability as a
// remoting send — answered with the offset message id. A message with `__SHARDINGKEY` goes to the queue the key
// hashes to (Java's `SelectMessageQueueByHash`: |hashCode| mod the write queues), so one key's messages keep their
// order in one queue for orderly consumers of either protocol.

import ApusMessage
import ApusStore
import NIOCore

/// Why a publish was refused, in transport-neutral terms (the HTTP layer maps it to its error codes).
public struct PublishRejection: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case topicNotExist
        case noPermission
        case invalidArgument
        case unavailable
    }

    public var kind: Kind
    public var reason: String
    public var description: String { reason }
}

extension Broker {
    /// The largest message body a publish may carry (`maxMessageSize`).
    public var maxMessageSize: Int { config.maxMessageSize }

    /// Stores one message (properties in RocketMQ's encoding, TAGS/KEYS/timer keys included) and returns its
    /// message id once it is as durable as the flush policy promises.
    public func publish(topic: String, body: [UInt8], properties: String, bornHost: HostAddress?) async throws(PublishRejection) -> String {
        let record = try await storeExternal(topic: topic, body: body, properties: properties, sysFlag: 0, bornHost: bornHost)
        return MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: record.physicalOffset)
    }

    /// One message through SendService (prepare → append → durable): the appended record.
    func storeExternal(topic: String, body: [UInt8], properties: String, sysFlag: Int32,
                       bornHost: HostAddress?) async throws(PublishRejection) -> AppendedRecord {
        let now = currentMillis()
        var request = SendRequest(topic: topic, defaultTopic: "TBW102", defaultTopicQueueNums: nil, sysFlag: sysFlag,
                                  bornTimestamp: now, properties: .string(properties), body: ByteBuffer(bytes: body),
                                  bornHost: bornHost ?? .zero)
        if let queueId = shardingQueue(topic: topic, properties: properties) { request.queueId = queueId }
        let prepared: PreparedSend
        do {
            prepared = try send.prepare(request, now: now)
        } catch {
            switch error.kind {
            case .topicNotExist: throw PublishRejection(kind: .topicNotExist, reason: error.remark)
            case .noPermission: throw PublishRejection(kind: .noPermission, reason: error.remark)
            case .serviceNotAvailable, .systemError: throw PublishRejection(kind: .unavailable, reason: error.remark)
            default: throw PublishRejection(kind: .invalidArgument, reason: error.remark)
            }
        }
        let result = send.append(prepared)
        switch result.status {
        case .ok: break
        case let .messageIllegal(reason): throw PublishRejection(kind: .invalidArgument, reason: reason)
        case let .serviceNotAvailable(reason): throw PublishRejection(kind: .unavailable, reason: reason)
        }
        guard let record = result.records.first else { throw PublishRejection(kind: .unavailable, reason: "nothing was stored") }
        let durable = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            send.whenDurable(result) { continuation.resume(returning: $0) }
        }
        guard durable else { throw PublishRejection(kind: .unavailable, reason: "flushing the message to disk timed out") }
        return record
    }

    /// The queue of a sharding key's messages; nil without a key (SendService picks one) or for a topic that cannot
    /// be created (SendService answers why).
    func shardingQueue(topic: String, properties: String) -> Int32? {
        guard let key = MessagePropertyCodec.value(of: MessageProperty.shardingKey, in: properties), !key.isEmpty,
              TopicNames.isValidTopicName(topic), !TopicNames.isNotAllowedToSend(topic),
              let config = topics.get(topic) ?? topics.configForSend(topic: topic, defaultTopic: TopicNames.autoCreateTemplate),
              config.writeQueueNums > 0 else { return nil }
        let hash = Int64(TagsCode.javaHash(key))
        return Int32(abs(hash) % Int64(config.writeQueueNums))
    }
}
