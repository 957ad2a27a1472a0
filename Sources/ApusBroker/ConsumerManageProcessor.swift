// ConsumerManageProcessor: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), GET_CONSUMER_LIST_BY_GROUP (38).
// Offsets live per group, or per client for a clustering member of a group that is effectively broadcasting.

import ApusGroups
import ApusRemoting

extension Broker {
    /// The offset-table group key for the member on `connection`.
    func offsetKey(group: String, connection: RemotingConnection) -> (key: String, shared: String) {
        switch groups.withLock({ $0.consumers.offsetOwner(group: group, connection: connection.id) }) {
        case .group: return (group, group)
        case let .client(clientId): return ("\(group)@\(clientId)", group)
        }
    }

    func commitOffset(group: String, topic: String, queueId: Int32, offset: Int64, connection: RemotingConnection) {
        offsets.commit(group: offsetKey(group: group, connection: connection).key, topic: topic, queueId: queueId, offset: offset)
    }
}

final class ConsumerManageProcessor: Sendable {
    private let broker: Broker

    init(broker: Broker) {
        self.broker = broker
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        do {
            switch RequestCode(rawValue: request.code) {
            case .queryConsumerOffset: return try queryOffset(request, connection)
            case .updateConsumerOffset: return try updateOffset(request, connection)
            default: return try consumerList(request, connection)
            }
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }

    /// §2.8: the stored offset; else 0 while the queue still starts at 0 (a new group reads a young queue from the
    /// beginning, as Apache RocketMQ does); else QUERY_NOT_FOUND so the client applies consume-from-where.
    private func queryOffset(_ request: RemotingCommand, _ connection: RemotingConnection) throws -> RemotingCommand {
        let header: QueryConsumerOffsetRequestHeader = try request.decodeHeader()
        let group = header.consumerGroup, topic = header.topic, queueId = header.queueId
        let keys = broker.offsetKey(group: group, connection: connection)
        let stored = broker.offsets.query(group: keys.key, topic: topic, queueId: queueId)
            ?? (keys.key != keys.shared ? broker.offsets.query(group: keys.shared, topic: topic, queueId: queueId) : nil)
        if let stored, stored >= 0 {
            return .response(to: request, code: .success, header: OffsetResponseHeader(offset: stored))
        }
        if broker.store.minOffset(topic: topic, queueId: queueId) <= 0 {
            return .response(to: request, code: .success, header: OffsetResponseHeader(offset: 0))
        }
        return .response(to: request, code: .queryNotFound, remark: "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
    }

    private func updateOffset(_ request: RemotingCommand, _ connection: RemotingConnection) throws -> RemotingCommand {
        let header: UpdateConsumerOffsetRequestHeader = try request.decodeHeader()
        broker.commitOffset(group: header.consumerGroup, topic: header.topic, queueId: header.queueId,
                            offset: header.commitOffset, connection: connection)
        return .response(to: request, code: .success)
    }

    private func consumerList(_ request: RemotingCommand, _ connection: RemotingConnection) throws -> RemotingCommand {
        let group = try request.decodeHeader(GetConsumerListByGroupRequestHeader.self).consumerGroup
        let ids = broker.groups.withLock { $0.consumers.consumerList(group: group, askingConnection: connection.id) }
        guard !ids.isEmpty else {
            return .response(to: request, code: .systemError, remark: "no consumer for this group, \(group)")
        }
        return .response(to: request, code: .success, body: ConsumerListBody(consumerIdList: ids).encode())
    }
}
