// SendMessageProcessor: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) — translated for
// SendService; the sends of one socket read burst are appended together, and SYNC_FLUSH answers wait for the group
// commit.

import ApusMessage
import ApusRemoting
import ApusStore
import Logging
import NIOCore
import Synchronization

extension SendRequest {
    /// The service's view of a send frame (either header naming, §2.4 / §2.5).
    init(_ header: SendMessageRequestHeader, body: ByteBuffer?, bornHost: HostAddress) {
        self.init(producerGroup: header.producerGroup, topic: header.topic, defaultTopic: header.defaultTopic,
                  defaultTopicQueueNums: header.defaultTopicQueueNums, queueId: header.queueId, sysFlag: header.sysFlag,
                  bornTimestamp: header.bornTimestamp, flag: header.flag, properties: header.properties,
                  reconsumeTimes: header.reconsumeTimes, maxReconsumeTimes: header.maxReconsumeTimes, batch: header.batch,
                  body: body ?? ByteBuffer(), bornHost: bornHost)
    }
}

final class SendMessageProcessor: Sendable {
    private struct PendingSend {
        var request: RemotingCommand
        var prepared: PreparedSend
    }

    private let service: SendService
    private let logger: Logger
    private let limiter: LogRateLimiter
    /// Validated sends of the current read burst, per connection id. A connection's burst is processed and flushed
    /// on its event loop in one go, so there are at most as many entries as event loops: a list beats hashing here.
    private let pending = Mutex<[(connection: UInt64, sends: [PendingSend])]>([])

    init(service: SendService, logger: Logger, limiter: LogRateLimiter) {
        self.service = service
        self.logger = logger
        self.limiter = limiter
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand? {
        let prepared: PreparedSend
        do {
            let header = try SendMessageRequestHeader(request: request)
            prepared = try service.prepare(SendRequest(header, body: request.body, bornHost: connection.remoteAddress ?? .zero),
                                           now: currentMillis())
        } catch let error as ServiceError {
            return reject(request, ResponseCode(error.kind), error.remark, connection)
        } catch {
            return reject(request, .systemError, "\(error)", connection)
        }
        // Sends are appended once per read burst (`flush(_:)`): under load one append serves many requests.
        let send = PendingSend(request: request, prepared: prepared)
        pending.withLock { bursts in
            if let i = bursts.firstIndex(where: { $0.connection == connection.id }) {
                bursts[i].sends.append(send)
            } else {
                bursts.append((connection.id, [send]))
            }
        }
        return nil
    }

    /// Appends every send received in this read burst with one `putMessages` and answers each request.
    func flush(_ connection: RemotingConnection) {
        guard let sends = pending.withLock({ bursts in bursts.firstIndex { $0.connection == connection.id }.map { bursts.remove(at: $0).sends } }),
              !sends.isEmpty else { return }
        let result = service.append(sends.count == 1 ? sends[0].prepared.messages : sends.flatMap(\.prepared.messages))
        let storeHost = service.storeHost
        var responses: [RemotingCommand] = []
        responses.reserveCapacity(sends.count)
        var next = 0
        for send in sends {
            let count = send.prepared.messages.count
            let records = result.records[next..<min(next + count, result.records.count)]
            next += count
            switch result.status {
            case .ok:
                let msgId = records.count == 1
                    ? MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: records[records.startIndex].physicalOffset)
                    : records.map { MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: $0.physicalOffset) }
                        .joined(separator: ",")
                responses.append(.response(to: send.request, code: .success, header: SendMessageResponseHeader(
                    msgId: msgId, queueId: send.prepared.queueId, queueOffset: records.first?.queueOffset ?? 0)))
            case let .messageIllegal(reason):
                responses.append(reject(send.request, .messageIllegal, reason, connection))
            case let .serviceNotAvailable(reason):
                responses.append(reject(send.request, .serviceNotAvailable, reason, connection))
            }
        }
        guard service.store.config.flushDiskType == .syncFlush, result.status == .ok else {
            responses.forEach(connection.write)
            return
        }
        // SYNC_FLUSH: acknowledge only once the group commit covering these appends is durable.
        let answers = responses
        service.whenDurable(result) { durable in
            for response in answers {
                var response = response
                if !durable { response.code = ResponseCode.flushDiskTimeout.rawValue }
                connection.write(response)
            }
            connection.flush()
        }
    }

    func connectionClosed(_ connection: RemotingConnection) {
        pending.withLock { $0.removeAll { $0.connection == connection.id } }
    }

    private func reject(_ request: RemotingCommand, _ code: ResponseCode, _ remark: String,
                        _ connection: RemotingConnection) -> RemotingCommand {
        limiter.warning(logger, key: "send-rejected", peer: connection.peerIP, "send rejected",
                        metadata: ["code": "\(code.rawValue)", "reason": "\(remark.debugDescription)"])
        return .response(to: request, code: code, remark: remark)
    }
}
