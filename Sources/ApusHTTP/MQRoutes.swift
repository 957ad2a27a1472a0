// MQRoutes: the ApsaraMQ HTTP API on Hummingbird (http-api.md): `POST /topics/{topic}/messages[?ns=…]` publishes
// through the broker's SendService; `GET` consumes and `DELETE` acks (MQConsumeRoutes), dispatched on `trans`
// (absent, `order`, `pop`, `commit`, `rollback`; MQTransactions has the last three). Every answer has the `<Error>` / `<Message>` XML of MQProtocol, the lowercase
// `x-mq-request-id` (RequestIDMiddleware) and `x-mq-version`.

import ApusBroker
import ApusMessage
import ApusRemoting
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The request context: Hummingbird's core storage plus the peer address (ACL white lists, born host).
public struct MQRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// What the routes publish into; Broker is one, tests use fakes.
public protocol MQPublisher: Sendable {
    var maxMessageSize: Int { get }
    func publish(topic: String, body: [UInt8], properties: String, bornHost: HostAddress?) async throws(PublishRejection) -> String
}

extension Broker: MQPublisher {}
extension Broker: MQConsumer {}

/// The MQ endpoints' shared state.
public struct MQEndpoint: Sendable {
    public var publisher: any MQPublisher
    /// Consume and ack; nil: GET and DELETE answer NotImplemented.
    public var consumer: (any MQConsumer)?
    public var acl: ACLConfig
    /// The `HostId` of error bodies (the endpoint, free text).
    public var hostId: String
    /// Bounds the long polls held at once (`httpMaxLongPolls`).
    let longPolls: LongPollGate
    /// Refused requests are logged here (rate-limited per error code and peer); nil: not logged.
    public var logger: Logger?
    let logLimiter = LogRateLimiter()

    public init(publisher: any MQPublisher, consumer: (any MQConsumer)? = nil, acl: ACLConfig, hostId: String,
                maxLongPolls: Int = 10_000, logger: Logger? = nil) {
        self.publisher = publisher
        self.consumer = consumer
        self.acl = acl
        self.hostId = hostId
        longPolls = LongPollGate(limit: maxLongPolls)
        self.logger = logger
    }

    /// Adds the MQ routes to `router`.
    public func register(on router: Router<MQRequestContext>) {
        let endpoint = self
        router.post("/topics/:topic/messages") { request, context -> Response in
            await endpoint.answer(context) { try await endpoint.publish(request, context) }
        }
        router.get("/topics/:topic/messages") { request, context -> Response in
            await endpoint.answer(context) {
                switch try MQTrans.parse(MQQuery(Self.target(request).query)) {
                case nil: return try await endpoint.consume(request, context, orderly: false)
                case .order: return try await endpoint.consume(request, context, orderly: true)
                case .pop: return try await endpoint.consumeHalf(request, context)
                case let .some(other): throw MQError(.invalidArgument, "trans=\(other.rawValue) is not a consume parameter")
                }
            }
        }
        router.delete("/topics/:topic/messages") { request, context -> Response in
            await endpoint.answer(context) {
                switch try MQTrans.parse(MQQuery(Self.target(request).query)) {
                case nil: return try await endpoint.ack(request, context)
                case .commit: return try await endpoint.endTransaction(request, context, commit: true)
                case .rollback: return try await endpoint.endTransaction(request, context, commit: false)
                case let .some(other): throw MQError(.invalidArgument, "trans=\(other.rawValue) is not an ack parameter")
                }
            }
        }
    }

    /// Runs `work` and turns an MQError (or anything else) into the XML error answer; refusals other than an empty
    /// poll are logged, rate-limited per code and peer.
    func answer(_ context: MQRequestContext, _ work: () async throws -> Response) async -> Response {
        let requestId = context.requestId
        do {
            return try await work()
        } catch let error as MQError {
            note(error, context, requestId: requestId)
            return Self.error(error, requestId: requestId, hostId: hostId)
        } catch {
            let wrapped = MQError(.internalError, "\(error)")
            note(wrapped, context, requestId: requestId)
            return Self.error(wrapped, requestId: requestId, hostId: hostId)
        }
    }

    private func note(_ error: MQError, _ context: MQRequestContext, requestId: String) {
        guard let logger, error.code != .messageNotExist else { return }
        logLimiter.log(logger, level: error.code.status >= 500 ? .error : .warning, key: "http-" + error.code.code,
                       peer: Self.remoteIP(context), "HTTP API request refused",
                       metadata: ["code": "\(error.code.code)", "reason": "\(error.message)", "requestId": "\(requestId)"])
    }

