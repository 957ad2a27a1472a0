// Request latency per code (apus_request_duration_seconds): a run of requests observed together counts each one, and
// over loopback every send is counted once — accepted ones when their read burst is answered, refused ones at once —
// with a time no longer than the client waited for it.

@testable import ApusBroker
import ApusMessage
import ApusRemoting
import NIOCore
import Testing

@Test func aRunOfRequestsIsCountedRequestByRequest() {
    let table = RequestLatencyTable()
    table.observe(code: 310, nanos: 200_000, count: 5)  // ≤ 250 µs
    table.observe(code: 310, nanos: 40_000)
    let h = table.snapshot()[0]
    #expect(h.count == 6)
    #expect(h.cumulativeCounts[0] == 1 && h.cumulativeCounts[2] == 6)
    #expect(abs(h.sumSeconds - 0.00104) < 1e-12)
}

@Test func everySendIsTimedOnceFromItsArrival() async throws {
    let h = try await BrokerHarness()
    let client = try await RemotingClient.connect(host: "127.0.0.1", port: h.brokerPort, group: h.group, logger: h.logger)
    func send(_ topic: String, _ i: Int) -> RemotingCommand {
        var request = RemotingCommand.request(code: .sendMessageV2, header: SendMessageRequestHeader(
            producerGroup: "latency-pg", topic: topic, queueId: 0, bornTimestamp: currentMillis(), properties: ""),
                                              body: ByteBuffer(string: "m\(i)"))
        request.serializeType = .rocketmq
        return request
    }
    let started = RequestLatencyTable.now()
    // Pipelined, so that read bursts carry several sends each.
    let accepted = try await withThrowingTaskGroup(of: Int32.self) { tasks in
        for i in 0..<200 { tasks.addTask { try await client.request(send("LatencyTopic", i), timeout: .seconds(10)).code } }
        return try await tasks.reduce(into: [Int32]()) { $0.append($1) }
    }
    let refused = try await client.request(send(TopicNames.transactionHalf, 0), timeout: .seconds(10))
    let waited = Double(RequestLatencyTable.now() - started) / 1e9
    #expect(accepted.allSatisfy { $0 == ResponseCode.success.rawValue })
    #expect(refused.code == ResponseCode.noPermission.rawValue)

    let sends = try #require(h.broker.requestLatency.snapshot().first { $0.code == RequestCode.sendMessageV2.rawValue })
    #expect(sends.count == 201)
    #expect(sends.cumulativeCounts.last == 201, "no send took 5 s")
    #expect(sends.sumSeconds > 0 && sends.sumSeconds <= waited * 201)
    await client.close()
    await h.stop()
}
