// GroupService: consumer groups as the broker sees them — heartbeats and membership, subscription-group configs,
// consumer lists for rebalancing, order-queue locks, and client expiry. Transport-independent: members are named by
// an opaque connection id.

import ApusGroups
import ApusMessage
import ApusStore
import Synchronization

/// Group state the broker is the authority on; one lock guards all of it.
struct GroupState: Sendable {
    var consumers: ConsumerGroupTable
    var locks = QueueLockTable()
    var progress = ClientProgressTable()
    /// Client connections (address, language, version) and producer groups, from heartbeats.
    var clients = ClientRegistry()
    /// HTTP consumers (HTTPConsumeService): group → client name → last poll (ms). Names silent for the client expiry
    /// are pruned on polls and by `expire`.
    var httpConsumers: [String: [String: Int64]] = [:]

    /// The group's subscription inconsistencies, the protocol aspect included (remoting members and HTTP consumers).
    func inconsistencies(of group: String) -> [SubscriptionInconsistency] {
        consumers.inconsistencies(of: group, httpClients: httpConsumers[group].map { Array($0.keys) } ?? [])
    }

    /// Records an HTTP consumer's poll and forgets the group's HTTP consumers silent for longer than `expiryMillis`.
    mutating func recordHTTPConsumer(group: String, client: String, now: Int64, expiryMillis: Int64) {
        var members = httpConsumers[group] ?? [:]
        members[client] = now
        httpConsumers[group] = members.filter { now - $0.value <= expiryMillis }
    }
}

final class GroupService: Sendable {
    let state: Mutex<GroupState>
    let configs: SubscriptionGroupTable
    private let topics: TopicRegistry
    /// `autoCreateSubscriptionGroup`, changeable at runtime.
    private let settings: RuntimeSettings
    private let expiryMillis: Int64
    /// Called after a change that can make a membership notification due (the broker's notification loop is poked).
    private let changed = Mutex<(@Sendable () -> Void)?>(nil)

    init(configs: SubscriptionGroupTable, topics: TopicRegistry, settings: RuntimeSettings, expiryMillis: Int64,
         lockMaxLiveMillis: Int64 = 60_000) {
        self.configs = configs
        self.topics = topics
        self.settings = settings
        self.expiryMillis = expiryMillis
        state = Mutex(GroupState(consumers: ConsumerGroupTable(expiryMillis: expiryMillis),
                                 locks: QueueLockTable(lockMaxLiveMillis: lockMaxLiveMillis)))
    }

    func onMembershipChange(_ action: @escaping @Sendable () -> Void) { changed.withLock { $0 = action } }

    private func membershipMayHaveChanged() { changed.withLock { $0 }?() }

    /// The longest group name whose `%RETRY%` topic is still a valid topic name.
    static let maxGroupNameBytes = TopicNames.maxTopicBytes - TopicNames.retryPrefix.utf8.count

    /// A group name as RocketMQ accepts it (and short enough for its retry topic); nothing is created for any other.
    static func validate(group: String) throws(ServiceError) {
        guard TopicNames.isValidTopicOrGroupName(group, maxBytes: maxGroupNameBytes) else {
            throw ServiceError(.invalidName, "the consumer group name [\(group.debugDescription.dropFirst().dropLast())] is illegal: "
                + "use letters, digits, %, |, _ and - (at most \(maxGroupNameBytes) characters)")
        }
    }

    /// The group's config, created on first sight (with its retry topic) when auto-creation is on.
    @discardableResult
    func config(of group: String, create: Bool = true) throws(ServiceError) -> SubscriptionGroupConfig {
        try Self.validate(group: group)
        if let existing = configs.get(group) { return existing }
        guard create, settings.autoCreateSubscriptionGroup else {
            throw ServiceError(.subscriptionGroupNotExist,
                               "subscription group [\(group)] does not exist and autoCreateSubscriptionGroup=false")
        }
        do {
            let created = try configs.getOrCreate(group, persistence: .background)
            topics.ensureSingleQueueTopic(TopicNames.retry(group))
            return created
        } catch {
            throw ServiceError(.systemError, "cannot create subscription group [\(group)]: \(error)")
        }
    }

    /// A consumer heartbeat: every group is validated before anything is registered. Returns true when it created a
    /// retry topic (the caller makes it routable before answering, as RocketMQ does).
    @discardableResult
    func heartbeat(_ entries: [ConsumerHeartbeat], connection: ConnectionID, now: Int64) throws(ServiceError) -> Bool {
        for entry in entries { try Self.validate(group: entry.group) }
        let createsTopics = entries.contains { topics.get(TopicNames.retry($0.group)) == nil }
        for entry in entries {
            try config(of: entry.group)
            topics.ensureSingleQueueTopic(TopicNames.retry(entry.group))
        }
        state.withLock { state in
            for entry in entries { state.consumers.heartbeat(entry, connection: connection, now: now) }
        }
        membershipMayHaveChanged()
        return createsTopics
    }

