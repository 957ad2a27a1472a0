// ClientManageProcessor: HEART_BEAT (34) and UNREGISTER_CLIENT (35) — translated for GroupService, which validates
// group names and creates subscription groups and retry topics on first sight, and records the client's connection
// (address, language, version) and producer groups for the admin connection lists.

import ApusMessage
import ApusGroups
import ApusRemoting
import Logging

final class ClientManageProcessor: Sendable {
    private let groups: GroupService
    private let logger: Logger
    private let limiter: LogRateLimiter
    /// Makes newly created topics routable (a name-server registration round).
    private let publishTopics: @Sendable () async -> Void

    init(groups: GroupService, logger: Logger, limiter: LogRateLimiter, publishTopics: @escaping @Sendable () async -> Void) {
        self.groups = groups
        self.logger = logger
        self.limiter = limiter
        self.publishTopics = publishTopics
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand? {
        if request.code == RequestCode.unregisterClient.rawValue {
            if let header = try? request.decodeHeader(UnregisterClientRequestHeader.self), let group = header.producerGroup {
                groups.unregisterProducer(group: group, connection: connection.id)
            }
            if let header = try? request.decodeHeader(UnregisterClientRequestHeader.self), let group = header.consumerGroup {
                groups.unregister(group: group, clientId: header.clientID, connection: connection.id, now: currentMillis())
                logger.info("consumer unregistered", metadata: ["group": "\(group)", "client": "\(header.clientID)"])
            }
            return .response(to: request, code: .success)
        }
        do {
            guard let body = request.body else { throw RequestError.badBody("a heartbeat needs a body") }
            let heartbeat = try HeartbeatData.decode(body)
            let now = currentMillis()
            groups.clientHeartbeat(
                ClientConnectionInfo(clientId: heartbeat.clientID, clientAddr: connection.remoteAddress?.description ?? "",
                                     language: request.language, version: request.version, lastUpdate: now),
                producerGroups: heartbeat.producerDataSet.map(\.groupName), connection: connection.id)
            let entries = heartbeat.consumerDataSet.map { consumer in
                ConsumerHeartbeat(
                    group: consumer.groupName, clientId: heartbeat.clientID,
                    messageModel: consumer.messageModel == .broadcasting ? .broadcasting : .clustering,
                    consumeType: consumer.consumeType == .consumeActively ? .consumeActively : .consumePassively,
                    consumeFromWhere: consumer.consumeFromWhere,
                    subscriptions: consumer.subscriptionDataSet.map {
                        Subscription(topic: $0.topic, expression: $0.subString, subVersion: $0.subVersion)
                    },
                    language: request.language)
            }
            let response = RemotingCommand.response(to: request, code: .success)
            if try groups.heartbeat(entries, connection: connection.id, now: now) {
                // A new %RETRY% topic is routable by the time the client hears back, so its first rebalance finds it.
                Task { [publishTopics] in
                    await publishTopics()
                    connection.writeAndFlush(response)
                }
                return nil
            }
            return response
        } catch let error as ServiceError {
            limiter.warning(logger, key: "heartbeat-refused", peer: connection.peerIP, "heartbeat refused",
                            metadata: ["reason": "\(error.remark.debugDescription)"])
            return .response(to: request, refusal: error)
        } catch {
            limiter.warning(logger, key: "bad-heartbeat", peer: connection.peerIP, "bad heartbeat",
                            metadata: ["error": "\(String(describing: error).debugDescription)"])
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }
}
