// The `apus` command: serve (name server + broker in one process), namesrv, broker, bench.

import Dispatch
import Foundation

import ApusBroker
import ApusHTTP
import ApusNameServer
import ApusRemoting
import CLinux
import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

@main
struct Apus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "A RocketMQ-compatible message broker.",
        subcommands: [Serve.self, NameServerCommand.self, BrokerCommand.self, Bench.self, BenchParts.self, Admin.self],
        defaultSubcommand: Serve.self)
}

struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func bootstrap() -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "apus")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct BrokerOptions: ParsableArguments {
    @Option(help: "Data directory (RocketMQ storePathRootDir).")
    var dataDir: String?
    @Option(help: "Broker port (RocketMQ listenPort).")
    var brokerPort: Int?
    @Option(help: "HTTP port for /metrics (Apus httpListenPort; default 8080), bound to --host.")
    var httpPort: Int?
    @Option(help: "Bind and advertised IPv4 address (RocketMQ brokerIP1).")
    var host: String?
    @Option(help: "RocketMQ-style key=value configuration file (broker.conf).")
    var config: String?

    /// Defaults < config file < APUS_<KEY> environment variables < flags.
    func brokerConfig(logger: Logger, namesrvAddr: String?) throws -> BrokerConfig {
        var config = BrokerConfig(storePathRootDir: "./apus-data")
        var unknown: [String] = []
        if let path = self.config {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read config file \(path): \(error)")
            }
            unknown += try config.apply(BrokerConfig.parseProperties(text))
        }
        let environment = ProcessInfo.processInfo.environment
        let fromEnvironment = BrokerConfig.knownKeys.sorted().compactMap { key -> (key: String, value: String)? in
            environment["APUS_" + key.uppercased()].map { (key, $0) }
        }
        unknown += try config.apply(fromEnvironment)
        for key in unknown {
            logger.warning("unknown configuration key ignored", metadata: ["key": "\(key)", "file": "\(self.config ?? "")"])
        }
        if let dataDir { config.store.rootDir = dataDir }
        if let brokerPort { config.listenPort = brokerPort }
        if let httpPort { config.httpListenPort = httpPort }
        if let host {
            config.brokerIP1 = host
            config.bindAddress = host
        }
        if let namesrvAddr { config.namesrvAddr = namesrvAddr }
        return config
    }
}

extension BrokerConfig {
    /// Default: half the cores (at least one), leaving room for the flush thread and co-located clients; on a
    /// 2-core machine one loop measured faster than two (no cross-loop wake-ups between producer and consumer).
    var eventLoopThreads: Int { serverSelectorThreads > 0 ? serverSelectorThreads : max(1, System.coreCount / 2) }
}

/// The name server as a lifecycle service: started (bound) before the group, stopped on graceful shutdown.
struct NameServerService: Service {
    let nameServer: NameServer

    func run() async throws {
        try? await gracefulShutdown()
        await nameServer.shutdown()
    }
}

/// The broker as a lifecycle service: started (bound) before the group, stopped cleanly (offsets, metadata, flush)
/// on graceful shutdown.
struct BrokerService: Service {
    let broker: Broker

    func run() async throws {
        try? await gracefulShutdown()
        await broker.shutdown()
    }
}

extension Error {
    /// A listener's bind failed because the port is taken (NIO: `bind(descriptor:ptr:bytes:): Address already in use`).
    var isAddressInUse: Bool { (self as? IOError)?.errnoCode == EADDRINUSE }
}

/// Prints the one line a taken port ends the command with, naming the port and the flag that changes it.
func portInUse(_ port: Int, flag: String) -> ExitCode {
    FileHandle.standardError.write(Data("apus: port \(port) is already in use; choose another with \(flag)\n".utf8))
    return .failure
}

