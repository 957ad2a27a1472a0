// Broker.publish (the HTTP API's entry): the same SendService path as a remoting send — auto-created topic, the
// properties stored verbatim with the cluster added, the offset message id, refusals as PublishRejection, timers
// scheduled.

@testable import ApusBroker
import ApusMessage
import Testing

private func stored(_ h: ServiceHarness, _ topic: String) -> [StoredMessage] {
    (0..<16).flatMap { h.messages(topic: topic, queueId: Int32($0)) }
}

@Test func publishStoresVerbatimAndAnswersTheOffsetId() async throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    let properties = MessagePropertyCodec.encode([("KEYS", "K1"), ("color", "blue"), ("__SHARDINGKEY", "s"), ("TAGS", "TagA")])
    let id = try await h.broker.publish(topic: "MQ_INST_1%Http", body: Array("héllo <&>".utf8), properties: properties,
                                        bornHost: ServiceHarness.bornHost)
    let messages = stored(h, "MQ_INST_1%Http")
    #expect(messages.count == 1)
    let m = try #require(messages.first)
    #expect(String(buffer: m.body) == "héllo <&>")
    let props = MessagePropertyCodec.decode(m.properties)
    #expect(props["KEYS"] == "K1" && props["color"] == "blue" && props["__SHARDINGKEY"] == "s" && props["TAGS"] == "TagA")
    #expect(props["CLUSTER"] == "DefaultCluster")
    #expect(MessageId.decodeOffsetMessageId(id)?.commitLogOffset == m.physicalOffset)
}

@Test func publishRefusalsAndTimers() async throws {
    let h = try ServiceHarness { $0.autoCreateTopicEnable = false }
    defer { h.stop() }
    do {
        _ = try await h.broker.publish(topic: "Nowhere", body: [1], properties: "", bornHost: nil)
        Issue.record("published to a missing topic")
    } catch { #expect(error.kind == .topicNotExist) }

    let open = try ServiceHarness()
    defer { open.stop() }
    let due = currentMillis() + 60_000
    _ = try await open.broker.publish(topic: "Timer", body: Array("later".utf8),
                                      properties: MessagePropertyCodec.encode([("__STARTDELIVERTIME", String(due))]), bornHost: nil)
    #expect(stored(open, "Timer").isEmpty, "a timer message is held by the schedule")
    do {
        _ = try await open.broker.publish(topic: "Timer", body: [], properties: "", bornHost: nil)
        Issue.record("published an empty body")
    } catch { #expect(error.kind == .invalidArgument) }
}
