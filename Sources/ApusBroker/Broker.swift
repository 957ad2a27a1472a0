// Broker: builds the store, the metadata tables and the transport-independent services, serves them over RocketMQ
// remoting, registers with name servers, and owns the lifecycle (start, periodic work, clean shutdown).

import ApusGroups
import ApusMessage
import ApusRemoting
import ApusStore
import Dispatch
import Logging
import NIOCore
import NIOPosix
import Synchronization

public final class Broker: Sendable {
    public let config: BrokerConfig
    /// The settings now: `config` plus the changes made by UPDATE_BROKER_CONFIG.
    let settings: RuntimeSettings
    let store: MessageStore
    let topics: TopicRegistry
    let groups: GroupService
    let offsets: OffsetService
    let consume: ConsumeService
    let send: SendService
    let retry: RetryService
    let schedule: ScheduleService
    let admin: AdminService
    let stats: StatsService
    let alerts: AlertService
    let pullHolds: PullHoldService
    let httpConsume: HTTPConsumeService
    let transactions: TransactionService
    let registrar: NameServerRegistrar
    let storeHost: HostAddress
    let logger: Logger
    /// Repeated warnings of one kind from one peer are rate-limited (a misbehaving client cannot fill the disk).
    let logLimiter = LogRateLimiter()
    /// Dispatch time per request code (exported as apus_request_duration_seconds).
    public let requestLatency = RequestLatencyTable()
    private let server: Mutex<RemotingServer?> = Mutex(nil)
    private let timers = Mutex<[RepeatedTask]>([])
    /// Sends NOTIFY_CONSUMER_IDS_CHANGED when a coalesced membership change is due (poked by the group service); ticks
    /// no closer than the group table's coalescing delay, so a poke's tick is when that change is due.
    private let notifier = TickLoop(label: "apus-notify", minimumMillis: ConsumerGroupTable.defaultNotifyDelayMillis)
    /// The last subscription-consistency verdict of each group: a change is logged once.
    private let verdicts = Mutex(SubscriptionVerdictTracker())
    private let eventLoopGroup: EventLoopGroup

    public init(config: BrokerConfig, group: EventLoopGroup, logger: Logger) throws {
        guard let host = HostAddress(ip: config.brokerIP1, port: config.listenPort) else {
            throw BrokerError.invalidAddress(config.advertisedAddress)
        }
        self.config = config
        let settings = RuntimeSettings(config, now: currentMillis())
        self.settings = settings
        self.storeHost = host
        self.logger = logger
        self.eventLoopGroup = group
        let root = config.store.rootDir
        let store = try MessageStore(config: config.store, logger: logger)
        self.store = store
        let registrar = NameServerRegistrar(config: config, group: group, logger: logger)
        self.registrar = registrar
        let topicTable = try TopicConfigTable(path: root + "/config/topics.json")
        let topics = try TopicRegistry(
            table: topicTable, config: config, settings: settings, logger: logger,
            onChange: { registrar.registerSoon() },
            onCreate: { topic in
                let name = topic.topicName
                store.prepareQueuesSoon(topic: name, count: max(topic.readQueueNums, topic.writeQueueNums),
                                        stillExists: { topicTable.get(name) != nil })
            })
        self.topics = topics
        registrar.setBodyProvider { topics.registrationBody() }
        let groupConfigs = try SubscriptionGroupTable(path: root + "/config/subscriptionGroup.json")
        groups = GroupService(configs: groupConfigs, topics: topics, settings: settings,
                              expiryMillis: config.clientChannelExpiryMillis)
        let stats = StatsService(clusterName: config.brokerClusterName)
        self.stats = stats
        let offsetTable = try ConsumerOffsetTable(path: root + "/config/consumerOffset.json")
        offsets = OffsetService(table: offsetTable, groups: groups, store: store)
        consume = ConsumeService(store: store, topics: topics, groups: groups, offsets: offsets,
                                 settings: settings, stats: stats)
        let schedule = try ScheduleService(
            rules: DeliveryTime(levels: config.messageDelayLevels, maxDelayMillis: config.timerMaxDelaySec * 1000),
            store: store, directory: root + "/schedule", logger: logger)
        self.schedule = schedule
        send = SendService(topics: topics, groupConfigs: groupConfigs, schedule: schedule, store: store, storeHost: host,
                           clusterName: config.brokerClusterName, maxMessageSize: config.maxMessageSize, stats: stats)
        retry = RetryService(groups: groups, topics: topics, schedule: schedule, store: store, logger: logger, stats: stats)
        admin = AdminService(store: store, topics: topics, groups: groups, offsetTable: offsetTable, stats: stats,
                             settings: settings, bootTimestamp: settings.current.version.timestamp)
        alerts = AlertService(rulesFile: config.alertRulesFile, admin: admin, groups: groups, brokerName: config.brokerName,
                              eventLoopGroup: group, logger: logger)
        let transactions = TransactionService(
            rules: TransactionRules(timeoutMillis: config.transactionTimeOutMillis,
                                    checkIntervalMillis: config.transactionCheckIntervalMillis,
                                    checkMax: config.transactionCheckMax),
            store: store, schedule: schedule, storeHost: host, logger: logger)
        self.transactions = transactions
        store.setRetentionFloor {
            let floors = [schedule.retentionFloor(), transactions.retentionFloor()].compactMap { $0 }
            return floors.min()
        }
        let holds = PullHoldService()
        pullHolds = holds
        let httpConsume = try HTTPConsumeService(
            store: store, topics: topics, groups: groups, offsets: offsets, retry: retry, stats: stats, logger: logger,
            path: root + "/config/httpConsumption.json", invisibleMillis: config.httpConsumeInvisibleTimeSeconds * 1000,
            orderlyInvisibleMillis: config.httpConsumeOrderlyInvisibleTimeSeconds * 1000,
            memberExpiryMillis: config.clientChannelExpiryMillis)
        self.httpConsume = httpConsume
        store.setArrivalListener { topic, queueId, maxOffset in
            holds.notifyArrival(topic: topic, queueId: queueId, maxOffset: maxOffset)
            httpConsume.notifyArrival(topic: topic)
            // Lengths first: comparing a topic's bytes with each name cost about 90 instructions per arrival.
            let length = topic.utf8.count
            if length == ScheduleService.topic.utf8.count, topic == ScheduleService.topic {
                schedule.poke()
            } else if length == TransactionService.halfTopic.utf8.count, topic == TransactionService.halfTopic {
                transactions.poke()
            }
        }
    }

