// ConnectionBodies: client connections: GET_CONSUMER_CONNECTION_LIST (203, with Apus's consistency verdict),
// GET_PRODUCER_CONNECTION_LIST (204) and GET_ALL_PRODUCER_INFO (328).

import ApusMessage
import NIOCore

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
    mutating func connections(_ set: [ConnectionWire]) {
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
