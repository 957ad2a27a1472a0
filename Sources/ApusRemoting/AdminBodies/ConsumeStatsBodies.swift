// ConsumeStatsBodies: consumption progress: GET_CONSUME_STATS (208, with Apus's additions), GET_BROKER_CONSUME_STATS
// (317), QUERY_CONSUME_TIME_SPAN (303) and QUERY_CONSUME_QUEUE (321).

import ApusMessage
import NIOCore

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

    func writeMembers(to w: inout JSONWriter) {
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