    public func start() async throws {
        store.start()
        schedule.start()
        let server = RemotingServer(host: config.bindAddress ?? config.brokerIP1, port: config.listenPort, group: eventLoopGroup,
                                    processor: BrokerRequestDispatcher(broker: self),
                                    maxFrameLength: config.maxFrameLength, logger: logger, logLimiter: logLimiter)
        try await server.start()
        self.server.withLock { $0 = server }
        startTimers()
        transactions.setChecker { [weak self] group, check in self?.sendTransactionCheck(group: group, check) ?? false }
        transactions.start()
        alerts.start()
        registrar.start()
        logger.info("broker started", metadata: [
            "name": "\(config.brokerName)", "address": "\(config.advertisedAddress)",
            "port": "\(server.localPort ?? config.listenPort)", "flushDiskType": "\(config.store.flushDiskType.rawValue)",
            "dataDir": "\(config.store.rootDir)",
        ])
    }

    /// For the metrics endpoint: `apus_alert_firing{rule,group,topic}` samples (AlertService.firingGauges).
    public func alertFiringGauges() -> [(labels: [(String, String)], value: Double)] { alerts.firingGauges() }

    public var localPort: Int? { server.withLock { $0?.localPort } }

    /// Clean stop: stop accepting, answer held pulls, persist offsets and the schedule, flush the log, close
    /// connections.
    public func shutdown() async {
        let server = self.server.withLock { $0 }
        await server?.stopAccepting()
        timers.withLock { tasks in
            tasks.forEach { $0.cancel() }
            tasks.removeAll()
        }
        notifier.stop()
        pullHolds.wakeAll()
        httpConsume.wakeAll()
        await alerts.shutdown()
        schedule.shutdown()
        transactions.shutdown()
        httpConsume.persistNow()
        persistOffsets()
        persistMetadata()
        await registrar.shutdown()
        store.shutdown()
        await server?.closeAll()
        logger.info("broker stopped")
    }

