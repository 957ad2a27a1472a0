// Long polling over loopback: a pull that finds nothing is parked, answered with the message that arrives, and
// commits the consumer's offset only when it first came in.

@testable import ApusBroker
import ApusMessage
import ApusRemoting
import NIOCore
import Testing

@Test func aParkedPullIsAnsweredWithTheArrivingMessageAndCommitsOnlyOnArrival() async throws {
    let h = try await BrokerHarness()
    let client = try await RemotingClient.connect(host: "127.0.0.1", port: h.brokerPort, group: h.group, logger: h.logger)
    let (topic, group) = ("LongPollTopic", "long-poll-group")
    func send(_ body: String) async throws {
        var request = RemotingCommand.request(code: .sendMessageV2, header: SendMessageRequestHeader(
            producerGroup: "long-poll-pg", topic: topic, queueId: 0, bornTimestamp: currentMillis(), properties: ""),
                                              body: ByteBuffer(string: body))
        request.serializeType = .rocketmq
        #expect(try await client.request(request, timeout: .seconds(10)).code == ResponseCode.success.rawValue)
    }
    func committed() throws -> Int64? {
        if case let .offset(offset) = try h.broker.offsets.query(group: group, topic: topic, queueId: 0, connection: nil) {
            return offset
        }
        return nil
    }
    try await send("m0")

    var pull = RemotingCommand.request(code: .pullMessage, header: PullMessageRequestHeader(
        consumerGroup: group, topic: topic, queueId: 0, queueOffset: 1, sysFlag: [.suspend, .subscription, .commitOffset],
        commitOffset: 1, suspendTimeoutMillis: 20_000, subscription: "*"))
    pull.serializeType = .rocketmq
    let answer = Task { try await client.request(pull, timeout: .seconds(30)) }
    try await waitFor("the pull parked") { h.broker.pullHolds.heldCount == 1 }
    #expect(try committed() == 1, "the offset sent with the pull is committed when it comes in")
    // Someone resets the group meanwhile; answering the parked pull must not commit its offset again.
    try h.broker.offsets.commit(group: group, topic: topic, queueId: 0, offset: 0, connection: nil)

    try await send("m1")
    let response = try await answer.value
    #expect(response.code == ResponseCode.success.rawValue)
    #expect(response.extFields["nextBeginOffset"] == "2")
    let messages = StoredMessageCodec.decodeAll(try #require(response.body))
    #expect(messages.map { String(buffer: $0.body) } == ["m1"])
    #expect(try committed() == 0)
    #expect(h.broker.pullHolds.heldCount == 0)

    await client.close()
    await h.stop()
}

@Test func parkedPullsAreAnsweredWhenTheirHoldEndsEachAtItsOwnTime() async throws {
    let h = try await BrokerHarness()
    let client = try await RemotingClient.connect(host: "127.0.0.1", port: h.brokerPort, group: h.group, logger: h.logger)
    let topic = "HoldEndsTopic"
    var create = RemotingCommand.request(code: .sendMessageV2, header: SendMessageRequestHeader(
        producerGroup: "hold-pg", topic: topic, queueId: 0, bornTimestamp: currentMillis(), properties: ""),
                                         body: ByteBuffer(string: "m0"))
    create.serializeType = .rocketmq
    #expect(try await client.request(create, timeout: .seconds(10)).code == ResponseCode.success.rawValue)
    func parkedPull(queueId: Int32, holdMillis: Int64) -> Task<(code: Int32, millis: Double), Error> {
        var pull = RemotingCommand.request(code: .pullMessage, header: PullMessageRequestHeader(
            consumerGroup: "hold-group", topic: topic, queueId: queueId, queueOffset: queueId == 0 ? 1 : 0,
            sysFlag: [.suspend, .subscription], suspendTimeoutMillis: holdMillis, subscription: "*"))
        pull.serializeType = .rocketmq
        return Task {
            let start = ContinuousClock.now
            let response = try await client.request(pull, timeout: .seconds(30))
            let elapsed = ContinuousClock.now - start
            return (response.code, Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
    }
    // A long hold parks first (its loop's sweep is armed for 3 s); a shorter one after it must still end on time.
    let long = parkedPull(queueId: 0, holdMillis: 3_000)
    try await waitFor("the long pull parked") { h.broker.pullHolds.heldCount == 1 }
    let short = parkedPull(queueId: 1, holdMillis: 400)
    let (shortCode, shortMillis) = try await short.value
    #expect(shortCode == ResponseCode.pullNotFound.rawValue)
    #expect(shortMillis >= 390, "answered when its own hold ended, not before (\(shortMillis) ms)")
    #expect(shortMillis < 2_500, "not held until the longer pull's sweep (\(shortMillis) ms)")
    #expect(h.broker.pullHolds.heldCount == 1, "the long pull is still parked")
    let (longCode, longMillis) = try await long.value
    #expect(longCode == ResponseCode.pullNotFound.rawValue)
    #expect(longMillis >= 2_990, "(\(longMillis) ms)")
    #expect(h.broker.pullHolds.heldCount == 0)

    await client.close()
    await h.stop()
}
