// AdminBodies: JSON bodies of the admin codes (admin.md §1.3, §1.4, §4–§8): topic and subscription-group tables
// (21, 200, 201), topic stats (202), consume stats (208), consumer and producer connections (203, 204), the KV
// table of runtime info (28), reset-offset bodies (222, 220 in Java's map form and the C++ client's list form), the
// group list of QUERY_TOPIC_CONSUME_BY_WHO (300), the producer table of GET_ALL_PRODUCER_INFO (328) and the
// BrokerStatsData of VIEW_BROKER_STATS_DATA (315), the ConsumeStatsList of GET_BROKER_CONSUME_STATS (317) and the
// answers of QUERY_CONSUME_TIME_SPAN (303) and QUERY_CONSUME_QUEUE (321).
//
// Written as standard JSON shaped like fastjson's output: keys sorted, enums as names, numbers as numbers, and a
// map keyed by MessageQueue written with the compact JSON of the queue as a quoted key
// (`"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}"`), which fastjson reads back. Decoding is lenient.

import ApusMessage
import NIOCore

extension JSONValue {
    fileprivate func text(_ key: String) -> String { self[key]?.stringValue ?? "" }
    fileprivate func long(_ key: String) -> Int64 { self[key]?.int64Value ?? 0 }
    fileprivate func flag(_ key: String, _ otherwise: Bool) -> Bool { self[key]?.boolValue ?? otherwise }
    fileprivate var doubleValue: Double? {
        switch self {
        case let .number(text), let .string(text): return Double(text)
        default: return nil
        }
    }
}

extension MessageQueue {
    /// The key fastjson would print for this queue, as a JSON string's content.
    public var jsonKey: String {
        var w = JSONWriter()
        w.beginObject()
        w.string("brokerName", brokerName)
        w.number("queueId", queueId)
        w.string("topic", topic)
        w.endObject()
        return w.text
    }

    /// Reads a quoted MessageQueue key; nil if it is not one.
    public init?(jsonKey: String) {
        guard let json = try? JSONParser.parse(jsonKey), case .object = json, let queueId = json["queueId"]?.int32Value else {
            return nil
        }
        self.init(topic: json.text("topic"), brokerName: json.text("brokerName"), queueId: queueId)
    }
}

extension JSONWriter {
    /// A double as Java prints it for finite values (`2.5`, `0.0`); NaN and infinities become `0.0`.
    public mutating func double(_ key: String, _ value: Double) {
        self.key(key)
        raw(value.isFinite ? "\(value)" : "0.0")
    }

    fileprivate mutating func dataVersion(_ version: DataVersionWire) {
        key("dataVersion")
        beginObject()
        number("counter", version.counter)
        number("timestamp", version.timestamp)
        endObject()
    }

    /// `{"<queue key>": value, …}` in queue order.
    fileprivate mutating func queueMap<V>(_ key: String, _ table: [MessageQueue: V], _ value: (inout JSONWriter, V) -> Void) {
        self.key(key)
        beginObject()
        for queue in table.keys.sorted() {
            self.key(queue.jsonKey)
            value(&self, table[queue]!)
        }
        endObject()
    }
}

private func dataVersion(_ json: JSONValue) -> DataVersionWire {
    let v = json["dataVersion"] ?? .null
    return DataVersionWire(counter: v.long("counter"), timestamp: v.long("timestamp"))
}

private func queueMap<V>(_ json: JSONValue?, _ value: (JSONValue) -> V) -> [MessageQueue: V] {
    var table: [MessageQueue: V] = [:]
    for (key, entry) in json?.objectValue ?? [] {
        if let queue = MessageQueue(jsonKey: key) { table[queue] = value(entry) }
    }
    return table
}

// MARK: - Topics (21)

/// GET_ALL_TOPIC_CONFIG (21) answer: `{"dataVersion":{…},"topicConfigTable":{name: TopicConfig}}`.
public struct TopicConfigSerializeWrapper: RemotingBody, Equatable {
    public var topicConfigTable: [String: TopicConfigWire]
    public var dataVersion: DataVersionWire

    public init(topicConfigTable: [String: TopicConfigWire], dataVersion: DataVersionWire) {
        self.topicConfigTable = topicConfigTable
        self.dataVersion = dataVersion
    }

