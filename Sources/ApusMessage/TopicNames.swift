// TopicNames: the topic and group names RocketMQ reserves (%RETRY%/%DLQ% prefixes, system topics, TBW102) and the
// rule every topic and group name must follow.

public enum TopicNames {
    public static let retryPrefix = "%RETRY%"
    public static let deadLetterPrefix = "%DLQ%"

    /// `%RETRY%{group}`: where a clustering group's failed messages are consumed again.
    public static func retry(_ group: String) -> String { retryPrefix + group }
    /// `%DLQ%{group}`: where a group's messages go once they failed maxReconsumeTimes times.
    public static func deadLetter(_ group: String) -> String { deadLetterPrefix + group }

    // Every send asks: a name not starting with "%" (both prefixes do) is answered from its first byte, without
    // `hasPrefix`'s generic comparison.
    public static func isRetry(_ topic: String) -> Bool {
        topic.utf8.first == UInt8(ascii: "%") && topic.hasPrefix(retryPrefix)
    }
    public static func isDeadLetter(_ topic: String) -> Bool {
        topic.utf8.first == UInt8(ascii: "%") && topic.hasPrefix(deadLetterPrefix)
    }

    /// The group of `%RETRY%{group}`; nil for any other topic.
    public static func groupOfRetry(_ topic: String) -> String? {
        isRetry(topic) ? String(topic.dropFirst(retryPrefix.count)) : nil
    }

    /// The template topic new topics are auto-created from (`defaultTopic` of a send).
    public static let autoCreateTemplate = "TBW102"
    /// Delayed messages wait here, one queue per delay level.
    public static let schedule = "SCHEDULE_TOPIC_XXXX"
    /// Transaction half (prepared) messages and their op (commit/rollback) records.
    public static let transactionHalf = "RMQ_SYS_TRANS_HALF_TOPIC"
    public static let transactionOpHalf = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
    public static let transactionCheckMaxTime = "TRANS_CHECK_MAX_TIME_TOPIC"
    public static let selfTest = "SELF_TEST_TOPIC"
    public static let offsetMovedEvent = "OFFSET_MOVED_EVENT"

    /// Topics clients may not send to (Java `TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
    public static let notAllowedToSend: Set<String> = [
        schedule, transactionHalf, transactionOpHalf, transactionCheckMaxTime, selfTest, offsetMovedEvent,
    ]

    /// Whether `topic` is one of `notAllowedToSend`. Every send asks, so nothing is hashed: a topic whose length is none
    /// of theirs is answered at once, else compared as bytes (Java's `equals`) with the (at most two) names of its
    /// length; `==`, which compares canonical equivalence, cost 126 instructions per send of a topic of such a length.
    public static func isNotAllowedToSend(_ topic: String) -> Bool {
        let length = topic.utf8.count
        guard length < notAllowedByLength.count else { return false }
        return notAllowedByLength[length].contains { $0.hasSameUTF8(as: topic) }
    }

    /// The names of `notAllowedToSend` by their length in bytes (all are shorter than 32).
    private static let notAllowedByLength: [[String]] = (0..<32).map { length in
        notAllowedToSend.filter { $0.utf8.count == length }
    }

    /// Java `TopicValidator.TOPIC_MAX_LENGTH`.
    public static let maxTopicBytes = 127
    /// Java `Validators.CHARACTER_MAX_LENGTH`, the limit of group names.
    public static let maxGroupBytes = 255

    /// RocketMQ's rule `^[%|a-zA-Z0-9_-]+$`, at most `maxBytes` bytes. Topics use 127 (the default: a name valid as a
    /// topic is valid as a group too, and `%RETRY%{group}` must itself be a topic), groups 255 (`isValidGroupName`).
    /// Every pull checks its group twice: the name's bytes are read in place (iterating the `UTF8View` took about 1,000
    /// instructions for a 20-byte name).
    public static func isValidTopicOrGroupName(_ name: String, maxBytes: Int = maxTopicBytes) -> Bool {
        return name.withContiguousUTF8 { bytes in
            guard !bytes.isEmpty, bytes.count <= maxBytes else { return false }
            for c in bytes {
                let letter = c | 0x20  // ASCII lower case
                guard (letter >= 0x61 && letter <= 0x7A) || (c >= 0x30 && c <= 0x39)
                    || c == 0x25 || c == 0x7C || c == 0x5F || c == 0x2D else { return false }
            }
            return true
        }
    }

    /// `first@second`, as RocketMQ keys a topic and group's offsets and statistics (and a client's own offsets,
    /// `group@clientId`), made in one allocation. Every pull builds such keys: two concatenations, or appends into a
    /// reserved string, took about 1,300 instructions.
    public static func pairKey(_ first: String, _ second: String) -> String {
        return first.withContiguousUTF8 { a in
            second.withContiguousUTF8 { b in
                String(unsafeUninitializedCapacity: a.count + 1 + b.count) { out in
                    let base = UnsafeMutableRawPointer(out.baseAddress!)
                    if let source = a.baseAddress { base.copyMemory(from: source, byteCount: a.count) }
                    out[a.count] = UInt8(ascii: "@")
                    if let source = b.baseAddress { (base + a.count + 1).copyMemory(from: source, byteCount: b.count) }
                    return a.count + 1 + b.count
                }
            }
        }
    }

    public static func isValidTopicName(_ topic: String) -> Bool { isValidTopicOrGroupName(topic, maxBytes: maxTopicBytes) }
    public static func isValidGroupName(_ group: String) -> Bool { isValidTopicOrGroupName(group, maxBytes: maxGroupBytes) }
}
