// ServiceHarness: a broker built but not started (no sockets), so tests drive its services directly with an
// explicit clock.

@testable import ApusBroker
import ApusMessage
import ApusStore
import Foundation
import Logging
import NIOCore
import NIOPosix

final class ServiceHarness: Sendable {
    let dataDir: String
    let broker: Broker
    let group: MultiThreadedEventLoopGroup

    init(dataDir: String? = nil, configure: (inout BrokerConfig) -> Void = { _ in }) throws {
        self.dataDir = dataDir ?? NSTemporaryDirectory() + "apus-services-\(UUID().uuidString)"
        var config = BrokerConfig(storePathRootDir: self.dataDir)
        config.store.mappedFileSizeCommitLog = 4 << 20
        configure(&config)
        var logger = Logger(label: "services")
        logger.logLevel = .critical
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        broker = try Broker(config: config, group: group, logger: logger)
    }

    static let bornHost = HostAddress(ip: "127.0.0.1", port: 40000)!

    /// Sends one message through SendService and appends it; returns the prepared records as appended.
    @discardableResult
    func send(topic: String, body: String = "hello", properties: [(String, String)] = [], now: Int64,
              queueNums: Int32? = nil) throws -> PutResult {
        let text = MessagePropertyCodec.encode([("WAIT", "true"), ("TAGS", "TagA"), ("UNIQ_KEY", "ID-\(body)")] + properties)
        // As a binary send header hands them over: bytes, rewritten in place (PropertyText.bytes).
        let prepared = try broker.send.prepare(SendRequest(
            topic: topic, defaultTopic: "TBW102", defaultTopicQueueNums: queueNums, queueId: 0, bornTimestamp: now,
            properties: .bytes(ByteBuffer(string: text)), body: ByteBuffer(string: body), bornHost: Self.bornHost), now: now)
        return broker.send.append(prepared)
    }

    /// Every stored message of one queue, decoded.
    func messages(topic: String, queueId: Int32 = 0) -> [StoredMessage] {
        let result = broker.store.getMessages(topic: topic, queueId: queueId, offset: 0, maxCount: 1000, maxBytes: 64 << 20,
                                              filter: { _ in true })
        return result.body.map(StoredMessageCodec.decodeAll) ?? []
    }

    func stop(removingData: Bool = true) {
        broker.schedule.shutdown()
        broker.store.shutdown()
        try? group.syncShutdownGracefully()
        if removingData { try? FileManager.default.removeItem(atPath: dataDir) }
    }
}
