// SendService: what a produced message becomes before it is appended — topic resolution and auto-creation,
// validation, a retry send past its limit redirected to the dead-letter queue, the stored properties (no WAIT,
// CLUSTER added, as RocketMQ stores them), batches, and delayed / timer messages handed to the schedule.
// Transport-independent: remoting and HTTP hand it values and map its ServiceErrors to their own codes.

import ApusGroups
import ApusMessage
import ApusRemoting
import ApusStore
import NIOCore

/// A send as the service takes it. Its fields are those of the send header, held whole: a frame's decoded header is
/// moved in, where copying its names and properties one by one cost a retain each, and the header's destruction a
/// release each, per send.
struct SendRequest: Sendable {
    var header: SendMessageRequestHeader
    var body: ByteBuffer
    var bornHost: HostAddress

    /// A send from a frame (either header naming, §2.4 / §2.5).
    init(_ header: consuming SendMessageRequestHeader, body: ByteBuffer?, bornHost: HostAddress) {
        self.header = header
        self.body = body ?? ByteBuffer()
        self.bornHost = bornHost
    }

    /// A send from another transport (HTTP) or a test. A negative `queueId` lets the broker choose.
    init(producerGroup: String = "", topic: String, defaultTopic: String? = nil, defaultTopicQueueNums: Int32? = nil,
         queueId: Int32 = -1, sysFlag: Int32 = 0, bornTimestamp: Int64, flag: Int32 = 0, properties: PropertyText,
         reconsumeTimes: Int32 = 0, maxReconsumeTimes: Int32? = nil, batch: Bool = false, body: ByteBuffer,
         bornHost: HostAddress) {
        header = SendMessageRequestHeader(
            producerGroup: producerGroup, topic: topic, defaultTopic: defaultTopic,
            defaultTopicQueueNums: defaultTopicQueueNums, queueId: queueId, sysFlag: sysFlag, bornTimestamp: bornTimestamp,
            flag: flag, properties: "", reconsumeTimes: reconsumeTimes, maxReconsumeTimes: maxReconsumeTimes, batch: batch)
        header.sentProperties = properties
        self.body = body
        self.bornHost = bornHost
    }

    var topic: String { header.topic }
    /// The template for auto-creation (TBW102) and the sender's queue count for a new topic.
    var defaultTopic: String? { header.defaultTopic }
    var defaultTopicQueueNums: Int32? { header.defaultTopicQueueNums }
    var queueId: Int32 {
        get { header.queueId }
        set { header.queueId = newValue }
    }
    var sysFlag: Int32 { header.sysFlag }
    var bornTimestamp: Int64 { header.bornTimestamp }
    var flag: Int32 { header.flag }
    /// As sent (a binary send header's bytes stay a slice of its frame).
    var properties: PropertyText { header.sentProperties }
    var reconsumeTimes: Int32 { header.reconsumeTimes }
    var maxReconsumeTimes: Int32? { header.maxReconsumeTimes }
    /// The body is a batch of encoded messages (spec §2.6).
    var batch: Bool { header.batch }
}

/// A send ready to append: its one message (a single send needs no array of its own) or its batch's.
struct PreparedSend: Sendable {
    enum Messages: Sendable {
        case one(MessageToStore)
        case batch([MessageToStore])
    }

    var messages: Messages
    var queueId: Int32

    var count: Int {
        if case let .batch(list) = messages { return list.count }
        return 1
    }

    /// Moves the messages to the end of `list` (a copy would retain and release each message's topic, body and
    /// properties), leaving none here.
    mutating func move(to list: inout [MessageToStore]) {
        var taken = Messages.batch([])
        swap(&taken, &messages)
        switch consume taken {
        case let .one(message): list.append(message)
        case let .batch(batch): list.append(contentsOf: batch)
        }
    }
}

final class SendService: Sendable {
    private let topics: TopicRegistry
    private let groupConfigs: SubscriptionGroupTable
    private let schedule: ScheduleService
    let store: MessageStore
    let storeHost: HostAddress
    /// RocketMQ stores a sent message without the client's WAIT flag and with the broker's cluster name.
    private let storedPropertiesRewrite: PropertyReplacement
    private let maxMessageSize: Int
    private let stats: StatsService

    init(topics: TopicRegistry, groupConfigs: SubscriptionGroupTable, schedule: ScheduleService, store: MessageStore,
         storeHost: HostAddress, clusterName: String, maxMessageSize: Int, stats: StatsService) {
        self.stats = stats
        self.topics = topics
        self.groupConfigs = groupConfigs
        self.schedule = schedule
        self.store = store
        self.storeHost = storeHost
        storedPropertiesRewrite = PropertyReplacement(removing: MessageProperty.wait, appending: MessageProperty.cluster, clusterName)
        self.maxMessageSize = maxMessageSize
    }

