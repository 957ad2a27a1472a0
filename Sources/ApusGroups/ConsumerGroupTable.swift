// ConsumerGroupTable: live members of every consumer group, their effective message model, the consumer
// lists and offset/retry rules derived from it, and coalesced NOTIFY_CONSUMER_IDS_CHANGED decisions (spec §5.6).

/// A consumer's message model. When a client does not set one, the model is CLUSTERING (seed: "If you do not
/// explicitly set a consumption mode, clustering consumption is used"); decoders should default to `.clustering`.
public enum MessageModel: String, Sendable {
    case broadcasting = "BROADCASTING", clustering = "CLUSTERING"

    /// The wire ordinal (C++ sends numbers, spec §3.2): 0 broadcasting, 1 clustering.
    public init?(ordinal: Int) {
        switch ordinal {
        case 0: self = .broadcasting
        case 1: self = .clustering
        default: return nil
        }
    }
}

/// Pull (actively) or push (passively) consumer.
public enum ConsumeType: String, Sendable {
    case consumeActively = "CONSUME_ACTIVELY", consumePassively = "CONSUME_PASSIVELY"

    /// The wire ordinal (spec §3.2): 0 CONSUME_ACTIVELY, 1 CONSUME_PASSIVELY.
    public init?(ordinal: Int) {
        switch ordinal {
        case 0: self = .consumeActively
        case 1: self = .consumePassively
        default: return nil
        }
    }
}

/// The broker's id for one client TCP connection.
public typealias ConnectionID = UInt64

/// One `consumerDataSet` entry of a HEART_BEAT body (spec §3.2), already decoded.
public struct ConsumerHeartbeat: Sendable {
    public var group: String
    public var clientId: String
    public var messageModel: MessageModel
    public var consumeType: ConsumeType
    public var consumeFromWhere: Int32
    public var subscriptions: [Subscription]
    /// The `language` of the request header (e.g. `"CPP"`).
    public var language: String

    public init(group: String, clientId: String, messageModel: MessageModel = .clustering,
                consumeType: ConsumeType = .consumePassively, consumeFromWhere: Int32 = 0,
                subscriptions: [Subscription], language: String = "CPP") {
        self.group = group
        self.clientId = clientId
        self.messageModel = messageModel
        self.consumeType = consumeType
        self.consumeFromWhere = consumeFromWhere
        self.subscriptions = subscriptions
        self.language = language
    }
}

/// "Send NOTIFY_CONSUMER_IDS_CHANGED(group) to these connections."
public struct GroupNotification: Sendable, Equatable {
    public var group: String
    public var connections: [ConnectionID]

    public init(group: String, connections: [ConnectionID]) {
        self.group = group
        self.connections = connections
    }
}

/// Where a member's consumer offsets live.
public enum OffsetOwner: Sendable, Equatable {
    /// Shared by the group (normal clustering).
    case group
    /// Kept per client: a clustering member of a group whose effective model is broadcasting.
    case client(String)
}

/// One live member of a group: a client instance (clientId), on its latest connection.
public struct GroupMember: Sendable, Equatable {
    public var clientId: String
    public var connection: ConnectionID
    public var messageModel: MessageModel
    public var consumeType: ConsumeType
    public var consumeFromWhere: Int32
    public var language: String
    public var lastHeartbeat: Int64
    public var subscriptions: [Subscription]
}

/// Consumer groups as seen from heartbeats. A member is identified by its clientId: a client that reconnects is
/// still one member, now reached on its new connection. Members of one group that disagree are kept side by side
/// (each with its own subscriptions) and reported by `inconsistencies(of:)`, never merged.
public struct ConsumerGroupTable: Sendable {
    struct Group {
        var members: [String: GroupMember] = [:]       // clientId → member
        var changedSince: Int64?                        // first unnotified change

        var effectiveModel: MessageModel? {
            if members.isEmpty { return nil }
            return members.values.contains { $0.messageModel == .broadcasting } ? .broadcasting : .clustering
        }

        func member(on connection: ConnectionID) -> GroupMember? {
            members.values.first { $0.connection == connection }
        }

        mutating func markChanged(_ now: Int64) {
            if changedSince == nil { changedSince = now }
        }
    }

    let expiryMillis: Int64
    let notifyDelayMillis: Int64
    var table: [String: Group] = [:]

    /// How long membership changes are coalesced before their group is notified.
    public static let defaultNotifyDelayMillis: Int64 = 200

    public init(expiryMillis: Int64 = 120_000, notifyDelayMillis: Int64 = defaultNotifyDelayMillis) {
        self.expiryMillis = expiryMillis
        self.notifyDelayMillis = notifyDelayMillis
    }

    /// Registers/refreshes a member. Membership change (new connection for the group), subscription change (topic
    /// added or removed, expression changed) or a change of the group's EFFECTIVE model marks the group changed.
    /// Changes are COALESCED: they are returned later by `dueNotifications(now:)`, not one per heartbeat.
    /// A higher `subVersion` with the same filter is recorded but is not a change.
    public mutating func heartbeat(_ hb: ConsumerHeartbeat, connection: ConnectionID, now: Int64) {
        var group = table[hb.group] ?? Group()
        let modelBefore = group.effectiveModel
        let old = group.members[hb.clientId]
        let member = GroupMember(clientId: hb.clientId, connection: connection, messageModel: hb.messageModel,
                                 consumeType: hb.consumeType, consumeFromWhere: hb.consumeFromWhere,
                                 language: hb.language, lastHeartbeat: now, subscriptions: hb.subscriptions)
        group.members[hb.clientId] = member
        let memberChanged = old.map {
            $0.connection != connection || Self.filters($0.subscriptions) != Self.filters(hb.subscriptions)
        } ?? true
        if memberChanged || group.effectiveModel != modelBefore {
            group.markChanged(now)
        }
        table[hb.group] = group
    }

