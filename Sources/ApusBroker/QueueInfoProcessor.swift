// QueueInfoProcessor: GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29),
// GET_EARLIEST_MSG_STORETIME (32).

import ApusRemoting

final class QueueInfoProcessor: Sendable {
    private let broker: Broker

    init(broker: Broker) {
        self.broker = broker
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        let store = broker.store
        do {
            switch RequestCode(rawValue: request.code) {
            case .getMaxOffset:
                let q: GetMaxOffsetRequestHeader = try request.decodeHeader()
                return .response(to: request, code: .success,
                                 header: OffsetResponseHeader(offset: store.maxOffset(topic: q.topic, queueId: q.queueId)))
            case .getMinOffset:
                let q: GetMinOffsetRequestHeader = try request.decodeHeader()
                return .response(to: request, code: .success,
                                 header: OffsetResponseHeader(offset: store.minOffset(topic: q.topic, queueId: q.queueId)))
            case .searchOffsetByTimestamp:
                let q: SearchOffsetRequestHeader = try request.decodeHeader()
                let offset = store.offsetByTimestamp(topic: q.topic, queueId: q.queueId, timestamp: q.timestamp)
                return .response(to: request, code: .success, header: OffsetResponseHeader(offset: offset))
            default:
                let q: GetEarliestMsgStoretimeRequestHeader = try request.decodeHeader()
                let time = store.earliestStoreTime(topic: q.topic, queueId: q.queueId)
                return .response(to: request, code: .success, header: GetEarliestMsgStoretimeResponseHeader(timestamp: time))
            }
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }
}
