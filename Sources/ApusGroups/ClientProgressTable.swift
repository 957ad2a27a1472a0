// ClientProgressTable: the broker's record of each client's pull position per queue, so operators can see
// per-client lag of broadcasting consumers (whose offsets otherwise live only on the client).

import ApusMessage

/// The last pull of one client on one queue.
public struct ClientPosition: Sendable, Equatable {
    public var clientId: String
    public var topic: String
    public var queueId: Int32
    /// The next offset the client will pull (the pull response's nextBeginOffset).
    public var nextOffset: Int64
    /// When the pull was answered (ms).
    public var lastPull: Int64

    public init(clientId: String, topic: String, queueId: Int32, nextOffset: Int64, lastPull: Int64) {
        self.clientId = clientId
        self.topic = topic
        self.queueId = queueId
        self.nextOffset = nextOffset
        self.lastPull = lastPull
    }
}

public struct ClientProgressTable: Sendable {
    struct Key: Hashable { var clientId: String; var topic: String; var queueId: Int32 }

    private typealias Positions = [Key: ClientPosition]
    private var table: [String: Positions] = [:]    // group → position per (client, topic, queue)
    /// Positions recorded lately, by their places in `table`: a consumer's pulls repeat their group, client and
    /// queues (eight: a topic's), and comparing those costs a fraction of hashing three strings. Emptied when a
    /// position is added or removed (which may move the others).
    private var recent = RecentList<Place>(capacity: 8)
    private struct Place {
        let group: String
        let key: Key
        let outer: Dictionary<String, Positions>.Index
        let inner: Positions.Index

        func matches(group: String, clientId: String, topic: String, queueId: Int32) -> Bool {
            key.queueId == queueId && key.topic == topic && key.clientId == clientId && self.group == group
        }
    }

    public init() {}

    /// Records the position after a pull; the latest pull wins (a client may move backwards, e.g. after a reset).
    public mutating func recordPull(group: String, clientId: String, topic: String, queueId: Int32,
                                    nextOffset: Int64, now: Int64) {
        for i in recent.indices where recent[i].matches(group: group, clientId: clientId, topic: topic, queueId: queueId) {
            let (outer, inner) = (recent[i].outer, recent[i].inner)
            table.values[outer].values[inner].nextOffset = nextOffset
            table.values[outer].values[inner].lastPull = now
            return
        }
        let key = Key(clientId: clientId, topic: topic, queueId: queueId)
        let position = ClientPosition(clientId: clientId, topic: topic, queueId: queueId, nextOffset: nextOffset, lastPull: now)
        let outer: Dictionary<String, Positions>.Index
        if let found = table.index(forKey: group) {
            outer = found
            if let inner = table.values[outer].index(forKey: key) {
                table.values[outer].values[inner] = position
            } else {
                table.values[outer][key] = position
                recent.removeAll()
            }
        } else {
            table[group] = [key: position]
            recent.removeAll()
            outer = table.index(forKey: group)!
        }
        recent.remember(Place(group: group, key: key, outer: outer, inner: table.values[outer].index(forKey: key)!))
    }

    /// Every recorded position of the group, sorted by clientId, topic, queueId.
    public func positions(group: String) -> [ClientPosition] {
        (table[group]?.values.map { $0 } ?? []).sorted {
            ($0.clientId, $0.topic, $0.queueId) < ($1.clientId, $1.topic, $1.queueId)
        }
    }

    /// Drops a client's positions in the group (it left).
    public mutating func forget(group: String, clientId: String) {
        recent.removeAll()
        table[group] = table[group]?.filter { $0.key.clientId != clientId }
        if table[group]?.isEmpty == true { table[group] = nil }
    }

    /// Drops positions whose last pull is older than `cutoff` (ms), in every group: clients that went away
    /// without the broker noticing, or whose clientId changed on restart.
    public mutating func forget(pulledBefore cutoff: Int64) {
        recent.removeAll()
        table = table.compactMapValues { positions in
            let kept = positions.filter { $0.value.lastPull >= cutoff }
            return kept.isEmpty ? nil : kept
        }
    }
}
