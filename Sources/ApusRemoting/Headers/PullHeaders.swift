// PullHeaders: PULL_MESSAGE (11) request and response headers (spec §2.7); the sysFlag bits are PullSysFlag
// (ApusMessage).

import ApusMessage

public struct PullMessageRequestHeader: DirectHeader, Equatable {
    public var consumerGroup: String
    public var topic: String
    public var queueId: Int32
    /// Next offset to read.
    public var queueOffset: Int64
    /// Absent: 32.
    public var maxMsgNums: Int32
    public var sysFlag: PullSysFlag
    /// The consumer's offset to store when `sysFlag` has `.commitOffset`.
    public var commitOffset: Int64?
    /// Longest hold when `sysFlag` has `.suspend`; absent: 15 000 ms.
    public var suspendTimeoutMillis: Int64
    /// The expression as the user gave it, when `sysFlag` has `.subscription`.
    public var subscription: String?
    public var subVersion: Int64
    /// Java clients only: "TAG" or "SQL92"; absent means TAG.
    public var expressionType: String?

    public static let defaultMaxMsgNums: Int32 = 32
    public static let defaultSuspendTimeoutMillis: Int64 = 15_000

    public init(consumerGroup: String, topic: String, queueId: Int32, queueOffset: Int64,
                maxMsgNums: Int32 = defaultMaxMsgNums, sysFlag: PullSysFlag, commitOffset: Int64? = nil,
                suspendTimeoutMillis: Int64 = defaultSuspendTimeoutMillis, subscription: String? = nil,
                subVersion: Int64 = 0, expressionType: String? = nil) {
        self.consumerGroup = consumerGroup
        self.topic = topic
        self.queueId = queueId
        self.queueOffset = queueOffset
        self.maxMsgNums = maxMsgNums
        self.sysFlag = sysFlag
        self.commitOffset = commitOffset
        self.suspendTimeoutMillis = suspendTimeoutMillis
        self.subscription = subscription
        self.subVersion = subVersion
        self.expressionType = expressionType
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        consumerGroup = try r.string(FieldName.consumerGroup)
        topic = try r.string(FieldName.topic)
        queueId = try r.int32(FieldName.queueId)
        queueOffset = try r.int64(FieldName.queueOffset)
        maxMsgNums = try r.optionalInt32(FieldName.maxMsgNums) ?? Self.defaultMaxMsgNums
        sysFlag = PullSysFlag(rawValue: try r.optionalInt32(FieldName.sysFlag) ?? 0)
        commitOffset = try r.optionalInt64(FieldName.commitOffset)
        suspendTimeoutMillis = try r.optionalInt64(FieldName.suspendTimeoutMillis) ?? Self.defaultSuspendTimeoutMillis
        subscription = r.optionalString(FieldName.subscription)
        subVersion = try r.optionalInt64(FieldName.subVersion) ?? 0
        expressionType = r.optionalString(FieldName.expressionType)
    }

    public func forEachField(_ visit: (String, HeaderFieldValue) -> Void) {
        visit(FieldName.consumerGroup, .text(consumerGroup))
        visit(FieldName.topic, .text(topic))
        visit(FieldName.queueId, .integer(Int64(queueId)))
        visit(FieldName.queueOffset, .integer(queueOffset))
        visit(FieldName.maxMsgNums, .integer(Int64(maxMsgNums)))
        visit(FieldName.sysFlag, .integer(Int64(sysFlag.rawValue)))
        if let commitOffset { visit(FieldName.commitOffset, .integer(commitOffset)) }
        visit(FieldName.suspendTimeoutMillis, .integer(suspendTimeoutMillis))
        if let subscription { visit(FieldName.subscription, .text(subscription)) }
        visit(FieldName.subVersion, .integer(subVersion))
        if let expressionType { visit(FieldName.expressionType, .text(expressionType)) }
    }
}

/// Every PULL_MESSAGE response (found, not found, retry, offset moved) carries it; all values strings (§1.6).
public struct PullMessageResponseHeader: DirectHeader, Equatable {
    public var nextBeginOffset: Int64
    public var minOffset: Int64
    public var maxOffset: Int64
    /// 0 = master; Apus always answers 0.
    public var suggestWhichBrokerId: Int64

    public init(nextBeginOffset: Int64, minOffset: Int64, maxOffset: Int64, suggestWhichBrokerId: Int64 = 0) {
        self.nextBeginOffset = nextBeginOffset
        self.minOffset = minOffset
        self.maxOffset = maxOffset
        self.suggestWhichBrokerId = suggestWhichBrokerId
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        nextBeginOffset = try r.int64(FieldName.nextBeginOffset)
        minOffset = try r.optionalInt64(FieldName.minOffset) ?? 0
        maxOffset = try r.optionalInt64(FieldName.maxOffset) ?? 0
        suggestWhichBrokerId = try r.optionalInt64(FieldName.suggestWhichBrokerId) ?? 0
    }

    public func forEachField(_ visit: (String, HeaderFieldValue) -> Void) {
        visit(FieldName.nextBeginOffset, .integer(nextBeginOffset))
        visit(FieldName.minOffset, .integer(minOffset))
        visit(FieldName.maxOffset, .integer(maxOffset))
        visit(FieldName.suggestWhichBrokerId, .integer(suggestWhichBrokerId))
    }
}
