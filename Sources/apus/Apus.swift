// The `apus` command: serve (name server + broker in one process), namesrv, broker, bench.

import Dispatch
import Foundation

import ApusBroker
import ApusNameServer
import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import Synchronization

@main
struct Apus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "A RocketMQ-compatible message broker.",
        subcommands: [Serve.self, NameServerCommand.self, BrokerCommand.self, Bench.self, Admin.self],
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
    @Option(help: "Reserved for the HTTP API; accepted and ignored for now.")
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

/// Runs until SIGINT or SIGTERM.
func waitForTerminationSignal() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let once = SignalOnce(continuation)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { once.fire() }
            source.resume()
            SignalOnce.keep(source)
        }
    }
}

/// Resumes the waiting task on the first signal only.
final class SignalOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<Void, Never>?>
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = Mutex(continuation) }

    /// Called only from `waitForTerminationSignal`, once per signal, before any signal can fire.
    static func keep(_ source: DispatchSourceSignal) { sources.append(source) }

    func fire() {
        continuation.withLock { c in
            c?.resume()
            c = nil
        }
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

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run name server and broker in one process (no configuration needed).")

    @OptionGroup var broker: BrokerOptions
    @Option(help: "Name server port.")
    var namesrvPort: Int = 9876
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let host = broker.host ?? "127.0.0.1"
        let config = try broker.brokerConfig(logger: logger, namesrvAddr: "\(host):\(namesrvPort)")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: config.eventLoopThreads)
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
        await waitForTerminationSignal()
        logger.info("shutting down")
        await brokerInstance.shutdown()
        await nameServer.shutdown()
        try? await group.shutdownGracefully()
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
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let nameServer = NameServer(host: host, port: namesrvPort, group: group, logger: logger)
        do { try await nameServer.start() } catch where error.isAddressInUse {
            throw portInUse(namesrvPort, flag: "--namesrv-port")
        }
        await waitForTerminationSignal()
        await nameServer.shutdown()
        try? await group.shutdownGracefully()
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
        let config = try broker.brokerConfig(logger: logger, namesrvAddr: namesrv)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: config.eventLoopThreads)
        let brokerInstance = try Broker(config: config, group: group, logger: logger)
        do { try await brokerInstance.start() } catch where error.isAddressInUse {
            await brokerInstance.shutdown()
            throw portInUse(config.listenPort, flag: "--broker-port")
        }
        await waitForTerminationSignal()
        await brokerInstance.shutdown()
        try? await group.shutdownGracefully()
    }
}
