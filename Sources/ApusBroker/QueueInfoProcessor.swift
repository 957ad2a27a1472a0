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
        let topic: String, queueId: Int32
        do {
            topic = try request.required("topic")
            queueId = try request.requiredInt32("queueId")
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        switch RequestCode(rawValue: request.code) {
        case .getMaxOffset:
            return .response(to: request, code: .success, extFields: ["offset": String(store.maxOffset(topic: topic, queueId: queueId))])
        case .getMinOffset:
            return .response(to: request, code: .success, extFields: ["offset": String(store.minOffset(topic: topic, queueId: queueId))])
        case .searchOffsetByTimestamp:
            guard let timestamp = request.int64("timestamp") else {
                return .response(to: request, code: .systemError, remark: "the request field 'timestamp' is missing or not a number")
            }
            let offset = store.offsetByTimestamp(topic: topic, queueId: queueId, timestamp: timestamp)
            return .response(to: request, code: .success, extFields: ["offset": String(offset)])
        default:
            let time = store.earliestStoreTime(topic: topic, queueId: queueId)
            return .response(to: request, code: .success, extFields: ["timestamp": String(time)])
        }
    }
}
