// JSON bodies carried by remoting commands (spec §3, §6): route data, heartbeat, lock bodies, consumer list,
// broker registration, cluster info, topic list. Decoding is lenient (missing keys → defaults, numbers or
// strings accepted); encoding writes standard JSON (quoted keys, ints as numbers) shaped like Java's.

import ApusMessage
import NIOCore

/// A JSON body: parse from a `JSONValue`, write with a `JSONWriter`; `decode`/`encode` work on ByteBuffers.
public protocol RemotingBody: Sendable {
    init(json: JSONValue) throws
    func write(to writer: inout JSONWriter)
}

extension RemotingBody {
    public static func decode(_ buffer: ByteBuffer) throws -> Self { try Self(json: JSONParser.parse(buffer)) }

    public func encode() -> ByteBuffer {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.buffer
    }
}

extension JSONValue {
    fileprivate func requireObject(_ what: String) throws -> JSONValue {
        guard case .object = self else { throw JSONError.unexpectedType("\(what) is not an object") }
        return self
    }
    fileprivate func string(_ key: String) -> String { self[key]?.stringValue ?? "" }
    fileprivate func int32(_ key: String, default value: Int32 = 0) -> Int32 { self[key]?.int32Value ?? value }
    fileprivate func int64(_ key: String) -> Int64 { self[key]?.int64Value ?? 0 }
    fileprivate func array(_ key: String) -> [JSONValue] { self[key]?.arrayValue ?? [] }
    fileprivate func strings(_ key: String) -> [String] { array(key).compactMap { if case .string(let s) = $0 { s } else { nil } } }
}

extension JSONWriter {
    fileprivate mutating func messageQueues(_ key: String, _ queues: [MessageQueue]) {
        self.key(key)
        beginArray()
        for q in queues {
            beginObject()
            string("brokerName", q.brokerName)
            number("queueId", q.queueId)
            string("topic", q.topic)
            endObject()
        }
        endArray()
    }
}

private func messageQueues(_ values: [JSONValue]) -> [MessageQueue] {
    values.map { MessageQueue(topic: $0.string("topic"), brokerName: $0.string("brokerName"), queueId: $0.int32("queueId")) }
}

// MARK: - Route data (GET_ROUTEINFO_BY_TOPIC response, §3.1)

public struct QueueData: Sendable, Equatable {
    public var brokerName: String
    public var readQueueNums: Int32
    public var writeQueueNums: Int32
    public var perm: Int32
    public var topicSysFlag: Int32

    public init(brokerName: String, readQueueNums: Int32, writeQueueNums: Int32, perm: Int32, topicSysFlag: Int32 = 0) {
        self.brokerName = brokerName
        self.readQueueNums = readQueueNums
        self.writeQueueNums = writeQueueNums
        self.perm = perm
        self.topicSysFlag = topicSysFlag
    }

    init(json: JSONValue) {
        self.init(brokerName: json.string("brokerName"), readQueueNums: json.int32("readQueueNums"),
                  writeQueueNums: json.int32("writeQueueNums"), perm: json.int32("perm"),
                  topicSysFlag: json["topicSysFlag"]?.int32Value ?? json.int32("topicSynFlag"))
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.string("brokerName", brokerName)
        w.number("perm", perm)
        w.number("readQueueNums", readQueueNums)
        w.number("topicSynFlag", topicSysFlag)
        w.number("topicSysFlag", topicSysFlag)
        w.number("writeQueueNums", writeQueueNums)
        w.endObject()
    }
}

public struct BrokerData: Sendable, Equatable {
    public var cluster: String
    public var brokerName: String
    /// Broker id (0 = master) → "ip:port".
    public var brokerAddrs: [Int64: String]

    public init(cluster: String, brokerName: String, brokerAddrs: [Int64: String]) {
        self.cluster = cluster
        self.brokerName = brokerName
        self.brokerAddrs = brokerAddrs
    }

