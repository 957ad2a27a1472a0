// BrokerRequestDispatcher: routes each request code to its processor; unknown codes get REQUEST_CODE_NOT_SUPPORTED.
// Processors are thin translators between remoting frames and the broker's services.

import ApusMessage
import ApusRemoting
import Dispatch
import Logging

final class BrokerRequestDispatcher: RemotingRequestProcessor {
    private let broker: Broker
    private let send: SendMessageProcessor
    private let pull: PullMessageProcessor
    private let consumerManage: ConsumerManageProcessor
    private let clientManage: ClientManageProcessor
    private let queueLock: QueueLockProcessor
    private let sendBack: SendBackProcessor
    private let queueInfo: QueueInfoProcessor
    private let admin: AdminBrokerProcessor
    private let alertState: AlertStateProcessor
    private let endTransaction: EndTransactionProcessor

    init(broker: Broker) {
        self.broker = broker
        send = SendMessageProcessor(service: broker.send, latency: broker.requestLatency, logger: broker.logger,
                                    limiter: broker.logLimiter)
        pull = PullMessageProcessor(consume: broker.consume, holds: broker.pullHolds, store: broker.store,
                                    settings: broker.settings, maxHoldMillis: broker.config.maxPullHoldMillis)
        consumerManage = ConsumerManageProcessor(offsets: broker.offsets, groups: broker.groups)
        clientManage = ClientManageProcessor(groups: broker.groups, logger: broker.logger, limiter: broker.logLimiter,
                                             publishTopics: { [registrar = broker.registrar] in await registrar.registerAll() })
        queueLock = QueueLockProcessor(groups: broker.groups)
        sendBack = SendBackProcessor(retry: broker.retry)
        queueInfo = QueueInfoProcessor(store: broker.store)
        alertState = AlertStateProcessor(alerts: broker.alerts)
        endTransaction = EndTransactionProcessor(transactions: broker.transactions, send: broker.send, logger: broker.logger,
                                                 limiter: broker.logLimiter)
        admin = AdminBrokerProcessor(admin: broker.admin, logger: broker.logger,
                                     tell: { [weak broker] id, command in broker?.connection(id)?.sendOneway(command) },
                                     call: { [weak broker] id, command, timeout in broker?.connection(id)?.request(command, timeout: timeout) })
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) {
        let start = connection.readStarted
        let response: RemotingCommand?
        switch RequestCode(rawValue: request.code) {
        case .sendMessage, .sendMessageV2, .sendBatchMessage:
            // An accepted send is timed when its read burst is answered (`readComplete`), a refused one now.
            guard let refusal = send.process(request, on: connection) else { return }
            broker.requestLatency.observe(code: request.code, since: start)
            return connection.write(refusal)
        case .pullMessage:
            response = pull.process(request, on: connection)
        case .queryConsumerOffset, .updateConsumerOffset, .getConsumerListByGroup:
            response = consumerManage.process(request, on: connection)
        case .heartBeat, .unregisterClient:
            response = clientManage.process(request, on: connection)
        case .lockBatchMQ, .unlockBatchMQ:
            response = queueLock.process(request, on: connection)
        case .endTransaction:
            response = endTransaction.process(request, on: connection)
        case .consumerSendMsgBack:
            response = sendBack.process(request, on: connection)
        case .getMaxOffset, .getMinOffset, .searchOffsetByTimestamp, .getEarliestMsgStoretime:
            response = queueInfo.process(request, on: connection)
        case .apusGetAlertState:
            response = alertState.process(request)
        case let code? where AdminBrokerProcessor.relays(code):
            admin.relay(request, code: code) { connection.writeAndFlush($0) }
            response = nil
        case let code? where AdminBrokerProcessor.handles(code):
            if AdminBrokerProcessor.writesMetadata(code) {
                // Admin changes answer once their metadata file is durable: off the event loop.
                DispatchQueue.global().async { [admin] in connection.writeAndFlush(admin.process(request, code: code)) }
                response = nil
            } else {
                response = admin.process(request, code: code)
            }
        default:
            broker.logLimiter.log(broker.logger, level: .info, key: "unsupported-code", peer: connection.peerIP,
                                  "unsupported request code", metadata: ["code": "\(request.code)"])
            response = .response(to: request, code: .requestCodeNotSupported,
                                 remark: " request type \(request.code) not supported")
        }
        if let response { connection.write(response) }
        broker.requestLatency.observe(code: request.code, since: start)
    }

    func readComplete(on connection: RemotingConnection) {
        send.flush(connection)
    }

    func connectionActive(_ connection: RemotingConnection) {}

    func connectionClosed(_ connection: RemotingConnection) {
        send.connectionClosed(connection)
        broker.groups.connectionClosed(connection.id, now: currentMillis())
    }
}

extension RemotingCommand {
    /// The response a service's refusal becomes.
    static func response(to request: RemotingCommand, refusal error: ServiceError) -> RemotingCommand {
        .response(to: request.responseAddress, refusal: error)
    }

    static func response(to address: ResponseAddress, refusal error: ServiceError) -> RemotingCommand {
        .response(to: address, code: ResponseCode(error.kind), remark: error.remark)
    }
}

extension RemotingConnection {
    /// The peer's IP: the key under which its repeated warnings are rate-limited.
    var peerIP: String { remoteAddress?.ipString ?? "?" }
}

extension ResponseCode {
    init(_ kind: ServiceError.Kind) {
        switch kind {
        case .topicNotExist: self = .topicNotExist
        case .noPermission: self = .noPermission
        case .messageIllegal: self = .messageIllegal
        case .systemError, .invalidName: self = .systemError
        case .serviceNotAvailable: self = .serviceNotAvailable
        case .subscriptionGroupNotExist: self = .subscriptionGroupNotExist
        case .subscriptionParseFailed: self = .subscriptionParseFailed
        case .subscriptionNotExist: self = .subscriptionNotExist
        case .subscriptionNotLatest: self = .subscriptionNotLatest
        case .consumerNotOnline: self = .consumerNotOnline
        case .queryNotFound: self = .queryNotFound
        }
    }
}

enum RequestError: Error, CustomStringConvertible {
    case badBody(String)

    var description: String {
        switch self {
        case let .badBody(reason): return "the request body cannot be parsed: \(reason)"
        }
    }
}
