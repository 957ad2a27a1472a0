// SendMessageProcessor: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) — translated for
// SendService; the sends of one socket read burst are appended together, and SYNC_FLUSH answers wait for the group
// commit.

import ApusMessage
import ApusRemoting
import ApusStore
import Logging
import NIOCore
import Synchronization

final class SendMessageProcessor: Sendable {
    /// A send of the current read burst: where its answer goes and how many of the burst's messages are its own.
    private struct PendingSend {
        var address: RemotingCommand.ResponseAddress
        var code: Int32
        var queueId: Int32
        var count: Int
    }

    /// The validated sends of one connection's current read burst, their messages already in one list: the request
    /// frames are released once validated, and the burst's put needs no second copy of its messages.
    private struct Burst {
        var connection: UInt64
        /// When its first send arrived (`RemotingConnection.readStarted`): its sends are timed from there to their answers.
        var started: UInt64
        var messages: [MessageToStore]
        var sends: [PendingSend]
    }

    private let service: SendService
    private let latency: RequestLatencyTable
    private let logger: Logger
    private let limiter: LogRateLimiter
    /// The current read bursts, one per connection. A connection's burst is processed and flushed on its event loop
    /// in one go, so there are at most as many entries as event loops: a list beats hashing here.
    private struct Pending {
        var bursts: [Burst] = []
        /// A flushed burst's lists, emptied with their capacity kept, for the next burst: two allocations a burst fewer
        /// (at one send per burst, as at low rates, a pair per message).
        var spare: (messages: [MessageToStore], sends: [PendingSend])?
    }

    private let pending = Mutex(Pending())

    init(service: SendService, latency: RequestLatencyTable, logger: Logger, limiter: LogRateLimiter) {
        self.service = service
        self.latency = latency
        self.logger = logger
        self.limiter = limiter
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand? {
        var prepared: PreparedSend
        do {
            let header = try SendMessageRequestHeader(request: request)
            prepared = try service.prepare(SendRequest(consume header, body: request.body, bornHost: connection.remoteAddress ?? .zero))
        } catch let error as ServiceError {
            return reject(request.responseAddress, ResponseCode(error.kind), error.remark, connection)
        } catch {
            return reject(request.responseAddress, .systemError, "\(error)", connection)
        }
        // Sends are appended once per read burst (`flush(_:)`): under load one append serves many requests.
        let send = PendingSend(address: request.responseAddress, code: request.code, queueId: prepared.queueId, count: prepared.count)
        pending.withLock { pending in
            let i: Int
            if let existing = pending.bursts.firstIndex(where: { $0.connection == connection.id }) {
                i = existing
            } else {
                i = pending.bursts.count
                var lists = pending.spare.take() ?? ([], [])
                if lists.messages.capacity == 0 { lists.messages.reserveCapacity(32) }
                pending.bursts.append(Burst(connection: connection.id, started: connection.readStarted,
                                            messages: lists.messages, sends: lists.sends))
            }
            pending.bursts[i].sends.append(send)
            prepared.move(to: &pending.bursts[i].messages)
        }
        return nil
    }

    /// Appends every send received in this read burst with one `putMessages` and answers each request.
    func flush(_ connection: RemotingConnection) {
        guard var burst = pending.withLock({ pending in
            pending.bursts.firstIndex { $0.connection == connection.id }.map { pending.bursts.remove(at: $0) }
        }) else { return }
        let result = service.append(&burst.messages)
        let storeHost = service.storeHost
        func header(_ send: PendingSend, _ records: ArraySlice<AppendedRecord>) -> SendMessageResponseHeader {
            let queueOffset = records.first?.queueOffset ?? 0
            return records.count == 1
                ? SendMessageResponseHeader(
                    offsetMessageId: OffsetMessageId(storeHost: storeHost, commitLogOffset: records[records.startIndex].physicalOffset),
                    queueId: send.queueId, queueOffset: queueOffset)
                : SendMessageResponseHeader(
                    msgId: records.map { MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: $0.physicalOffset) }
                        .joined(separator: ","),
                    queueId: send.queueId, queueOffset: queueOffset)
        }
        let sends = burst.sends  // captured as a constant: capturing the variable `burst` boxed it on the heap
        func forEachSend(_ body: (PendingSend, ArraySlice<AppendedRecord>) -> Void) {
            var next = 0
            for send in sends {
                body(send, result.records[next..<min(next + send.count, result.records.count)])
                next += send.count
            }
        }
        switch result.status {
        case let .messageIllegal(reason):
            forEachSend { send, _ in connection.write(reject(send.address, .messageIllegal, reason, connection)) }
        case let .serviceNotAvailable(reason):
            forEachSend { send, _ in connection.write(reject(send.address, .serviceNotAvailable, reason, connection)) }
        case .ok where service.store.config.flushDiskType != .syncFlush:
            // Written straight into the outgoing burst, without a command per response.
            connection.writingResponses { out in
                forEachSend { send, records in out.write(to: send.address, code: .success, header: header(send, records)) }
            }
            observe(burst)
            return recycle(&burst)
        case .ok:
            // SYNC_FLUSH: acknowledge only once the group commit covering these appends is durable.
            var answers: [Answer] = []
            answers.reserveCapacity(burst.sends.count)
            forEachSend { send, records in answers.append(Answer(address: send.address, header: header(send, records))) }
            return whenDurable(result, answers, burst, connection)
        }
        observe(burst)
    }

