// AdminRequestHeaders: request headers of the admin codes (admin.md §3–§7): topic-scoped requests (202, 215),
// DELETE_TOPIC_IN_NAMESRV (216), DELETE_SUBSCRIPTIONGROUP (207), group-scoped requests (203, 204) and
// GET_CONSUME_STATS (208), VIEW_BROKER_STATS_DATA (315), the relayed GET_CONSUMER_RUNNING_INFO (307) and
// CONSUME_MESSAGE_DIRECTLY (309), CLONE_GROUP_OFFSET (314), GET_BROKER_CONSUME_STATS (317), QUERY_CONSUME_TIME_SPAN
// (303), QUERY_CONSUME_QUEUE (321); the GET_BROKER_CONFIG (26) response header. INVOKE_BROKER_TO_RESET_OFFSET (222) uses
// `ResetOffsetRequestHeader` (ConsumerHeaders).

import ApusMessage

/// A request that names one topic: GET_TOPIC_STATS_INFO (202), DELETE_TOPIC_IN_BROKER (215).
public struct TopicRequestHeader: RemotingHeader, Equatable {
    public var topic: String

    public init(topic: String) { self.topic = topic }

    public init(extFields: ExtFields) throws(HeaderError) {
        topic = try HeaderReader(extFields).string(FieldName.topic)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.topic, topic)
        return w.fields
    }
}

/// DELETE_TOPIC_IN_NAMESRV (216): `clusterName` non-empty → only that cluster's brokers lose the topic.
public struct DeleteTopicFromNamesrvRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var clusterName: String?

    public init(topic: String, clusterName: String? = nil) {
        self.topic = topic
        self.clusterName = clusterName
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        clusterName = r.optionalString(FieldName.clusterName).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.topic, topic)
        w.put(FieldName.clusterName, clusterName)
        return w.fields
    }
}

/// DELETE_SUBSCRIPTIONGROUP (207).
public struct DeleteSubscriptionGroupRequestHeader: RemotingHeader, Equatable {
    public var groupName: String
    /// Also delete the group's committed offsets.
    public var removeOffset: Bool

    public init(groupName: String, removeOffset: Bool = false) {
        self.groupName = groupName
        self.removeOffset = removeOffset
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        groupName = try r.string(FieldName.groupName)
        removeOffset = r.bool(FieldName.removeOffset) ?? false
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.groupName, groupName)
        w.put(FieldName.removeOffset, removeOffset)
        return w.fields
    }
}

/// GET_CONSUMER_CONNECTION_LIST (203).
public struct GetConsumerConnectionListRequestHeader: RemotingHeader, Equatable {
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

/// GET_PRODUCER_CONNECTION_LIST (204).
public struct GetProducerConnectionListRequestHeader: RemotingHeader, Equatable {
    public var producerGroup: String

    public init(producerGroup: String) { self.producerGroup = producerGroup }

    public init(extFields: ExtFields) throws(HeaderError) {
        producerGroup = try HeaderReader(extFields).string(FieldName.producerGroup)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.producerGroup, producerGroup)
        return w.fields
    }
}

/// GET_CONSUME_STATS (208): `topic` absent or blank → every topic the group has offsets for.
public struct GetConsumeStatsRequestHeader: RemotingHeader, Equatable {
    public var consumerGroup: String
    public var topic: String?

    public init(consumerGroup: String, topic: String? = nil) {
        self.consumerGroup = consumerGroup
        self.topic = topic
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        consumerGroup = try r.string(FieldName.consumerGroup)
        topic = r.optionalString(FieldName.topic).flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.consumerGroup, consumerGroup)
        w.put(FieldName.topic, topic)
        return w.fields
    }
}

/// GET_BROKER_CONFIG (26) response: `version` is the DataVersion JSON (`{"counter":1,"timestamp":…}`) as a string.
public struct GetBrokerConfigResponseHeader: RemotingHeader, Equatable {
    public var version: String

    public init(version: String) { self.version = version }

    public init(extFields: ExtFields) throws(HeaderError) {
        version = try HeaderReader(extFields).string(FieldName.version)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.version, version)
        return w.fields
    }
}

/// VIEW_BROKER_STATS_DATA (315).
public struct ViewBrokerStatsDataRequestHeader: RemotingHeader, Equatable {
    public var statsName: String
    public var statsKey: String

    public init(statsName: String, statsKey: String) {
        self.statsName = statsName
        self.statsKey = statsKey
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        statsName = try r.string(FieldName.statsName)
        statsKey = try r.string(FieldName.statsKey)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.statsName, statsName)
        w.put(FieldName.statsKey, statsKey)
        return w.fields
    }
}