    public init(json: JSONValue) throws {
        var table: [String: TopicConfigWire] = [:]
        for (name, config) in json["topicConfigTable"]?.objectValue ?? [] { table[name] = TopicConfigWire(json: config, name: name) }
        self.init(topicConfigTable: table, dataVersion: ApusRemoting.dataVersion(json))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.dataVersion(dataVersion)
        w.key("topicConfigTable")
        w.beginObject()
        for name in topicConfigTable.keys.sorted() {
            w.key(name)
            topicConfigTable[name]!.write(to: &w)
        }
        w.endObject()
        w.endObject()
    }
}

// MARK: - Subscription groups (200, 201)

/// A SubscriptionGroupConfig as the admin tools send and read it (admin.md §1.4). Absent keys take Java's defaults.
public struct SubscriptionGroupConfigWire: RemotingBody, Equatable {
    public var groupName: String
    public var consumeEnable: Bool
    public var consumeFromMinEnable: Bool
    public var consumeBroadcastEnable: Bool
    public var retryQueueNums: Int32
    public var retryMaxTimes: Int32
    public var brokerId: Int64
    public var whichBrokerWhenConsumeSlowly: Int64
    public var notifyConsumerIdsChangedEnable: Bool

    public init(groupName: String, consumeEnable: Bool = true, consumeFromMinEnable: Bool = true,
                consumeBroadcastEnable: Bool = true, retryQueueNums: Int32 = 1, retryMaxTimes: Int32 = 16, brokerId: Int64 = 0,
                whichBrokerWhenConsumeSlowly: Int64 = 1, notifyConsumerIdsChangedEnable: Bool = true) {
        self.groupName = groupName
        self.consumeEnable = consumeEnable
        self.consumeFromMinEnable = consumeFromMinEnable
        self.consumeBroadcastEnable = consumeBroadcastEnable
        self.retryQueueNums = retryQueueNums
        self.retryMaxTimes = retryMaxTimes
        self.brokerId = brokerId
        self.whichBrokerWhenConsumeSlowly = whichBrokerWhenConsumeSlowly
        self.notifyConsumerIdsChangedEnable = notifyConsumerIdsChangedEnable
    }

    public init(json: JSONValue) throws {
        guard case .object = json else { throw JSONError.unexpectedType("SubscriptionGroupConfig is not an object") }
        self.init(groupName: json.text("groupName"), consumeEnable: json.flag("consumeEnable", true),
                  consumeFromMinEnable: json.flag("consumeFromMinEnable", true),
                  consumeBroadcastEnable: json.flag("consumeBroadcastEnable", true),
                  retryQueueNums: json["retryQueueNums"]?.int32Value ?? 1, retryMaxTimes: json["retryMaxTimes"]?.int32Value ?? 16,
                  brokerId: json["brokerId"]?.int64Value ?? 0,
                  whichBrokerWhenConsumeSlowly: json["whichBrokerWhenConsumeSlowly"]?.int64Value ?? 1,
                  notifyConsumerIdsChangedEnable: json.flag("notifyConsumerIdsChangedEnable", true))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.number("brokerId", brokerId)
        w.bool("consumeBroadcastEnable", consumeBroadcastEnable)
        w.bool("consumeEnable", consumeEnable)
        w.bool("consumeFromMinEnable", consumeFromMinEnable)
        w.string("groupName", groupName)
        w.bool("notifyConsumerIdsChangedEnable", notifyConsumerIdsChangedEnable)
        w.number("retryMaxTimes", retryMaxTimes)
        w.number("retryQueueNums", retryQueueNums)
        w.number("whichBrokerWhenConsumeSlowly", whichBrokerWhenConsumeSlowly)
        w.endObject()
    }
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) answer.
public struct SubscriptionGroupWrapper: RemotingBody, Equatable {
    public var subscriptionGroupTable: [String: SubscriptionGroupConfigWire]
    public var dataVersion: DataVersionWire

    public init(subscriptionGroupTable: [String: SubscriptionGroupConfigWire], dataVersion: DataVersionWire) {
        self.subscriptionGroupTable = subscriptionGroupTable
        self.dataVersion = dataVersion
    }

    public init(json: JSONValue) throws {
        var table: [String: SubscriptionGroupConfigWire] = [:]
        for (name, config) in json["subscriptionGroupTable"]?.objectValue ?? [] {
            var wire = try SubscriptionGroupConfigWire(json: config)
            if wire.groupName.isEmpty { wire.groupName = name }
            table[name] = wire
        }
        self.init(subscriptionGroupTable: table, dataVersion: ApusRemoting.dataVersion(json))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.dataVersion(dataVersion)
        w.key("subscriptionGroupTable")
        w.beginObject()
        for name in subscriptionGroupTable.keys.sorted() {
            w.key(name)
            subscriptionGroupTable[name]!.write(to: &w)
        }
        w.endObject()
        w.endObject()
    }
}

