// ClientRegistry: what the broker knows about each client connection (clientId, peer address, language, version)
// and the producer groups announced in heartbeats' producerDataSet — the source of the admin connection lists
// (GET_CONSUMER_CONNECTION_LIST, GET_PRODUCER_CONNECTION_LIST). Pure state; the broker owns the lock.

/// One client connection as the admin tools show it.
public struct ClientConnectionInfo: Sendable, Equatable {
    public var clientId: String
    /// `ip:port` of the peer, without a leading `/`.
    public var clientAddr: String
    /// The request header's `language` ("JAVA", "CPP", …).
    public var language: String
    /// The request header's `version`.
    public var version: Int32
    public var lastUpdate: Int64

    public init(clientId: String, clientAddr: String, language: String, version: Int32, lastUpdate: Int64) {
        self.clientId = clientId
        self.clientAddr = clientAddr
        self.language = language
        self.version = version
        self.lastUpdate = lastUpdate
    }
}

public struct ClientRegistry: Sendable {
    /// Every connection that sent a heartbeat.
    private var connections: [ConnectionID: ClientConnectionInfo] = [:]
    /// producer group → connections that announced it.
    private var producers: [String: Set<ConnectionID>] = [:]

    public init() {}

    /// A heartbeat on `connection`: its client info is refreshed and it joins `producerGroups`.
    public mutating func heartbeat(_ info: ClientConnectionInfo, connection: ConnectionID, producerGroups: [String]) {
        connections[connection] = info
        for group in producerGroups { producers[group, default: []].insert(connection) }
    }

    public func info(of connection: ConnectionID) -> ClientConnectionInfo? { connections[connection] }

    /// UNREGISTER_CLIENT with a producer group.
    public mutating func unregisterProducer(group: String, connection: ConnectionID) {
        producers[group]?.remove(connection)
        if producers[group]?.isEmpty == true { producers[group] = nil }
    }

    public mutating func connectionClosed(_ connection: ConnectionID) {
        connections[connection] = nil
        for group in Array(producers.keys) { unregisterProducer(group: group, connection: connection) }
    }

    /// Connections silent for longer than `expiryMillis` are forgotten; returns them (sorted).
    @discardableResult
    public mutating func expire(now: Int64, expiryMillis: Int64) -> [ConnectionID] {
        let gone = connections.filter { now - $0.value.lastUpdate > expiryMillis }.map(\.key).sorted()
        for id in gone { connectionClosed(id) }
        return gone
    }

    /// The producer group's connections, sorted by clientId; nil when no connection announced the group.
    public func producers(of group: String) -> [ClientConnectionInfo]? {
        guard let ids = producers[group], !ids.isEmpty else { return nil }
        return ids.compactMap { connections[$0] }.sorted { byteOrder($0.clientId, $1.clientId) }
    }

    public var producerGroups: [String] { producers.keys.sorted() }

    /// The connections that announced the producer group (transaction checks go to one of them).
    public func producerConnections(of group: String) -> [ConnectionID] { producers[group].map { $0.sorted() } ?? [] }

    /// Every producer group with its connections (GET_ALL_PRODUCER_INFO).
    public var allProducers: [String: [ClientConnectionInfo]] {
        var table: [String: [ClientConnectionInfo]] = [:]
        for group in producers.keys { table[group] = producers(of: group) }
        return table
    }
}
