// TopicBodies: topic tables of the admin codes: GET_ALL_TOPIC_CONFIG (21), GET_TOPIC_STATS_INFO (202) and the group
// list of QUERY_TOPIC_CONSUME_BY_WHO (300).

import ApusMessage
import NIOCore

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
