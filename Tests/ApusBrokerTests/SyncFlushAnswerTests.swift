// SYNC_FLUSH answers over loopback: every pipelined send is answered once, on its own opaque, with its own queue
// offset, and only after the group commit made its record durable.

@testable import ApusBroker
import ApusMessage
import ApusRemoting
@testable import ApusStore
import NIOCore
import Testing

@Test func syncFlushAnswersEachSendOnceItIsDurable() async throws {
    let h = try await BrokerHarness { $0.store.flushDiskType = .syncFlush }
    let client = try await RemotingClient.connect(host: "127.0.0.1", port: h.brokerPort, group: h.group, logger: h.logger)
    let commitLog = h.broker.store.commitLog
    func send(_ i: Int) -> RemotingCommand {
        var request = RemotingCommand.request(code: .sendMessageV2, header: SendMessageRequestHeader(
            producerGroup: "sync-pg", topic: "SyncAnswerTopic", queueId: 0, bornTimestamp: currentMillis(), properties: ""),
                                              body: ByteBuffer(string: "m\(i)"))
        request.serializeType = .rocketmq
        return request
    }
    // Pipelined, so that read bursts and group commits carry several sends each.
    let answers = try await withThrowingTaskGroup(of: (Int32, String?, String?, Int64).self) { tasks in
        for i in 0..<300 {
            tasks.addTask {
                let response = try await client.request(send(i), timeout: .seconds(10))
                // Read as the answer arrives: the flushed position only grows, so it must already cover the record.
                return (response.code, response.extFields["queueOffset"], response.extFields["msgId"],
                        commitLog.flushedPosition.load(ordering: .acquiring))
            }
        }
        return try await tasks.reduce(into: [(Int32, String?, String?, Int64)]()) { $0.append($1) }
    }
    #expect(answers.allSatisfy { $0.0 == ResponseCode.success.rawValue })
    #expect(Set(answers.compactMap { $0.1.flatMap(Int.init) }) == Set(0..<300), "each send got its own queue offset")
    for (_, _, msgId, flushed) in answers {
        let offset = try #require(msgId.flatMap(MessageId.decodeOffsetMessageId)?.commitLogOffset)
        #expect(offset < flushed, "answered before its record was flushed")
    }
    let sends = try #require(h.broker.requestLatency.snapshot().first { $0.code == RequestCode.sendMessageV2.rawValue })
    #expect(sends.count == 300)
    await client.close()
    await h.stop()
}
