// PullMessageProcessor: PULL_MESSAGE (11) — translated for ConsumeService; an empty pull is parked (long polling) in
// PullHoldService and answered the moment a message arrives or its suspend time ends.

import ApusGroups
import ApusMessage
import ApusRemoting
import ApusStore
import NIOCore

enum PullSysFlag {
    static let commitOffset: Int32 = 0x1
    static let suspend: Int32 = 0x2
    static let subscription: Int32 = 0x4
}

final class PullMessageProcessor: Sendable {
    private let consume: ConsumeService
    private let holds: PullHoldService
    private let store: MessageStore
    private let longPolling: Bool
    private let maxHoldMillis: Int64

    init(consume: ConsumeService, holds: PullHoldService, store: MessageStore, longPolling: Bool, maxHoldMillis: Int64) {
        self.consume = consume
        self.holds = holds
        self.store = store
        self.longPolling = longPolling
        self.maxHoldMillis = maxHoldMillis
    }

    /// `firstPass` is false when a parked request is asked again: it then answers whatever it finds.
    func process(_ request: RemotingCommand, on connection: RemotingConnection, firstPass: Bool = true) -> RemotingCommand? {
        var query: PullQuery
        let sysFlag = request.int32("sysFlag") ?? 0
        do {
            query = PullQuery(group: try request.required("consumerGroup"), topic: try request.required("topic"),
                              queueId: try request.requiredInt32("queueId"), offset: try request.requiredInt64("queueOffset"),
                              maxMessages: Int(request.int32("maxMsgNums") ?? 32), connection: connection.id)
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        if let type = request.string("expressionType"), type.uppercased() != "TAG" {
            return .response(to: request, code: .subscriptionParseFailed,
                             remark: "expression type \(type) is not supported; use TAG expressions")
        }
        if sysFlag & PullSysFlag.subscription != 0 {
            query.subscription = Subscription(topic: query.topic, expression: request.string("subscription") ?? "*",
                                              subVersion: request.int64("subVersion") ?? 0)
        } else {
            query.subVersion = request.int64("subVersion") ?? 0
        }
        if firstPass, sysFlag & PullSysFlag.commitOffset != 0 {
            query.commitOffset = request.int64("commitOffset")
        }
        let outcome: PullOutcome
        do { outcome = try consume.pull(query, now: currentMillis()) } catch {
            return .response(to: request, refusal: error)
        }

        if outcome.status == .noNewMessage, firstPass, sysFlag & PullSysFlag.suspend != 0, longPolling {
            let hold = min(max(request.int64("suspendTimeoutMillis") ?? 15_000, 0), maxHoldMillis)
            if hold > 0 {
                let (topic, queueId, store) = (query.topic, query.queueId, self.store)
                holds.hold(topic: topic, queueId: queueId, offset: query.offset, holdMillis: hold, on: connection.eventLoop,
                           currentMax: { store.maxOffset(topic: topic, queueId: queueId) }) { [self] in
                    if let response = process(request, on: connection, firstPass: false) { connection.writeAndFlush(response) }
                }
                return nil
            }
        }
        let code: ResponseCode
        switch outcome.status {
        case .found: code = .success
        case .noNewMessage: code = .pullNotFound
        case .retryImmediately: code = .pullRetryImmediately
        case .offsetMoved: code = .pullOffsetMoved
        }
        let ext: ExtFields = [
            "nextBeginOffset": String(outcome.nextBeginOffset),
            "minOffset": String(outcome.minOffset),
            "maxOffset": String(outcome.maxOffset),
            "suggestWhichBrokerId": "0",
        ]
        return .response(to: request, code: code, remark: outcome.storeStatus.remark, extFields: ext, body: outcome.body)
    }
}

extension GetMessageStatus {
    /// RocketMQ answers a pull with the store's status name as the remark.
    var remark: String {
        switch self {
        case .found: return "FOUND"
        case .noMatchedMessage: return "NO_MATCHED_MESSAGE"
        case .messageWasRemoving: return "MESSAGE_WAS_REMOVING"
        case .offsetFoundNull: return "OFFSET_FOUND_NULL"
        case .offsetOverflowBadly: return "OFFSET_OVERFLOW_BADLY"
        case .offsetOverflowOne: return "OFFSET_OVERFLOW_ONE"
        case .offsetTooSmall: return "OFFSET_TOO_SMALL"
        // RocketMQ creates a queue when a pull names it, so a queue never written to reads as empty.
        case .noMatchedLogicQueue: return "NO_MESSAGE_IN_QUEUE"
        case .noMessageInQueue: return "NO_MESSAGE_IN_QUEUE"
        }
    }
}
