// Tests of the broker's registration with its name servers: a broker started before its name server listens is
// registered seconds after the name server comes up, not a registration period later; the retry schedule.

@testable import ApusBroker
import ApusNameServer
import Foundation
import Logging
import NIOPosix
import Testing

@Test func retryAfterAFailedRoundStartsAtHalfASecondAndDoublesUpToThePeriod() {
    let delays = (1...8).map { NameServerRegistrar.retryDelayMillis(failures: $0, period: 30_000) }
    #expect(delays == [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
    #expect(NameServerRegistrar.retryDelayMillis(failures: 1_000, period: 30_000) == 30_000)
}

@Test func brokerStartedBeforeItsNameServerRegistersSoonAfterItListens() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let dataDir = NSTemporaryDirectory() + "apus-test-\(UUID().uuidString)"
    let namesrvPort = try freePort()
    var config = BrokerConfig(storePathRootDir: dataDir)
    config.listenPort = try freePort()
    config.namesrvAddr = "127.0.0.1:\(namesrvPort)"
    config.store.mappedFileSizeCommitLog = 4 << 20
    let broker = try Broker(config: config, group: group, logger: logger)
    try await broker.start()  // its first registration finds nothing listening
    try await Task.sleep(for: .milliseconds(300))
    let nameServer = NameServer(host: "127.0.0.1", port: namesrvPort, group: group, logger: logger)
    try await nameServer.start()
    // The registration period is 30 s; the retries after the failed round come within a few seconds.
    try await waitFor("the broker's registration", seconds: 10) { nameServer.route(topic: "TBW102") != nil }
    await broker.shutdown()
    await nameServer.shutdown()
    try? await group.shutdownGracefully()
    try? FileManager.default.removeItem(atPath: dataDir)
}
