// BrokerRequestDispatcher: routes each request code to its processor; unknown codes get REQUEST_CODE_NOT_SUPPORTED.

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
    private let topicAdmin: TopicAdminProcessor

    init(broker: Broker) {
        self.broker = broker
        send = SendMessageProcessor(broker: broker)
        pull = PullMessageProcessor(broker: broker)
        consumerManage = ConsumerManageProcessor(broker: broker)
        clientManage = ClientManageProcessor(broker: broker)
        queueLock = QueueLockProcessor(broker: broker)
        sendBack = SendBackProcessor(broker: broker)
        queueInfo = QueueInfoProcessor(broker: broker)
        topicAdmin = TopicAdminProcessor(broker: broker)
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) {
        let response: RemotingCommand?
        switch RequestCode(rawValue: request.code) {
        case .sendMessage, .sendMessageV2, .sendBatchMessage:
            response = send.process(request, on: connection)
        case .pullMessage:
            response = pull.process(request, on: connection, allowSuspend: true)
        case .queryConsumerOffset, .updateConsumerOffset, .getConsumerListByGroup:
            response = consumerManage.process(request, on: connection)
        case .heartBeat, .unregisterClient:
            response = clientManage.process(request, on: connection)
        case .lockBatchMQ, .unlockBatchMQ:
            response = queueLock.process(request, on: connection)
        case .consumerSendMsgBack:
            // Rare, reads the log and may create retry/DLQ topics: served from the metadata queue.
            broker.metadataQueue.async { [sendBack] in connection.writeAndFlush(sendBack.process(request, on: connection)) }
            response = nil
        case .getMaxOffset, .getMinOffset, .searchOffsetByTimestamp, .getEarliestMsgStoretime:
            response = queueInfo.process(request, on: connection)
        case .updateAndCreateTopic:
            broker.metadataQueue.async { [topicAdmin] in connection.writeAndFlush(topicAdmin.process(request, on: connection)) }
            response = nil
        default:
            broker.logger.info("unsupported request code", metadata: [
                "code": "\(request.code)", "peer": "\(connection.remoteAddress?.description ?? "?")",
            ])
            response = .response(to: request, code: .requestCodeNotSupported,
                                 remark: "request code \(request.code) is not supported by this broker")
        }
        if let response { connection.write(response) }
    }

    func readComplete(on connection: RemotingConnection) {
        send.flush(connection)
    }

    func connectionActive(_ connection: RemotingConnection) {
        broker.connections.withLock { $0[connection.id] = connection }
    }

    func connectionClosed(_ connection: RemotingConnection) {
        send.connectionClosed(connection)
        broker.connections.withLock { $0[connection.id] = nil }
        broker.groups.withLock { $0.consumers.connectionClosed(connection.id, now: currentMillis()) }
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
