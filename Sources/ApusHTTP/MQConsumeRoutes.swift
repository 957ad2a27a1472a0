// MQConsumeRoutes: ConsumeMessage (`GET /topics/{topic}/messages?consumer=G&numOfMessages=N[&waitseconds=W][&tag=T]
// [&trans=order][&ns=…]`) and AckMessage (`DELETE …?consumer=G[&ns=…]`, a `<ReceiptHandles>` body) of the ApsaraMQ
// HTTP API (http-api §6.2–§6.4, §10) on the broker's HTTP consumption engine (MQConsumer). Long polls are bounded
// by LongPollGate: beyond `httpMaxLongPolls` held at once a consume is answered at once, as a short poll.

import ApusBroker
import ApusGroups
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// What the consume routes consume from; Broker is one, tests use fakes. Names are the stored (scoped) ones.
public protocol MQConsumer: Sendable {
    func consumeExternal(_ request: ExternalConsumeRequest, waitMillis: Int64) async throws(ConsumeRejection)
        -> [ExternalConsumedMessage]
    func ackExternal(group: String, topic: String, handles: [String]) async -> [HTTPAckResult]
}

/// Counts the long polls held now; `enter` refuses beyond the limit.
final class LongPollGate: Sendable {
    let limit: Int
    private let held = Atomic<Int>(0)

    init(limit: Int) { self.limit = max(0, limit) }

    func enter() -> Bool {
        let now = held.add(1, ordering: .relaxed).newValue
        if now <= limit { return true }
        held.subtract(1, ordering: .relaxed)
        return false
    }

    func leave() { held.subtract(1, ordering: .relaxed) }

    var count: Int { held.load(ordering: .relaxed) }
}

extension MQEndpoint {
    /// The consumer, or NotImplemented when this endpoint serves publishing only.
    private func requireConsumer() throws -> any MQConsumer {
        guard let consumer else { throw MQError(.notImplemented, "consuming is not served by this endpoint") }
        return consumer
    }

    /// Who polls, for the group's protocol-consistency report: the access key (if any) at the peer's IP.
    static func clientName(_ request: Request, _ context: MQRequestContext) -> String {
        let key = request.headers[.authorization].flatMap { try? MQSignature.parseAuthorization($0).accessKey } ?? "anonymous"
        return "http:" + key + "@" + (Self.remoteIP(context) ?? "-")
    }

    func consume(_ request: Request, _ context: MQRequestContext, orderly: Bool) async throws -> Response {
        let consumer = try requireConsumer()
        let (target, path, rawQuery) = Self.target(request)
        guard let topic = MQPath.topic(of: path) else { throw MQError(.invalidRequestURL, "no resource at \(path)") }
        try PublishRequest.validateName(topic, what: "topic")
        let query = MQQuery(rawQuery)
        let parameters = try ConsumeParameters.decode(query)
        let scopedTopic = MQInstance.scoped(topic, ns: parameters.instance)
        let scopedGroup = MQInstance.scoped(parameters.consumer, ns: parameters.instance)
        try acl.authorize(method: "GET", target: target, headers: Self.headers(request), remoteIP: Self.remoteIP(context),
                          needed: .sub, topic: topic, scopedTopic: scopedTopic,
                          group: parameters.consumer, scopedGroup: scopedGroup)
        let consumeRequest = ExternalConsumeRequest(group: scopedGroup, topic: scopedTopic, tag: parameters.tag,
                                                    numOfMessages: parameters.numOfMessages, orderly: orderly,
                                                    client: Self.clientName(request, context))
        // A wait beyond the long-poll bound degrades to a short poll (answered at once).
        let holds = parameters.waitSeconds > 0 && longPolls.enter()
        defer { if holds { longPolls.leave() } }
        let messages: [ExternalConsumedMessage]
        do {
            if holds {
                // A graceful shutdown ends the hold (the poll answers with what is deliverable then) instead of
                // keeping the server up for the rest of the wait.
                let wait = Int64(parameters.waitSeconds) * 1000
                messages = try await cancelWhenGracefulShutdown {
                    try await consumer.consumeExternal(consumeRequest, waitMillis: wait)
                }
            } else {
                messages = try await consumer.consumeExternal(consumeRequest, waitMillis: 0)
            }
        } catch let error as ConsumeRejection {
            switch error.kind {
            case .topicNotExist: throw MQError(.topicNotExist, error.reason)
            case .groupNotExist: throw MQError(.subscriptionNotExist, error.reason)
            case .noPermission: throw MQError(.accessDenied, error.reason)
            case .invalidArgument: throw MQError(.invalidArgument, error.reason)
            case .unavailable: throw MQError(.internalError, error.reason)
            }
        }
        guard !messages.isEmpty else { throw MQError(.messageNotExist, "Message not exist.") }
        let xml = ConsumedMessageXML.documentBytes(messages.map { m in
            ConsumedMessageXML(messageId: m.messageId, receiptHandle: m.receiptHandle,
                               bodyMD5: MQDigest.md5Hex(m.body),
                               body: m.body, publishTime: m.publishTime,
                               firstConsumeTime: m.firstConsumeTime, nextConsumeTime: m.nextConsumeTime,
                               consumedTimes: m.consumedTimes, tag: m.tag,
                               properties: ConsumedMessageXML.visibleProperties(m.properties))
        })
        return Self.xml(.ok, xml)
    }

    func ack(_ request: Request, _ context: MQRequestContext) async throws -> Response {
        let consumer = try requireConsumer()
        let (target, path, rawQuery) = Self.target(request)
        guard let topic = MQPath.topic(of: path) else { throw MQError(.invalidRequestURL, "no resource at \(path)") }
        try PublishRequest.validateName(topic, what: "topic")
        let query = MQQuery(rawQuery)
        guard let group = query["consumer"], !group.isEmpty else {
            throw MQError(.invalidArgument, "the consumer (group id) parameter is missing")
        }
        try PublishRequest.validateName(group, what: "consumer (group id)")
        let ns = query["ns"].flatMap { $0.isEmpty ? nil : $0 }
        if let ns { try PublishRequest.validateName(ns, what: "instance id (ns)") }
        let scopedTopic = MQInstance.scoped(topic, ns: ns)
        let scopedGroup = MQInstance.scoped(group, ns: ns)
        try acl.authorize(method: "DELETE", target: target, headers: Self.headers(request), remoteIP: Self.remoteIP(context),
                          needed: .sub, topic: topic, scopedTopic: scopedTopic, group: group, scopedGroup: scopedGroup)
        let handles = try await Self.receiptHandles(request)
        let results = await consumer.ackExternal(group: scopedGroup, topic: scopedTopic, handles: handles)
        guard let errors = AckErrors.document(handles: handles, results: results) else {
            return Self.noContent()
        }
        return Self.xml(.notFound, errors)
    }
}