    /// Accepts quoted ("0") and fastjson's unquoted (0) broker-id keys.
    init(json: JSONValue) {
        var addrs: [Int64: String] = [:]
        for (key, value) in json["brokerAddrs"]?.objectValue ?? [] {
            if let id = Int64(key), let addr = value.stringValue { addrs[id] = addr }
        }
        self.init(cluster: json.string("cluster"), brokerName: json.string("brokerName"), brokerAddrs: addrs)
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("brokerAddrs")
        w.beginObject()
        for id in brokerAddrs.keys.sorted() { w.string(String(id), brokerAddrs[id]!) }
        w.endObject()
        w.string("brokerName", brokerName)
        w.string("cluster", cluster)
        w.endObject()
    }
}

public struct TopicRouteData: RemotingBody, Equatable {
    public var queueDatas: [QueueData]
    public var brokerDatas: [BrokerData]

    public init(queueDatas: [QueueData], brokerDatas: [BrokerData]) {
        self.queueDatas = queueDatas
        self.brokerDatas = brokerDatas
    }

    public init(json: JSONValue) throws {
        let json = try json.requireObject("TopicRouteData")
        self.init(queueDatas: json.array("queueDatas").map(QueueData.init(json:)),
                  brokerDatas: json.array("brokerDatas").map(BrokerData.init(json:)))
    }

    /// No `orderTopicConf` (the C++ producer would prefer it over queueDatas).
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("brokerDatas")
        w.beginArray()
        for b in brokerDatas { b.write(to: &w) }
        w.endArray()
        w.key("filterServerTable")
        w.beginObject()
        w.endObject()
        w.key("queueDatas")
        w.beginArray()
        for q in queueDatas { q.write(to: &w) }
        w.endArray()
        w.endObject()
    }
}

// MARK: - Heartbeat (HEART_BEAT request, §3.2)

/// C++ sends ordinals, Java enum names.
public enum ConsumeTypeWire: Int32, Sendable {
    case consumeActively = 0
    case consumePassively = 1

    public var javaName: String { self == .consumeActively ? "CONSUME_ACTIVELY" : "CONSUME_PASSIVELY" }

    init?(json: JSONValue) {
        if let n = json.int32Value { self.init(rawValue: n) } else {
            switch json.stringValue {
            case "CONSUME_ACTIVELY": self = .consumeActively
            case "CONSUME_PASSIVELY": self = .consumePassively
            default: return nil
            }
        }
    }
}

public enum MessageModelWire: Int32, Sendable {
    case broadcasting = 0
    case clustering = 1

    public var javaName: String { self == .broadcasting ? "BROADCASTING" : "CLUSTERING" }

    init?(json: JSONValue) {
        if let n = json.int32Value { self.init(rawValue: n) } else {
            switch json.stringValue {
            case "BROADCASTING": self = .broadcasting
            case "CLUSTERING": self = .clustering
            default: return nil
            }
        }
    }
}

/// Java `ConsumeFromWhere` names by ordinal (C++ sends the ordinal).
let consumeFromWhereNames = [
    "CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST", "CONSUME_FROM_MIN_OFFSET",
    "CONSUME_FROM_MAX_OFFSET", "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP",
]

public struct ProducerData: Sendable, Equatable {
    public var groupName: String
    public init(groupName: String) { self.groupName = groupName }
}

public struct SubscriptionDataWire: Sendable, Equatable {
    public var topic: String
    public var subString: String
    public var tagsSet: [String]
    /// As sent; the C++ client's values are useless (`atoi(tag)`), compute tag hashes from `tagsSet` instead.
    public var codeSet: [Int32]
    public var subVersion: Int64
    /// nil when absent (= "TAG").
    public var expressionType: String?

    public init(topic: String, subString: String, tagsSet: [String] = [], codeSet: [Int32] = [], subVersion: Int64 = 0,
                expressionType: String? = nil) {
        self.topic = topic
        self.subString = subString
        self.tagsSet = tagsSet
        self.codeSet = codeSet
        self.subVersion = subVersion
        self.expressionType = expressionType
    }

