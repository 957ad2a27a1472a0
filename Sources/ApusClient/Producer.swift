// Producer: sends messages over remoting (SEND_MESSAGE_V2), round-robin over a topic's write queues, with optional
// pipelining (write many, flush once) for load generation.

import ApusMessage
import ApusRemoting
import Logging
import NIOCore
import Synchronization

public struct SendResult: Sendable {
    public var messageId: String
    public var offsetMessageId: String
    public var queue: MessageQueue
    public var queueOffset: Int64
}

/// A message to send.
public struct OutgoingMessage: Sendable {
    public var topic: String
    public var body: ByteBuffer
    public var tags: String?
    public var keys: String?
    public var properties: [String: String]

    public init(topic: String, body: ByteBuffer, tags: String? = nil, keys: String? = nil, properties: [String: String] = [:]) {
        self.topic = topic
        self.body = body
        self.tags = tags
        self.keys = keys
        self.properties = properties
    }
}

public final class Producer: Sendable {
    public let group: String
    public let instance: ClientInstance
    private let ids = UniqueKeyGenerator()
    private let nextQueue = Atomic<Int>(0)
    private let templates = Mutex(SendTemplates())
    public let timeout: TimeAmount
    /// The header format of single sends: binary (ROCKETMQ, the default and the cheaper to decode) or JSON, as the Java
    /// and C++ clients send it (`apus bench --serialize json`).
    public let serializeType: SerializeType

    public init(group: String, instance: ClientInstance, timeout: TimeAmount = .seconds(3),
                serializeType: SerializeType = .rocketmq) {
        self.group = group
        self.instance = instance
        self.timeout = timeout
        self.serializeType = serializeType
    }

    func nextQueueIndex() -> Int { nextQueue.add(1, ordering: .relaxed).oldValue }
    func nextUniqueKey() -> String { ids.next() }

    /// Resolves the topic's route (falling back to the auto-create route of TBW102) and opens the broker connections.
    public func prepare(topic: String) async throws -> TopicRoute {
        let route: TopicRoute
        do { route = try await instance.route(topic) } catch {
            var fallback = try await instance.route(TopicNames.autoCreateTemplate)
            fallback.writeQueues = fallback.writeQueues.prefix(4).map { MessageQueue(topic: topic, brokerName: $0.brokerName, queueId: $0.queueId) }
            route = fallback
        }
        for address in Set(route.brokerAddresses.values) { _ = try await instance.broker(address) }
        return route
    }

    /// Sends one message; `queue` picks a queue explicitly (orderly sends), else round robin.
    /// With `flush: false` the request is only written; call `connection.flush()` once per burst.
    public func send(_ message: borrowing OutgoingMessage, route: TopicRoute, connection: RemotingClient,
                     queue: MessageQueue? = nil, flush: Bool = true) -> EventLoopFuture<SendResult> {
        let target = queue ?? route.writeQueues[nextQueueIndex() % route.writeQueues.count]
        let messageId = nextUniqueKey()
        let template = template(message.topic)
        let body = message.body
        return messageId.withContiguousUTF8 { key in
            Self.withProperties(uniqueKey: UnsafeRawBufferPointer(key), tags: message.tags, keys: message.keys,
                                others: message.properties) {
                connection.send(template, queueId: target.queueId, bornTimestamp: currentMillis(), properties: $0,
                                body: body, timeout: timeout, flush: flush)
            }
        }
            .flatMapThrowing { response in
                guard response.code == ResponseCode.success.rawValue else {
                    throw ClientError.brokerError(code: response.code, remark: response.remark ?? "")
                }
                let header = try response.decodeHeader(SendMessageResponseHeader.self)
                return SendResult(messageId: messageId, offsetMessageId: header.msgId, queue: target, queueOffset: header.queueOffset)
            }
    }

    /// The raw SEND_MESSAGE_V2 exchange for load generation, with a callback instead of a future (one allocation and
    /// one chained closure less per send): the broker's response, unchecked and unconverted, on the connection's event
    /// loop.
    public func sendRaw(_ message: borrowing OutgoingMessage, route: TopicRoute, connection: RemotingClient, flush: Bool,
                        completion: @escaping @Sendable (Result<RemotingCommand, Error>) -> Void) {
        let target = route.writeQueues[nextQueueIndex() % route.writeQueues.count]
        let template = template(message.topic)
        let body = message.body
        ids.withNext { key in
            Self.withProperties(uniqueKey: key, tags: message.tags, keys: message.keys, others: message.properties) {
                connection.send(template, queueId: target.queueId, bornTimestamp: currentMillis(), properties: $0,
                                body: body, timeout: timeout, flush: flush, completion: completion)
            }
        }
    }