    /// Validates and transforms a send into the records to append. Topic creation only changes memory here; its file is
    /// written in the background.
    /// `now` is read only for a delayed message.
    func prepare(_ request: SendRequest, now: @autoclosure () -> Int64 = currentMillis()) throws(ServiceError) -> PreparedSend {
        // The registry's own string (equal to the request's): the store's queue table and the statistics compare it
        // with the strings they were keyed by, which is instant for the same string and a byte compare otherwise.
        // Held in `let`s and moved on, not copied: a `var` passed to a call was copied for it (a retain and a release
        // per send).
        let (sentTopic, limits) = try target(of: request)
        guard !TopicNames.isNotAllowedToSend(sentTopic) else {
            throw ServiceError(.noPermission, "sending to the system topic [\(request.topic)] is forbidden")
        }
        guard limits.perm & Permission.write != 0 else {
            throw ServiceError(.noPermission, "the topic [\(request.topic)] is not writable")
        }
        var queueId = request.queueId
        let queueCount = max(limits.readQueueNums, limits.writeQueueNums)
        if queueId >= queueCount {
            throw ServiceError(.systemError, "queueId \(queueId) is out of range: topic [\(sentTopic)] has \(queueCount) queues")
        }
        if queueId < 0 { queueId = Int32.random(in: 0..<max(1, limits.writeQueueNums)) }

        // A send into a retry topic past the group's limit goes to the dead-letter queue (the clients' own retry path).
        var deadLetter: String?
        if let group = TopicNames.groupOfRetry(sentTopic) {
            let maxTimes = request.maxReconsumeTimes.flatMap { $0 >= 0 ? $0 : nil }
                ?? groupConfigs.get(group)?.retryMaxTimes ?? 16
            if request.reconsumeTimes >= maxTimes, let dlq = topics.ensureSingleQueueTopic(TopicNames.deadLetter(group)) {
                deadLetter = dlq.topicName
                queueId = 0
            }
        }
        let deadLettered = deadLetter != nil
        let topic: String
        if let deadLetter { topic = deadLetter } else { topic = consume sentTopic }

        guard request.body.readableBytes > 0 else { throw ServiceError(.messageIllegal, "the message body is empty") }
        let messages: PreparedSend.Messages
        if request.batch {
            let elements: [(MessageToStore, PropertyDigest)]
            do {
                elements = try batchMessages(request, topic: topic, queueId: queueId)
            } catch {
                throw ServiceError(.messageIllegal, "the batch body cannot be decoded: \(error)")
            }
            var list: [MessageToStore] = []
            list.reserveCapacity(elements.count)
            for (element, digest) in elements {
                var message = element
                try finish(&message, digest, request, deadLettered: deadLettered, now: now)
                list.append(message)
            }
            messages = .batch(list)
        } else {
            guard request.body.readableBytes <= maxMessageSize else {
                throw ServiceError(.messageIllegal, "the message body is \(request.body.readableBytes) bytes; maxMessageSize is \(maxMessageSize)")
            }
            let (properties, digest) = request.header.withSentPropertiesUTF8 { storedProperties($0) }
            var message = MessageToStore(
                topic: consume topic, queueId: queueId, flag: request.flag, body: request.body, properties: properties,
                sysFlag: request.sysFlag, bornTimestamp: request.bornTimestamp, bornHost: request.bornHost,
                storeHost: storeHost, reconsumeTimes: request.reconsumeTimes, preparedTransactionOffset: 0,
                tagsCode: digest.tagsCode)
            try finish(&message, digest, request, deadLettered: deadLettered, now: now)
            messages = .one(consume message)
        }
        return PreparedSend(messages: messages, queueId: queueId)
    }

    /// The send's topic (the registry's name) and what limits its sends, looked up by the sent bytes (a binary header's
    /// topic is not made a string); a new topic is created if it may be.
    private func target(of request: SendRequest) throws(ServiceError) -> (topicName: String, limits: TopicLimits) {
        if let known = request.header.withTopicUTF8({ topics.sendTarget(utf8: $0) }) { return known }
        guard TopicNames.isValidTopicOrGroupName(request.topic) else {
            throw ServiceError(.invalidName, "the topic name [\(request.topic)] is illegal: use letters, digits, %, |, _ and - (at most 127)")
        }
        guard let created = topics.configForSend(topic: request.topic, defaultTopic: request.defaultTopic,
                                                 queueNums: request.defaultTopicQueueNums) else {
            throw ServiceError(.topicNotExist, "topic [\(request.topic)] not exist, apply first please!")
        }
        return (created.topicName, TopicLimits(created))
    }