extension BrokerConfig {
    /// The HTTP API's accounts (aclEnable, aclFile, accessKey/secretKey); read before anything starts.
    func httpACL() throws -> ACLConfig {
        do {
            return try ACLConfig.load(aclEnable: aclEnable, aclFile: aclFile, accessKey: accessKey, secretKey: secretKey)
        } catch {
            FileHandle.standardError.write(Data("apus: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The HTTP server on httpListenPort, bound like the broker port, serving `metrics` at /metrics and the
    /// ApsaraMQ HTTP API (publish, consume, ack) on `broker`.
    func httpServer(metrics: MetricsCollector, broker: Broker, acl: ACLConfig, logger: Logger) -> HTTPServer {
        let host = bindAddress ?? brokerIP1
        return HTTPServer(host: host, port: httpListenPort, collector: metrics,
                          mq: MQEndpoint(publisher: broker, consumer: broker, acl: acl, hostId: "http://\(host):\(httpListenPort)",
                                         maxLongPolls: httpMaxLongPolls, logger: logger), logger: logger)
    }
}

/// Runs the services until SIGINT or SIGTERM, then shuts them down in reverse order (HTTP, broker, name server),
/// then the event loops. The name server and broker are started (bound) before, so a taken port of theirs ends the
/// command before anything else runs; the HTTP port's is reported the same way.
func runServices(_ services: [any Service], group: MultiThreadedEventLoopGroup, logger: Logger) async throws {
    let serviceGroup = ServiceGroup(configuration: .init(
        services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                                       failureTerminationBehavior: .gracefullyShutdownGroup) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    do {
        try await serviceGroup.run()
    } catch let error as HTTPPortInUse {
        try? await group.shutdownGracefully()
        throw portInUse(error.port, flag: "--http-port")
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
    logger.info("stopped")
    try? await group.shutdownGracefully()
}

/// A command's event loops, each thread named `<prefix><n>` from 1 (Linux allows 15 bytes). NIO names its threads
/// `NIO-ELT-<group>-#<n>` in every Swift process alike, so `top -H`, `perf` and a scheduler trace could not tell a
/// broker's loop from its clients'. Each loop's time slice is governed by `LoopSlice` from `sliceNanos` (0: left to the
/// kernel).
func makeEventLoops(_ count: Int, namedFrom prefix: String, sliceNanos: UInt64) -> MultiThreadedEventLoopGroup {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: count)
    for (index, loop) in group.makeIterator().enumerated() {
        loop.execute {
            _ = pthread_setname_np(pthread_self(), "\(prefix)\(index + 1)")
            LoopSlice.enable(sliceNanos: sliceNanos)
        }
    }
    return group
}

/// The server commands' glibc malloc thresholds (see `MallocPolicy`), logged once.
func applyMallocPolicy(logger: Logger) {
    switch MallocPolicy.apply(environment: ProcessInfo.processInfo.environment) {
    case .set:
        logger.debug("malloc thresholds set", metadata: ["trim": "\(MallocPolicy.trimThreshold)", "mmap": "\(MallocPolicy.mmapThreshold)"])
    case .leftToTunables:
        logger.info("malloc thresholds left to GLIBC_TUNABLES")
    case .unavailable:
        logger.warning("malloc thresholds could not be set; the C library's defaults stay")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run name server and broker in one process (no configuration needed).")

    @OptionGroup var broker: BrokerOptions
    @Option(help: "Name server port.")
    var namesrvPort: Int = 9876
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        applyMallocPolicy(logger: logger)
        let host = broker.host ?? "127.0.0.1"
        let config = try broker.brokerConfig(logger: logger, namesrvAddr: "\(host):\(namesrvPort)")
        let acl = try config.httpACL()
        let group = makeEventLoops(config.eventLoopThreads, namedFrom: "apus-loop-", sliceNanos: config.loopSliceNanos)
        let nameServer = NameServer(host: host, port: namesrvPort, group: group, logger: logger)
        do { try await nameServer.start() } catch where error.isAddressInUse {
            throw portInUse(namesrvPort, flag: "--namesrv-port")
        }
        let brokerInstance = try Broker(config: config, group: group, logger: logger)
        do { try await brokerInstance.start() } catch where error.isAddressInUse {
            await brokerInstance.shutdown()
            await nameServer.shutdown()
            throw portInUse(config.listenPort, flag: "--broker-port")
        }
        // apus_alert_firing comes with the broker; further gauges plug in here: metrics.addProvider { … }.
        let metrics = MetricsCollector(broker: brokerInstance)
        try await runServices([
            NameServerService(nameServer: nameServer), BrokerService(broker: brokerInstance),
            config.httpServer(metrics: metrics, broker: brokerInstance, acl: acl, logger: logger),
        ], group: group, logger: logger)
    }
}

struct NameServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "namesrv", abstract: "Run a name server.")

    @Option(help: "Bind address.")
    var host: String = "127.0.0.1"
    @Option(help: "Name server port.")
    var namesrvPort: Int = 9876
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let group = makeEventLoops(System.coreCount, namedFrom: "apus-loop-", sliceNanos: 0)
        let nameServer = NameServer(host: host, port: namesrvPort, group: group, logger: logger)
        do { try await nameServer.start() } catch where error.isAddressInUse {
            throw portInUse(namesrvPort, flag: "--namesrv-port")
        }
        try await runServices([NameServerService(nameServer: nameServer)], group: group, logger: logger)
    }
}

struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "broker", abstract: "Run a broker that registers with name servers.")

    @OptionGroup var broker: BrokerOptions
    @Option(help: "Name server addresses, host:port[;host:port] (RocketMQ namesrvAddr).")
    var namesrv: String?
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        applyMallocPolicy(logger: logger)
        let config = try broker.brokerConfig(logger: logger, namesrvAddr: namesrv)
        let acl = try config.httpACL()
        let group = makeEventLoops(config.eventLoopThreads, namedFrom: "apus-loop-", sliceNanos: config.loopSliceNanos)
        let brokerInstance = try Broker(config: config, group: group, logger: logger)
        do { try await brokerInstance.start() } catch where error.isAddressInUse {
            await brokerInstance.shutdown()
            throw portInUse(config.listenPort, flag: "--broker-port")
        }
        // apus_alert_firing comes with the broker; further gauges plug in here: metrics.addProvider { … }.
        let metrics = MetricsCollector(broker: brokerInstance)
        try await runServices([BrokerService(broker: brokerInstance), config.httpServer(metrics: metrics, broker: brokerInstance, acl: acl, logger: logger)],
                              group: group, logger: logger)
    }
}
