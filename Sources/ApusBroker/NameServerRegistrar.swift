// NameServerRegistrar: REGISTER_BROKER to every configured name server at start, every registerNameServerPeriod,
// soon after any topic change (coalesced), and again shortly after a round that failed (a name server not up yet:
// 0.5 s, doubling up to the period); UNREGISTER_BROKER at shutdown.

import ApusRemoting
import Logging
import NIOCore
import Synchronization

final class NameServerRegistrar: Sendable {
    private struct State {
        var clients: [String: RemotingClient] = [:]
        var bodyProvider: (@Sendable () -> RegisterBrokerBody)?
        var pending = false
        /// Rounds failed in a row, and whether a retry is scheduled.
        var failures = 0
        var retryScheduled = false
        var periodic: RepeatedTask?
        /// Registration happens between `start` and `shutdown` only (the start registers everything anyway).
        var started = false
        var stopped = false
    }

    /// Registration rounds under way: `shutdown` waits for them, so that none is still connecting when the broker
    /// shuts its event loops down.
    private let rounds = BackgroundTasks()
    private let config: BrokerConfig
    private let group: EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())
    private let addresses: [(host: String, port: Int)]

    init(config: BrokerConfig, group: EventLoopGroup, logger: Logger) {
        self.config = config
        self.group = group
        self.logger = logger
        self.addresses = config.namesrvAddr.split(separator: ";").compactMap { entry in
            let text = entry.trimmingWhitespace()
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
            return (String(text[..<colon]), port)
        }
    }

    func setBodyProvider(_ provider: @escaping @Sendable () -> RegisterBrokerBody) {
        state.withLock { $0.bodyProvider = provider }
    }

    func start() {
        state.withLock { $0.started = true }  // before the first round, whose failure schedules a retry
        let task = group.next().scheduleRepeatedTask(initialDelay: .zero,
                                                     delay: .milliseconds(config.registerNameServerPeriodMillis)) { [self] _ in
            startRound()
        }
        state.withLock { $0.periodic = task }
    }

    /// The wait before registering again after `failures` failed rounds in a row: 0.5 s, doubling, at most `period`.
    static func retryDelayMillis(failures: Int, period: Int64) -> Int64 {
        min(period, Int64(500) << min(max(failures, 1) - 1, 20))
    }

    /// A broker started together with its name server may try before the name server listens: it is visible seconds
    /// later, not a whole period later.
    private func retryAfterFailure() {
        let delay: Int64? = state.withLock { state in
            state.failures += 1
            guard state.started, !state.stopped, !state.retryScheduled else { return nil }
            state.retryScheduled = true
            return Self.retryDelayMillis(failures: state.failures, period: config.registerNameServerPeriodMillis)
        }
        guard let delay else { return }
        group.next().scheduleTask(in: .milliseconds(delay)) { [self] in
            state.withLock { $0.retryScheduled = false }
            startRound()
        }
    }

    /// Registers shortly, once, however many changes ask for it meanwhile.
    func registerSoon() {
        let schedule = state.withLock { state -> Bool in
            guard state.started, !state.pending, !state.stopped else { return false }
            state.pending = true
            return true
        }
        guard schedule else { return }
        group.next().scheduleTask(in: .milliseconds(10)) { [self] in
            state.withLock { $0.pending = false }
            startRound()
        }
    }

    /// Starts a registration round in the background, unless the registrar has stopped.
    private func startRound() {
        rounds.run { [self] in await registerAll() }
    }

    func shutdown() async {
        let task = state.withLock { state in
            state.stopped = true
            return state.periodic
        }
        task?.cancel()
        await rounds.stopAndWait()
        for (address, client) in state.withLock({ $0.clients }) {
            let request = RemotingCommand.request(code: .unregisterBroker, header: UnregisterBrokerRequestHeader(
                brokerName: config.brokerName, brokerAddr: config.advertisedAddress, clusterName: config.brokerClusterName,
                brokerId: config.brokerId))
            do { _ = try await client.request(request, timeout: .seconds(1)) } catch {
                logger.debug("unregister from name server failed", metadata: ["namesrv": "\(address)", "error": "\(error)"])
            }
            await client.close()
        }
    }

    /// One registration round with every name server; returns when each has answered or failed.
    func registerAll() async {
        let (provider, stopped) = state.withLock { ($0.bodyProvider, $0.stopped) }
        guard let provider, !stopped else { return }
        let body = provider().encode()
        let header = RegisterBrokerRequestHeader(brokerName: config.brokerName, brokerAddr: config.advertisedAddress,
                                                 clusterName: config.brokerClusterName, brokerId: config.brokerId)
        let allRegistered = await withTaskGroup(of: Bool.self) { tasks in
            for (host, port) in addresses {
                let address = "\(host):\(port)"
                tasks.addTask { [self] in
                    do {
                        let client = try await connection(host: host, port: port)
                        let response = try await client.request(.request(code: .registerBroker, header: header, body: body),
                                                                timeout: .seconds(3))
                        if response.code != ResponseCode.success.rawValue {
                            logger.warning("name server refused registration", metadata: ["namesrv": "\(address)", "remark": "\(response.remark ?? "")"])
                            return false
                        }
                        return true
                    } catch {
                        logger.warning("cannot register with name server", metadata: ["namesrv": "\(address)", "error": "\(error)"])
                        state.withLock { $0.clients[address] = nil }
                        return false
                    }
                }
            }
            return await tasks.allSatisfy { $0 }
        }
        if allRegistered {
            state.withLock { $0.failures = 0 }
        } else {
            retryAfterFailure()
        }
    }

    private func connection(host: String, port: Int) async throws -> RemotingClient {
        let address = "\(host):\(port)"
        if let existing = state.withLock({ $0.clients[address] }), existing.isActive { return existing }
        let client = try await RemotingClient.connect(host: host, port: port, group: group, logger: logger)
        state.withLock { $0.clients[address] = client }
        return client
    }
}