    /// A message as it is appended: its properties checked, and a prepared transactional message made half, a delayed
    /// one handed to the schedule. A dead letter is stored at once, whatever it asked for.
    private func finish(_ message: inout MessageToStore, _ digest: PropertyDigest, _ request: SendRequest, deadLettered: Bool,
                        now: () -> Int64) throws(ServiceError) {
        let length = message.properties.utf8.count
        guard length <= StoredMessageCodec.maxPropertiesLength else {
            throw ServiceError(.messageIllegal, "the properties are \(length) bytes; at most \(StoredMessageCodec.maxPropertiesLength)")
        }
        guard !deadLettered else { return }
        if TransactionService.isPrepared(sysFlag: message.sysFlag, digest) {
            guard !request.batch else {
                throw ServiceError(.messageIllegal, "a batch cannot carry transactional (prepared) messages")
            }
            message = TransactionService.half(message)
        } else if digest.mayBeDelayed {
            try scheduleIfDelayed(&message, sent: request.properties, now: now())
        }
    }

    /// Delayed (DELAY level) and timer messages are stored for the schedule instead of their topic. Half
    /// (prepared) transactional messages are scheduled only once committed.
    private func scheduleIfDelayed(_ message: inout MessageToStore, sent: PropertyText, now: Int64) throws(ServiceError) {
        let transaction = message.sysFlag & MessageSysFlag.transactionMask
        guard transaction != MessageSysFlag.transactionPrepared, transaction != MessageSysFlag.transactionRollback else { return }
        let properties = message.properties
        switch schedule.rules.outcome(now: now, lookup: { MessagePropertyCodec.value(of: $0, in: properties) }) {
        case .now:
            return
        case let .at(due, level):
            // RocketMQ re-encodes a scheduled message's properties from the client's, WAIT included.
            if let wait = MessagePropertyCodec.value(of: MessageProperty.wait, in: sent.string) {
                MessagePropertyCodec.append(MessageProperty.wait, wait, to: &message.properties)
            }
            message = schedule.scheduled(message, due: due, delayLevel: level)
        case let .rejected(reason):
            throw ServiceError(.messageIllegal, reason)
        }
    }

    private func storedProperties(_ sent: UnsafeBufferPointer<UInt8>) -> (properties: String, digest: PropertyDigest) {
        storedPropertiesRewrite.apply(to: sent)
    }

    /// Splits a batch body (§2.6) into one message per element; a compressed wrapper is inflated first. Each element
    /// keeps its own properties, followed by the batch's.
    private func batchMessages(_ request: SendRequest, topic: String, queueId: Int32) throws -> [(MessageToStore, PropertyDigest)] {
        var raw = request.body
        if request.sysFlag & MessageSysFlag.compressed != 0 {
            let inflated = try request.body.withUnsafeReadableBytes { try Zlib.inflate($0, maxOutput: maxMessageSize) }
            raw = ByteBuffer(bytes: inflated)
        }
        guard raw.readableBytes <= maxMessageSize else { throw BatchError.tooLarge(raw.readableBytes, maxMessageSize) }
        let elements = try raw.withUnsafeReadableBytes { try MessageBatchCodec.decode($0) }
        guard !elements.isEmpty else { throw BatchError.empty }
        let sysFlag = request.sysFlag & ~MessageSysFlag.compressed
        let batchProperties = request.header.withSentPropertiesUTF8 { storedProperties($0).properties }
        return elements.map { element in
            let properties = MessagePropertyCodec.appending(batchProperties, to: element.properties)
            let digest = PropertyDigest(properties)
            return (MessageToStore(
                topic: topic, queueId: queueId, flag: element.flag, body: ByteBuffer(bytes: element.body),
                properties: properties, sysFlag: sysFlag, bornTimestamp: request.bornTimestamp, bornHost: request.bornHost,
                storeHost: storeHost, reconsumeTimes: request.reconsumeTimes, preparedTransactionOffset: 0,
                tagsCode: digest.tagsCode), digest)
        }
    }

    /// Appends one prepared send's messages.
    func append(_ prepared: consuming PreparedSend) -> PutResult {
        var messages: [MessageToStore] = []
        prepared.move(to: &messages)
        return append(&messages)
    }

    /// `inout` as `MessageStore.putMessages` lends them out while encoding; they are left as they were.
    func append(_ messages: inout [MessageToStore]) -> PutResult {
        let result = store.putMessages(&messages)
        if result.status == .ok {
            let records = result.records, stored = messages  // by index: zipping the messages copied each one
            stats.recordPut(records.indices.lazy.map { (topic: stored[$0].topic, bytes: Int(records[$0].size)) }, now: currentMillis())
        }
        return result
    }

    /// Calls `done` once the appends up to `result.endOffset` are as durable as the flush policy promises: at once
    /// for ASYNC_FLUSH, after the group commit for SYNC_FLUSH (false: the flush timed out).
    func whenDurable(_ result: PutResult, _ done: @escaping @Sendable (Bool) -> Void) {
        guard store.config.flushDiskType == .syncFlush, result.status == .ok else { return done(true) }
        store.whenFlushed(upTo: result.endOffset, done)
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
