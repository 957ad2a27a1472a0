// QueueLockProcessor: LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) for orderly consumers, answered at once.

import ApusMessage
import ApusRemoting

final class QueueLockProcessor: Sendable {
    private let groups: GroupService

    init(groups: GroupService) {
        self.groups = groups
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        let body: LockBatchRequestBody
        do {
            guard let raw = request.body else { throw RequestError.badBody("a lock request needs a body") }
            body = try LockBatchRequestBody.decode(raw)
            try GroupService.validate(group: body.consumerGroup)
        } catch let error as ServiceError {
            return .response(to: request, refusal: error)
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let queues = Array(body.mqSet)
        if request.code == RequestCode.unlockBatchMQ.rawValue {
            groups.unlock(group: body.consumerGroup, queues: queues, clientId: body.clientId)
            return .response(to: request, code: .success)
        }
        let locked = groups.lock(group: body.consumerGroup, queues: queues, clientId: body.clientId,
                                 connection: connection.id, now: currentMillis())
        return .response(to: request, code: .success, body: LockBatchResponseBody(lockOKMQSet: locked).encode())
    }
}