    /// The headers of every XML answer and of a 204, checked once: a field set by name and value is validated each time.
    private static let xmlHeaders: HTTPFields = [.contentType: MQXML.contentType, versionName: MQHeaders.versionValue]
    private static let noContentHeaders: HTTPFields = [versionName: MQHeaders.versionValue]
    private static let versionName = HTTPField.Name(MQHeaders.version)!

    static func xml(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: xmlHeaders, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func xml(_ status: HTTPResponse.Status, _ body: [UInt8]) -> Response {
        Response(status: status, headers: xmlHeaders, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The 204 of a successful ack, commit or rollback.
    static func noContent() -> Response {
        Response(status: .noContent, headers: noContentHeaders)
    }

    /// The `<ReceiptHandles>` of an ack, commit or rollback body (bounded by `AckRequest.maxBodyBytes`).
    static func receiptHandles(_ request: Request) async throws -> [String] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: AckRequest.maxBodyBytes)
        } catch {
            throw MQError(.invalidArgument, "the request body exceeds \(AckRequest.maxBodyBytes) bytes")
        }
        return try AckRequest.decode(Array(buffer.readableBytesView))
    }

    public static func error(_ error: MQError, requestId: String, hostId: String) -> Response {
        xml(HTTPResponse.Status(code: error.code.status), error.body(requestId: requestId, hostId: hostId))
    }

    /// The raw request-target and the split path/query (the signature covers the target as received).
    static func target(_ request: Request) -> (target: String, path: String, query: String) {
        let target = request.head.path ?? "/"
        // Found as a byte: `firstIndex(of: Character)` reads the target a grapheme cluster at a time.
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, target, "") }
        return (target, String(target[..<q]), String(target[target.utf8.index(after: q)...]))
    }

    static func headers(_ request: Request) -> [(String, String)] {
        request.headers.map { ($0.name.rawName, $0.value) }
    }

    static func remoteIP(_ context: MQRequestContext) -> String? { context.remoteAddress?.ipAddress }

    func publish(_ request: Request, _ context: MQRequestContext) async throws -> Response {
        let (target, path, rawQuery) = Self.target(request)
        guard let topic = MQPath.topic(of: path) else { throw MQError(.invalidRequestURL, "no resource at \(path)") }
        let query = MQQuery(rawQuery)
        if let trans = query["trans"], !trans.isEmpty {
            throw MQError(.invalidArgument, "trans=\(trans) is not a publish parameter")
        }
        let ns = query["ns"].flatMap { $0.isEmpty ? nil : $0 }
        try acl.authorize(method: "POST", target: target, headers: Self.headers(request), remoteIP: Self.remoteIP(context),
                          needed: .pub, topic: topic, scopedTopic: MQInstance.scoped(topic, ns: ns))
        let limit = publisher.maxMessageSize * 6 + PublishRequest.envelopeAllowance
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw MQError(.invalidArgument, "the request body exceeds \(limit) bytes")
        }
        let publish = try PublishRequest.decode(topic: topic, query: query, body: Array(buffer.readableBytesView),
                                                maxBodyBytes: publisher.maxMessageSize)
        let body = Array(publish.body.utf8)
        let bornHost = HostAddress(context.remoteAddress)
        let messageId: String
        var receiptHandle: String?
        let halfStore = publish.isTransactional ? try transactions : nil
        do {
            if let halfStore, let checkSeconds = publish.transactionCheckSeconds {
                // A half message (§6.1, §10.6): stored invisibly; the handle commits or rolls it back.
                (messageId, receiptHandle) = try await halfStore.publishHalf(
                    topic: publish.storedTopic, body: body, properties: publish.storedProperties, checkSeconds: checkSeconds,
                    bornHost: bornHost)
            } else {
                messageId = try await publisher.publish(topic: publish.storedTopic, body: body,
                                                        properties: publish.storedProperties, bornHost: bornHost)
            }
        } catch {
            switch error.kind {
            case .topicNotExist: throw MQError(.topicNotExist, error.reason)
            case .noPermission: throw MQError(.accessDenied, error.reason)
            case .invalidArgument: throw MQError(.invalidArgument, error.reason)
            case .unavailable: throw MQError(.internalError, error.reason)
            }
        }
        let md5 = MQDigest.md5Hex(body)
        return Self.xml(.created, PublishResponse(messageId: messageId, bodyMD5: md5, receiptHandle: receiptHandle).xml)
    }
}

extension MQHeaders {
    /// The request id's header name, checked once (a name is validated each time it is made).
    static let requestIdName = HTTPField.Name(requestId)!
}

extension MQRequestContext {
    /// This request's id: set by RequestIDMiddleware before any route runs.
    var requestId: String { RequestIDStorage.current ?? "-" }
}

/// The current request's id, for error bodies (`RequestId` equals the `x-mq-request-id` header).
enum RequestIDStorage {
    @TaskLocal static var current: String?
}
