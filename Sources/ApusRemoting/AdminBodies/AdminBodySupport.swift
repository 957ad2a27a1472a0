// AdminBodySupport: what every admin JSON body shares (admin.md §1.3, §1.4): lenient reading of JSON values, maps
// keyed by MessageQueue written as fastjson writes them (the queue's compact JSON as a quoted key), data versions.
//
// The admin bodies (this folder) are standard JSON shaped like fastjson's output: keys sorted, enums as names,
// numbers as numbers; decoding is lenient.

import ApusMessage
import NIOCore

extension JSONValue {
    func text(_ key: String) -> String { self[key]?.stringValue ?? "" }
    func long(_ key: String) -> Int64 { self[key]?.int64Value ?? 0 }
    func flag(_ key: String, _ otherwise: Bool) -> Bool { self[key]?.boolValue ?? otherwise }
    var doubleValue: Double? {
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

    mutating func dataVersion(_ version: DataVersionWire) {
        key("dataVersion")
        beginObject()
        number("counter", version.counter)
        number("timestamp", version.timestamp)
        endObject()
    }

    /// `{"<queue key>": value, …}` in queue order.
    mutating func queueMap<V>(_ key: String, _ table: [MessageQueue: V], _ value: (inout JSONWriter, V) -> Void) {
        self.key(key)
        beginObject()
        for queue in table.keys.sorted() {
            self.key(queue.jsonKey)
            value(&self, table[queue]!)
        }
        endObject()
    }
}

func dataVersion(_ json: JSONValue) -> DataVersionWire {
    let v = json["dataVersion"] ?? .null
    return DataVersionWire(counter: v.long("counter"), timestamp: v.long("timestamp"))
}

func queueMap<V>(_ json: JSONValue?, _ value: (JSONValue) -> V) -> [MessageQueue: V] {
    var table: [MessageQueue: V] = [:]
    for (key, entry) in json?.objectValue ?? [] {
        if let queue = MessageQueue(jsonKey: key) { table[queue] = value(entry) }
    }
    return table
}
