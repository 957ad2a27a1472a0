// ClientProgressTable: the broker's record of each client's pull position per queue, so operators can see
// per-client lag of broadcasting consumers (whose offsets otherwise live only on the client).

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

    var table: [String: [Key: ClientPosition]] = [:]    // group → position per (client, topic, queue)

    public init() {}

    /// Records the position after a pull; the latest pull wins (a client may move backwards, e.g. after a reset).
    public mutating func recordPull(group: String, clientId: String, topic: String, queueId: Int32,
                                    nextOffset: Int64, now: Int64) {
        table[group, default: [:]][Key(clientId: clientId, topic: topic, queueId: queueId)] =
            ClientPosition(clientId: clientId, topic: topic, queueId: queueId, nextOffset: nextOffset, lastPull: now)
    }

    /// Every recorded position of the group, sorted by clientId, topic, queueId.
    public func positions(group: String) -> [ClientPosition] {
        (table[group]?.values.map { $0 } ?? []).sorted {
            ($0.clientId, $0.topic, $0.queueId) < ($1.clientId, $1.topic, $1.queueId)
        }
    }

    /// Drops a client's positions in the group (it left).
    public mutating func forget(group: String, clientId: String) {
        table[group] = table[group]?.filter { $0.key.clientId != clientId }
        if table[group]?.isEmpty == true { table[group] = nil }
    }

    /// Drops positions whose last pull is older than `cutoff` (ms), in every group: clients that went away
    /// without the broker noticing, or whose clientId changed on restart.
    public mutating func forget(pulledBefore cutoff: Int64) {
        table = table.compactMapValues { positions in
            let kept = positions.filter { $0.value.lastPull >= cutoff }
            return kept.isEmpty ? nil : kept
        }
    }
}
