// RouteInfoTable: the name server's pure state — registered brokers, their topics, liveness — and route building (§6),
// with the admin views and changes of it (topics by cluster, system topics, topic deletion, write permission).

import ApusMessage
import ApusRemoting

/// What one broker reported in its last REGISTER_BROKER.
public struct BrokerRegistration: Sendable {
    public var clusterName: String
    public var brokerName: String
    public var brokerAddr: String
    public var brokerId: Int64
    public var topics: [TopicConfigWire]
    public var dataVersion: DataVersionWire

    public init(clusterName: String, brokerName: String, brokerAddr: String, brokerId: Int64,
                topics: [TopicConfigWire], dataVersion: DataVersionWire) {
        self.clusterName = clusterName
        self.brokerName = brokerName
        self.brokerAddr = brokerAddr
        self.brokerId = brokerId
        self.topics = topics
        self.dataVersion = dataVersion
    }
}

public struct RouteInfoTable: Sendable {
    private struct LiveBroker {
        var brokerName: String
        var clusterName: String
        var brokerId: Int64
        var lastUpdate: Int64
        var dataVersion: DataVersionWire
        var connection: UInt64?
    }

    /// brokerName → addresses by broker id.
    private var brokers: [String: BrokerData] = [:]
    /// topic → brokerName → queue data.
    private var topicQueues: [String: [String: QueueData]] = [:]
    /// broker address → liveness.
    private var live: [String: LiveBroker] = [:]
    public let expiryMillis: Int64

    public init(expiryMillis: Int64 = 120_000) {
        self.expiryMillis = expiryMillis
    }

    /// Records a registration. Only a master (id 0) whose data version changed (or is new) replaces its topics.
    public mutating func register(_ registration: BrokerRegistration, connection: UInt64?, now: Int64) {
        let previous = live[registration.brokerAddr]
        var data = brokers[registration.brokerName]
            ?? BrokerData(cluster: registration.clusterName, brokerName: registration.brokerName, brokerAddrs: [:])
        // A slave re-registering as master replaces the old entry for that address.
        for (id, addr) in data.brokerAddrs where addr == registration.brokerAddr && id != registration.brokerId {
            data.brokerAddrs[id] = nil
        }
        data.cluster = registration.clusterName
        data.brokerAddrs[registration.brokerId] = registration.brokerAddr
        brokers[registration.brokerName] = data

        if registration.brokerId == 0, previous == nil || previous!.dataVersion != registration.dataVersion {
            var reported = Set<String>()
            for topic in registration.topics {
                reported.insert(topic.topicName)
                topicQueues[topic.topicName, default: [:]][registration.brokerName] = QueueData(
                    brokerName: registration.brokerName, readQueueNums: topic.readQueueNums,
                    writeQueueNums: topic.writeQueueNums, perm: topic.perm, topicSysFlag: topic.topicSysFlag)
            }
            // Topics this master no longer reports are gone from it (deleted on the broker).
            for (topic, queues) in topicQueues where queues[registration.brokerName] != nil && !reported.contains(topic) {
                removeQueue(topic: topic, brokerName: registration.brokerName)
            }
        }
        live[registration.brokerAddr] = LiveBroker(
            brokerName: registration.brokerName, clusterName: registration.clusterName, brokerId: registration.brokerId,
            lastUpdate: now, dataVersion: registration.dataVersion, connection: connection)
    }

    public mutating func unregister(brokerName: String, brokerAddr: String, brokerId: Int64) {
        removeBroker(addr: brokerAddr)
    }

    /// Brokers silent for longer than the expiry are removed; returns their addresses.
    public mutating func expire(now: Int64) -> [String] {
        let dead = live.filter { now - $0.value.lastUpdate > expiryMillis }.map(\.key)
        dead.forEach { removeBroker(addr: $0) }
        return dead
    }

    /// A broker's registration connection closed: it is gone.
    public mutating func connectionClosed(_ connection: UInt64) -> [String] {
        let gone = live.filter { $0.value.connection == connection }.map(\.key)
        gone.forEach { removeBroker(addr: $0) }
        return gone
    }

