// QueueInfoProcessor: GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29),
// GET_EARLIEST_MSG_STORETIME (32) — read straight from the store.

import ApusRemoting
import ApusStore

final class QueueInfoProcessor: Sendable {
    private let store: MessageStore

    init(store: MessageStore) {
        self.store = store
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        do {
            switch RequestCode(rawValue: request.code) {
            case .searchOffsetByTimestamp:
                let header = try request.decodeHeader(SearchOffsetRequestHeader.self)
                let offset = store.offsetByTimestamp(topic: header.topic, queueId: header.queueId, timestamp: header.timestamp)
                return .response(to: request, code: .success, header: OffsetResponseHeader(offset: offset))
            case .getMaxOffset:
                let queue = try request.decodeHeader(QueueRequestHeader.self)
                return .response(to: request, code: .success,
                                 header: OffsetResponseHeader(offset: store.maxOffset(topic: queue.topic, queueId: queue.queueId)))
            case .getMinOffset:
                let queue = try request.decodeHeader(QueueRequestHeader.self)
                return .response(to: request, code: .success,
                                 header: OffsetResponseHeader(offset: store.minOffset(topic: queue.topic, queueId: queue.queueId)))
            default:
                let queue = try request.decodeHeader(QueueRequestHeader.self)
                let time = store.earliestStoreTime(topic: queue.topic, queueId: queue.queueId)
                return .response(to: request, code: .success, header: GetEarliestMsgStoretimeResponseHeader(timestamp: time))
            }
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }
}