// MARK: - Topic stats (202)

public struct TopicOffsetWire: Sendable, Equatable {
    public var minOffset: Int64
    public var maxOffset: Int64
    public var lastUpdateTimestamp: Int64

    public init(minOffset: Int64, maxOffset: Int64, lastUpdateTimestamp: Int64) {
        self.minOffset = minOffset
        self.maxOffset = maxOffset
        self.lastUpdateTimestamp = lastUpdateTimestamp
    }
}

/// GET_TOPIC_STATS_INFO (202) answer: `{"offsetTable":{MessageQueue: TopicOffset}}`.
public struct TopicStatsTable: RemotingBody, Equatable {
    public var offsetTable: [MessageQueue: TopicOffsetWire]

    public init(offsetTable: [MessageQueue: TopicOffsetWire]) { self.offsetTable = offsetTable }

    public init(json: JSONValue) throws {
        self.init(offsetTable: queueMap(json["offsetTable"]) {
            TopicOffsetWire(minOffset: $0.long("minOffset"), maxOffset: $0.long("maxOffset"),
                            lastUpdateTimestamp: $0.long("lastUpdateTimestamp"))
        })
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.queueMap("offsetTable", offsetTable) { w, o in
            w.beginObject()
            w.number("lastUpdateTimestamp", o.lastUpdateTimestamp)
            w.number("maxOffset", o.maxOffset)
            w.number("minOffset", o.minOffset)
            w.endObject()
        }
        w.endObject()
    }
}

// MARK: - Consume stats (208)

public struct OffsetWrapperWire: Sendable, Equatable {
    public var brokerOffset: Int64
    public var consumerOffset: Int64
    public var lastTimestamp: Int64
    /// Apus's addition (fastjson ignores it): store time of the oldest unconsumed message, 0 when none or unknown
    /// (then not written, so the body is Java's exactly).
    public var oldestUnconsumedTimestamp: Int64

    public init(brokerOffset: Int64, consumerOffset: Int64, lastTimestamp: Int64, oldestUnconsumedTimestamp: Int64 = 0) {
        self.brokerOffset = brokerOffset
        self.consumerOffset = consumerOffset
        self.lastTimestamp = lastTimestamp
        self.oldestUnconsumedTimestamp = oldestUnconsumedTimestamp
    }
}

/// Apus's addition to 208 for broadcasting groups: where the broker last saw one client pull from (observed from
/// its pulls, not committed: broadcasting progress is kept by the clients).
public struct ObservedPositionWire: Sendable, Equatable {
    public var clientId: String
    public var topic: String
    public var queueId: Int32
    public var nextOffset: Int64
    public var lastPull: Int64
    public var brokerOffset: Int64

    public init(clientId: String, topic: String, queueId: Int32, nextOffset: Int64, lastPull: Int64, brokerOffset: Int64) {
        self.clientId = clientId
        self.topic = topic
        self.queueId = queueId
        self.nextOffset = nextOffset
        self.lastPull = lastPull
        self.brokerOffset = brokerOffset
    }
}

/// GET_CONSUME_STATS (208) answer: `{"consumeTps":2.5,"offsetTable":{MessageQueue: OffsetWrapper}}`. Apus adds keys
/// the Java tools ignore: `oldestUnconsumedTimestamp` in each OffsetWrapper, and for a broadcasting group
/// `apusBroadcasting: true` with `apusObservedPositions` (written only then).
public struct ConsumeStatsBody: RemotingBody, Equatable {
    public var offsetTable: [MessageQueue: OffsetWrapperWire]
    public var consumeTps: Double
    /// The group is (effectively) broadcasting: the broker does not track its progress.
    public var broadcasting: Bool
    public var observedPositions: [ObservedPositionWire]

    public init(offsetTable: [MessageQueue: OffsetWrapperWire], consumeTps: Double, broadcasting: Bool = false,
                observedPositions: [ObservedPositionWire] = []) {
        self.offsetTable = offsetTable
        self.consumeTps = consumeTps
        self.broadcasting = broadcasting
        self.observedPositions = observedPositions
    }

