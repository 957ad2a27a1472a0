// MessageConstants: SYSFLAG bits (§4.2), well-known property keys (§4.4) and the tag hash (§4.7).

/// Bits of a stored message's SYSFLAG field.
public enum MessageSysFlag {
    public static let compressed: Int32 = 0x1
    public static let multiTags: Int32 = 0x2
    public static let transactionPrepared: Int32 = 0x4
    public static let transactionCommit: Int32 = 0x8
    public static let transactionRollback: Int32 = 0xC
    public static let transactionMask: Int32 = 0xC
    public static let bornHostV6: Int32 = 0x10
    public static let storeHostV6: Int32 = 0x20
}

/// Property keys the broker and clients care about.
public enum MessageProperty {
    public static let tags = "TAGS"
    public static let keys = "KEYS"
    public static let uniqueKey = "UNIQ_KEY"
    public static let delayLevel = "DELAY"
    public static let retryTopic = "RETRY_TOPIC"
    public static let originMessageId = "ORIGIN_MESSAGE_ID"
    public static let realTopic = "REAL_TOPIC"
    public static let realQueueId = "REAL_QID"
    public static let wait = "WAIT"
    public static let cluster = "CLUSTER"
    public static let transactionPrepared = "TRAN_MSG"
    public static let producerGroup = "PGROUP"
    public static let maxReconsumeTimes = "MAX_RECONSUME_TIMES"
    public static let reconsumeTime = "RECONSUME_TIME"
}

/// The consume-queue tags code: Java `String.hashCode()` of the tag, sign-extended.
public enum TagsCode {
    public static func of(_ tag: String?) -> Int64 {
        guard let tag, !tag.isEmpty else { return 0 }
        return Int64(javaHash(tag.utf16))
    }

    /// `h = 31·h + c` over UTF-16 code units with 32-bit wrap-around, continuing from `seed`.
    @inlinable
    public static func javaHash<S: Sequence>(_ units: S, seed: Int32 = 0) -> Int32 where S.Element == UInt16 {
        var h = seed
        for unit in units { h = h &* 31 &+ Int32(unit) }
        return h
    }
}
