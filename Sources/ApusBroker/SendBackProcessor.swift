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
            let header = try request.decodeHeader(ConsumerSendMsgBackRequestHeader.self)
            // Java clients from V3_4_9 (version 121) carry their own limit.
            let sendBack = SendBackRequest(
                group: header.group, commitLogOffset: header.offset, delayLevel: header.delayLevel,
                maxReconsumeTimes: request.version >= 121 ? header.maxReconsumeTimes : nil, connection: connection.id)
            _ = try retry.sendBack(sendBack, now: currentMillis())
            return .response(to: request, code: .success)
        } catch let error as ServiceError {
            return .response(to: request, refusal: error)
        } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
    }
}
