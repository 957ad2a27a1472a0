// NameServer: serves broker registration (103/104), topic routes (105, 106, 206), and the admin codes — topics by
// cluster (224), system topics (304), topic deletion (216), KV config (100, 101, 102, 219), write permission (205,
// 327) — over remoting, expiring silent brokers.

import ApusMessage
import ApusRemoting
import Logging
import NIOCore
import NIOPosix
import Synchronization

public final class NameServer: Sendable {
    private let processor: NameServerProcessor
    private let server: RemotingServer
    private let group: EventLoopGroup
    private let expiryTask = Mutex<RepeatedTask?>(nil)
    private let logger: Logger

    public init(host: String, port: Int, group: EventLoopGroup, expiryMillis: Int64 = 120_000, logger: Logger) {
        self.processor = NameServerProcessor(table: RouteInfoTable(expiryMillis: expiryMillis), logger: logger)
        self.server = RemotingServer(host: host, port: port, group: group, processor: processor, logger: logger)
        self.group = group
        self.logger = logger
    }

    public func start() async throws {
        try await server.start()
        let processor = self.processor
        let task = group.next().scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { _ in
            processor.expire()
        }
        expiryTask.withLock { $0 = task }
        logger.info("name server listening", metadata: ["port": "\(server.localPort ?? 0)"])
    }

    public var localPort: Int? { server.localPort }

    public func shutdown() async {
        expiryTask.withLock { $0?.cancel() }
        await server.stopAccepting()
        await server.closeAll()
    }

    /// Current route of a topic (tests and admin).
    public func route(topic: String) -> TopicRouteData? { processor.route(topic: topic) }
}

final class NameServerProcessor: RemotingRequestProcessor {
    private let table: Mutex<RouteInfoTable>
    private let kvConfig = Mutex(KVConfigTable())
    private let logger: Logger

    init(table: RouteInfoTable, logger: Logger) {
        self.table = Mutex(table)
        self.logger = logger
    }

    func route(topic: String) -> TopicRouteData? { table.withLock { $0.route(topic: topic) } }

    func expire() {
        let gone = table.withLock { $0.expire(now: currentMillis()) }
        for addr in gone { logger.warning("broker expired", metadata: ["broker": "\(addr)"]) }
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) {
        let response: RemotingCommand
        switch RequestCode(rawValue: request.code) {
        case .getRouteinfoByTopic:
            let topic = (try? request.decodeHeader(GetRouteInfoRequestHeader.self))?.topic ?? ""
            if let route = route(topic: topic) {
                response = .response(to: request, code: .success, body: route.encode())
            } else {
                response = .response(to: request, code: .topicNotExist,
                                     remark: "No topic route info in name server for the topic: \(topic)")
            }
        case .registerBroker:
            response = register(request, connection: connection)
        case .unregisterBroker:
            do {
                let header: UnregisterBrokerRequestHeader = try request.decodeHeader()
                table.withLock { $0.unregister(brokerName: header.brokerName, brokerAddr: header.brokerAddr, brokerId: header.brokerId) }
                response = .response(to: request, code: .success)
            } catch {
                response = .response(to: request, code: .systemError, remark: "\(error)")
            }
        case .getBrokerClusterInfo:
            response = .response(to: request, code: .success, body: table.withLock { $0.clusterInfo }.encode())
        case .getAllTopicListFromNameserver:
            response = .response(to: request, code: .success, body: TopicList(topicList: table.withLock { $0.topics }).encode())
        case .putKVConfig, .getKVConfig, .deleteKVConfig, .getKVListByNamespace:
            response = kv(request)
        case .getTopicsByCluster:
            if let header = try? request.decodeHeader(TopicsByClusterRequestHeader.self) {
                response = .response(to: request, code: .success,
                                     body: TopicList(topicList: table.withLock { $0.topics(inCluster: header.cluster) }).encode())
            } else {
                response = .response(to: request, code: .success, body: TopicList(topicList: []).encode())
            }
        case .wipeWritePermOfBroker, .addWritePermOfBroker:
            do {
                let header: BrokerNameRequestHeader = try request.decodeHeader()
                let wipe = request.code == RequestCode.wipeWritePermOfBroker.rawValue
                let count = table.withLock {
                    wipe ? $0.wipeWritePermission(brokerName: header.brokerName) : $0.addWritePermission(brokerName: header.brokerName)
                }
                logger.info(wipe ? "write permission wiped" : "write permission added",
                            metadata: ["broker": "\(header.brokerName)", "topics": "\(count)"])
                response = .response(to: request, code: .success,
                                     header: WritePermCountHeader(kind: wipe ? .wipe : .add, count: Int32(count)))
            } catch {
                response = .response(to: request, code: .systemError, remark: "\(error)")
            }
        case .getSystemTopicListFromNs:
            let (topics, addr) = table.withLock { $0.systemTopicList }
            response = .response(to: request, code: .success, body: TopicList(topicList: topics, brokerAddr: addr).encode())
        case .deleteTopicInNamesrv:
            do {
                let header: DeleteTopicFromNamesrvRequestHeader = try request.decodeHeader()
                table.withLock { $0.deleteTopic(header.topic, clusterName: header.clusterName) }
                logger.info("topic deleted", metadata: ["topic": "\(header.topic)", "cluster": "\(header.clusterName ?? "*")"])
                response = .response(to: request, code: .success)
            } catch {
                response = .response(to: request, code: .systemError, remark: "\(error)")
            }
        default:
            logger.info("unsupported request code", metadata: ["code": "\(request.code)", "peer": "\(connection.remoteAddress?.description ?? "?")"])
            response = .response(to: request, code: .requestCodeNotSupported,
                                 remark: " request type \(request.code) not supported")
        }
        connection.write(response)
    }

