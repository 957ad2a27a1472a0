// ConsumerManageProcessor: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), GET_CONSUMER_LIST_BY_GROUP (38) —
// translated for OffsetService and GroupService.

import ApusGroups
import ApusRemoting

final class ConsumerManageProcessor: Sendable {
    private let offsets: OffsetService
    private let groups: GroupService

    init(offsets: OffsetService, groups: GroupService) {
        self.offsets = offsets
        self.groups = groups
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        do {
            switch RequestCode(rawValue: request.code) {
            case .queryConsumerOffset:
                let header = try request.decodeHeader(QueryConsumerOffsetRequestHeader.self)
                switch try offsets.query(group: header.consumerGroup, topic: header.topic, queueId: header.queueId,
                                     connection: connection.id) {
                case let .offset(offset):
                    return .response(to: request, code: .success, header: OffsetResponseHeader(offset: offset))
                case .notFound:
                    return .response(to: request, code: .queryNotFound, remark: "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
                }
            case .updateConsumerOffset:
                let header = try request.decodeHeader(UpdateConsumerOffsetRequestHeader.self)
                try offsets.commit(group: header.consumerGroup, topic: header.topic, queueId: header.queueId,
                               offset: header.commitOffset, connection: connection.id)
                return .response(to: request, code: .success)
            default:
                let group = try request.decodeHeader(GetConsumerListByGroupRequestHeader.self).consumerGroup
                let ids = groups.consumerList(group: group, asking: connection.id)
                guard !ids.isEmpty else {
                    return .response(to: request, code: .systemError, remark: "no consumer for this group, \(group)")
                }
                return .response(to: request, code: .success, body: ConsumerListBody(consumerIdList: ids).encode())
            }
        } catch let error as ServiceError {
            return .response(to: request, refusal: error)
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }
}
