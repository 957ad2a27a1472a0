// AdminService: the operations side of the broker (admin.md §4–§9) — topic tables, stats and deletion, subscription-
// group configs, consume stats (accumulation, per group and broker-wide), consumer and producer connections
// (subscription query), offset reset by time and offset cloning, consume time spans and consume-queue entries, runtime
// figures, statistics and settings, and message lookups. Takes values and returns values; the remoting translation
// is AdminBrokerProcessor's. Changes wait for their metadata write (callers run them off the event loop).

import ApusGroups
import ApusMessage
import ApusStore
import Glibc
import NIOCore

/// Size and free space of the file system holding a path.
struct DiskUsage {
    var total: Int64
    var free: Int64

    var usedRatio: Double { total > 0 ? Double(total - free) / Double(total) : -1 }

    init?(path: String) {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        total = Int64(info.f_blocks) * Int64(info.f_frsize)
        free = Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

/// One queue of a topic as GET_TOPIC_STATS_INFO reports it.
struct QueueStats: Sendable, Equatable {
    var minOffset: Int64
    var maxOffset: Int64
    /// Store time of the last message; 0 when the queue is empty.
    var lastUpdateTimestamp: Int64
}

/// One queue of a group's progress (GET_CONSUME_STATS).
struct QueueProgress: Sendable, Equatable {
    var brokerOffset: Int64
    /// 0 when nothing is committed.
    var consumerOffset: Int64
    /// Store time of the last consumed message (at consumerOffset − 1), 0 when unknown.
    var lastTimestamp: Int64
    /// Store time of the oldest unconsumed message (at the consumer offset, or the queue's first stored message when
    /// retention removed it), 0 when nothing is unconsumed or it is unknown.
    var oldestUnconsumedTimestamp: Int64 = 0

    var lag: Int64 { brokerOffset - consumerOffset }
}

struct ConsumeStats: Sendable, Equatable {
    var offsets: [MessageQueue: QueueProgress]
    /// Messages delivered to the group per second over the last minute (its topics summed).
    var consumeTps: Double
    /// The group is effectively broadcasting: the broker does not track its progress (Apus's 208 addition).
    var broadcasting = false
    /// For a broadcasting group: where each client was last seen pulling from (observed, not committed), with the
    /// queue's broker offset.
    var observed: [(position: ClientPosition, brokerOffset: Int64)] = []

    static func == (a: ConsumeStats, b: ConsumeStats) -> Bool {
        a.offsets == b.offsets && a.consumeTps == b.consumeTps && a.broadcasting == b.broadcasting
            && a.observed.map(\.position) == b.observed.map(\.position) && a.observed.map(\.brokerOffset) == b.observed.map(\.brokerOffset)
    }
}

/// A consumer group as GET_CONSUMER_CONNECTION_LIST reports it.
struct ConsumerGroupView: Sendable, Equatable {
    var connections: [ClientConnectionInfo]
    /// topic → the group's subscription (the newest among its members).
    var subscriptions: [String: Subscription]
    var consumeType: ConsumeType
    /// The effective model (broadcasting if any member says so).
    var messageModel: MessageModel
    var consumeFromWhere: Int32
}

/// The outcome of an offset reset: the new offsets (already stored) and the members to tell (RESET_CONSUMER_CLIENT_OFFSET).
struct OffsetReset: Sendable, Equatable {
    struct Member: Sendable, Equatable {
        var connection: ConnectionID
        var clientId: String
        /// "CPP" members get the list form of the body.
        var language: String
    }

    var offsets: [MessageQueue: Int64]
    var members: [Member]
}

/// One queue of QUERY_CONSUME_TIME_SPAN: store times of its first, last and last consumed message (-1: none), and how
/// long the next unconsumed one has waited (0 when everything is consumed).
struct QueueTimeSpan: Sendable, Equatable {
    var queue: MessageQueue
    var minTimeStamp: Int64
    var maxTimeStamp: Int64
    var consumeTimeStamp: Int64
    var delayTime: Int64
}

/// QUERY_CONSUME_QUEUE: entries of one consume queue, and the group's subscription when it is online.
struct ConsumeQueueView: Sendable, Equatable {
    var minOffset: Int64
    var maxOffset: Int64
    /// nil: the index is outside the queue.
    var entries: [MessageStore.QueueEntry]?
    /// The subscription of the requested group (nil: no group asked, or not online).
    var subscription: Subscription?
    var groupOnline: Bool
}

final class AdminService: Sendable {
    private let store: MessageStore
    private let topics: TopicRegistry
    private let groups: GroupService
    private let offsetTable: ConsumerOffsetTable
    private let stats: StatsService
    private let settings: RuntimeSettings
    private let brokerName: String
    private let clusterName: String
    let bootTimestamp: Int64

    init(store: MessageStore, topics: TopicRegistry, groups: GroupService, offsetTable: ConsumerOffsetTable,
         stats: StatsService, settings: RuntimeSettings, bootTimestamp: Int64) {
        self.store = store
        self.topics = topics
        self.groups = groups
        self.offsetTable = offsetTable
        self.stats = stats
        self.settings = settings
        brokerName = settings.current.config.brokerName
        clusterName = settings.current.config.brokerClusterName
        self.bootTimestamp = bootTimestamp
    }

    // MARK: Topics

    /// GET_ALL_TOPIC_CONFIG (21).
    func topicConfigs() throws(ServiceError) -> (configs: [TopicConfig], version: DataVersion) {
        let all = topics.table.all()
        guard !all.isEmpty else { throw ServiceError(.systemError, "No topic in this broker") }
        return (all, topics.table.dataVersion)
    }

    /// GET_TOPIC_STATS_INFO (202): every write queue of the topic.
    func topicStats(topic: String) throws(ServiceError) -> [MessageQueue: QueueStats] {
        guard let config = topics.get(topic) else { throw ServiceError(.topicNotExist, "topic[\(topic)] not exist") }
        var table: [MessageQueue: QueueStats] = [:]
        for queueId in 0..<max(0, config.writeQueueNums) {
            let minOffset = max(0, store.minOffset(topic: topic, queueId: queueId))
            let maxOffset = max(0, store.maxOffset(topic: topic, queueId: queueId))
            let last = maxOffset > 0 ? store.storeTime(topic: topic, queueId: queueId, offset: maxOffset - 1) ?? 0 : 0
            table[queue(topic, queueId)] = QueueStats(minOffset: minOffset, maxOffset: maxOffset, lastUpdateTimestamp: last)
        }
        return table
    }

    /// The broker's system topics (admin.md §4.5): Java's fixed set plus the names it adds at start.
    var systemTopics: [String] {
        (TopicNames.notAllowedToSend.union([TopicNames.autoCreateTemplate, "BenchmarkTest", "RMQ_SYS_TRACE_TOPIC", clusterName,
                                            brokerName, clusterName + "_REPLY_TOPIC"])).sorted()
    }

    /// The names a topic admin request may not touch (admin.md §4.1): the system topics and `rmq_sys_…`.
    func isSystemTopic(_ topic: String) -> Bool {
        systemTopics.contains(topic) || topic.hasPrefix("rmq_sys_")
    }

    /// UPDATE_AND_CREATE_TOPIC (17): Java's validation, then the config is replaced (`order` stays false, as the 4.9
    /// broker ignores it) and persisted; the name server hears of it at once. Each queue's first consume-queue file is
    /// created here, off the event loop, rather than by the first message sent to it.
    func createOrUpdateTopic(_ config: TopicConfig) throws(ServiceError) {
        try validateTopicForAdmin(config.topicName)
        guard config.readQueueNums > 0, config.writeQueueNums > 0, config.readQueueNums <= 1024, config.writeQueueNums <= 1024 else {
            throw ServiceError(.systemError, "queue numbers must be within 1...1024")
        }
        var config = config
        config.order = false
        do { try topics.update(config) } catch {
            throw ServiceError(.systemError, "cannot persist topic \(config.topicName): \(error)")
        }
        do { try store.prepareQueues(topic: config.topicName, count: max(config.readQueueNums, config.writeQueueNums)) } catch {
            throw ServiceError(.systemError, "cannot create the queues of topic \(config.topicName): \(error)")
        }
    }

    /// QUERY_TOPIC_CONSUME_BY_WHO (300): groups with an online member subscribed to `topic`, and groups with
    /// committed offsets for it; sorted.
    func groupsConsuming(topic: String) -> [String] {
        var found = Set(offsetTable.groups(ofTopic: topic))
        groups.state.withLock { state in
            for group in state.consumers.groups() where state.consumers.subscription(group: group, topic: topic) != nil {
                found.insert(group)
            }
        }
        return found.sorted()
    }

    /// GET_ALL_PRODUCER_INFO (328): every producer group with its connections.
    func allProducers() -> [String: [ClientConnectionInfo]] {
        groups.state.withLock { $0.clients.allProducers }
    }

    /// Java's validation of a topic named by 17/215, with its remarks.
    func validateTopicForAdmin(_ topic: String) throws(ServiceError) {
        guard !topic.isEmpty else { throw ServiceError(.systemError, "The specified topic is blank.") }
        guard topic.utf8.count <= TopicNames.maxTopicBytes else {
            throw ServiceError(.systemError, "The specified topic is longer than topic max length.")
        }
        guard TopicNames.isValidTopicName(topic) else {
            throw ServiceError(.systemError, "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")
        }
        guard !isSystemTopic(topic) else { throw ServiceError(.systemError, "The topic[\(topic)] is conflict with system topic.") }
    }

    /// DELETE_TOPIC_IN_BROKER (215): the config goes (persisted; the name server hears at once) and so do the topic's
    /// consume queues (a topic created again starts empty); the records stay in the commit log until retention, and
    /// consumer offsets stay (as RocketMQ keeps them). Deleting an unknown topic succeeds.
    func deleteTopic(_ topic: String) throws(ServiceError) {
        try validateTopicForAdmin(topic)
        do { try topics.delete(topic) } catch {
            throw ServiceError(.systemError, "cannot persist the deletion of topic \(topic): \(error)")
        }
        store.deleteQueues(topic: topic)
    }

    // MARK: Subscription groups

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): replaces the group's config (persisted before returning) and makes
    /// `%RETRY%{group}` exist, so group-scoped admin requests find the group before any consumer connects.
    func updateSubscriptionGroup(_ config: SubscriptionGroupConfig) throws(ServiceError) {
        try GroupService.validate(group: config.groupName)
        do { try groups.configs.put(config) } catch {
            throw ServiceError(.systemError, "cannot persist subscription group \(config.groupName): \(error)")
        }
        topics.ensureSingleQueueTopic(TopicNames.retry(config.groupName))
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
    func subscriptionGroups() throws(ServiceError) -> (configs: [SubscriptionGroupConfig], version: DataVersion) {
        let all = groups.configs.all()
        guard !all.isEmpty else { throw ServiceError(.systemError, "No subscription group in this broker") }
        return (all, groups.configs.dataVersion)
    }

    /// DELETE_SUBSCRIPTIONGROUP (207): the config goes (absent is fine), and with `removeOffsets` every committed
    /// offset of the group. Online members are not disconnected.
    func deleteSubscriptionGroup(_ group: String, removeOffsets: Bool) throws(ServiceError) {
        do { try groups.configs.remove(group) } catch {
            throw ServiceError(.systemError, "cannot persist the deletion of subscription group \(group): \(error)")
        }
        if removeOffsets { offsetTable.removeGroup(group) }
    }

    // MARK: Progress and connections

    /// GET_CONSUME_STATS (208), admin.md §6.4: per read queue of each topic the group has offsets for (or `topic`).
    /// For an effectively broadcasting group, also the positions the broker saw each client pull from (Apus).
    func consumeStats(group: String, topic: String?, now: Int64) -> ConsumeStats {
        var result = consumeStats(group: group, topics: topic.map { [$0] } ?? offsetTable.topics(ofGroup: group), writeQueues: false,
                                  now: now)
        let (model, positions) = groups.state.withLock { ($0.consumers.effectiveModel(of: group), $0.progress.positions(group: group)) }
        if model == .broadcasting {
            result.broadcasting = true
            result.observed = positions.filter { topic == nil || $0.topic == topic }.map {
                ($0, max(0, store.maxOffset(topic: $0.topic, queueId: $0.queueId)))
            }
        }
        return result
    }

    /// The subscription-consistency verdict of a group's online members (consistent when none).
    func subscriptionVerdict(group: String) -> SubscriptionVerdict {
        SubscriptionVerdict(differences: groups.state.withLock { $0.inconsistencies(of: group) })
    }

    /// GET_BROKER_CONSUME_STATS (317), admin.md §6.5: for every group of the subscription-group table, one ConsumeStats
    /// per topic it has offsets for (write queues; with `orderOnly`, order topics only); groups without any are left
    /// out. Also the sum of all lags.
    func brokerConsumeStats(orderOnly: Bool, now: Int64) -> (groups: [(group: String, stats: [ConsumeStats])], totalDiff: Int64) {
        var result: [(String, [ConsumeStats])] = []
        var total: Int64 = 0
        for config in groups.configs.all() {
            var list: [ConsumeStats] = []
            for topic in offsetTable.topics(ofGroup: config.groupName) {
                if orderOnly, topics.get(topic)?.order != true { continue }
                let stats = consumeStats(group: config.groupName, topics: [topic], writeQueues: true, now: now)
                if stats.offsets.isEmpty { continue }
                total += stats.offsets.values.reduce(0) { $0 + $1.lag }
                list.append(stats)
            }
            if !list.isEmpty { result.append((config.groupName, list)) }
        }
        return (result, total)
    }

    private func consumeStats(group: String, topics candidates: [String], writeQueues: Bool, now: Int64) -> ConsumeStats {
        let view = try? consumerConnections(group: group)
        var offsets: [MessageQueue: QueueProgress] = [:]
        var tps = 0.0
        for name in candidates {
            guard let config = topics.get(name) else { continue }
            // Offsets of topics an online group no longer subscribes to are hidden.
            if let view, !view.subscriptions.isEmpty, view.subscriptions[name] == nil { continue }
            for queueId in 0..<max(0, writeQueues ? config.writeQueueNums : config.readQueueNums) {
                let brokerOffset = max(0, store.maxOffset(topic: name, queueId: queueId))
                let consumerOffset = max(0, offsetTable.query(group: group, topic: name, queueId: queueId) ?? 0)
                let last = consumerOffset >= 1
                    ? store.storeTime(topic: name, queueId: queueId, offset: consumerOffset - 1) ?? 0 : 0
                let oldest = brokerOffset > consumerOffset
                    ? store.storeTime(topic: name, queueId: queueId,
                                      offset: max(consumerOffset, store.minOffset(topic: name, queueId: queueId))) ?? 0 : 0
                offsets[queue(name, queueId)] = QueueProgress(brokerOffset: brokerOffset, consumerOffset: consumerOffset,
                                                              lastTimestamp: last, oldestUnconsumedTimestamp: oldest)
            }
            tps += stats.snapshot(StatsName.groupGetNums, key: TopicNames.pairKey(name, group), windowMillis: 60_000, now: now)?.tps ?? 0
        }
        return ConsumeStats(offsets: offsets, consumeTps: tps)
    }

    /// GET_CONSUMER_CONNECTION_LIST (203); a group without online members is refused (206).
    func consumerConnections(group: String) throws(ServiceError) -> ConsumerGroupView {
        let view: ConsumerGroupView? = groups.state.withLock { state in
            let members = state.consumers.members(of: group)
            guard let first = members.max(by: { $0.lastHeartbeat < $1.lastHeartbeat }) else { return nil }
            var subscriptions: [String: Subscription] = [:]
            for s in members.flatMap(\.subscriptions) where (subscriptions[s.topic]?.subVersion ?? .min) < s.subVersion {
                subscriptions[s.topic] = s
            }
            let connections = members.map { m in
                state.clients.info(of: m.connection)
                    ?? ClientConnectionInfo(clientId: m.clientId, clientAddr: "", language: m.language, version: 0,
                                            lastUpdate: m.lastHeartbeat)
            }
            return ConsumerGroupView(connections: connections, subscriptions: subscriptions, consumeType: first.consumeType,
                                     messageModel: state.consumers.effectiveModel(of: group) ?? first.messageModel,
                                     consumeFromWhere: first.consumeFromWhere)
        }
        guard let view else { throw ServiceError(.consumerNotOnline, "the consumer group[\(group)] not online") }
        return view
    }

    /// GET_PRODUCER_CONNECTION_LIST (204); a group no connection announced is refused (1).
    func producerConnections(group: String) throws(ServiceError) -> [ClientConnectionInfo] {
        guard let list = groups.state.withLock({ $0.clients.producers(of: group) }) else {
            throw ServiceError(.systemError, "the producer group[\(group)] not exist")
        }
        return list
    }

    /// CLONE_GROUP_OFFSET (314): copies `source`'s committed offsets to `destination` for `topic`, or for every topic
    /// `source` has offsets for; unknown topics are skipped, and unless `offline`, topics the online source group does
    /// not subscribe to. (The 4.9.8 broker copies only the requested topic whatever the loop — nothing without one;
    /// Apus copies each topic.) Returns the number of queues copied.
    @discardableResult
    func cloneGroupOffset(source: String, destination: String, topic: String?, offline: Bool) throws(ServiceError) -> Int {
        try GroupService.validate(group: destination)
        let view = offline ? nil : try? consumerConnections(group: source)
        var copied = 0
        for name in topic.map({ [$0] }) ?? offsetTable.topics(ofGroup: source) where topics.get(name) != nil {
            if let view, !view.subscriptions.isEmpty, view.subscriptions[name] == nil { continue }
            for (queueId, offset) in offsetTable.offsets(group: source, topic: name) {
                offsetTable.commit(group: destination, topic: name, queueId: queueId, offset: offset)
                copied += 1
            }
        }
        return copied
    }

    /// QUERY_CONSUME_TIME_SPAN (303), per write queue (admin.md §6.6).
    func consumeTimeSpan(topic: String, group: String, now: Int64) throws(ServiceError) -> [QueueTimeSpan] {
        guard let config = topics.get(topic) else { throw ServiceError(.topicNotExist, "topic[\(topic)] not exist") }
        return (0..<max(0, config.writeQueueNums)).map { queueId in
            let minTime = store.earliestStoreTime(topic: topic, queueId: queueId)
            let maxOffset = store.maxOffset(topic: topic, queueId: queueId)
            let maxTime = store.storeTime(topic: topic, queueId: queueId, offset: maxOffset - 1) ?? -1
            let consumed = offsetTable.query(group: group, topic: topic, queueId: queueId) ?? -1
            let consumeTime = consumed > 0 ? store.storeTime(topic: topic, queueId: queueId, offset: consumed - 1) ?? -1 : minTime
            var delay: Int64 = 0
            if consumed < maxOffset {
                delay = now - (store.storeTime(topic: topic, queueId: queueId, offset: max(0, consumed)) ?? -1)
            }
            return QueueTimeSpan(queue: queue(topic, queueId), minTimeStamp: minTime, maxTimeStamp: maxTime,
                                 consumeTimeStamp: consumeTime, delayTime: delay)
        }
    }

    /// QUERY_CONSUME_QUEUE (321): up to `count` entries from `index`; unknown queue → 1 `Q@T is not exist!`.
    func consumeQueue(topic: String, queueId: Int32, index: Int64, count: Int32, group: String?) throws(ServiceError) -> ConsumeQueueView {
        var subscription: Subscription?
        if let group { subscription = groups.subscription(group: group, topic: topic) }
        guard let found = store.queueEntries(topic: topic, queueId: queueId, from: index, count: Int(min(max(count, 0), 10_000))) else {
            throw ServiceError(.systemError, "\(queueId)@\(topic) is not exist!")
        }
        return ConsumeQueueView(minOffset: found.minOffset, maxOffset: found.maxOffset, entries: found.entries,
                                subscription: subscription, groupOnline: subscription != nil)
    }

    // MARK: Relays to clients

    /// GET_CONSUMER_RUNNING_INFO (307) / CONSUME_MESSAGE_DIRECTLY (309): the connection of `clientId` in `group`.
    func clientConnection(group: String, clientId: String?) throws(ServiceError) -> ConnectionID {
        let found = groups.state.withLock { state in
            state.consumers.members(of: group).first { $0.clientId == clientId }?.connection
        }
        guard let found else { throw ServiceError(.systemError, "The Consumer <\(group)> <\(clientId ?? "")> not online") }
        return found
    }

    // MARK: Offset reset

    /// INVOKE_BROKER_TO_RESET_OFFSET (222), clustering groups only: each write queue of `topic` moves to the first
    /// message stored at or after `timestamp` (-1: the end of the queue) — with `force`, always; without, only
    /// backwards. The new offsets are stored on the broker at once (an offline member's successor and the C++ client,
    /// which re-reads offsets after a reset, start there); the caller tells the online members (220).
    /// Refused, changing nothing: unknown topic; a broadcasting group (progress is kept by the clients); a group with
    /// no offsets for the topic; a group with no online member (206, so the tools fall back to their offline path).
    func resetOffset(topic: String, group: String, timestamp: Int64, force: Bool) throws(ServiceError) -> OffsetReset {
        guard let config = topics.get(topic) else {
            throw ServiceError(.systemError, "[reset-offset] reset offset failed, no topic in this broker. topic=\(topic)")
        }
        let (model, members): (MessageModel?, [GroupMember]) = groups.state.withLock {
            ($0.consumers.effectiveModel(of: group), $0.consumers.members(of: group))
        }
        if model == .broadcasting {
            throw ServiceError(.systemError, "the consumer group [\(group)] consumes in BROADCASTING mode: offset reset is not "
                + "supported for broadcasting consumption, because consumption progress is kept by the clients")
        }
        let committed = offsetTable.offsets(group: group, topic: topic)
        guard !committed.isEmpty else { throw ServiceError(.systemError, "THe consumer group <\(group)> not exist") }
        var offsets: [MessageQueue: Int64] = [:]
        for queueId in 0..<max(0, config.writeQueueNums) {
            let target = timestamp == -1
                ? store.maxOffset(topic: topic, queueId: queueId)
                : store.offsetAtOrAfter(topic: topic, queueId: queueId, timestamp: timestamp)
            let clamped = max(0, target)
            let current = committed[queueId]
            offsets[queue(topic, queueId)] = force || current == nil || clamped < current! ? clamped : current!
        }
        guard !members.isEmpty else {
            throw ServiceError(.consumerNotOnline,
                               "Consumer not online, so can not reset offset, Group: \(group) Topic: \(topic) Timestamp: \(timestamp)")
        }
        for (queue, offset) in offsets {
            offsetTable.commit(group: group, topic: topic, queueId: queue.queueId, offset: offset)
        }
        return OffsetReset(offsets: offsets, members: members.map {
            OffsetReset.Member(connection: $0.connection, clientId: $0.clientId, language: $0.language)
        })
    }

    // MARK: Messages

    /// QUERY_MESSAGE (12): messages of `topic` with `key` as a KEYS word or UNIQ_KEY; none → 22.
    func queryMessages(topic: String, key: String, maxNum: Int32, uniqueKey: Bool, begin: Int64,
                       end: Int64) throws(ServiceError) -> [StoredMessage] {
        let limit = min(uniqueKey ? 32 : Int(max(1, maxNum)), 64)
        let found = store.queryMessages(topic: topic, key: key, maxCount: limit, beginTimestamp: begin, endTimestamp: end)
        guard !found.isEmpty else { throw ServiceError(.queryNotFound, "can not find message, maybe time range not correct") }
        return found
    }

    /// CONSUME_MESSAGE_DIRECTLY (309): the stored record behind an offset message id; nil when the id cannot be
    /// decoded or the message is gone (Java then relays an empty body).
    func record(offsetMessageId: String?) -> ByteBuffer? {
        guard let id = offsetMessageId, let decoded = MessageId.decodeOffsetMessageId(id),
              let message = store.message(atCommitLogOffset: decoded.commitLogOffset) else { return nil }
        return store.record(of: message)
    }

    var name: String { brokerName }

    /// This broker's advertised `ip:port`.
    var address: String { settings.current.config.advertisedAddress }

    /// VIEW_MESSAGE_BY_ID (33): the record at a commit-log offset.
    func message(atCommitLogOffset offset: Int64) throws(ServiceError) -> StoredMessage {
        guard offset >= 0, let message = store.message(atCommitLogOffset: offset) else {
            throw ServiceError(.systemError, "can not find message by the offset, \(offset)")
        }
        return message
    }

    /// The raw stored record of a message found by the two lookups above.
    func record(of message: StoredMessage) -> ByteBuffer? { store.record(of: message) }

    // MARK: Runtime

    /// GET_BROKER_CONFIG (26): every setting as it stands now, as Java properties text (`key=value` lines), and the
    /// data version of the last change (counter 0 until UPDATE_BROKER_CONFIG changes something).
    func brokerConfig() -> (text: String, version: DataVersion) {
        let (config, version) = settings.current
        return (config.properties.map { "\($0.key)=\($0.value)\n" }.joined(), version)
    }

    /// UPDATE_BROKER_CONFIG (25): `text` is properties text; see `RuntimeSettings.update` for what may change.
    /// Unparsable → 1 `string2Properties error` (Java's remark).
    @discardableResult
    func updateBrokerConfig(_ text: String, now: Int64) throws(ServiceError) -> [String] {
        let parsed: [(key: String, value: String)]
        do { parsed = try BrokerConfig.parseProperties(text) } catch {
            throw ServiceError(.systemError, "string2Properties error")
        }
        return try settings.update(parsed, now: now)
    }

    /// GET_BROKER_RUNTIME_INFO (28): every key the tools parse (admin.md §8.1), values as strings in Java's formats.
    /// TPS and totals come from StatsService; figures Apus does not measure (latencies, thread-pool queues) are zero.
    func runtimeInfo(now: Int64) -> [String: String] {
        let putTimes = stats.total(StatsName.brokerPutNums), putSize = stats.total(StatsName.brokerPutSize)
        let puts = stats.dailyTotals(StatsName.brokerPutNums, now: now), gets = stats.dailyTotals(StatsName.brokerGetNums, now: now)
        var table: [String: String] = [
            "brokerVersionDesc": "V4_9_4", "brokerVersion": "401", "bootTimestamp": String(bootTimestamp),
            "runtime": Self.runtimeText(millis: now - bootTimestamp),
            "putTps": stats.tpsTriple(StatsName.brokerPutNums, now: now),
            "getFoundTps": stats.tpsTriple(StatsName.pullFound, now: now), "getMissTps": stats.tpsTriple(StatsName.pullMiss, now: now),
            "getTotalTps": Self.sumTriples(stats.tpsTriple(StatsName.pullFound, now: now), stats.tpsTriple(StatsName.pullMiss, now: now)),
            "getTransferedTps": stats.tpsTriple(StatsName.brokerGetNums, now: now),
            "putMessageEntireTimeMax": "0", "getMessageEntireTimeMax": "0", "putMessageTimesTotal": String(max(1, putTimes)),
            "putMessageFailedTimes": "0", "putMessageSizeTotal": String(putSize),
            "putMessageAverageSize": "\(putTimes > 0 ? Double(putSize) / Double(putTimes) : 0.0)",
            "putMessageDistributeTime": "[<=0ms]:0 [0~10ms]:0 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 [200~500ms]:0 "
                + "[500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 [5~10s]:0 [10s~]:0 ",
            "putLatency99": "0.00", "putLatency999": "0.00",
            "dispatchMaxBuffer": "0", "dispatchBehindBytes": "0", "pageCacheLockTimeMills": "0",
            "msgPutTotalYesterdayMorning": String(puts.yesterdayMorning), "msgPutTotalTodayMorning": String(puts.todayMorning),
            "msgPutTotalTodayNow": String(puts.now), "msgGetTotalYesterdayMorning": String(gets.yesterdayMorning),
            "msgGetTotalTodayMorning": String(gets.todayMorning), "msgGetTotalTodayNow": String(gets.now),
            "sendThreadPoolQueueSize": "0", "sendThreadPoolQueueCapacity": "10000",
            "pullThreadPoolQueueSize": "0", "pullThreadPoolQueueCapacity": "100000",
            "queryThreadPoolQueueSize": "0", "queryThreadPoolQueueCapacity": "20000",
            "EndTransactionQueueSize": "0", "EndTransactionThreadPoolQueueCapacity": "100000",
            "sendThreadPoolQueueHeadWaitTimeMills": "0", "pullThreadPoolQueueHeadWaitTimeMills": "0",
            "queryThreadPoolQueueHeadWaitTimeMills": "0",
            "startAcceptSendRequestTimeStamp": "0",
            "commitLogMinOffset": String(store.commitLogMinOffset), "commitLogMaxOffset": String(store.commitLogMaxOffset),
            "remainTransientStoreBufferNumbs": "2147483647", "remainHowManyDataToFlush": "0 B",
        ]
        let earliest = store.message(atCommitLogOffset: store.commitLogMinOffset)?.storeTimestamp ?? 0
        table["earliestMessageTimeStamp"] = String(earliest)
        let disk = DiskUsage(path: store.config.rootDir)
        table["commitLogDiskRatio"] = disk.map { "\($0.usedRatio)" } ?? "-1"
        table["commitLogDiskRatio_" + store.config.rootDir + "/commitlog"] = table["commitLogDiskRatio"]
        table["consumeQueueDiskRatio"] = table["commitLogDiskRatio"]
        table["commitLogDirCapacity"] = disk.map {
            "Total : \(Self.humanSize($0.total)), Free : \(Self.humanSize($0.free))."
        } ?? "Total : 0 B, Free : 0 B."
        return table
    }

    /// Two "a b c" TPS triples added element-wise.
    static func sumTriples(_ a: String, _ b: String) -> String {
        zip(a.split(separator: " "), b.split(separator: " "))
            .map { "\((Double($0) ?? 0) + (Double($1) ?? 0))" }.joined(separator: " ")
    }

    /// VIEW_BROKER_STATS_DATA (315): an item's minute, hour and day figures; unknown item → 1.
    func statsData(name: String, key: String, now: Int64) throws(ServiceError) -> (minute: StatsSnapshot, hour: StatsSnapshot,
                                                                                  day: StatsSnapshot) {
        guard let minute = stats.snapshot(name, key: key, windowMillis: 60_000, now: now),
              let hour = stats.snapshot(name, key: key, windowMillis: 3_600_000, now: now),
              let day = stats.snapshot(name, key: key, windowMillis: 86_400_000, now: now) else {
            throw ServiceError(.systemError, "The stats <\(name)> <\(key)> not exist")
        }
        return (minute, hour, day)
    }

    /// `[ D days, H hours, M minutes, S seconds ]`.
    static func runtimeText(millis: Int64) -> String {
        let seconds = max(0, millis / 1000)
        return "[ \(seconds / 86400) days, \(seconds / 3600 % 24) hours, \(seconds / 60 % 60) minutes, \(seconds % 60) seconds ]"
    }

    /// Java `UtilAll.humanReadableByteCount(bytes, false)`: `N B`, else `%.1f KiB`, `MiB`, …
    static func humanSize(_ bytes: Int64) -> String {
        guard bytes >= 1024 else { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = -1
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }

    private func queue(_ topic: String, _ queueId: Int32) -> MessageQueue {
        MessageQueue(topic: topic, brokerName: brokerName, queueId: queueId)
    }
}
