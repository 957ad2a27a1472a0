// SendBackProcessor: CONSUMER_SEND_MSG_BACK (36) — translates the request for RetryService.

import ApusMessage
import ApusRemoting

final class SendBackProcessor: Sendable {
    private let retry: RetryService

    init(retry: RetryService) {
        self.retry = retry
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        do {
            // Java clients from V3_4_9 (version 121) carry their own limit.
            let sendBack = SendBackRequest(
                group: try request.required("group"), commitLogOffset: try request.requiredInt64("offset"),
                delayLevel: request.int32("delayLevel") ?? 0,
                maxReconsumeTimes: request.version >= 121 ? request.int32("maxReconsumeTimes") : nil,
                connection: connection.id)
            _ = try retry.sendBack(sendBack, now: currentMillis())
            return .response(to: request, code: .success)
        } catch let error as ServiceError {
            return .response(to: request, refusal: error)
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }
}
