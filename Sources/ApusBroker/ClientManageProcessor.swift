// ClientManageProcessor: HEART_BEAT (34) and UNREGISTER_CLIENT (35) — feeds the group table, creates subscription
// groups and retry topics on first sight.

import ApusMessage
import ApusGroups
import ApusRemoting
import Logging

final class ClientManageProcessor: Sendable {
    private let broker: Broker

    init(broker: Broker) {
        self.broker = broker
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand? {
        if request.code == RequestCode.unregisterClient.rawValue {
            if let header = try? request.decodeHeader(UnregisterClientRequestHeader.self), let group = header.consumerGroup {
                let clientId = header.clientID
                broker.groups.withLock {
                    $0.consumers.unregister(group: group, clientId: clientId, connection: connection.id, now: currentMillis())
                }
                broker.logger.info("consumer unregistered", metadata: ["group": "\(group)", "client": "\(clientId)"])
            }
            return .response(to: request, code: .success)
        }

        let heartbeat: HeartbeatData
        do {
            guard let body = request.body else { throw RequestError.badBody("a heartbeat needs a body") }
            heartbeat = try HeartbeatData.decode(body)
        } catch {
            broker.logger.warning("bad heartbeat", metadata: ["peer": "\(connection.remoteAddress?.description ?? "?")", "error": "\(error)"])
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        // First sight of a group creates its config and retry topic (file writes): off the event loop.
        let needsCreation = heartbeat.consumerDataSet.contains {
            broker.subscriptionGroups.get($0.groupName) == nil || broker.topics.get(TopicNames.retry($0.groupName)) == nil
        }
        guard !needsCreation else {
            broker.metadataQueue.async { [self] in
                connection.writeAndFlush(register(heartbeat, request: request, connection: connection))
            }
            return nil
        }
        return register(heartbeat, request: request, connection: connection)
    }

    private func register(_ heartbeat: HeartbeatData, request: RemotingCommand, connection: RemotingConnection) -> RemotingCommand {
        let now = currentMillis()
        for consumer in heartbeat.consumerDataSet {
            let group = consumer.groupName
            if broker.subscriptionGroups.get(group) == nil {
                guard broker.config.autoCreateSubscriptionGroup else {
                    return .response(to: request, code: .subscriptionGroupNotExist,
                                     remark: "subscription group [\(group)] does not exist and autoCreateSubscriptionGroup=false")
                }
                do { try broker.subscriptionGroups.getOrCreate(group) } catch {
                    return .response(to: request, code: .systemError, remark: "cannot create subscription group: \(error)")
                }
            }
            broker.topics.ensureSingleQueueTopic(TopicNames.retry(group))
            let entry = ConsumerHeartbeat(
                group: group, clientId: heartbeat.clientID,
                messageModel: consumer.messageModel == .broadcasting ? .broadcasting : .clustering,
                consumeType: consumer.consumeType == .consumeActively ? .consumeActively : .consumePassively,
                consumeFromWhere: consumer.consumeFromWhere,
                subscriptions: consumer.subscriptionDataSet.map {
                    Subscription(topic: $0.topic, expression: $0.subString, subVersion: $0.subVersion)
                },
                language: request.language)
            broker.groups.withLock { $0.consumers.heartbeat(entry, connection: connection.id, now: now) }
        }
        return .response(to: request, code: .success)
    }
}
