// QueueHeaders: per-queue admin reads — GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), GET_EARLIEST_MSG_STORETIME (32),
// SEARCH_OFFSET_BY_TIMESTAMP (29) — and message lookups QUERY_MESSAGE (12) and VIEW_MESSAGE_BY_ID (33)
// (spec §2.12, §2.13). Offsets answer with OffsetResponseHeader (ConsumerHeaders.swift).

/// A topic and queue id: the request header of codes 30, 31 and 32.
public struct QueueRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var queueId: Int32

    public init(topic: String, queueId: Int32) {
        self.topic = topic
        self.queueId = queueId
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        queueId = try r.int32(FieldName.queueId)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.topic, topic)
        w.put(FieldName.queueId, queueId)
        return w.fields
    }
}

public typealias GetMaxOffsetRequestHeader = QueueRequestHeader
public typealias GetMinOffsetRequestHeader = QueueRequestHeader
public typealias GetEarliestMsgStoretimeRequestHeader = QueueRequestHeader
public typealias GetMaxOffsetResponseHeader = OffsetResponseHeader
public typealias GetMinOffsetResponseHeader = OffsetResponseHeader
public typealias SearchOffsetResponseHeader = OffsetResponseHeader

public struct SearchOffsetRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var queueId: Int32
    /// Store time to look for, ms.
    public var timestamp: Int64

    public init(topic: String, queueId: Int32, timestamp: Int64) {
        self.topic = topic
        self.queueId = queueId
        self.timestamp = timestamp
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        queueId = try r.int32(FieldName.queueId)
        timestamp = try r.int64(FieldName.timestamp)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 3)
        w.put(FieldName.topic, topic)
        w.put(FieldName.queueId, queueId)
        w.put(FieldName.timestamp, timestamp)
        return w.fields
    }
}

public struct GetEarliestMsgStoretimeResponseHeader: RemotingHeader, Equatable {
    /// Store time of the oldest stored message, ms; −1 if the queue is missing.
    public var timestamp: Int64

    public init(timestamp: Int64) { self.timestamp = timestamp }

    public init(extFields: ExtFields) throws(HeaderError) {
        timestamp = try HeaderReader(extFields).int64(FieldName.timestamp)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.timestamp, timestamp)
        return w.fields
    }
}

/// QUERY_MESSAGE (12): messages of `topic` whose KEYS (or, with `uniqueKeyQuery`, UNIQ_KEY) contain `key`.
public struct QueryMessageRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var key: String
    public var maxNum: Int32
    public var beginTimestamp: Int64
    public var endTimestamp: Int64
    /// `_UNIQUE_KEY_QUERY` = "true": search by UNIQ_KEY (Java sends it for `viewMessage` by client id).
    public var uniqueKeyQuery: Bool

    public init(topic: String, key: String, maxNum: Int32, beginTimestamp: Int64, endTimestamp: Int64,
                uniqueKeyQuery: Bool = false) {
        self.topic = topic
        self.key = key
        self.maxNum = maxNum
        self.beginTimestamp = beginTimestamp
        self.endTimestamp = endTimestamp
        self.uniqueKeyQuery = uniqueKeyQuery
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        key = try r.string(FieldName.key)
        maxNum = try r.int32(FieldName.maxNum)
        beginTimestamp = try r.int64(FieldName.beginTimestamp)
        endTimestamp = try r.int64(FieldName.endTimestamp)
        uniqueKeyQuery = r.bool(FieldName.uniqueKeyQuery) ?? false
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 6)
        w.put(FieldName.topic, topic)
        w.put(FieldName.key, key)
        w.put(FieldName.maxNum, maxNum)
        w.put(FieldName.beginTimestamp, beginTimestamp)
        w.put(FieldName.endTimestamp, endTimestamp)
        if uniqueKeyQuery { w.put(FieldName.uniqueKeyQuery, true) }
        return w.fields
    }
}

public struct QueryMessageResponseHeader: RemotingHeader, Equatable {
    public var indexLastUpdateTimestamp: Int64
    public var indexLastUpdatePhyoffset: Int64

    public init(indexLastUpdateTimestamp: Int64, indexLastUpdatePhyoffset: Int64) {
        self.indexLastUpdateTimestamp = indexLastUpdateTimestamp
        self.indexLastUpdatePhyoffset = indexLastUpdatePhyoffset
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        indexLastUpdateTimestamp = try r.int64(FieldName.indexLastUpdateTimestamp)
        indexLastUpdatePhyoffset = try r.int64(FieldName.indexLastUpdatePhyoffset)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.indexLastUpdateTimestamp, indexLastUpdateTimestamp)
        w.put(FieldName.indexLastUpdatePhyoffset, indexLastUpdatePhyoffset)
        return w.fields
    }
}

/// VIEW_MESSAGE_BY_ID (33): the record at a commit-log offset (decoded from an offset message id).
public struct ViewMessageRequestHeader: RemotingHeader, Equatable {
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
