// QueueLockProcessor: LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) for orderly consumers.

import ApusMessage
import ApusRemoting

final class QueueLockProcessor: Sendable {
    private let broker: Broker

    init(broker: Broker) {
        self.broker = broker
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        let body: LockBatchRequestBody
        do {
            guard let raw = request.body else { throw RequestError.badBody("a lock request needs a body") }
            body = try LockBatchRequestBody.decode(raw)
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let queues = Array(body.mqSet)
        if request.code == RequestCode.unlockBatchMQ.rawValue {
            broker.groups.withLock { $0.locks.unlock(group: body.consumerGroup, queues: queues, clientId: body.clientId) }
            return .response(to: request, code: .success)
        }
        let locked = broker.groups.withLock {
            $0.locks.lock(group: body.consumerGroup, queues: queues, clientId: body.clientId, now: currentMillis())
        }
        return .response(to: request, code: .success, body: LockBatchResponseBody(lockOKMQSet: locked).encode())
    }
}
