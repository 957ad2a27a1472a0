// PullMessageProcessor: PULL_MESSAGE (11) — translated for ConsumeService; an empty pull is parked (long polling) in
// PullHoldService and answered the moment a message arrives or its suspend time ends.

import ApusGroups
import ApusMessage
import ApusRemoting
import ApusStore
import NIOCore

final class PullMessageProcessor: Sendable {
    private let consume: ConsumeService
    private let holds: PullHoldService
    private let store: MessageStore
    private let settings: RuntimeSettings
    private let maxHoldMillis: Int64

    init(consume: ConsumeService, holds: PullHoldService, store: MessageStore, settings: RuntimeSettings, maxHoldMillis: Int64) {
        self.consume = consume
        self.holds = holds
        self.store = store
        self.settings = settings
        self.maxHoldMillis = maxHoldMillis
    }

    /// A refusal; nil when the pull was answered (written to `connection`) or parked (answered when a message arrives
    /// or its hold ends).
    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand? {
        let header: PullMessageRequestHeader
        do { header = try PullMessageRequestHeader(request: request) } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        if let type = header.expressionType, type != "TAG", type.uppercased() != "TAG" {
            return .response(to: request, code: .subscriptionParseFailed,
                             remark: "expression type \(type) is not supported; use TAG expressions")
        }
        var query = PullQuery(group: header.consumerGroup, topic: header.topic, queueId: header.queueId,
                              offset: header.queueOffset, maxMessages: Int(header.maxMsgNums), connection: connection.id)
        if header.sysFlag.contains(.subscription) {
            query.filter = PullFilter(Subscription(topic: header.topic, expression: header.subscription ?? "*",
                                                   subVersion: header.subVersion))
        } else {
            query.subVersion = header.subVersion
        }
        if header.sysFlag.contains(.commitOffset) {
            query.commitOffset = header.commitOffset
        }
        let outcome: PullOutcome
        do { outcome = try consume.read(&query) } catch {
            return .response(to: request, refusal: error)
        }
        consume.record(query, outcome, now: currentMillis())

        if outcome.status == .noNewMessage, header.sysFlag.contains(.suspend), settings.longPollingEnable {
            let hold = min(max(header.suspendTimeoutMillis, 0), maxHoldMillis)
            if hold > 0 {
                // Asked again from the query as decoded (the offset was committed the first time): answered with
                // whatever it then finds.
                query.commitOffset = nil
                let (topic, queueId, store) = (query.topic, query.queueId, self.store)
                let address = request.responseAddress
                holds.hold(topic: topic, queueId: queueId, offset: query.offset, holdMillis: hold, on: connection.eventLoop,
                           currentMax: { store.maxOffset(topic: topic, queueId: queueId) }) { [self, query] in
                    // The answer is flushed before the pull is recorded: an arrival's latency is this path.
                    do throws(ServiceError) {
                        var query = query
                        let outcome = try consume.read(&query, groupNameChecked: true)
                        answer(address, outcome, on: connection)
                        connection.flush()
                        consume.record(query, outcome, now: currentMillis())
                    } catch {
                        connection.write(.response(to: address, refusal: error))
                        connection.flush()
                    }
                }
                return nil
            }
        }
        answer(request.responseAddress, outcome, on: connection)
        return nil
    }

    /// Writes the pull's answer straight into the connection's outgoing burst (no command is made for it).
    private func answer(_ address: RemotingCommand.ResponseAddress, _ outcome: PullOutcome, on connection: RemotingConnection) {
        let code: ResponseCode
        switch outcome.status {
        case .found: code = .success
        case .noNewMessage: code = .pullNotFound
        case .retryImmediately: code = .pullRetryImmediately
        case .offsetMoved: code = .pullOffsetMoved
        }
        connection.writeResponse(to: address, code: code, remark: outcome.storeStatus.remark, header: PullMessageResponseHeader(
            nextBeginOffset: outcome.nextBeginOffset, minOffset: outcome.minOffset, maxOffset: outcome.maxOffset),
            body: outcome.body)
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