    private func startTimers() {
        groups.onMembershipChange { [notifier] in notifier.poke() }
        notifier.start { [self] now in sendDueNotifications(now: now) }
        let loop = eventLoopGroup.next()
        let tasks = [
            loop.scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { [self] _ in
                expireClients()
                stats.tick(now: currentMillis())
            },
            loop.scheduleRepeatedTask(initialDelay: .milliseconds(config.flushConsumerOffsetIntervalMillis),
                                      delay: .milliseconds(config.flushConsumerOffsetIntervalMillis)) { [self] _ in
                DispatchQueue.global().async { self.persistOffsets() }
            },
        ]
        timers.withLock { $0.append(contentsOf: tasks) }
    }

    func persistOffsets() {
        do { try offsets.persist() } catch {
            logger.error("cannot persist consumer offsets", metadata: ["error": "\(error)"])
        }
    }

    /// Writes topic and group changes still queued for the background writer.
    func persistMetadata() {
        do {
            try topics.table.persistNow()
            try groups.configs.persistNow()
        } catch {
            logger.error("cannot persist topics or subscription groups", metadata: ["error": "\(error)"])
        }
    }

    /// A client's live connection (broker → client requests: notifications, offset resets).
    func connection(_ id: ConnectionID) -> RemotingConnection? {
        server.withLock { $0 }?.connection(id)
    }

    /// NOTIFY_CONSUMER_IDS_CHANGED, coalesced per group by the group table; returns when the next ones are due.
    func sendDueNotifications(now: Int64) -> Int64 {
        let (due, next) = groups.dueNotifications(now: now)
        for (notification, differences) in due {
            let request = RemotingCommand.request(code: .notifyConsumerIdsChanged,
                                                  header: NotifyConsumerIdsChangedRequestHeader(consumerGroup: notification.group))
            for id in notification.connections {
                connection(id)?.sendOneway(request)
            }
            logger.debug("notified consumer ids changed", metadata: ["group": "\(notification.group)",
                                                                     "members": "\(notification.connections.count)"])
            // Subscription consistency: members of one group that subscribe differently are reported, not merged —
            // logged once when the group's verdict changes, not at every membership notification.
            let verdict = SubscriptionVerdict(differences: differences)
            if let changed = verdicts.withLock({ $0.update(group: notification.group, verdict: verdict) }) {
                if changed.isConsistent {
                    logger.notice("consumers of one group subscribe consistently again", metadata: ["group": "\(notification.group)"])
                } else {
                    logger.warning("consumers of one group subscribe differently", metadata: [
                        "group": "\(notification.group)", "verdict": "\(changed)",
                    ])
                }
            }
        }
        return next ?? .max
    }

    /// CHECK_TRANSACTION_STATE (39), one-way, to one live connection of the producer group (spec §2.17): the header
    /// names the half, the body is its record with the real topic and queue.
    func sendTransactionCheck(group: String, _ check: TransactionCheck) -> Bool {
        let candidates = groups.state.withLock { $0.clients.producerConnections(of: group) }
        guard let connection = candidates.shuffled().lazy.compactMap({ self.connection($0) }).first else { return false }
        let header = CheckTransactionStateRequestHeader(
            tranStateTableOffset: check.half.queueOffset, commitLogOffset: check.half.commitLogOffset,
            msgId: check.uniqueKey, transactionId: check.uniqueKey,
            offsetMsgId: MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: check.half.commitLogOffset))
        let m = check.message
        let record = StoredMessageCodec.encode(
            MessageToStore(topic: m.topic, queueId: m.queueId, flag: m.flag, body: m.body,
                           properties: m.properties, sysFlag: m.sysFlag, bornTimestamp: m.bornTimestamp, bornHost: m.bornHost,
                           storeHost: m.storeHost, reconsumeTimes: m.reconsumeTimes,
                           preparedTransactionOffset: m.preparedTransactionOffset, tagsCode: 0),
            queueOffset: m.queueOffset, physicalOffset: m.physicalOffset, storeTimestamp: m.storeTimestamp)
        var request = RemotingCommand.request(code: .checkTransactionState, header: header)
        request.body = ByteBuffer(bytes: record)
        connection.sendOneway(request)
        logger.debug("sent a transaction check", metadata: ["producerGroup": "\(group)", "checks": "\(check.half.checks)"])
        return true
    }

    func expireClients() {
        for id in groups.expire(now: currentMillis()) {
            logger.info("client heartbeat expired; closing connection", metadata: ["connection": "\(id)"])
            connection(id)?.close()
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
