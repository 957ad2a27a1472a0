// BrokerBodies: broker-wide answers: the KV table of GET_BROKER_RUNTIME_INFO (28) and VIEW_BROKER_STATS_DATA (315).

import ApusMessage
import NIOCore

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