/// GET_CONSUMER_RUNNING_INFO (307): the broker relays it, ext fields unchanged, to the client `clientId` of the group.
public struct GetConsumerRunningInfoRequestHeader: RemotingHeader, Equatable {
    public var consumerGroup: String
    public var clientId: String
    public var jstackEnable: Bool?

    public init(consumerGroup: String, clientId: String, jstackEnable: Bool? = nil) {
        self.consumerGroup = consumerGroup
        self.clientId = clientId
        self.jstackEnable = jstackEnable
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        consumerGroup = try r.string(FieldName.consumerGroup)
        clientId = try r.string(FieldName.clientId)
        jstackEnable = r.bool(FieldName.jstackEnable)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 3)
        w.put(FieldName.consumerGroup, consumerGroup)
        w.put(FieldName.clientId, clientId)
        w.put(FieldName.jstackEnable, jstackEnable)
        return w.fields
    }
}

/// CONSUME_MESSAGE_DIRECTLY (309): `msgId` is an offset message id; the broker adds the stored record as the body
/// and its own `brokerName`, then relays it to `clientId`.
public struct ConsumeMessageDirectlyRequestHeader: RemotingHeader, Equatable {
    public var consumerGroup: String
    public var clientId: String?
    public var msgId: String?
    public var brokerName: String?

    public init(consumerGroup: String, clientId: String? = nil, msgId: String? = nil, brokerName: String? = nil) {
        self.consumerGroup = consumerGroup
        self.clientId = clientId
        self.msgId = msgId
        self.brokerName = brokerName
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        consumerGroup = try r.string(FieldName.consumerGroup)
        clientId = r.optionalString(FieldName.clientId)
        msgId = r.optionalString(FieldName.msgId)
        brokerName = r.optionalString(FieldName.brokerName)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 4)
        w.put(FieldName.consumerGroup, consumerGroup)
        w.put(FieldName.clientId, clientId)
        w.put(FieldName.msgId, msgId)
        w.put(FieldName.brokerName, brokerName)
        return w.fields
    }
}

/// CLONE_GROUP_OFFSET (314).
public struct CloneGroupOffsetRequestHeader: RemotingHeader, Equatable {
    public var srcGroup: String
    public var destGroup: String
    public var topic: String?
    public var offline: Bool

    public init(srcGroup: String, destGroup: String, topic: String? = nil, offline: Bool = false) {
        self.srcGroup = srcGroup
        self.destGroup = destGroup
        self.topic = topic
        self.offline = offline
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        srcGroup = try r.string(FieldName.srcGroup)
        destGroup = try r.string(FieldName.destGroup)
        topic = r.optionalString(FieldName.topic).flatMap { $0.isEmpty ? nil : $0 }
        offline = r.bool(FieldName.offline) ?? false
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 4)
        w.put(FieldName.srcGroup, srcGroup)
        w.put(FieldName.destGroup, destGroup)
        w.put(FieldName.topic, topic)
        w.put(FieldName.offline, offline)
        return w.fields
    }
}

/// GET_BROKER_CONSUME_STATS (317): the key is literally `isOrder`.
public struct GetConsumeStatsInBrokerHeader: RemotingHeader, Equatable {
    public var isOrder: Bool

    public init(isOrder: Bool) { self.isOrder = isOrder }

    public init(extFields: ExtFields) throws(HeaderError) {
        isOrder = HeaderReader(extFields).bool(FieldName.isOrder) ?? false
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.isOrder, isOrder)
        return w.fields
    }
}

/// QUERY_CONSUME_TIME_SPAN (303).
public struct QueryConsumeTimeSpanRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var group: String

    public init(topic: String, group: String) {
        self.topic = topic
        self.group = group
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        group = try r.string(FieldName.group)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.topic, topic)
        w.put(FieldName.group, group)
        return w.fields
    }
}

/// QUERY_CONSUME_QUEUE (321): `count` entries of one consume queue from `index`.
public struct QueryConsumeQueueRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var queueId: Int32
    public var index: Int64
    public var count: Int32
    public var consumerGroup: String?

    public init(topic: String, queueId: Int32, index: Int64, count: Int32, consumerGroup: String? = nil) {
        self.topic = topic
        self.queueId = queueId
        self.index = index
        self.count = count
        self.consumerGroup = consumerGroup
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        queueId = try r.int32(FieldName.queueId)
        index = try r.int64(FieldName.index)
        count = try r.int32(FieldName.count)
        consumerGroup = r.optionalString(FieldName.consumerGroup).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 5)
        w.put(FieldName.topic, topic)
        w.put(FieldName.queueId, queueId)
        w.put(FieldName.index, index)
        w.put(FieldName.count, count)
        w.put(FieldName.consumerGroup, consumerGroup)
        return w.fields
    }
}