    init(json: JSONValue) {
        self.init(topic: json.string("topic"), subString: json.string("subString"), tagsSet: json.strings("tagsSet"),
                  codeSet: json.array("codeSet").compactMap(\.int32Value), subVersion: json.int64("subVersion"),
                  expressionType: json["expressionType"]?.stringValue)
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.bool("classFilterMode", false)
        w.key("codeSet")
        w.beginArray()
        for c in codeSet { w.number(c) }
        w.endArray()
        w.string("expressionType", expressionType ?? "TAG")
        w.string("subString", subString)
        w.number("subVersion", subVersion)
        w.strings("tagsSet", tagsSet)
        w.string("topic", topic)
        w.endObject()
    }
}

public struct ConsumerData: Sendable, Equatable {
    public var groupName: String
    public var consumeType: ConsumeTypeWire
    public var messageModel: MessageModelWire
    /// `ConsumeFromWhere` ordinal: 0 LAST_OFFSET … 4 FIRST_OFFSET, 5 TIMESTAMP.
    public var consumeFromWhere: Int32
    public var unitMode: Bool
    public var subscriptionDataSet: [SubscriptionDataWire]

    public init(groupName: String, consumeType: ConsumeTypeWire = .consumePassively, messageModel: MessageModelWire = .clustering,
                consumeFromWhere: Int32 = 0, unitMode: Bool = false, subscriptionDataSet: [SubscriptionDataWire] = []) {
        self.groupName = groupName
        self.consumeType = consumeType
        self.messageModel = messageModel
        self.consumeFromWhere = consumeFromWhere
        self.unitMode = unitMode
        self.subscriptionDataSet = subscriptionDataSet
    }

    init(json: JSONValue) {
        let fromWhere = json["consumeFromWhere"].flatMap { v in
            v.int32Value ?? v.stringValue.flatMap { consumeFromWhereNames.firstIndex(of: $0) }.map(Int32.init)
        }
        self.init(groupName: json.string("groupName"),
                  consumeType: json["consumeType"].flatMap(ConsumeTypeWire.init(json:)) ?? .consumePassively,
                  messageModel: json["messageModel"].flatMap(MessageModelWire.init(json:)) ?? .clustering,
                  consumeFromWhere: fromWhere ?? 0, unitMode: json["unitMode"]?.boolValue ?? false,
                  subscriptionDataSet: json.array("subscriptionDataSet").map(SubscriptionDataWire.init(json:)))
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        if consumeFromWhere >= 0, Int(consumeFromWhere) < consumeFromWhereNames.count {
            w.string("consumeFromWhere", consumeFromWhereNames[Int(consumeFromWhere)])
        } else {
            w.number("consumeFromWhere", consumeFromWhere)
        }
        w.string("consumeType", consumeType.javaName)
        w.string("groupName", groupName)
        w.string("messageModel", messageModel.javaName)
        w.key("subscriptionDataSet")
        w.beginArray()
        for s in subscriptionDataSet { s.write(to: &w) }
        w.endArray()
        w.bool("unitMode", unitMode)
        w.endObject()
    }
}

public struct HeartbeatData: RemotingBody, Equatable {
    public var clientID: String
    public var producerDataSet: [ProducerData]
    public var consumerDataSet: [ConsumerData]

    public init(clientID: String, producerDataSet: [ProducerData] = [], consumerDataSet: [ConsumerData] = []) {
        self.clientID = clientID
        self.producerDataSet = producerDataSet
        self.consumerDataSet = consumerDataSet
    }