    /// UNREGISTER_CLIENT for a consumer group (spec §2.3). An empty clientId falls back to the connection.
    public mutating func unregister(group: String, clientId: String, connection: ConnectionID, now: Int64) {
        remove(from: group, now: now) { clientId.isEmpty ? $0.connection == connection : $0.clientId == clientId }
    }

    /// The connection closed: every member reached on it leaves every group.
    public mutating func connectionClosed(_ connection: ConnectionID, now: Int64) {
        for name in Array(table.keys) { remove(from: name, now: now) { $0.connection == connection } }
    }

    /// Members whose last heartbeat is older than expiryMillis are removed; returns their connections
    /// (deduplicated, sorted; the broker closes them).
    public mutating func expire(now: Int64) -> [ConnectionID] {
        let expiry = expiryMillis
        var closed = Set<ConnectionID>()
        for name in Array(table.keys) {
            for id in remove(from: name, now: now, where: { now - $0.lastHeartbeat > expiry }) { closed.insert(id) }
        }
        return closed.sorted()
    }

    /// Groups changed at least notifyDelayMillis ago (or longer) → one notification each (sorted by group), to every
    /// live connection of the group (sorted).
    public mutating func dueNotifications(now: Int64) -> [GroupNotification] {
        var due: [GroupNotification] = []
        for (name, group) in table {
            guard let since = group.changedSince, now - since >= notifyDelayMillis else { continue }
            table[name]!.changedSince = nil
            due.append(GroupNotification(group: name, connections: Set(group.members.values.map(\.connection)).sorted()))
        }
        return due.sorted { $0.group < $1.group }
    }

    /// When `dueNotifications(now:)` next returns something (nil: no group has changed).
    public var nextNotification: Int64? {
        table.values.lazy.compactMap(\.changedSince).min().map { $0 + notifyDelayMillis }
    }

    /// BROADCASTING if any live member says so, else CLUSTERING; nil if the group has no members.
    public func effectiveModel(of group: String) -> MessageModel? {
        table[group]?.effectiveModel
    }

    /// GET_CONSUMER_LIST_BY_GROUP for the member asking (identified by its connection): clustering → all live clientIds
    /// (deduplicated, sorted byte-wise); effective broadcasting → only the asker's clientId (so it allocates every
    /// queue to itself); asker unknown but group known → all clientIds; empty if the group has no members.
    public func consumerList(group: String, askingConnection: ConnectionID) -> [String] {
        guard let g = table[group] else { return [] }
        if g.effectiveModel == .broadcasting, let asker = g.member(on: askingConnection) { return [asker.clientId] }
        return g.members.keys.sorted(by: byteOrder)
    }

    /// Where offsets of the member on `connection` live: `.group` normally; `.client(clientId)` for a CLUSTERING
    /// member of a group whose effective model is BROADCASTING. Unknown member → `.group`.
    public func offsetOwner(group: String, connection: ConnectionID) -> OffsetOwner {
        // The group's model first: in a clustering group (nearly every pull) no member is looked for.
        guard let g = table[group], g.effectiveModel == .broadcasting, let m = g.member(on: connection),
              m.messageModel == .clustering else { return .group }
        return .client(m.clientId)
    }

    /// True when failed messages of this member must be retried by the broker (clustering member of a clustering
    /// group). A member or group the broker has not heard from yet is taken as clustering (the default model), so
    /// its failures are retried unless the group is known to be broadcasting.
    public func retriesFailures(group: String, connection: ConnectionID) -> Bool {
        guard let g = table[group] else { return true }
        if g.effectiveModel == .broadcasting { return false }
        return g.member(on: connection)?.messageModel != .broadcasting
    }

    /// The subscription of `topic` among the group's live members: the one with the latest subVersion.
    public func subscription(group: String, topic: String) -> Subscription? {
        table[group]?.members.values.flatMap(\.subscriptions).filter { $0.topic == topic }
            .max { $0.subVersion < $1.subVersion }
    }

    /// Names of the groups with at least one live member, sorted.
    public func groups() -> [String] {
        table.keys.sorted()
    }

    /// Live members of the group, sorted by clientId (byte-wise).
    public func members(of group: String) -> [GroupMember] {
        (table[group]?.members.values.map { $0 } ?? []).sorted { byteOrder($0.clientId, $1.clientId) }
    }

    /// The clientId of the member reached on this connection (in any group).
    public func clientId(of connection: ConnectionID) -> String? {
        for group in table.values { if let m = group.member(on: connection) { return m.clientId } }
        return nil
    }

    /// Removes the matching members of a group, marks it changed if any left, drops it when empty.
    /// Returns the connections of the removed members.
    @discardableResult
    mutating func remove(from name: String, now: Int64, where leaves: (GroupMember) -> Bool) -> [ConnectionID] {
        guard var group = table[name] else { return [] }
        let gone = group.members.values.filter(leaves)
        if gone.isEmpty { return [] }
        for m in gone { group.members[m.clientId] = nil }
        group.markChanged(now)
        table[name] = group.members.isEmpty ? nil : group
        return gone.map(\.connection)
    }

    /// What makes two subscription lists "the same" for rebalancing: topic → canonical filter.
    static func filters(_ subscriptions: [Subscription]) -> [String: String] {
        Dictionary(subscriptions.map { ($0.topic, $0.normalizedExpression) }, uniquingKeysWith: { a, _ in a })
    }
}

/// Byte-wise string order, the order RocketMQ clients sort client ids and queues in.
func byteOrder(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