    func unregister(group: String, clientId: String, connection: ConnectionID, now: Int64) {
        state.withLock {
            $0.consumers.unregister(group: group, clientId: clientId, connection: connection, now: now)
            $0.locks.release(connection: connection)
        }
        membershipMayHaveChanged()
    }

    /// The connection is gone: its members leave their groups and its order-queue locks are released at once, so
    /// another consumer of the group can take the queues over.
    func connectionClosed(_ connection: ConnectionID, now: Int64) {
        state.withLock {
            $0.consumers.connectionClosed(connection, now: now)
            $0.locks.release(connection: connection)
            $0.clients.connectionClosed(connection)
        }
        membershipMayHaveChanged()
    }

    /// Any heartbeat: the client's connection info is refreshed and it joins the producer groups it announces.
    func clientHeartbeat(_ info: ClientConnectionInfo, producerGroups: [String], connection: ConnectionID) {
        state.withLock { $0.clients.heartbeat(info, connection: connection, producerGroups: producerGroups) }
    }

    func unregisterProducer(group: String, connection: ConnectionID) {
        state.withLock { $0.clients.unregisterProducer(group: group, connection: connection) }
    }

    /// Members silent for longer than the expiry; their locks are released, their connections returned for closing.
    func expire(now: Int64) -> [ConnectionID] {
        defer { membershipMayHaveChanged() }
        return state.withLock { state in
            let expired = state.consumers.expire(now: now)
            for connection in expired { state.locks.release(connection: connection) }
            let silent = state.clients.expire(now: now, expiryMillis: expiryMillis)
            state.httpConsumers = state.httpConsumers.compactMapValues { members in
                let live = members.filter { now - $0.value <= expiryMillis }
                return live.isEmpty ? nil : live
            }
            return Array(Set(expired).union(silent)).sorted()
        }
    }

    func consumerList(group: String, asking connection: ConnectionID) -> [String] {
        state.withLock { $0.consumers.consumerList(group: group, askingConnection: connection) }
    }

    /// LOCK_BATCH_MQ: the queues now held by `clientId`. Locks are exclusive in every group: ordered consumption is
    /// clustering-only, so a broadcasting member asking for locks is treated like any other (see the architecture
    /// document).
    func lock(group: String, queues: [MessageQueue], clientId: String, connection: ConnectionID, now: Int64) -> [MessageQueue] {
        state.withLock { $0.locks.lock(group: group, queues: queues, clientId: clientId, connection: connection, now: now) }
    }

    func unlock(group: String, queues: [MessageQueue], clientId: String) {
        state.withLock { $0.locks.unlock(group: group, queues: queues, clientId: clientId) }
    }

    /// Whether failed messages of the member on `connection` are retried (clustering) or not (broadcasting).
    func retriesFailures(group: String, connection: ConnectionID?) -> Bool {
        state.withLock { state in
            guard let connection else { return state.consumers.effectiveModel(of: group) != .broadcasting }
            return state.consumers.retriesFailures(group: group, connection: connection)
        }
    }

    /// The group's effective model among its live members (nil: no member).
    func effectiveModel(of group: String) -> MessageModel? {
        state.withLock { $0.consumers.effectiveModel(of: group) }
    }

    func offsetOwner(group: String, connection: ConnectionID?) -> OffsetOwner {
        guard let connection else { return .group }
        return state.withLock { $0.consumers.offsetOwner(group: group, connection: connection) }
    }

    func subscription(group: String, topic: String) -> Subscription? {
        state.withLock { $0.consumers.subscription(group: group, topic: topic) }
    }

    func recordPull(group: String, connection: ConnectionID, topic: String, queueId: Int32, nextOffset: Int64, now: Int64) {
        state.withLock { state in
            guard let clientId = state.consumers.clientId(of: connection) else { return }
            state.progress.recordPull(group: group, clientId: clientId, topic: topic, queueId: queueId, nextOffset: nextOffset, now: now)
        }
    }

    /// Groups whose membership changed (coalesced), each with the subscription differences among its members; and
    /// when the next ones are due.
    func dueNotifications(now: Int64) -> (due: [(notification: GroupNotification, inconsistencies: [SubscriptionInconsistency])],
                                          next: Int64?) {
        state.withLock { state in
            (state.consumers.dueNotifications(now: now).map { ($0, state.inconsistencies(of: $0.group)) },
             state.consumers.nextNotification)
        }
    }
}
