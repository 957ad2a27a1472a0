// BrokerHarness: an in-process name server + broker on free loopback ports with a temp data dir, for end-to-end tests.

import ApusBroker
import ApusClient
import ApusNameServer
import Foundation
import Logging
import NIOCore
import NIOPosix

final class BrokerHarness: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let dataDir: String
    let namesrvPort: Int
    let brokerPort: Int
    let nameServer: NameServer
    let broker: Broker
    let logger: Logger

    init(configure: (inout BrokerConfig) -> Void = { _ in }) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        self.logger = logger
        (dataDir, namesrvPort, brokerPort, nameServer, broker) = try await Self.startServers(group: group, logger: logger,
                                                                                            configure: configure)
        try await waitFor("TBW102 route") { self.nameServer.route(topic: "TBW102") != nil }
    }

    /// A name server and a broker on free ports. A port freePort found may be taken before the server binds it (by a
    /// parallel test's outgoing connection, whose local port comes from the same range): then both start again on
    /// other ports, in a fresh directory.
    private static func startServers(group: EventLoopGroup, logger: Logger, configure: (inout BrokerConfig) -> Void)
        async throws -> (String, Int, Int, NameServer, Broker) {
        var attempt = 0
        while true {
            attempt += 1
            let dataDir = NSTemporaryDirectory() + "apus-test-\(UUID().uuidString)"
            let namesrvPort = try freePort(), brokerPort = try freePort()
            let nameServer = NameServer(host: "127.0.0.1", port: namesrvPort, group: group, logger: logger)
            var config = BrokerConfig(storePathRootDir: dataDir)
            config.listenPort = brokerPort
            config.namesrvAddr = "127.0.0.1:\(namesrvPort)"
            config.store.mappedFileSizeCommitLog = 4 << 20
            configure(&config)
            var broker: Broker?
            do {
                try await nameServer.start()
                let started = try Broker(config: config, group: group, logger: logger)
                broker = started
                try await started.start()
                return (dataDir, namesrvPort, brokerPort, nameServer, started)
            } catch let error as IOError where error.errnoCode == EADDRINUSE && attempt < 5 {
                await broker?.shutdown()
                await nameServer.shutdown()
                try? FileManager.default.removeItem(atPath: dataDir)
            }
        }
    }

    var namesrvAddr: String { "127.0.0.1:\(namesrvPort)" }

    func client(_ name: String) throws -> ClientInstance {
        try ClientInstance(namesrvAddr: namesrvAddr, instanceName: name, group: group, logger: logger)
    }

    func stop() async {
        await broker.shutdown()
        await nameServer.shutdown()
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: dataDir)
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func waitFor(_ what: String, seconds: Double = 20, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try await !condition() {
        if Date() > deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw TimedOut(what: "a free port") }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
