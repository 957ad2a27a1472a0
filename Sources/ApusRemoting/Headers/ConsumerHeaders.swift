// ConsumerHeaders: consumer-side requests — QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15),
// GET_CONSUMER_LIST_BY_GROUP (38), CONSUMER_SEND_MSG_BACK (36), UNREGISTER_CLIENT (35), and the broker → client
// NOTIFY_CONSUMER_IDS_CHANGED (40) and RESET_CONSUMER_CLIENT_OFFSET (220) (spec §2.3, §2.8–§2.11, §2.17).
// HEART_BEAT (34) and LOCK/UNLOCK_BATCH_MQ (41/42) carry no header: their bodies are HeartbeatData and
// LockBatchRequestBody/LockBatchResponseBody (Bodies.swift).

import ApusMessage

public struct QueryConsumerOffsetRequestHeader: RemotingHeader, Equatable {
    public var consumerGroup: String
    public var topic: String
    public var queueId: Int32

    public init(consumerGroup: String, topic: String, queueId: Int32) {
        self.consumerGroup = consumerGroup
        self.topic = topic
        self.queueId = queueId
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        consumerGroup = try r.string(FieldName.consumerGroup)
        topic = try r.string(FieldName.topic)
        queueId = try r.int32(FieldName.queueId)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 3)
        w.put(FieldName.consumerGroup, consumerGroup)
        w.put(FieldName.topic, topic)
        w.put(FieldName.queueId, queueId)
        return w.fields
    }
}

/// `offset` of QUERY_CONSUMER_OFFSET (14), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29).
public struct OffsetResponseHeader: RemotingHeader, Equatable {
    public var offset: Int64

    public init(offset: Int64) { self.offset = offset }

    public init(extFields: ExtFields) throws(HeaderError) {
        offset = try HeaderReader(extFields).int64(FieldName.offset)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.offset, offset)
        return w.fields
    }
}

public typealias QueryConsumerOffsetResponseHeader = OffsetResponseHeader

public struct UpdateConsumerOffsetRequestHeader: RemotingHeader, Equatable {
    public var consumerGroup: String
    public var topic: String
    public var queueId: Int32
    /// Next offset to consume.
    public var commitOffset: Int64

    public init(consumerGroup: String, topic: String, queueId: Int32, commitOffset: Int64) {
        self.consumerGroup = consumerGroup
        self.topic = topic
        self.queueId = queueId
        self.commitOffset = commitOffset
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        consumerGroup = try r.string(FieldName.consumerGroup)
        topic = try r.string(FieldName.topic)
        queueId = try r.int32(FieldName.queueId)
        commitOffset = try r.int64(FieldName.commitOffset)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 4)
        w.put(FieldName.consumerGroup, consumerGroup)
        w.put(FieldName.topic, topic)
        w.put(FieldName.queueId, queueId)
        w.put(FieldName.commitOffset, commitOffset)
        return w.fields
    }
}

/// GET_CONSUMER_LIST_BY_GROUP (38); also the shape of NOTIFY_CONSUMER_IDS_CHANGED (40).
public struct GetConsumerListByGroupRequestHeader: RemotingHeader, Equatable {
    public var consumerGroup: String

    public init(consumerGroup: String) { self.consumerGroup = consumerGroup }

    public init(extFields: ExtFields) throws(HeaderError) {
        consumerGroup = try HeaderReader(extFields).string(FieldName.consumerGroup)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.consumerGroup, consumerGroup)
        return w.fields
    }
}

/// Broker → client, one-way: the group's members changed, rebalance now.
public typealias NotifyConsumerIdsChangedRequestHeader = GetConsumerListByGroupRequestHeader

public struct ConsumerSendMsgBackRequestHeader: RemotingHeader, Equatable {
    /// Commit-log (physical) offset of the failed message.
    public var offset: Int64
    public var group: String
    /// 0: the broker chooses; negative: straight to the dead-letter queue (Java).
    public var delayLevel: Int32
    public var originMsgId: String?
    public var originTopic: String?
    public var unitMode: Bool
    /// Honoured from request version 121 (V3_4_9) on, as Java does.
    public var maxReconsumeTimes: Int32?

    public init(offset: Int64, group: String, delayLevel: Int32 = 0, originMsgId: String? = nil, originTopic: String? = nil,
                unitMode: Bool = false, maxReconsumeTimes: Int32? = nil) {
        self.offset = offset
        self.group = group
        self.delayLevel = delayLevel
        self.originMsgId = originMsgId
        self.originTopic = originTopic
        self.unitMode = unitMode
        self.maxReconsumeTimes = maxReconsumeTimes
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        offset = try r.int64(FieldName.offset)
        group = try r.string(FieldName.group)
        delayLevel = try r.optionalInt32(FieldName.delayLevel) ?? 0
        originMsgId = r.optionalString(FieldName.originMsgId)
        originTopic = r.optionalString(FieldName.originTopic)
        unitMode = r.bool(FieldName.unitMode) ?? false
        maxReconsumeTimes = try r.optionalInt32(FieldName.maxReconsumeTimes)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 7)
        w.put(FieldName.offset, offset)
        w.put(FieldName.group, group)
        w.put(FieldName.delayLevel, delayLevel)
        w.put(FieldName.originMsgId, originMsgId)
        w.put(FieldName.originTopic, originTopic)
        w.put(FieldName.unitMode, unitMode)
        w.put(FieldName.maxReconsumeTimes, maxReconsumeTimes)
        return w.fields
    }
}

/// UNREGISTER_CLIENT (35). An empty group on the wire ("" from the C++ client) decodes as nil.
public struct UnregisterClientRequestHeader: RemotingHeader, Equatable {
    public var clientID: String
    public var producerGroup: String?
    public var consumerGroup: String?

    public init(clientID: String, producerGroup: String? = nil, consumerGroup: String? = nil) {
        self.clientID = clientID
        self.producerGroup = producerGroup
        self.consumerGroup = consumerGroup
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        clientID = try r.string(FieldName.clientID)
        producerGroup = r.optionalString(FieldName.producerGroup).flatMap { $0.isEmpty ? nil : $0 }
        consumerGroup = r.optionalString(FieldName.consumerGroup).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Absent groups are written as "" (what the C++ client sends).
    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 3)
        w.put(FieldName.clientID, clientID)
        w.put(FieldName.producerGroup, producerGroup ?? "")
        w.put(FieldName.consumerGroup, consumerGroup ?? "")
        return w.fields
    }
}

/// RESET_CONSUMER_CLIENT_OFFSET (220), broker → client; the offsets travel in a ResetOffsetBody.
public struct ResetOffsetRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var group: String
    /// ms; the offsets of messages stored at or after this time.
    public var timestamp: Int64
    public var isForce: Bool

    public init(topic: String, group: String, timestamp: Int64, isForce: Bool) {
        self.topic = topic
        self.group = group
        self.timestamp = timestamp
        self.isForce = isForce
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        group = try r.string(FieldName.group)
        timestamp = try r.int64(FieldName.timestamp)
        isForce = r.bool(FieldName.isForce) ?? false
    }

    /// `isForce` is written "true"/"false" as Java does; the C++ client reads it with `atoi`, so it sees false
    /// either way (spec §2.17).
    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 4)
        w.put(FieldName.topic, topic)
        w.put(FieldName.group, group)
        w.put(FieldName.timestamp, timestamp)
        w.put(FieldName.isForce, isForce)
        return w.fields
    }
}
