// Broker: wires the store, topic/offset/group tables, request processors and name-server registration; owns lifecycle.

import ApusGroups
import ApusMessage
import ApusRemoting
import ApusStore
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Dispatch

/// Group state the broker is the authority on; one lock guards all of it.
struct GroupState: Sendable {
    var consumers: ConsumerGroupTable
    var locks = QueueLockTable()
    var progress = ClientProgressTable()
}

public final class Broker: Sendable {
    public let config: BrokerConfig
    let store: MessageStore
    let topics: TopicRegistry
    let offsets: ConsumerOffsetTable
    let subscriptionGroups: SubscriptionGroupTable
    let groups: Mutex<GroupState>
    let connections = Mutex<[UInt64: RemotingConnection]>([:])
    let pullHolds: PullHoldService
    let registrar: NameServerRegistrar
    let storeHost: HostAddress
    let logger: Logger
    /// Where metadata is written (topic/group creation, offset persistence): file writes and fsyncs never run on an
    /// event loop.
    let metadataQueue = DispatchQueue(label: "apus-metadata")
    private let server: Mutex<RemotingServer?> = Mutex(nil)
    private let timers = Mutex<[RepeatedTask]>([])
    private let eventLoopGroup: EventLoopGroup

    public init(config: BrokerConfig, group: EventLoopGroup, logger: Logger) throws {
        guard let host = HostAddress(ip: config.brokerIP1, port: config.listenPort) else {
            throw BrokerError.invalidAddress(config.advertisedAddress)
        }
        self.config = config
        self.storeHost = host
        self.logger = logger
        self.eventLoopGroup = group
        let root = config.store.rootDir
        self.store = try MessageStore(config: config.store, logger: logger)
        self.offsets = try ConsumerOffsetTable(path: root + "/config/consumerOffset.json")
        self.subscriptionGroups = try SubscriptionGroupTable(path: root + "/config/subscriptionGroup.json")
        self.groups = Mutex(GroupState(consumers: ConsumerGroupTable(expiryMillis: config.clientChannelExpiryMillis)))
        self.pullHolds = PullHoldService()
        let registrar = NameServerRegistrar(config: config, group: group, logger: logger)
        self.registrar = registrar
        self.topics = try TopicRegistry(
            table: TopicConfigTable(path: root + "/config/topics.json"), config: config, logger: logger,
            onChange: { registrar.registerSoon() })
        let topics = self.topics
        registrar.setBodyProvider { topics.registrationBody() }
        let holds = pullHolds
        store.setArrivalListener { topic, queueId, maxOffset in
            holds.notifyArrival(topic: topic, queueId: queueId, maxOffset: maxOffset)
        }
    }

    public func start() async throws {
        store.start()
        let server = RemotingServer(host: config.bindAddress ?? config.brokerIP1, port: config.listenPort, group: eventLoopGroup,
                                    processor: BrokerRequestDispatcher(broker: self),
                                    maxFrameLength: config.maxFrameLength, logger: logger)
        try await server.start()
        self.server.withLock { $0 = server }
        startTimers()
        registrar.start()
        logger.info("broker started", metadata: [
            "name": "\(config.brokerName)", "address": "\(config.advertisedAddress)",
            "port": "\(server.localPort ?? config.listenPort)", "flushDiskType": "\(config.store.flushDiskType.rawValue)",
            "dataDir": "\(config.store.rootDir)",
        ])
    }

    public var localPort: Int? { server.withLock { $0?.localPort } }

    /// Clean stop: stop accepting, answer held pulls, persist offsets, flush the log, close connections.
    public func shutdown() async {
        let server = self.server.withLock { $0 }
        await server?.stopAccepting()
        timers.withLock { tasks in
            tasks.forEach { $0.cancel() }
            tasks.removeAll()
        }
        pullHolds.wakeAll()
        persistOffsets()
        await registrar.shutdown()
        store.shutdown()
        await server?.closeAll()
        logger.info("broker stopped")
    }

    private func startTimers() {
        let loop = eventLoopGroup.next()
        let tasks = [
            loop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [self] _ in
                sendDueNotifications()
            },
            loop.scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { [self] _ in
                expireClients()
            },
            loop.scheduleRepeatedTask(initialDelay: .milliseconds(config.flushConsumerOffsetIntervalMillis),
                                      delay: .milliseconds(config.flushConsumerOffsetIntervalMillis)) { [self] _ in
                metadataQueue.async { self.persistOffsets() }
            },
        ]
        timers.withLock { $0.append(contentsOf: tasks) }
    }

    func persistOffsets() {
        do { try offsets.persist() } catch {
            logger.error("cannot persist consumer offsets", metadata: ["error": "\(error)"])
        }
    }

    /// NOTIFY_CONSUMER_IDS_CHANGED, coalesced per group by the group table.
    func sendDueNotifications() {
        let due = groups.withLock { $0.consumers.dueNotifications(now: currentMillis()) }
        guard !due.isEmpty else { return }
        let live = connections.withLock { $0 }
        for notification in due {
            let request = RemotingCommand.request(code: .notifyConsumerIdsChanged,
                                                  extFields: ["consumerGroup": notification.group])
            for id in notification.connections {
                live[id]?.sendOneway(request)
            }
            logger.debug("notified consumer ids changed", metadata: ["group": "\(notification.group)",
                                                                     "members": "\(notification.connections.count)"])
            // Subscription consistency: members of one group that subscribe differently are reported, not merged.
            let differences = groups.withLock { $0.consumers.inconsistencies(of: notification.group) }
            for difference in differences {
                logger.warning("consumers of one group subscribe differently", metadata: [
                    "group": "\(notification.group)", "difference": "\(difference)",
                ])
            }
        }
    }

    func expireClients() {
        let expired = groups.withLock { $0.consumers.expire(now: currentMillis()) }
        let live = connections.withLock { $0 }
        for id in expired {
            logger.info("client heartbeat expired; closing connection", metadata: ["connection": "\(id)"])
            live[id]?.close()
        }
    }
}

public enum BrokerError: Error, CustomStringConvertible {
    case invalidAddress(String)

    public var description: String {
        switch self {
        case let .invalidAddress(address): return "broker address \(address) is not a dotted IPv4 ip:port"
        }
    }
}

extension TopicRegistry {
    func registrationBody() -> RegisterBrokerBody {
        var wire: [String: TopicConfigWire] = [:]
        for topic in table.all() {
            wire[topic.topicName] = TopicConfigWire(
                topicName: topic.topicName, readQueueNums: topic.readQueueNums, writeQueueNums: topic.writeQueueNums,
                perm: topic.perm, topicFilterType: topic.topicFilterType, topicSysFlag: topic.topicSysFlag, order: topic.order)
        }
        let version = table.dataVersion
        return RegisterBrokerBody(topicConfigTable: wire,
                                  dataVersion: DataVersionWire(counter: version.counter, timestamp: version.timestamp),
                                  filterServerList: [])
    }
}
