// Tests of the shared constants: retry/dead-letter names, system topics, the topic/group name rule, permission and
// pull sysFlag bits.

import ApusMessage
import Testing

@Test func retryAndDeadLetterNames() {
    #expect(TopicNames.retry("G") == "%RETRY%G" && TopicNames.deadLetter("G") == "%DLQ%G")
    #expect(TopicNames.isRetry("%RETRY%G") && !TopicNames.isRetry("T") && TopicNames.isDeadLetter("%DLQ%G"))
    #expect(TopicNames.groupOfRetry("%RETRY%G") == "G" && TopicNames.groupOfRetry("%DLQ%G") == nil)
    #expect(TopicNames.notAllowedToSend.contains("SCHEDULE_TOPIC_XXXX"))
    #expect(TopicNames.notAllowedToSend.contains(TopicNames.transactionHalf) && !TopicNames.notAllowedToSend.contains("TBW102"))
    // The length pre-check never hides a member, and a topic of a member's length still needs its name.
    for topic in TopicNames.notAllowedToSend { #expect(TopicNames.isNotAllowedToSend(topic), "\(topic)") }
    for topic in ["TBW102", "SCHEDULE_TOPIC_XXXY", "SELF_TEST_TOPIX", "", String(repeating: "T", count: 127)] {
        #expect(!TopicNames.isNotAllowedToSend(topic), "\(topic)")
    }
}

@Test func topicAndGroupNameRule() {
    #expect(TopicNames.isValidTopicName("Topic_Test-1|%x"))
    #expect(!TopicNames.isValidTopicName("") && !TopicNames.isValidTopicName("a b") && !TopicNames.isValidTopicName("a.b"))
    #expect(!TopicNames.isValidTopicName("中文"))
    #expect(TopicNames.isValidTopicName(String(repeating: "a", count: 127)))
    #expect(!TopicNames.isValidTopicName(String(repeating: "a", count: 128)))
    #expect(TopicNames.isValidGroupName(String(repeating: "g", count: 255)))
    #expect(!TopicNames.isValidGroupName(String(repeating: "g", count: 256)))
    #expect(TopicNames.isValidTopicOrGroupName(String(repeating: "g", count: 200), maxBytes: 255))
    // Every ASCII character, alone and inside a name, against RocketMQ's `^[%|a-zA-Z0-9_-]+$`.
    let allowed = Set("%|_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    for byte in UInt8(0)..<128 {
        let c = Character(Unicode.Scalar(byte))
        #expect(TopicNames.isValidTopicName(String(c)) == allowed.contains(c), "\(byte)")
        #expect(TopicNames.isValidTopicName("a\(c)b") == allowed.contains(c), "\(byte)")
    }
}

@Test func pairKeysJoinWithAnAt() {
    #expect(TopicNames.pairKey("T", "G") == "T@G" && TopicNames.pairKey("", "") == "@")
    let long = String(repeating: "topic", count: 20)
    #expect(TopicNames.pairKey(long, "中文 group") == long + "@" + "中文 group")
    #expect(TopicNames.pairKey("%RETRY%G", "G").utf8.count == 10)
}

@Test func permissionAndPullSysFlagBits() {
    #expect(Permission.readWrite == 6 && Permission.isWritable(6) && Permission.isReadable(4) && !Permission.isWritable(4))
    #expect(Permission.isInherited(7) && !Permission.isInherited(6))
    let flags = PullSysFlag(rawValue: 6)
    #expect(flags == [.suspend, .subscription] && !flags.contains(.commitOffset))
    #expect(PullSysFlag.classFilter.rawValue == 8 && PullSysFlag.litePull.rawValue == 16)
}

/// Byte equality of names: same bytes are equal whatever the strings' storage; different lengths or bytes are not, and
/// neither is a canonically equivalent spelling (Swift's `==` would call those equal).
@Test func namesAreComparedByTheirBytes() {
    let topic = "BenchTopic-0001"
    let rebuilt = String(decoding: Array("BenchTopic-000".utf8) + [UInt8(ascii: "1")], as: UTF8.self)
    #expect(topic.hasSameUTF8(as: rebuilt) && rebuilt.hasSameUTF8(as: topic))
    #expect("".hasSameUTF8(as: ""))
    #expect(!topic.hasSameUTF8(as: "BenchTopic-0002") && !topic.hasSameUTF8(as: "BenchTopic-000"))
    let long = String(repeating: "x", count: 200)
    #expect(long.hasSameUTF8(as: String(repeating: "x", count: 200)) && !long.hasSameUTF8(as: String(repeating: "x", count: 199) + "y"))
    #expect("\u{E9}" == "e\u{301}" && !"\u{E9}".hasSameUTF8(as: "e\u{301}"))
}