    public init(json: JSONValue) throws {
        self.init(offsetTable: queueMap(json["offsetTable"]) {
            OffsetWrapperWire(brokerOffset: $0.long("brokerOffset"), consumerOffset: $0.long("consumerOffset"),
                              lastTimestamp: $0.long("lastTimestamp"), oldestUnconsumedTimestamp: $0.long("oldestUnconsumedTimestamp"))
        }, consumeTps: json["consumeTps"]?.doubleValue ?? 0, broadcasting: json["apusBroadcasting"]?.boolValue ?? false,
        observedPositions: (json["apusObservedPositions"]?.arrayValue ?? []).map {
            ObservedPositionWire(clientId: $0.text("clientId"), topic: $0.text("topic"), queueId: $0["queueId"]?.int32Value ?? 0,
                                 nextOffset: $0.long("nextOffset"), lastPull: $0.long("lastPull"), brokerOffset: $0.long("brokerOffset"))
        })
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        writeMembers(to: &w)
        w.endObject()
    }

    fileprivate func writeMembers(to w: inout JSONWriter) {
        if broadcasting {
            w.key("apusBroadcasting")
            w.bool(true)
            w.key("apusObservedPositions")
            w.beginArray()
            for p in observedPositions {
                w.beginObject()
                w.number("brokerOffset", p.brokerOffset)
                w.string("clientId", p.clientId)
                w.number("lastPull", p.lastPull)
                w.number("nextOffset", p.nextOffset)
                w.number("queueId", p.queueId)
                w.string("topic", p.topic)
                w.endObject()
            }
            w.endArray()
        }
        w.double("consumeTps", consumeTps)
        w.queueMap("offsetTable", offsetTable) { w, o in
            w.beginObject()
            w.number("brokerOffset", o.brokerOffset)
            w.number("consumerOffset", o.consumerOffset)
            w.number("lastTimestamp", o.lastTimestamp)
            if o.oldestUnconsumedTimestamp > 0 { w.number("oldestUnconsumedTimestamp", o.oldestUnconsumedTimestamp) }
            w.endObject()
        }
    }
}

// MARK: - Connections (203, 204)

/// Java `ConsumeFromWhere` names (GET_CONSUMER_CONNECTION_LIST writes the name).
public enum ConsumeFromWhereName {
    /// The name of a heartbeat's consume-from-where ordinal; CONSUME_FROM_LAST_OFFSET when out of range.
    public static func name(of ordinal: Int32) -> String {
        consumeFromWhereNames.indices.contains(Int(ordinal)) ? consumeFromWhereNames[Int(ordinal)] : consumeFromWhereNames[0]
    }
}

/// One client connection (admin.md §1.4): `clientAddr` is `ip:port` without a leading `/`.
public struct ConnectionWire: Sendable, Equatable {
    public var clientId: String
    public var clientAddr: String
    /// LanguageCode name: "JAVA", "CPP", …
    public var language: String
    public var version: Int32

    public init(clientId: String, clientAddr: String, language: String, version: Int32) {
        self.clientId = clientId
        self.clientAddr = clientAddr
        self.language = language
        self.version = version
    }

    init(json: JSONValue) {
        self.init(clientId: json.text("clientId"), clientAddr: json.text("clientAddr"), language: json.text("language"),
                  version: json["version"]?.int32Value ?? 0)
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.string("clientAddr", clientAddr)
        w.string("clientId", clientId)
        w.string("language", language)
        w.number("version", version)
        w.endObject()
    }
}

extension JSONWriter {
    fileprivate mutating func connections(_ set: [ConnectionWire]) {
        key("connectionSet")
        beginArray()
        for c in set { c.write(to: &self) }
        endArray()
    }
}

/// Apus's addition to 203 (key `apusSubscriptionVerdict`, ignored by fastjson): the group's consistency verdict.
public struct SubscriptionVerdictWire: Sendable, Equatable {
    public struct Difference: Sendable, Equatable {
        public struct Variant: Sendable, Equatable {
            public var value: String
            public var clientIds: [String]

            public init(value: String, clientIds: [String]) {
                self.value = value
                self.clientIds = clientIds
            }
        }

        /// "messageModel", "consumeType", "consumeOrder", "protocol", "topics" or "expression" (then `topic` is set).
        public var aspect: String
        public var topic: String?
        public var variants: [Variant]
        /// One line, e.g. "expression of T differs: A by c1; B by c2".
        public var text: String

        public init(aspect: String, topic: String?, variants: [Variant], text: String) {
            self.aspect = aspect
            self.topic = topic
            self.variants = variants
            self.text = text
        }
    }

    public var differences: [Difference]
    public var consistent: Bool { differences.isEmpty }

    public init(differences: [Difference]) { self.differences = differences }

