// ResetOffsetBodies: offset reset: the 222 answer and the 220 bodies (Java's map form, the C++ client's list form).

import ApusMessage
import NIOCore

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
