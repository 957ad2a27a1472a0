// ConsumeService: pulls — a queue read as byte ranges of the commit log, filtered by the subscription's tag hashes,
// with the client's committed offset recorded on the way, then the pull's statistics and the client's progress.
// Long polling is the transport's: it parks the request and asks again when `PullHoldService` reports an arrival.

import ApusGroups
import ApusMessage
import ApusStore
import NIOCore

struct PullQuery: Sendable {
    var group: String
    var topic: String
    var queueId: Int32
    var offset: Int64
    var maxMessages: Int
    /// The filter sent with the request; nil: the group's registered subscription, which must then be at least
    /// as new as `subVersion` (RocketMQ's rule for pulls that rely on the heartbeat's subscription).
    var filter: PullFilter?
    var subVersion: Int64?
    /// The client's consumed offset to commit before reading.
    var commitOffset: Int64?
    /// Who asks (offset ownership and per-client progress); nil for tools.
    var connection: ConnectionID?
}

/// What a pull's subscription filters by: only its tag codes, so that a pull's query carries (and each read copies)
/// one set instead of a whole subscription (six retains and releases per pull).
struct PullFilter: Sendable {
    /// nil: every message matches.
    var tagCodes: Set<Int32>?

    init(_ subscription: borrowing Subscription) { tagCodes = subscription.tagCodeFilter }

    func matches(tagsCode: Int64) -> Bool { Subscription.matches(tagsCode: tagsCode, filter: tagCodes) }
}

struct PullOutcome: Sendable {
    enum Status: Sendable, Equatable {
        case found
        case noNewMessage
        case retryImmediately
        case offsetMoved
    }

    var status: Status
    var nextBeginOffset: Int64
    var minOffset: Int64
    var maxOffset: Int64
    /// The stored records, back to back, when found.
    var body: ByteBuffer?
    /// How many records `body` holds.
    var messageCount: Int
    /// The store's own word for what it found (RocketMQ puts it in the response remark).
    var storeStatus: GetMessageStatus
}

final class ConsumeService: Sendable {
    /// The group the admin tools (mqadmin, exporter, dashboard) pull with, never registered by a heartbeat.
    static let toolsConsumerGroup = "TOOLS_CONSUMER"

    private let store: MessageStore
    private let topics: TopicRegistry
    private let groups: GroupService
    private let offsets: OffsetService
    /// `maxTransferCountOnMessageInMemory` / `maxTransferBytesOnMessageInMemory`, changeable at runtime.
    private let settings: RuntimeSettings
    private let stats: StatsService

    init(store: MessageStore, topics: TopicRegistry, groups: GroupService, offsets: OffsetService, settings: RuntimeSettings,
         stats: StatsService) {
        self.stats = stats
        self.store = store
        self.topics = topics
        self.groups = groups
        self.offsets = offsets
        self.settings = settings
    }

    /// Reads what `query` asks for and records it (`read`, then `record`).
    func pull(_ query: PullQuery, now: Int64) throws(ServiceError) -> PullOutcome {
        var query = query
        let outcome = try read(&query)
        record(query, outcome, now: now)
        return outcome
    }

    /// The checks, the offset commit and the records. A transport answers from the outcome, then calls `record`:
    /// the statistics and the client's progress are not needed for the answer, so an arrival's answer goes out first.
    /// A known topic's name in `query` becomes the topic table's own string (`TopicConfigTable.readTarget`).
    /// `groupNameChecked`: this query's group name passed `GroupService.validate` before (a parked pull asking again).
    func read(_ query: inout PullQuery, groupNameChecked: Bool = false) throws(ServiceError) -> PullOutcome {
        if !groupNameChecked { try GroupService.validate(group: query.group) }
        // The group's admin switches (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP): consumption off, or no broadcasting.
        if let config = groups.configs.consumeSwitches(query.group), !config.consumeEnable || !config.consumeBroadcastEnable {
            guard config.consumeEnable else {
                throw ServiceError(.noPermission, "subscription group no permission, \(query.group)")
            }
            if groups.effectiveModel(of: query.group) == .broadcasting {
                throw ServiceError(.noPermission, "the consumer group[\(query.group)] can not consume by broadcast way")
            }
        }
        if let (name, config) = topics.readTarget(query.topic) {
            query.topic = name
            guard Permission.isReadable(config.perm) else {
                throw ServiceError(.noPermission, "the topic [\(query.topic)] is not readable")
            }
            guard query.queueId >= 0, query.queueId < config.readQueueNums else {
                throw ServiceError(.systemError, "queueId[\(query.queueId)] is illegal, topic:[\(query.topic)] "
                    + "topicConfig.readQueueNums:[\(config.readQueueNums)]")
            }
        }
        if let commit = query.commitOffset, commit >= 0 {
            offsets.commit(validGroup: query.group, topic: query.topic, queueId: query.queueId, offset: commit,
                           connection: query.connection)
        }
        var filter = query.filter
        if filter == nil, let version = query.subVersion {
            if let registered = groups.subscription(group: query.group, topic: query.topic) {
                guard registered.subVersion >= version else {
                    throw ServiceError(.subscriptionNotLatest, "the consumer's subscription not latest")
                }
                filter = PullFilter(registered)
            } else if query.group != Self.toolsConsumerGroup {
                throw ServiceError(.subscriptionNotExist, "the consumer's subscription not exist")
            }
            // The admin tools' TOOLS_CONSUMER reads any offset without registering: everything matches.
        }
        let result = store.getMessages(
            topic: query.topic, queueId: query.queueId, offset: query.offset,
            maxCount: min(max(1, query.maxMessages), settings.maxTransferCountOnMessageInMemory),
            maxBytes: settings.maxTransferBytesOnMessageInMemory,
            filter: { filter?.matches(tagsCode: $0) ?? true })

        let status: PullOutcome.Status
        var next = result.nextBeginOffset
        switch result.status {
        case .found:
            status = .found
        case .noMatchedMessage, .messageWasRemoving:
            status = .retryImmediately
        case .offsetFoundNull:
            status = .noNewMessage
        case .offsetOverflowOne:
            status = .noNewMessage
            next = query.offset
        case .offsetOverflowBadly:
            status = .offsetMoved
        case .offsetTooSmall:
            status = .offsetMoved
            next = result.minOffset
        case .noMatchedLogicQueue, .noMessageInQueue:
            status = query.offset != 0 ? .offsetMoved : .noNewMessage
            next = 0
        }
        let found = status == .found
        return PullOutcome(status: status, nextBeginOffset: next, minOffset: result.minOffset, maxOffset: result.maxOffset,
                           body: found ? result.body : nil, messageCount: found ? result.messageCount : 0,
                           storeStatus: result.status)
    }

    /// The pull's statistics (found or missed) and, when it found messages, the asking client's position.
    func record(_ query: PullQuery, _ outcome: PullOutcome, now: Int64) {
        stats.recordGet(topic: query.topic, group: query.group, count: outcome.messageCount,
                        bytes: outcome.body?.readableBytes ?? 0, now: now)
        if outcome.status == .found, let connection = query.connection {
            groups.recordPull(group: query.group, connection: connection, topic: query.topic, queueId: query.queueId,
                              nextOffset: outcome.nextBeginOffset, now: now)
        }
    }
}
