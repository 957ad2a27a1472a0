// ServiceError: why a broker service refused a request, independent of the transport that carried it; remoting maps
// each kind to a RocketMQ response code, HTTP to its own error codes.

struct ServiceError: Error, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case topicNotExist
        case noPermission
        case messageIllegal
        case systemError
        case serviceNotAvailable
        case subscriptionGroupNotExist
        case subscriptionParseFailed
        case subscriptionNotExist
        case subscriptionNotLatest
        case invalidName
        /// No online member (admin requests on a group).
        case consumerNotOnline
        /// A message query found nothing.
        case queryNotFound
    }

    var kind: Kind
    var remark: String

    init(_ kind: Kind, _ remark: String) {
        self.kind = kind
        self.remark = remark
    }

    var description: String { remark }
}