    public init(json: JSONValue) throws {
        let json = try json.requireObject("HeartbeatData")
        self.init(clientID: json.string("clientID"),
                  producerDataSet: json.array("producerDataSet").map { ProducerData(groupName: $0.string("groupName")) },
                  consumerDataSet: json.array("consumerDataSet").map(ConsumerData.init(json:)))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.string("clientID", clientID)
        w.key("consumerDataSet")
        w.beginArray()
        for c in consumerDataSet { c.write(to: &w) }
        w.endArray()
        w.key("producerDataSet")
        w.beginArray()
        for p in producerDataSet {
            w.beginObject()
            w.string("groupName", p.groupName)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}

// MARK: - Lock bodies (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ, §3.3)

/// Request body of both LOCK_BATCH_MQ and UNLOCK_BATCH_MQ.
public struct LockBatchRequestBody: RemotingBody, Equatable {
    public var consumerGroup: String
    public var clientId: String
    public var mqSet: [MessageQueue]
    public var onlyThisBroker: Bool

    public init(consumerGroup: String, clientId: String, mqSet: [MessageQueue], onlyThisBroker: Bool = false) {
        self.consumerGroup = consumerGroup
        self.clientId = clientId
        self.mqSet = mqSet
        self.onlyThisBroker = onlyThisBroker
    }

    public init(json: JSONValue) throws {
        let json = try json.requireObject("LockBatchRequestBody")
        self.init(consumerGroup: json.string("consumerGroup"), clientId: json.string("clientId"),
                  mqSet: messageQueues(json.array("mqSet")), onlyThisBroker: json["onlyThisBroker"]?.boolValue ?? false)
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.string("clientId", clientId)
        w.string("consumerGroup", consumerGroup)
        w.messageQueues("mqSet", mqSet)
        w.bool("onlyThisBroker", onlyThisBroker)
        w.endObject()
    }
}

public struct LockBatchResponseBody: RemotingBody, Equatable {
    public var lockOKMQSet: [MessageQueue]

    public init(lockOKMQSet: [MessageQueue]) { self.lockOKMQSet = lockOKMQSet }

    public init(json: JSONValue) throws {
        self.init(lockOKMQSet: messageQueues(try json.requireObject("LockBatchResponseBody").array("lockOKMQSet")))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.messageQueues("lockOKMQSet", lockOKMQSet)
        w.endObject()
    }
}

// MARK: - Consumer list (GET_CONSUMER_LIST_BY_GROUP response, §3.4)

public struct ConsumerListBody: RemotingBody, Equatable {
    public var consumerIdList: [String]

    public init(consumerIdList: [String]) { self.consumerIdList = consumerIdList }

    public init(json: JSONValue) throws {
        self.init(consumerIdList: try json.requireObject("ConsumerListBody").strings("consumerIdList"))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.strings("consumerIdList", consumerIdList)
        w.endObject()
    }
}

// MARK: - Broker registration (REGISTER_BROKER request, §6.1)

public struct TopicConfigWire: Sendable, Equatable {
    public var topicName: String
    public var readQueueNums: Int32
    public var writeQueueNums: Int32
    public var perm: Int32
    /// "SINGLE_TAG" or "MULTI_TAG".
    public var topicFilterType: String
    public var topicSysFlag: Int32
    public var order: Bool

    public init(topicName: String, readQueueNums: Int32, writeQueueNums: Int32, perm: Int32 = 6,
                topicFilterType: String = "SINGLE_TAG", topicSysFlag: Int32 = 0, order: Bool = false) {
        self.topicName = topicName
        self.readQueueNums = readQueueNums
        self.writeQueueNums = writeQueueNums
        self.perm = perm
        self.topicFilterType = topicFilterType
        self.topicSysFlag = topicSysFlag
        self.order = order
    }

    init(json: JSONValue, name: String) {
        self.init(topicName: json["topicName"]?.stringValue ?? name, readQueueNums: json.int32("readQueueNums"),
                  writeQueueNums: json.int32("writeQueueNums"), perm: json.int32("perm", default: 6),
                  topicFilterType: json["topicFilterType"]?.stringValue ?? "SINGLE_TAG",
                  topicSysFlag: json.int32("topicSysFlag"), order: json["order"]?.boolValue ?? false)
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.bool("order", order)
        w.number("perm", perm)
        w.number("readQueueNums", readQueueNums)
        w.string("topicFilterType", topicFilterType)
        w.string("topicName", topicName)
        w.number("topicSysFlag", topicSysFlag)
        w.number("writeQueueNums", writeQueueNums)
        w.endObject()
    }
}

public struct DataVersionWire: Sendable, Equatable {
    public var counter: Int64
    public var timestamp: Int64

    public init(counter: Int64, timestamp: Int64) {
        self.counter = counter
        self.timestamp = timestamp
    }
}

public struct RegisterBrokerBody: RemotingBody, Equatable {
    public var topicConfigTable: [String: TopicConfigWire]
    public var dataVersion: DataVersionWire
    public var filterServerList: [String]

    public init(topicConfigTable: [String: TopicConfigWire], dataVersion: DataVersionWire, filterServerList: [String] = []) {
        self.topicConfigTable = topicConfigTable
        self.dataVersion = dataVersion
        self.filterServerList = filterServerList
    }

    /// `{"filterServerList":[..],"topicConfigSerializeWrapper":{"dataVersion":{..},"topicConfigTable":{..}}}`;
    /// a body without the wrapper object is read from the top level.
    public init(json: JSONValue) throws {
        let json = try json.requireObject("RegisterBrokerBody")
        let wrapper = json["topicConfigSerializeWrapper"] ?? json
        var table: [String: TopicConfigWire] = [:]
        for (name, config) in wrapper["topicConfigTable"]?.objectValue ?? [] {
            table[name] = TopicConfigWire(json: config, name: name)
        }
        let version = wrapper["dataVersion"] ?? .null
        self.init(topicConfigTable: table,
                  dataVersion: DataVersionWire(counter: version.int64("counter"), timestamp: version.int64("timestamp")),
                  filterServerList: json.strings("filterServerList"))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.strings("filterServerList", filterServerList)
        w.key("topicConfigSerializeWrapper")
        w.beginObject()
        w.key("dataVersion")
        w.beginObject()
        w.number("counter", dataVersion.counter)
        w.number("timestamp", dataVersion.timestamp)
        w.endObject()
        w.key("topicConfigTable")
        w.beginObject()
        for name in topicConfigTable.keys.sorted() {
            w.key(name)
            topicConfigTable[name]!.write(to: &w)
        }
        w.endObject()
        w.endObject()
        w.endObject()
    }
}

// MARK: - Name server queries (GET_BROKER_CLUSTER_INFO, GET_ALL_TOPIC_LIST_FROM_NAMESERVER, §6.4)

public struct ClusterInfo: RemotingBody, Equatable {
    public var brokerAddrTable: [String: BrokerData]
    public var clusterAddrTable: [String: [String]]

    public init(brokerAddrTable: [String: BrokerData], clusterAddrTable: [String: [String]]) {
        self.brokerAddrTable = brokerAddrTable
        self.clusterAddrTable = clusterAddrTable
    }

    public init(json: JSONValue) throws {
        let json = try json.requireObject("ClusterInfo")
        var brokers: [String: BrokerData] = [:]
        for (name, data) in json["brokerAddrTable"]?.objectValue ?? [] { brokers[name] = BrokerData(json: data) }
        var clusters: [String: [String]] = [:]
        for (name, list) in json["clusterAddrTable"]?.objectValue ?? [] {
            clusters[name] = (list.arrayValue ?? []).compactMap(\.stringValue)
        }
        self.init(brokerAddrTable: brokers, clusterAddrTable: clusters)
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("brokerAddrTable")
        w.beginObject()
        for name in brokerAddrTable.keys.sorted() {
            w.key(name)
            brokerAddrTable[name]!.write(to: &w)
        }
        w.endObject()
        w.key("clusterAddrTable")
        w.beginObject()
        for name in clusterAddrTable.keys.sorted() { w.strings(name, clusterAddrTable[name]!) }
        w.endObject()
        w.endObject()
    }
}

public struct TopicList: RemotingBody, Equatable {
    public var topicList: [String]
    /// Only in GET_SYSTEM_TOPIC_LIST_FROM_NS (304) answers: a broker to ask for its own system topics (305).
    public var brokerAddr: String?

    public init(topicList: [String], brokerAddr: String? = nil) {
        self.topicList = topicList
        self.brokerAddr = brokerAddr
    }

    public init(json: JSONValue) throws {
        let json = try json.requireObject("TopicList")
        self.init(topicList: json.strings("topicList"), brokerAddr: json["brokerAddr"]?.stringValue)
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        if let brokerAddr { w.string("brokerAddr", brokerAddr) }
        w.strings("topicList", topicList)
        w.endObject()
    }
}