    /// A message's properties as sent, built on the stack and lent to `body` (the key's string and the properties'
    /// string made per send were about 450 of the Swift producer's 11,000 instructions per W1 message). Given the
    /// message's parts, not the message: closures that captured the message copied it (a retain and a release of each
    /// of its references per send).
    private static func withProperties<R>(uniqueKey: UnsafeRawBufferPointer, tags: String?, keys: String?,
                                          others: [String: String], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let sorted = others.isEmpty ? [] : others.sorted(by: { $0.key < $1.key })
        let length = MessagePropertyCodec.producedLength(uniqueKeyLength: uniqueKey.count, tags: tags, keys: keys,
                                                         sortedOtherPairs: sorted)
        return withUnsafeTemporaryAllocation(byteCount: length, alignment: 1) { out in
            let written = MessagePropertyCodec.writeProduced(uniqueKey: uniqueKey, tags: tags, keys: keys,
                                                             sortedOtherPairs: sorted, into: out)
            return body(UnsafeRawBufferPointer(rebasing: out[..<written]))
        }
    }

    /// The send header of `topic` from this producer, pre-encoded once.
    private func template(_ topic: String) -> SendFrameTemplate {
        if let known = templates.withLock({ $0.find(topic) }) { return known }
        let made = SendFrameTemplate(SendMessageRequestHeader(producerGroup: group, topic: topic, queueId: 0, bornTimestamp: 0,
                                                              properties: ""), serializeType: serializeType)
        templates.withLock { $0.add(made) }
        return made
    }

    /// Convenience: resolve, connect and send one message.
    public func send(_ message: OutgoingMessage) async throws -> SendResult {
        let route = try await prepare(topic: message.topic)
        let queue = route.writeQueues[nextQueueIndex() % route.writeQueues.count]
        guard let address = route.brokerAddresses[queue.brokerName] else { throw ClientError.noRoute(message.topic) }
        let connection = try await instance.broker(address)
        return try await send(message, route: route, connection: connection, queue: queue).get()
    }
}

extension Producer {
    /// Sends several messages of one topic as one SEND_BATCH_MESSAGE request to one queue.
    public func sendBatch(_ messages: [OutgoingMessage], route: TopicRoute, connection: RemotingClient, queue: MessageQueue? = nil,
                          flush: Bool = true) -> EventLoopFuture<[String]> {
        let target = queue ?? route.writeQueues[nextQueueIndex() % route.writeQueues.count]
        let keys = messages.map { _ in nextUniqueKey() }
        let elements = zip(messages, keys).map { message, key -> MessageBatchElement in
            var properties: [(String, String)] = [(MessageProperty.uniqueKey, key)]
            if let tags = message.tags { properties.append((MessageProperty.tags, tags)) }
            if let k = message.keys { properties.append((MessageProperty.keys, k)) }
            return MessageBatchElement(flag: 0, body: Array(message.body.readableBytesView),
                                       properties: MessagePropertyCodec.encode(properties))
        }
        let header = SendMessageRequestHeader(producerGroup: group, topic: messages.first?.topic ?? "", queueId: target.queueId,
                                              bornTimestamp: currentMillis(),
                                              properties: MessagePropertyCodec.encode([(MessageProperty.wait, "true")]), batch: true)
        var request = RemotingCommand.request(code: .sendBatchMessage, header: header,
                                              body: ByteBuffer(bytes: MessageBatchCodec.encode(elements)))
        request.serializeType = serializeType
        let future = flush ? connection.request(request, timeout: timeout) : connection.requestNoFlush(request, timeout: timeout)
        return future.flatMapThrowing { response in
            guard response.code == ResponseCode.success.rawValue else {
                throw ClientError.brokerError(code: response.code, remark: response.remark ?? "")
            }
            return keys
        }
    }
}

/// A producer's send templates by topic, the last one used first (a producer usually sends to one topic at a time).
/// Bounded: past `capacity` topics the table starts over.
struct SendTemplates {
    static let capacity = 1024
    private var last: SendFrameTemplate?
    private var byTopic: [String: SendFrameTemplate] = [:]

    mutating func find(_ topic: String) -> SendFrameTemplate? {
        if let last, last.topic == topic { return last }
        guard let found = byTopic[topic] else { return nil }
        last = found
        return found
    }

    mutating func add(_ template: SendFrameTemplate) {
        if byTopic.count >= Self.capacity { byTopic.removeAll(keepingCapacity: true) }
        byTopic[template.topic] = template
        last = template
    }
}
