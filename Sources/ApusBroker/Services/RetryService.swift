// RetryService: CONSUMER_SEND_MSG_BACK as a value — a clustering consumer's failed message goes back to
// `%RETRY%{group}` after its delay level (3 + reconsumeTimes unless asked), or to `%DLQ%{group}` once it has failed
// maxReconsumeTimes times. Broadcasting consumption has no retry: such send-backs are acknowledged and counted.

import ApusGroups
import ApusMessage
import ApusStore
import Logging
import NIOCore
import Synchronization

struct SendBackRequest: Sendable {
    var group: String
    /// Commit-log offset of the message as it was delivered.
    var commitLogOffset: Int64
    /// 0: the broker chooses (3 + reconsumeTimes); negative: straight to the dead-letter queue.
    var delayLevel: Int32 = 0
    /// The client's own limit (Java clients); nil or negative: the group's `retryMaxTimes`.
    var maxReconsumeTimes: Int32?
    /// The member that failed it (nil: a tool or an HTTP consumer, always clustering).
    var connection: ConnectionID?
}

enum SendBackOutcome: Sendable, Equatable {
    case retried(dueMillis: Int64, reconsumeTimes: Int32)
    case deadLettered
    /// A broadcasting member's failure: acknowledged, never redelivered.
    case notRetried
    /// The group has no retry queue.
    case dropped
}

final class RetryService: Sendable {
    private let groups: GroupService
    private let topics: TopicRegistry
    private let schedule: ScheduleService
    private let store: MessageStore
    private let logger: Logger
    private let policy: RetryPolicy
    private let broadcastingFailures = Atomic<Int>(0)
    private let retried = Atomic<Int>(0)
    private let deadLettered = Atomic<Int>(0)
    private let stats: StatsService

    init(groups: GroupService, topics: TopicRegistry, schedule: ScheduleService, store: MessageStore, logger: Logger,
         stats: StatsService) {
        self.stats = stats
        self.groups = groups
        self.topics = topics
        self.schedule = schedule
        self.store = store
        self.logger = logger
        policy = RetryPolicy(maxDelayLevel: schedule.rules.maxLevel)
    }

    /// Failures acknowledged without retry because the member or its group consumes by broadcasting.
    var broadcastingFailureCount: Int { broadcastingFailures.load(ordering: .relaxed) }

    /// Messages stored back into a retry topic since start.
    var retriedCount: Int { retried.load(ordering: .relaxed) }

    /// Messages moved to a dead-letter topic since start.
    var deadLetteredCount: Int { deadLettered.load(ordering: .relaxed) }

    func sendBack(_ request: SendBackRequest, now: Int64) throws(ServiceError) -> SendBackOutcome {
        let config = try groups.config(of: request.group)
        guard groups.retriesFailures(group: request.group, connection: request.connection) else {
            broadcastingFailures.add(1, ordering: .relaxed)
            return .notRetried
        }
        guard let original = store.message(atCommitLogOffset: request.commitLogOffset) else {
            throw ServiceError(.systemError, "look message by offset failed, \(request.commitLogOffset)")
        }
        let maxTimes = request.maxReconsumeTimes.flatMap { $0 >= 0 ? $0 : nil } ?? config.retryMaxTimes
        let decision = policy.decide(reconsumeTimes: original.reconsumeTimes, requestedDelayLevel: request.delayLevel,
                                     maxReconsumeTimes: maxTimes, retryQueueNums: config.retryQueueNums)
        let destination: String
        switch decision {
        case .drop: return .dropped
        case .retry: destination = TopicNames.retry(request.group)
        case .deadLetter: destination = TopicNames.deadLetter(request.group)
        }
        guard topics.ensureSingleQueueTopic(destination) != nil else {
            throw ServiceError(.systemError, "cannot create topic \(destination)")
        }
        var properties = original.properties
        if MessagePropertyCodec.value(of: MessageProperty.retryTopic, in: properties) == nil {
            MessagePropertyCodec.append(MessageProperty.retryTopic, original.topic, to: &properties)
        }
        // As RocketMQ: the first failure's stored id (offset message id), kept through later retries.
        if MessagePropertyCodec.value(of: MessageProperty.originMessageId, in: properties) == nil {
            MessagePropertyCodec.append(MessageProperty.originMessageId, original.offsetMessageId, to: &properties)
        }
        MessagePropertyCodec.remove(MessageProperty.delayLevel, from: &properties)
        MessagePropertyCodec.remove(MessageProperty.wait, from: &properties)
        MessagePropertyCodec.append(MessageProperty.wait, "false", to: &properties)
        var copy = MessageToStore(
            topic: destination, queueId: 0, flag: original.flag, body: original.body,
            properties: properties, sysFlag: original.sysFlag, bornTimestamp: original.bornTimestamp,
            bornHost: original.bornHost, storeHost: original.storeHost, reconsumeTimes: original.reconsumeTimes + 1,
            preparedTransactionOffset: 0, tagsCode: TagsCode.of(MessagePropertyCodec.value(of: MessageProperty.tags, in: properties)))
        var outcome = SendBackOutcome.deadLettered
        if case let .retry(level) = decision {
            MessagePropertyCodec.append(MessageProperty.delayLevel, String(level), to: &copy.properties)
            let due = now + schedule.rules.delay(ofLevel: level)
            copy = schedule.scheduled(copy, due: due, delayLevel: level)
            outcome = .retried(dueMillis: due, reconsumeTimes: original.reconsumeTimes + 1)
        }
        var messages = [copy]
        let result = store.putMessages(&messages)
        guard result.status == .ok else {
            throw ServiceError(.systemError, "cannot store the message back: \(result.status)")
        }
        stats.recordSendBack(topic: destination, group: request.group, now: now)
        if case .retried = outcome { retried.add(1, ordering: .relaxed) }
        if outcome == .deadLettered {
            deadLettered.add(1, ordering: .relaxed)
            logger.info("message moved to the dead-letter queue", metadata: [
                "group": "\(request.group)", "topic": "\(original.topic)", "reconsumeTimes": "\(original.reconsumeTimes)",
            ])
        }
        return outcome
    }
}