    init(json: JSONValue) {
        self.init(differences: (json["differences"]?.arrayValue ?? []).map { d in
            Difference(aspect: d.text("aspect"), topic: d["topic"]?.stringValue,
                       variants: (d["variants"]?.arrayValue ?? []).map {
                           Difference.Variant(value: $0.text("value"), clientIds: ($0["clientIds"]?.arrayValue ?? []).compactMap(\.stringValue))
                       }, text: d.text("text"))
        })
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("consistent")
        w.bool(consistent)
        w.key("differences")
        w.beginArray()
        for d in differences {
            w.beginObject()
            w.string("aspect", d.aspect)
            w.string("text", d.text)
            if let topic = d.topic { w.string("topic", topic) }
            w.key("variants")
            w.beginArray()
            for v in d.variants {
                w.beginObject()
                w.key("clientIds")
                w.beginArray()
                for id in v.clientIds { w.string(id) }
                w.endArray()
                w.string("value", v.value)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}

/// GET_CONSUMER_CONNECTION_LIST (203) answer; Apus adds `apusSubscriptionVerdict` (when known).
public struct ConsumerConnectionBody: RemotingBody, Equatable {
    public var connectionSet: [ConnectionWire]
    /// topic → subscription.
    public var subscriptionTable: [String: SubscriptionDataWire]
    /// "CONSUME_ACTIVELY" / "CONSUME_PASSIVELY".
    public var consumeType: String
    /// "CLUSTERING" / "BROADCASTING".
    public var messageModel: String
    /// Enum name, e.g. "CONSUME_FROM_LAST_OFFSET".
    public var consumeFromWhere: String
    public var verdict: SubscriptionVerdictWire?

    public init(connectionSet: [ConnectionWire], subscriptionTable: [String: SubscriptionDataWire], consumeType: String,
                messageModel: String, consumeFromWhere: String, verdict: SubscriptionVerdictWire? = nil) {
        self.connectionSet = connectionSet
        self.subscriptionTable = subscriptionTable
        self.consumeType = consumeType
        self.messageModel = messageModel
        self.consumeFromWhere = consumeFromWhere
        self.verdict = verdict
    }

    public init(json: JSONValue) throws {
        var table: [String: SubscriptionDataWire] = [:]
        for (topic, data) in json["subscriptionTable"]?.objectValue ?? [] { table[topic] = SubscriptionDataWire(json: data) }
        self.init(connectionSet: (json["connectionSet"]?.arrayValue ?? []).map(ConnectionWire.init(json:)), subscriptionTable: table,
                  consumeType: json.text("consumeType"), messageModel: json.text("messageModel"),
                  consumeFromWhere: json.text("consumeFromWhere"),
                  verdict: json["apusSubscriptionVerdict"].map(SubscriptionVerdictWire.init(json:)))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        if let verdict {
            w.key("apusSubscriptionVerdict")
            verdict.write(to: &w)
        }
        w.connections(connectionSet)
        w.string("consumeFromWhere", consumeFromWhere)
        w.string("consumeType", consumeType)
        w.string("messageModel", messageModel)
        w.key("subscriptionTable")
        w.beginObject()
        for topic in subscriptionTable.keys.sorted() {
            w.key(topic)
            subscriptionTable[topic]!.write(to: &w)
        }
        w.endObject()
        w.endObject()
    }
}

/// GET_PRODUCER_CONNECTION_LIST (204) answer: `{"connectionSet":[Connection…]}`.
public struct ProducerConnectionBody: RemotingBody, Equatable {
    public var connectionSet: [ConnectionWire]

    public init(connectionSet: [ConnectionWire]) { self.connectionSet = connectionSet }

    public init(json: JSONValue) throws {
        self.init(connectionSet: (json["connectionSet"]?.arrayValue ?? []).map(ConnectionWire.init(json:)))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.connections(connectionSet)
        w.endObject()
    }
}

// MARK: - KV table (28)

/// `{"table":{key: "value"}}`; values are always strings.
public struct KVTable: RemotingBody, Equatable {
    public var table: [String: String]

    public init(table: [String: String]) { self.table = table }

    public init(json: JSONValue) throws {
        var table: [String: String] = [:]
        for (key, value) in json["table"]?.objectValue ?? [] {
            switch value {
            case let .string(text), let .number(text): table[key] = text
            default: break
            }
        }
        self.init(table: table)
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("table")
        w.beginObject()
        for key in table.keys.sorted() { w.string(key, table[key]!) }
        w.endObject()
        w.endObject()
    }
}

// MARK: - Reset offset (222 answer, 220 bodies)

/// `{"offsetTable":{MessageQueue: offset}}`: the 222 answer and the 220 body for Java clients.
public struct ResetOffsetBody: RemotingBody, Equatable {
    public var offsetTable: [MessageQueue: Int64]

    public init(offsetTable: [MessageQueue: Int64]) { self.offsetTable = offsetTable }

    public init(json: JSONValue) throws {
        self.init(offsetTable: queueMap(json["offsetTable"]) { $0.int64Value ?? 0 })
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.queueMap("offsetTable", offsetTable) { w, offset in w.number(offset) }
        w.endObject()
    }
}

/// The 220 body for the C++ client (remoting.md §3.5): `{"offsetTable":[{"brokerName":…,"offset":…,"queueId":…,"topic":…}]}`.
public struct ResetOffsetBodyForC: RemotingBody, Equatable {
    public var offsetTable: [MessageQueue: Int64]

    public init(offsetTable: [MessageQueue: Int64]) { self.offsetTable = offsetTable }

    public init(json: JSONValue) throws {
        var table: [MessageQueue: Int64] = [:]
        for entry in json["offsetTable"]?.arrayValue ?? [] {
            let queue = MessageQueue(topic: entry.text("topic"), brokerName: entry.text("brokerName"),
                                     queueId: entry["queueId"]?.int32Value ?? 0)
            table[queue] = entry.long("offset")
        }
        self.init(offsetTable: table)
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("offsetTable")
        w.beginArray()
        for queue in offsetTable.keys.sorted() {
            w.beginObject()
            w.string("brokerName", queue.brokerName)
            w.number("offset", offsetTable[queue]!)
            w.number("queueId", queue.queueId)
            w.string("topic", queue.topic)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}

// MARK: - Groups of a topic (300), producers (328)

/// `{"groupList":[…]}`.
public struct GroupList: RemotingBody, Equatable {
    public var groupList: [String]

    public init(groupList: [String]) { self.groupList = groupList }

    public init(json: JSONValue) throws {
        self.init(groupList: (json["groupList"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.strings("groupList", groupList)
        w.endObject()
    }
}

/// One producer instance of GET_ALL_PRODUCER_INFO; `remoteIP` is Java's socket-address text, with a leading `/`.
public struct ProducerInfoWire: Sendable, Equatable {
    public var clientId: String
    public var remoteIP: String
    public var language: String
    public var version: Int32
    public var lastUpdateTimestamp: Int64

    public init(clientId: String, remoteIP: String, language: String, version: Int32, lastUpdateTimestamp: Int64) {
        self.clientId = clientId
        self.remoteIP = remoteIP
        self.language = language
        self.version = version
        self.lastUpdateTimestamp = lastUpdateTimestamp
    }
}

/// GET_ALL_PRODUCER_INFO (328) answer: `{"data":{group:[ProducerInfo…]}}`.
public struct ProducerTableInfo: RemotingBody, Equatable {
    public var data: [String: [ProducerInfoWire]]

    public init(data: [String: [ProducerInfoWire]]) { self.data = data }

    public init(json: JSONValue) throws {
        var data: [String: [ProducerInfoWire]] = [:]
        for (group, list) in json["data"]?.objectValue ?? [] {
            data[group] = (list.arrayValue ?? []).map {
                ProducerInfoWire(clientId: $0.text("clientId"), remoteIP: $0.text("remoteIP"), language: $0.text("language"),
                                 version: $0["version"]?.int32Value ?? 0, lastUpdateTimestamp: $0.long("lastUpdateTimestamp"))
            }
        }
        self.init(data: data)
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("data")
        w.beginObject()
        for group in data.keys.sorted() {
            w.key(group)
            w.beginArray()
            for p in data[group]! {
                w.beginObject()
                w.string("clientId", p.clientId)
                w.string("language", p.language)
                w.number("lastUpdateTimestamp", p.lastUpdateTimestamp)
                w.string("remoteIP", p.remoteIP)
                w.number("version", p.version)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        w.endObject()
    }
}

// MARK: - Broker stats (315)

/// One window of BrokerStatsData: `{"avgpt":0.0,"sum":60,"tps":1.0}`.
public struct BrokerStatsItemWire: Sendable, Equatable {
    public var sum: Int64
    public var tps: Double
    public var avgpt: Double

    public init(sum: Int64, tps: Double, avgpt: Double) {
        self.sum = sum
        self.tps = tps
        self.avgpt = avgpt
    }

    init(json: JSONValue) {
        self.init(sum: json.long("sum"), tps: json["tps"]?.doubleValue ?? 0, avgpt: json["avgpt"]?.doubleValue ?? 0)
    }

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.double("avgpt", avgpt)
        w.number("sum", sum)
        w.double("tps", tps)
        w.endObject()
    }
}

/// VIEW_BROKER_STATS_DATA (315) answer.
public struct BrokerStatsData: RemotingBody, Equatable {
    public var statsMinute: BrokerStatsItemWire
    public var statsHour: BrokerStatsItemWire
    public var statsDay: BrokerStatsItemWire

    public init(statsMinute: BrokerStatsItemWire, statsHour: BrokerStatsItemWire, statsDay: BrokerStatsItemWire) {
        self.statsMinute = statsMinute
        self.statsHour = statsHour
        self.statsDay = statsDay
    }

    public init(json: JSONValue) throws {
        self.init(statsMinute: BrokerStatsItemWire(json: json["statsMinute"] ?? .null),
                  statsHour: BrokerStatsItemWire(json: json["statsHour"] ?? .null),
                  statsDay: BrokerStatsItemWire(json: json["statsDay"] ?? .null))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("statsDay")
        statsDay.write(to: &w)
        w.key("statsHour")
        statsHour.write(to: &w)
        w.key("statsMinute")
        statsMinute.write(to: &w)
        w.endObject()
    }
}

// MARK: - Broker consume stats (317)

/// GET_BROKER_CONSUME_STATS (317) answer:
/// `{"brokerAddr":…,"consumeStatsList":[{group:[ConsumeStats per topic]}, …one map per group],"totalDiff":N}`.
public struct ConsumeStatsList: RemotingBody, Equatable {
    public struct GroupStats: Sendable, Equatable {
        public var group: String
        public var stats: [ConsumeStatsBody]

        public init(group: String, stats: [ConsumeStatsBody]) {
            self.group = group
            self.stats = stats
        }
    }

    public var brokerAddr: String
    public var consumeStatsList: [GroupStats]
    public var totalDiff: Int64

    public init(brokerAddr: String, consumeStatsList: [GroupStats], totalDiff: Int64) {
        self.brokerAddr = brokerAddr
        self.consumeStatsList = consumeStatsList
        self.totalDiff = totalDiff
    }

    public init(json: JSONValue) throws {
        var list: [GroupStats] = []
        for map in json["consumeStatsList"]?.arrayValue ?? [] {
            for (group, stats) in map.objectValue ?? [] {
                list.append(GroupStats(group: group, stats: try (stats.arrayValue ?? []).map(ConsumeStatsBody.init(json:))))
            }
        }
        self.init(brokerAddr: json.text("brokerAddr"), consumeStatsList: list, totalDiff: json.long("totalDiff"))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.string("brokerAddr", brokerAddr)
        w.key("consumeStatsList")
        w.beginArray()
        for entry in consumeStatsList {
            w.beginObject()
            w.key(entry.group)
            w.beginArray()
            for stats in entry.stats {
                w.beginObject()
                stats.writeMembers(to: &w)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.number("totalDiff", totalDiff)
        w.endObject()
    }
}

// MARK: - Consume time span (303), consume queue (321)

/// Java `UtilAll.formatDate(date, "yyyy-MM-dd#HH:mm:ss:SSS")`, in UTC.
public func javaTimeSpanText(_ millis: Int64) -> String {
    let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
    let inDay = millis - days * 86_400_000
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ width: Int) -> String {
        let text = String(v)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))#\(pad(inDay / 3_600_000, 2)):\(pad(inDay / 60_000 % 60, 2)):"
        + "\(pad(inDay / 1000 % 60, 2)):\(pad(inDay % 1000, 3))"
}

/// One queue of QUERY_CONSUME_TIME_SPAN, with Java's derived `*Str` keys.
public struct QueueTimeSpanWire: Sendable, Equatable {
    public var messageQueue: MessageQueue
    public var minTimeStamp: Int64
    public var maxTimeStamp: Int64
    public var consumeTimeStamp: Int64
    public var delayTime: Int64

    public init(messageQueue: MessageQueue, minTimeStamp: Int64, maxTimeStamp: Int64, consumeTimeStamp: Int64, delayTime: Int64) {
        self.messageQueue = messageQueue
        self.minTimeStamp = minTimeStamp
        self.maxTimeStamp = maxTimeStamp
        self.consumeTimeStamp = consumeTimeStamp
        self.delayTime = delayTime
    }
}

/// QUERY_CONSUME_TIME_SPAN (303) answer: `{"consumeTimeSpanSet":[QueueTimeSpan…]}`.
public struct QueryConsumeTimeSpanBody: RemotingBody, Equatable {
    public var consumeTimeSpanSet: [QueueTimeSpanWire]

    public init(consumeTimeSpanSet: [QueueTimeSpanWire]) { self.consumeTimeSpanSet = consumeTimeSpanSet }

    public init(json: JSONValue) throws {
        self.init(consumeTimeSpanSet: (json["consumeTimeSpanSet"]?.arrayValue ?? []).map { span in
            let q = span["messageQueue"] ?? .null
            return QueueTimeSpanWire(
                messageQueue: MessageQueue(topic: q.text("topic"), brokerName: q.text("brokerName"), queueId: q["queueId"]?.int32Value ?? 0),
                minTimeStamp: span.long("minTimeStamp"), maxTimeStamp: span.long("maxTimeStamp"),
                consumeTimeStamp: span.long("consumeTimeStamp"), delayTime: span.long("delayTime"))
        })
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("consumeTimeSpanSet")
        w.beginArray()
        for span in consumeTimeSpanSet {
            w.beginObject()
            w.number("consumeTimeStamp", span.consumeTimeStamp)
            w.string("consumeTimeStampStr", javaTimeSpanText(span.consumeTimeStamp))
            w.number("delayTime", span.delayTime)
            w.number("maxTimeStamp", span.maxTimeStamp)
            w.string("maxTimeStampStr", javaTimeSpanText(span.maxTimeStamp))
            w.key("messageQueue")
            w.beginObject()
            w.string("brokerName", span.messageQueue.brokerName)
            w.number("queueId", span.messageQueue.queueId)
            w.string("topic", span.messageQueue.topic)
            w.endObject()
            w.number("minTimeStamp", span.minTimeStamp)
            w.string("minTimeStampStr", javaTimeSpanText(span.minTimeStamp))
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}

/// One entry of QUERY_CONSUME_QUEUE (`extendDataJson`, `bitMap`, `msg` are never set, so never written).
public struct ConsumeQueueDataWire: Sendable, Equatable {
    public var physicOffset: Int64
    public var physicSize: Int32
    public var tagsCode: Int64
    public var eval: Bool

    public init(physicOffset: Int64, physicSize: Int32, tagsCode: Int64, eval: Bool = false) {
        self.physicOffset = physicOffset
        self.physicSize = physicSize
        self.tagsCode = tagsCode
        self.eval = eval
    }
}

/// QUERY_CONSUME_QUEUE (321) answer.
public struct QueryConsumeQueueResponseBody: RemotingBody, Equatable {
    public var subscriptionData: SubscriptionDataWire?
    public var queueData: [ConsumeQueueDataWire]
    public var maxQueueIndex: Int64
    public var minQueueIndex: Int64

    public init(subscriptionData: SubscriptionDataWire?, queueData: [ConsumeQueueDataWire], maxQueueIndex: Int64, minQueueIndex: Int64) {
        self.subscriptionData = subscriptionData
        self.queueData = queueData
        self.maxQueueIndex = maxQueueIndex
        self.minQueueIndex = minQueueIndex
    }

    public init(json: JSONValue) throws {
        self.init(subscriptionData: json["subscriptionData"].flatMap { if case .object = $0 { SubscriptionDataWire(json: $0) } else { nil } },
                  queueData: (json["queueData"]?.arrayValue ?? []).map {
                      ConsumeQueueDataWire(physicOffset: $0.long("physicOffset"), physicSize: $0["physicSize"]?.int32Value ?? 0,
                                           tagsCode: $0.long("tagsCode"), eval: $0.flag("eval", false))
                  },
                  maxQueueIndex: json.long("maxQueueIndex"), minQueueIndex: json.long("minQueueIndex"))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.number("maxQueueIndex", maxQueueIndex)
        w.number("minQueueIndex", minQueueIndex)
        w.key("queueData")
        w.beginArray()
        for d in queueData {
            w.beginObject()
            w.bool("eval", d.eval)
            w.number("physicOffset", d.physicOffset)
            w.number("physicSize", d.physicSize)
            w.number("tagsCode", d.tagsCode)
            w.endObject()
        }
        w.endArray()
        if let subscriptionData {
            w.key("subscriptionData")
            subscriptionData.write(to: &w)
        }
        w.endObject()
    }
}
