// MessageConstants: message SYSFLAG bits (§4.2), pull sysFlag bits (§2.7), permission bits, well-known property keys
// (§4.4) and the tag hash (§4.7). Topic and group names live in TopicNames.swift.

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

/// Permission bits of a topic or broker (`PermName` in RocketMQ): the `perm` of topic configs and route queue data.
public enum Permission {
    public static let priority: Int32 = 8
    public static let read: Int32 = 4
    public static let write: Int32 = 2
    public static let inherit: Int32 = 1
    public static let readWrite: Int32 = read | write

    public static func isReadable(_ perm: Int32) -> Bool { perm & read != 0 }
    public static func isWritable(_ perm: Int32) -> Bool { perm & write != 0 }
    public static func isInherited(_ perm: Int32) -> Bool { perm & inherit != 0 }
}

/// Bits of a PULL_MESSAGE request's `sysFlag` (§2.7, RocketMQ `PullSysFlag`).
public struct PullSysFlag: OptionSet, Sendable, Hashable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The request carries `commitOffset` to store for the group.
    public static let commitOffset = PullSysFlag(rawValue: 0x1)
    /// Long polling allowed: the broker may hold the request when nothing is there yet.
    public static let suspend = PullSysFlag(rawValue: 0x2)
    /// The request carries its own `subscription` expression.
    public static let subscription = PullSysFlag(rawValue: 0x4)
    public static let classFilter = PullSysFlag(rawValue: 0x8)
    /// Java lite-pull consumers.
    public static let litePull = PullSysFlag(rawValue: 0x10)
}

/// Property keys of the properties string (§4.4), named as RocketMQ's `MessageConst.PROPERTY_*`.
public enum MessageProperty {
    public static let keys = "KEYS"
    public static let tags = "TAGS"
    public static let wait = "WAIT"
    /// Delay level (1-based index into the broker's delay levels).
    public static let delayLevel = "DELAY"
    public static let retryTopic = "RETRY_TOPIC"
    public static let realTopic = "REAL_TOPIC"
    public static let realQueueId = "REAL_QID"
    public static let transactionPrepared = "TRAN_MSG"
    public static let producerGroup = "PGROUP"
    public static let originMessageId = "ORIGIN_MESSAGE_ID"
    public static let reconsumeTime = "RECONSUME_TIME"
    public static let maxReconsumeTimes = "MAX_RECONSUME_TIMES"
    /// The client's message id (`UNIQ_KEY`).
    public static let uniqueKey = "UNIQ_KEY"
    /// Added by the broker on store: its cluster name.
    public static let cluster = "CLUSTER"
    /// RocketMQ 5 timer messages: absolute delivery time (ms), or a delay in seconds / ms.
    public static let timerDeliverMs = "TIMER_DELIVER_MS"
    public static let timerDelaySec = "TIMER_DELAY_SEC"
    public static let timerDelayMs = "TIMER_DELAY_MS"
    public static let timerOutMs = "TIMER_OUT_MS"
    /// Aliyun ONS / C++ client: absolute delivery time (ms) of a timed message.
    public static let startDeliverTime = "__STARTDELIVERTIME"
    /// Aliyun ONS / C++ client: sharding key of a partition-ordered message.
    public static let shardingKey = "__SHARDINGKEY"
    /// Aliyun ONS / C++ client: seconds before the first transaction check of a half message.
    public static let transactionCheckImmunityTime = "__TransCheckT"
    public static let transactionCheckTimes = "TRANSACTION_CHECK_TIMES"
    /// RocketMQ: seconds before the broker first checks a half message's state (instead of `transactionTimeOut`).
    public static let checkImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS"
}

/// The consume-queue tags code: Java `String.hashCode()` of the tag, sign-extended.
public enum TagsCode {
    public static func of(_ tag: String?) -> Int64 {
        guard let tag, !tag.isEmpty else { return 0 }
        return Int64(javaHash(tag))
    }

    /// `of(_:)` of a tag given as its UTF-8 bytes (invalid sequences read as `String(decoding:)` reads them).
    public static func of(_ tag: UnsafeBufferPointer<UInt8>) -> Int64 {
        guard !tag.isEmpty else { return 0 }
        return Int64(javaHash(utf8: tag))
    }

    /// Java's `String.hashCode()` of `text`. An ASCII string's UTF-16 units are its bytes: hashed without decoding
    /// (most tags and topics; walking the UTF-16 view cost more than the rest of the hash).
    public static func javaHash(_ text: String) -> Int32 {
        return text.withContiguousUTF8 { javaHash(utf8: $0) }
    }

    /// `javaHash` of text given as UTF-8 bytes (invalid sequences read as `String(decoding:)` reads them), continuing
    /// from `seed`: ASCII bytes are hashed as they are, other text through its UTF-16 units.
    public static func javaHash(utf8 bytes: UnsafeBufferPointer<UInt8>, seed: Int32 = 0) -> Int32 {
        asciiHash(bytes, seed: seed) ?? javaHash(String(decoding: bytes, as: UTF8.self).utf16, seed: seed)
    }

    /// `javaHash` of ASCII bytes (one UTF-16 unit each), continuing from `seed`; nil if any byte is not ASCII. Four
    /// bytes a step (`h·31⁴ + b₀·31³ + b₁·31² + b₂·31 + b₃`): one multiply per byte in a row made every step wait for
    /// the one before, which was a third of indexing a message's keys.
    public static func asciiHash(_ bytes: UnsafeBufferPointer<UInt8>, seed: Int32 = 0) -> Int32? {
        var h = seed, high: UInt8 = 0, i = 0
        let count = bytes.count
        while i + 4 <= count {
            let b0 = bytes[i], b1 = bytes[i + 1], b2 = bytes[i + 2], b3 = bytes[i + 3]
            high |= b0 | b1 | b2 | b3
            h = h &* 923_521 &+ Int32(b0) &* 29_791 &+ Int32(b1) &* 961 &+ Int32(b2) &* 31 &+ Int32(b3)
            i += 4
        }
        while i < count {
            high |= bytes[i]
            h = h &* 31 &+ Int32(bytes[i])
            i += 1
        }
        return high < 0x80 ? h : nil
    }

    /// `h = 31·h + c` over UTF-16 code units with 32-bit wrap-around, continuing from `seed`.
    @inlinable
    public static func javaHash<S: Sequence>(_ units: S, seed: Int32 = 0) -> Int32 where S.Element == UInt16 {
        var h = seed
        for unit in units { h = h &* 31 &+ Int32(unit) }
        return h
    }
}
