// TransactionHeaders: END_TRANSACTION (37, client → broker) and CHECK_TRANSACTION_STATE (39, broker → client)
// (spec §2.15, §2.17, §5.12).

import ApusMessage

public struct EndTransactionRequestHeader: RemotingHeader, Equatable {
    public var producerGroup: String
    /// Queue offset from the prepared send's response.
    public var tranStateTableOffset: Int64
    /// Commit-log offset of the half message (from the prepared send's offset msgId).
    public var commitLogOffset: Int64
    /// MessageSysFlag.transactionCommit (8), .transactionRollback (12), or 0 (unknown).
    public var commitOrRollback: Int32
    /// "1"/"true" when answering a CHECK_TRANSACTION_STATE (Java parses "1" as false; Apus reads it as true).
    public var fromTransactionCheck: Bool
    /// The client's UNIQ_KEY of the message.
    public var msgId: String
    public var transactionId: String?

    public init(producerGroup: String, tranStateTableOffset: Int64, commitLogOffset: Int64, commitOrRollback: Int32,
                fromTransactionCheck: Bool = false, msgId: String, transactionId: String? = nil) {
        self.producerGroup = producerGroup
        self.tranStateTableOffset = tranStateTableOffset
        self.commitLogOffset = commitLogOffset
        self.commitOrRollback = commitOrRollback
        self.fromTransactionCheck = fromTransactionCheck
        self.msgId = msgId
        self.transactionId = transactionId
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        producerGroup = try r.string(FieldName.producerGroup)
        tranStateTableOffset = try r.int64(FieldName.tranStateTableOffset)
        commitLogOffset = try r.int64(FieldName.commitLogOffset)
        commitOrRollback = try r.int32(FieldName.commitOrRollback)
        fromTransactionCheck = r.bool(FieldName.fromTransactionCheck) ?? false
        msgId = r.optionalString(FieldName.msgId) ?? ""
        transactionId = r.optionalString(FieldName.transactionId)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 7)
        w.put(FieldName.producerGroup, producerGroup)
        w.put(FieldName.tranStateTableOffset, tranStateTableOffset)
        w.put(FieldName.commitLogOffset, commitLogOffset)
        w.put(FieldName.commitOrRollback, commitOrRollback)
        w.put(FieldName.fromTransactionCheck, fromTransactionCheck)
        w.put(FieldName.msgId, msgId)
        w.put(FieldName.transactionId, transactionId)
        return w.fields
    }
}

/// Broker → producer: ask the state of a half message; the body is its stored record.
public struct CheckTransactionStateRequestHeader: RemotingHeader, Equatable {
    public var tranStateTableOffset: Int64
    public var commitLogOffset: Int64
    /// The message's UNIQ_KEY.
    public var msgId: String?
    public var transactionId: String?
    /// Offset message id of the half message.
    public var offsetMsgId: String?

    public init(tranStateTableOffset: Int64, commitLogOffset: Int64, msgId: String? = nil, transactionId: String? = nil,
                offsetMsgId: String? = nil) {
        self.tranStateTableOffset = tranStateTableOffset
        self.commitLogOffset = commitLogOffset
        self.msgId = msgId
        self.transactionId = transactionId
        self.offsetMsgId = offsetMsgId
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        tranStateTableOffset = try r.int64(FieldName.tranStateTableOffset)
        commitLogOffset = try r.int64(FieldName.commitLogOffset)
        msgId = r.optionalString(FieldName.msgId)
        transactionId = r.optionalString(FieldName.transactionId)
        offsetMsgId = r.optionalString(FieldName.offsetMsgId)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 5)
        w.put(FieldName.tranStateTableOffset, tranStateTableOffset)
        w.put(FieldName.commitLogOffset, commitLogOffset)
        w.put(FieldName.msgId, msgId)
        w.put(FieldName.transactionId, transactionId)
        w.put(FieldName.offsetMsgId, offsetMsgId)
        return w.fields
    }
}
