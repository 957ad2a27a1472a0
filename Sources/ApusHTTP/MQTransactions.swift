// MQTransactions: the transactional side of the ApsaraMQ HTTP API (http-api §6.5, §6.6) — ConsumeHalfMessage
// (`GET …&trans=pop`) and commit/rollback (`DELETE …&trans=commit|rollback`). A placeholder until transactions land:
// both answer 501 NotImplemented. MQRoutes dispatches to these two functions.

import Hummingbird

extension MQEndpoint {
    /// `GET /topics/{topic}/messages?…&trans=pop`.
    func consumeHalf(_ request: Request, _ context: MQRequestContext) async throws -> Response {
        throw MQError(.notImplemented, "transactional half messages (trans=pop) are not supported yet")
    }

    /// `DELETE /topics/{topic}/messages?…&trans=commit|rollback`.
    func endTransaction(_ request: Request, _ context: MQRequestContext, commit: Bool) async throws -> Response {
        throw MQError(.notImplemented, "transactions (trans=\(commit ? "commit" : "rollback")) are not supported yet")
    }
}
