// ExternalTransactions: the broker's entry points for transactional messages over the ApsaraMQ HTTP API (http-api
// §6.1, §6.5, §6.6, §10.6): a half-message publish answered with its receipt handle, half-message pops, and commit /
// rollback by handle — all on TransactionService's one half-message store, the one remoting producers use.

import ApusGroups
import ApusMessage
import NIOCore

/// One popped half message, as `trans=pop` returns it.
public struct HalfDelivery: Sendable, Equatable {
    /// The id the publish answered (the half's offset message id): the same on every pop.
    public var messageId: String
    public var receiptHandle: String
    public var body: [UInt8]
    /// The stored properties without the broker's REAL_TOPIC / REAL_QID.
    public var properties: String
    public var publishTime: Int64
    public var firstConsumeTime: Int64
    public var nextConsumeTime: Int64
    public var consumedTimes: Int32

    public init(messageId: String, receiptHandle: String, body: [UInt8], properties: String, publishTime: Int64,
                firstConsumeTime: Int64, nextConsumeTime: Int64, consumedTimes: Int32) {
        self.messageId = messageId
        self.receiptHandle = receiptHandle
        self.body = body
        self.properties = properties
        self.publishTime = publishTime
        self.firstConsumeTime = firstConsumeTime
        self.nextConsumeTime = nextConsumeTime
        self.consumedTimes = consumedTimes
    }
}

/// Why a commit or rollback by handle failed (per-handle errors of §6.6).
public enum TransactionEndError: Error, Sendable, Equatable {
    /// `ReceiptHandleError`: malformed, another topic's, or the half is resolved or unknown.
    case invalidHandle(String)
    /// `MessageNotExist`: the handle's time has passed.
    case expired(String)
    case unavailable(String)
}

extension Broker {
    /// Stores a half message (`__TransCheckT` = `checkSeconds`, 10...300) invisible to consumers and returns its
    /// message id and the receipt handle that commits or rolls it back until the check time.
    public func publishHalf(topic: String, body: [UInt8], properties: String, checkSeconds: Int64,
                            bornHost: HostAddress?) async throws(PublishRejection) -> (messageId: String, receiptHandle: String) {
        let record = try await storeExternal(topic: topic, body: body, properties: properties,
                                             sysFlag: MessageSysFlag.transactionPrepared, bornHost: bornHost)
        let handle = transactions.publishHandle(queueOffset: record.queueOffset, topic: topic,
                                                storeTimestamp: record.storeTimestamp, checkSeconds: checkSeconds)
        return (MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: record.physicalOffset), handle)
    }

    /// `trans=pop`: up to `max` unresolved halves of `topic` whose check time has come, each with a new handle.
    public func popHalf(topic: String, max: Int) -> [HalfDelivery] {
        transactions.pop(topic: topic, max: max, now: currentMillis()).map { half, stored in
            var properties = stored.properties
            MessagePropertyCodec.remove(MessageProperty.realTopic, from: &properties)
            MessagePropertyCodec.remove(MessageProperty.realQueueId, from: &properties)
            return HalfDelivery(
                messageId: MessageId.offsetMessageId(storeHost: storeHost, commitLogOffset: half.commitLogOffset),
                receiptHandle: TransactionTable.handle(of: half).text, body: Array(stored.body.readableBytesView), properties: properties,
                publishTime: half.storeTimestamp, firstConsumeTime: half.firstCheckAt, nextConsumeTime: half.nextCheck,
                consumedTimes: half.checks)
        }
    }

    /// When the next half of `topic` becomes poppable (epoch ms); nil: none is waiting.
    public func nextHalfDue(topic: String) -> Int64? { transactions.nextPoppable(topic: topic) }

    /// Commit (the message becomes visible to every group of both protocols) or rollback (never delivered) by a
    /// publish or pop handle; returns once the outcome is as durable as the flush policy promises.
    public func endTransaction(topic: String, receiptHandle: String, commit: Bool) async throws(TransactionEndError) {
        switch transactions.end(topic: topic, handle: receiptHandle, commit: commit, now: currentMillis()) {
        case let .failure(.invalid(reason)): throw .invalidHandle(reason)
        case let .failure(.expired(reason)): throw .expired(reason)
        case let .success(outcome):
            switch outcome {
            case let .unknown(reason): throw .invalidHandle(reason)
            case let .failed(reason): throw .unavailable(reason)
            case .committed, .rolledBack:
                guard let result = outcome.putResult else { return }
                let durable = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    send.whenDurable(result) { continuation.resume(returning: $0) }
                }
                guard durable else { throw .unavailable("flushing the outcome to disk timed out") }
            }
        }
    }
}
