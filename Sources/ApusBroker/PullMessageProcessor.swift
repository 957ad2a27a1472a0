// PullMessageProcessor: PULL_MESSAGE (11) — reads byte ranges of the log for a queue, filters by tag hash, commits
// the client's offset, and parks the request (long polling) when nothing is there yet.

import ApusMessage
import ApusGroups
import ApusRemoting
import ApusStore
import NIOCore

final class PullMessageProcessor: Sendable {
    private let broker: Broker

    init(broker: Broker) {
        self.broker = broker
    }

    /// `allowSuspend` is false when a parked request is re-run: it then answers whatever it finds.
    func process(_ request: RemotingCommand, on connection: RemotingConnection, allowSuspend: Bool) -> RemotingCommand? {
        let header: PullMessageRequestHeader
        do { header = try request.decodeHeader() } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let group = header.consumerGroup, topic = header.topic, queueId = header.queueId, offset = header.queueOffset
        let sysFlag = header.sysFlag
        let maxMsgNums = max(1, Int(header.maxMsgNums))

        if let config = broker.topics.get(topic) {
            guard Permission.isReadable(config.perm) else {
                return .response(to: request, code: .noPermission, remark: "the topic [\(topic)] is not readable")
            }
            guard queueId >= 0, queueId < config.readQueueNums else {
                return .response(to: request, code: .systemError,
                                 remark: "queueId \(queueId) is out of range: topic [\(topic)] has \(config.readQueueNums) read queues")
            }
        }
        if let type = header.expressionType, type.uppercased() != "TAG" {
            return .response(to: request, code: .subscriptionParseFailed,
                             remark: "expression type \(type) is not supported; use TAG expressions")
        }

        // The filter comes from the request when it carries one, else from the group's registered subscription.
        let subscription: Subscription?
        if sysFlag.contains(.subscription) {
            subscription = Subscription(topic: topic, expression: header.subscription ?? "*", subVersion: header.subVersion)
        } else {
            subscription = broker.groups.withLock { $0.consumers.subscription(group: group, topic: topic) }
        }

        let now = currentMillis()
        if allowSuspend, sysFlag.contains(.commitOffset), let commit = header.commitOffset, commit >= 0 {
            broker.commitOffset(group: group, topic: topic, queueId: queueId, offset: commit, connection: connection)
        }

        let result = broker.store.getMessages(
            topic: topic, queueId: queueId, offset: offset,
            maxCount: min(maxMsgNums, broker.config.maxTransferCountOnMessageInMemory),
            maxBytes: broker.config.maxTransferBytesOnMessageInMemory,
            filter: { subscription?.matches(tagsCode: $0) ?? true })

        let code: ResponseCode
        var next = result.nextBeginOffset
        switch result.status {
        case .found:
            code = .success
        case .noMatchedMessage, .messageWasRemoving:
            code = .pullRetryImmediately
        case .offsetFoundNull:
            code = .pullNotFound
        case .offsetOverflowOne:
            code = .pullNotFound
            next = offset
        case .offsetOverflowBadly:
            code = .pullOffsetMoved
        case .offsetTooSmall:
            code = .pullOffsetMoved
            next = result.minOffset
        case .noMatchedLogicQueue, .noMessageInQueue:
            code = offset != 0 ? .pullOffsetMoved : .pullNotFound
            next = 0
        }

        if code == .pullNotFound, allowSuspend, sysFlag.contains(.suspend), broker.config.longPollingEnable {
            let requested = header.suspendTimeoutMillis
            let hold = min(max(requested, 0), broker.config.maxPullHoldMillis)
            if hold > 0 {
                broker.pullHolds.hold(request, on: connection, topic: topic, queueId: queueId, offset: offset,
                                      holdMillis: hold, store: broker.store) { [self] request, connection in
                    if let response = process(request, on: connection, allowSuspend: false) {
                        connection.writeAndFlush(response)
                    }
                }
                return nil
            }
        }

        if code == .success {
            broker.groups.withLock { state in
                guard let clientId = state.consumers.clientId(of: connection.id) else { return }
                state.progress.recordPull(group: group, clientId: clientId, topic: topic, queueId: queueId, nextOffset: next, now: now)
            }
        }
        let responseHeader = PullMessageResponseHeader(nextBeginOffset: next, minOffset: result.minOffset, maxOffset: result.maxOffset)
        return .response(to: request, code: code, header: responseHeader, body: code == .success ? result.body : nil)
    }
}
