// ExternalConsume: the broker's entry points for consumption over another protocol (the ApsaraMQ HTTP API):
// consume with receipt handles (long polling included) and ack, through HTTPConsumeService, in transport-neutral
// public types — stored messages come out with their client-visible id, inflated body and ordered properties.

import ApusGroups
import ApusMessage

/// One consume call (http-api §6.2, §6.3). `group` and `topic` are the stored (instance-scoped) names.
public struct ExternalConsumeRequest: Sendable, Equatable {
    public var group: String
    public var topic: String
    /// One tag or `A||B`; nil, "" or `*`: every message.
    public var tag: String?
    /// 1...16.
    public var numOfMessages: Int
    /// `trans=order`.
    public var orderly: Bool
    /// Who polls (feeds the group's protocol-consistency report).
    public var client: String

    public init(group: String, topic: String, tag: String?, numOfMessages: Int, orderly: Bool, client: String) {
        self.group = group
        self.topic = topic
        self.tag = tag
        self.numOfMessages = numOfMessages
        self.orderly = orderly
        self.client = client
    }
}

/// One delivery: the message as a client sees it and this delivery's handle and times.
public struct ExternalConsumedMessage: Sendable, Equatable {
    /// The client's message id (`UNIQ_KEY`) when the producer set one, else the offset message id — the id the
    /// HTTP publish answered and TCP consumers see.
    public var messageId: String
    /// Inflated when the producer compressed it.
    public var body: [UInt8]
    /// When the broker stored the message (epoch ms).
    public var publishTime: Int64
    public var tag: String?
    /// Every stored property (TAGS included), in stored order.
    public var properties: [(key: String, value: String)]
    public var receiptHandle: String
    public var firstConsumeTime: Int64
    public var nextConsumeTime: Int64
    public var consumedTimes: Int32

    public static func == (a: Self, b: Self) -> Bool {
        a.messageId == b.messageId && a.receiptHandle == b.receiptHandle && a.body == b.body
    }
}

/// Why a consume was refused, in transport-neutral terms.
public struct ConsumeRejection: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case topicNotExist
        case groupNotExist
        case noPermission
        case invalidArgument
        case unavailable
    }

    public var kind: Kind
    public var reason: String
    public var description: String { reason }

    public init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }
}

extension Broker {
    /// Consumes for an HTTP group; with `waitMillis` > 0, holds until something is deliverable or the time is up
    /// (empty result). A topic that does not exist is created first when topics are auto-created (http-api §10.1).
    public func consumeExternal(_ request: ExternalConsumeRequest, waitMillis: Int64) async throws(ConsumeRejection)
        -> [ExternalConsumedMessage]
    {
        guard TopicNames.isValidTopicName(request.topic) else {
            throw ConsumeRejection(kind: .invalidArgument, reason: "the topic [\(request.topic)] is illegal")
        }
        guard !TopicNames.isNotAllowedToSend(request.topic) else {
            throw ConsumeRejection(kind: .noPermission, reason: "the topic [\(request.topic)] is a system topic")
        }
        if topics.get(request.topic) == nil, !TopicNames.isRetry(request.topic), !TopicNames.isDeadLetter(request.topic) {
            _ = topics.configForSend(topic: request.topic, defaultTopic: nil)
        }
        let internalRequest = HTTPConsumeRequest(group: request.group, topic: request.topic, tag: request.tag,
                                                 numOfMessages: request.numOfMessages, orderly: request.orderly,
                                                 client: request.client)
        let delivered: [HTTPConsumedMessage]
        do {
            // waitMillis 0: one consume; either way the answer waits for the journal's sync without blocking a thread.
            delivered = try await httpConsume.consume(internalRequest, waitingUntil: currentMillis() + max(0, waitMillis))
        } catch {
            switch error.kind {
            case .topicNotExist: throw ConsumeRejection(kind: .topicNotExist, reason: error.remark)
            case .noPermission: throw ConsumeRejection(kind: .noPermission, reason: error.remark)
            case .subscriptionGroupNotExist, .subscriptionNotExist: throw ConsumeRejection(kind: .groupNotExist, reason: error.remark)
            case .messageIllegal, .invalidName, .subscriptionParseFailed:
                throw ConsumeRejection(kind: .invalidArgument, reason: error.remark)
            default: throw ConsumeRejection(kind: .unavailable, reason: error.remark)
            }
        }
        return delivered.map { Self.external($0, maxBodyBytes: config.maxMessageSize) }
    }

    /// Acks receipt handles of an HTTP group: one result per handle, in order; valid ones are acked even when
    /// others fail. Returns once the acks are on disk (awaiting the journal's group commit).
    public func ackExternal(group: String, topic: String, handles: [String]) async -> [HTTPAckResult] {
        await httpConsume.acknowledge(group: group, topic: topic, handles: handles, now: currentMillis())
    }

    static func external(_ d: HTTPConsumedMessage, maxBodyBytes: Int) -> ExternalConsumedMessage {
        let m = d.message
        var body = Array(m.body.readableBytesView)
        if m.sysFlag & MessageSysFlag.compressed != 0,
           let inflated = try? body.withUnsafeBytes({ try Zlib.inflate($0, maxOutput: max(maxBodyBytes, 4 << 20) * 4) }) {
            body = inflated
        }
        let properties = orderedProperties(m.properties)
        let uniq = properties.last { $0.key == MessageProperty.uniqueKey }?.value
        let tag = properties.last { $0.key == MessageProperty.tags }?.value
        return ExternalConsumedMessage(
            messageId: uniq.flatMap { $0.isEmpty ? nil : $0 } ?? m.offsetMessageId, body: body,
            publishTime: m.storeTimestamp, tag: tag.flatMap { $0.isEmpty ? nil : $0 }, properties: properties,
            receiptHandle: d.receiptHandle, firstConsumeTime: d.firstConsumeTime, nextConsumeTime: d.nextConsumeTime,
            consumedTimes: d.consumedTimes)
    }

    /// The pairs of a properties string in stored order (the last of duplicate keys kept in place of the first).
    /// Read as bytes, duplicates found by comparing keys while there are few (a message has a handful): splitting
    /// into an array of slices and indexing every key in a dictionary took some 10,000 instructions a message.
    static func orderedProperties(_ text: String) -> [(key: String, value: String)] {
        var text = text
        return text.withUTF8 { bytes in
            var out: [(key: String, value: String)] = []
            var index: [String: Int]?  // built once there are many pairs
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x02 { end += 1 }
                defer { start = end + 1 }
                var sep = start
                while sep < end, bytes[sep] != 0x01 { sep += 1 }
                guard sep < end, sep != start else { continue }
                let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<sep]), as: UTF8.self)
                let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[(sep + 1)..<end]), as: UTF8.self)
                if index == nil, out.count == 16 {
                    index = Dictionary(out.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { first, _ in first })
                }
                if let existing = index.map({ $0[key] }) ?? out.firstIndex(where: { $0.key == key }) {
                    out[existing].value = value
                } else {
                    index?[key] = out.count
                    out.append((key, value))
                }
            }
            return out
        }
    }
}