    /// Keeps `burst`'s lists for the next burst, unless a spare pair is kept already or they grew large.
    private func recycle(_ burst: inout Burst) {
        guard burst.messages.capacity <= 256, burst.sends.capacity <= 256 else { return }
        burst.messages.removeAll(keepingCapacity: true)
        burst.sends.removeAll(keepingCapacity: true)
        var lists: (messages: [MessageToStore], sends: [PendingSend])? = (burst.messages, burst.sends)
        burst.messages = []
        burst.sends = []
        pending.withLock { pending in
            if pending.spare == nil { pending.spare = lists.take() }
        }
    }

    /// A SYNC_FLUSH answer waiting for its group commit.
    private struct Answer {
        var address: RemotingCommand.ResponseAddress
        var header: SendMessageResponseHeader
    }

    /// Answers a burst's sends once they are durable. The flush thread reports it: the answers hop to the
    /// connection's event loop in one task and are written straight into its outgoing burst. Written from the flush
    /// thread, each had been its own event-loop task through the channel pipeline.
    private func whenDurable(_ result: PutResult, _ answers: [Answer], _ burst: Burst, _ connection: RemotingConnection) {
        service.whenDurable(result) { [self] durable in
            connection.onEventLoop { [self] in
                let code: ResponseCode = durable ? .success : .flushDiskTimeout
                connection.writingResponses { out in
                    for answer in answers { out.write(to: answer.address, code: code, header: answer.header) }
                }
                // Timed before the flush, as the ASYNC_FLUSH answers are (their burst is flushed after the read): a
                // client holding its answer then always finds its send counted.
                observe(burst)
                connection.flush()
            }
        }
    }

    /// Times a burst's sends, answered now: one clock read, and one observe per run of sends with the same code.
    private func observe(_ burst: Burst) {
        let nanos = RequestLatencyTable.now() &- burst.started
        var runStart = 0
        for i in burst.sends.indices where i + 1 == burst.sends.count || burst.sends[i + 1].code != burst.sends[i].code {
            latency.observe(code: burst.sends[i].code, nanos: nanos, count: UInt64(i + 1 - runStart))
            runStart = i + 1
        }
    }

    func connectionClosed(_ connection: RemotingConnection) {
        pending.withLock { $0.bursts.removeAll { $0.connection == connection.id } }
    }

    private func reject(_ request: RemotingCommand.ResponseAddress, _ code: ResponseCode, _ remark: String,
                        _ connection: RemotingConnection) -> RemotingCommand {
        limiter.warning(logger, key: "send-rejected", peer: connection.peerIP, "send rejected",
                        metadata: ["code": "\(code.rawValue)", "reason": "\(remark.debugDescription)"])
        return .response(to: request, code: code, remark: remark)
    }
}