    public func route(topic: String) -> TopicRouteData? {
        guard let queues = topicQueues[topic], !queues.isEmpty else { return nil }
        let names = queues.keys.sorted()
        let brokerDatas = names.compactMap { brokers[$0] }
        guard !brokerDatas.isEmpty else { return nil }
        return TopicRouteData(queueDatas: names.compactMap { queues[$0] }, brokerDatas: brokerDatas)
    }

    /// DELETE_TOPIC_IN_NAMESRV (216): the topic's queue data of the brokers of `clusterName` (every broker when nil),
    /// and the topic itself when nothing is left. Unknown topics and clusters change nothing.
    public mutating func deleteTopic(_ topic: String, clusterName: String?) {
        guard let clusterName else {
            topicQueues[topic] = nil
            return
        }
        for (name, data) in brokers where data.cluster == clusterName { removeQueue(topic: topic, brokerName: name) }
    }

    public var topics: [String] { topicQueues.keys.sorted() }

    /// GET_TOPICS_BY_CLUSTER (224): topics with queue data on a broker of `cluster` (empty for an unknown cluster).
    public func topics(inCluster cluster: String) -> [String] {
        let names = Set(brokers.values.filter { $0.cluster == cluster }.map(\.brokerName))
        return topicQueues.filter { !names.isDisjoint(with: $0.value.keys) }.map(\.key).sorted()
    }

    /// WIPE_WRITE_PERM_OF_BROKER (205): clears the write bit of every topic's queue data of `brokerName`; returns the
    /// number of topics touched. Lasts until the broker registers a changed data version.
    public mutating func wipeWritePermission(brokerName: String) -> Int {
        changePermission(brokerName: brokerName) { $0 & ~Permission.write }
    }

    /// ADD_WRITE_PERM_OF_BROKER (327): sets the permission of every topic's queue data of `brokerName` to exactly
    /// read | write; returns the number of topics touched.
    public mutating func addWritePermission(brokerName: String) -> Int {
        changePermission(brokerName: brokerName) { _ in Permission.read | Permission.write }
    }

    private mutating func changePermission(brokerName: String, _ change: (Int32) -> Int32) -> Int {
        var count = 0
        for topic in Array(topicQueues.keys) where topicQueues[topic]?[brokerName] != nil {
            topicQueues[topic]![brokerName]!.perm = change(topicQueues[topic]![brokerName]!.perm)
            count += 1
        }
        return count
    }

    /// GET_SYSTEM_TOPIC_LIST_FROM_NS (304): every cluster name and broker name, and the address of some broker
    /// (a master when there is one) to ask for its own system topics; nil when no broker is registered.
    public var systemTopicList: (topics: [String], brokerAddr: String?) {
        let names = Set(brokers.values.map(\.cluster)).union(brokers.keys)
        let addr = brokers.keys.sorted().lazy.compactMap { name -> String? in
            let addrs = self.brokers[name]!.brokerAddrs
            return addrs[0] ?? addrs.keys.min().flatMap { addrs[$0] }
        }.first
        return (names.sorted(), addr)
    }

    public var clusterInfo: ClusterInfo {
        var clusters: [String: [String]] = [:]
        for (name, data) in brokers { clusters[data.cluster, default: []].append(name) }
        return ClusterInfo(brokerAddrTable: brokers, clusterAddrTable: clusters.mapValues { $0.sorted() })
    }

    private mutating func removeBroker(addr: String) {
        guard let gone = live.removeValue(forKey: addr) else { return }
        guard var data = brokers[gone.brokerName] else { return }
        data.brokerAddrs = data.brokerAddrs.filter { $0.value != addr }
        if data.brokerAddrs.isEmpty {
            brokers[gone.brokerName] = nil
            for topic in Array(topicQueues.keys) { removeQueue(topic: topic, brokerName: gone.brokerName) }
        } else {
            brokers[gone.brokerName] = data
        }
    }

    private mutating func removeQueue(topic: String, brokerName: String) {
        topicQueues[topic]?[brokerName] = nil
        if topicQueues[topic]?.isEmpty == true { topicQueues[topic] = nil }
    }
}