    private func register(_ request: RemotingCommand, connection: RemotingConnection) -> RemotingCommand {
        let header: RegisterBrokerRequestHeader
        do { header = try request.decodeHeader() } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let brokerName = header.brokerName, brokerAddr = header.brokerAddr
        let body: RegisterBrokerBody
        do {
            body = try request.body.map { try RegisterBrokerBody.decode($0) }
                ?? RegisterBrokerBody(topicConfigTable: [:], dataVersion: DataVersionWire(counter: 0, timestamp: 0), filterServerList: [])
        } catch {
            logger.warning("bad REGISTER_BROKER body", metadata: ["broker": "\(brokerAddr)", "error": "\(error)"])
            return .response(to: request, code: .systemError, remark: "register body cannot be parsed: \(error)")
        }
        let registration = BrokerRegistration(
            clusterName: header.clusterName, brokerName: brokerName, brokerAddr: brokerAddr,
            brokerId: header.brokerId, topics: Array(body.topicConfigTable.values), dataVersion: body.dataVersion)
        let isNew = table.withLock { table in
            let known = table.clusterInfo.brokerAddrTable[brokerName]?.brokerAddrs.values.contains(brokerAddr) ?? false
            table.register(registration, connection: connection.id, now: currentMillis())
            return !known
        }
        if isNew { logger.info("broker registered", metadata: ["broker": "\(brokerName)", "addr": "\(brokerAddr)"]) }
        return .response(to: request, code: .success, header: RegisterBrokerResponseHeader())
    }

    /// KV config (admin.md §3.6), with Java's answers for missing fields and absent items.
    private func kv(_ request: RemotingCommand) -> RemotingCommand {
        let header = (try? request.decodeHeader(KVConfigRequestHeader.self)) ?? KVConfigRequestHeader(namespace: nil)
        guard let namespace = header.namespace else {
            return .response(to: request, code: .systemError, remark: "namespace or key is null")
        }
        switch RequestCode(rawValue: request.code) {
        case .getKVListByNamespace:
            guard let table = kvConfig.withLock({ $0.list(namespace: namespace) }) else {
                return .response(to: request, code: .queryNotFound, remark: "No config item, Namespace: \(namespace)")
            }
            return .response(to: request, code: .success, body: KVTable(table: table).encode())
        default:
            break
        }
        guard let key = header.key else { return .response(to: request, code: .systemError, remark: "namespace or key is null") }
        switch RequestCode(rawValue: request.code) {
        case .putKVConfig:
            kvConfig.withLock { $0.put(namespace: namespace, key: key, value: header.value ?? "") }
            return .response(to: request, code: .success)
        case .getKVConfig:
            guard let value = kvConfig.withLock({ $0.get(namespace: namespace, key: key) }) else {
                return .response(to: request, code: .queryNotFound, remark: "No config item, Namespace: \(namespace) Key: \(key)")
            }
            return .response(to: request, code: .success, header: KVConfigValueHeader(value: value))
        default:
            kvConfig.withLock { $0.delete(namespace: namespace, key: key) }
            return .response(to: request, code: .success)
        }
    }

    func readComplete(on connection: RemotingConnection) {}
    func connectionActive(_ connection: RemotingConnection) {}

    func connectionClosed(_ connection: RemotingConnection) {
        let gone = table.withLock { $0.connectionClosed(connection.id) }
        for addr in gone { logger.info("broker connection closed; removed", metadata: ["broker": "\(addr)"]) }
    }
}
