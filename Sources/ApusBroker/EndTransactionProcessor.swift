// EndTransactionProcessor: END_TRANSACTION (37, one-way from the clients) — translated for TransactionService:
// commit stores the real message, rollback records the op; an unknown outcome (0) changes nothing, as in RocketMQ.
// A response is produced for two-way senders; the frame writer drops it for one-way requests.

import ApusMessage
import ApusRemoting
import Logging

final class EndTransactionProcessor: Sendable {
    private let transactions: TransactionService
    private let send: SendService
    private let logger: Logger
    private let limiter: LogRateLimiter

    init(transactions: TransactionService, send: SendService, logger: Logger, limiter: LogRateLimiter) {
        self.transactions = transactions
        self.send = send
        self.logger = logger
        self.limiter = limiter
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand? {
        let header: EndTransactionRequestHeader
        do {
            header = try request.decodeHeader(EndTransactionRequestHeader.self)
        } catch {
            limiter.warning(logger, key: "end-transaction-bad", peer: connection.peerIP, "bad END_TRANSACTION header",
                            metadata: ["error": "\(error)"])
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let commit: Bool
        switch header.commitOrRollback & MessageSysFlag.transactionMask {
        case MessageSysFlag.transactionCommit: commit = true
        case MessageSysFlag.transactionRollback: commit = false
        default:
            // TRANSACTION_NOT_TYPE: the producer does not know yet; the check loop will ask again.
            logger.debug("END_TRANSACTION with an unknown state", metadata: [
                "producerGroup": "\(header.producerGroup)", "msgId": "\(header.msgId)",
                "fromTransactionCheck": "\(header.fromTransactionCheck)",
            ])
            return nil
        }
        let outcome = transactions.end(producerGroup: header.producerGroup, tranStateTableOffset: header.tranStateTableOffset,
                                       commitLogOffset: header.commitLogOffset, commit: commit, now: currentMillis())
        switch outcome {
        case let .unknown(reason), let .failed(reason):
            limiter.warning(logger, key: "end-transaction-refused", peer: connection.peerIP, "END_TRANSACTION not applied",
                            metadata: ["producerGroup": "\(header.producerGroup)", "msgId": "\(header.msgId)",
                                       "commit": "\(commit)", "reason": "\(reason)"])
            return .response(to: request, code: .systemError, remark: reason)
        case .committed, .rolledBack:
            guard let result = outcome.putResult else { return nil }
            send.whenDurable(result) { durable in
                connection.writeAndFlush(.response(to: request, code: durable ? .success : .flushDiskTimeout))
            }
            return nil
        }
    }
}
