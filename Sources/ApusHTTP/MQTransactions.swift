// MQTransactions: the HTTP API's transaction operations (http-api §6.5, §6.6, §10.6) as MQEndpoint members:
// ConsumeHalfMessage (`GET …&trans=pop`, long-polled) and commit / rollback (`DELETE …&trans=commit|rollback`), over
// the broker's one half-message store (the one remoting transactions use) through `MQTransactionStore`.

import ApusBroker
import ApusMessage
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What the transaction routes need from the broker; Broker is one, tests use fakes.
public protocol MQTransactionStore: Sendable {
    func publishHalf(topic: String, body: [UInt8], properties: String, checkSeconds: Int64,
                     bornHost: HostAddress?) async throws(PublishRejection) -> (messageId: String, receiptHandle: String)
    func popHalf(topic: String, max: Int) -> [HalfDelivery]
    /// When the next half of `topic` becomes poppable (epoch ms); nil: none waiting.
    func nextHalfDue(topic: String) -> Int64?
    func endTransaction(topic: String, receiptHandle: String, commit: Bool) async throws(TransactionEndError)
}

extension Broker: MQTransactionStore {}

extension ConsumedMessageXML {
    /// A popped half message in the `<Messages>` answer's form (§6.2 shape, §9 fields, §7 properties as for any
    /// consumed message: RocketMQ's bookkeeping keys hidden, `__TransCheckT` and user keys kept).
    init(_ d: HalfDelivery) {
        let pairs = MessagePropertyCodec.decode(d.properties)
        self.init(messageId: d.messageId, receiptHandle: d.receiptHandle, bodyMD5: MQDigest.md5Hex(d.body),
                  body: d.body, publishTime: d.publishTime,
                  firstConsumeTime: d.firstConsumeTime, nextConsumeTime: d.nextConsumeTime, consumedTimes: d.consumedTimes,
                  tag: pairs[MessageProperty.tags],
                  properties: ConsumedMessageXML.visibleProperties(pairs.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))
    }
}

extension MQEndpoint {
    /// The broker's transaction side (Broker conforms; a publisher that does not answers 501).
    var transactions: any MQTransactionStore {
        get throws(MQError) {
            guard let store = publisher as? any MQTransactionStore else {
                throw MQError(.notImplemented, "transactional messages are not supported by this endpoint")
            }
            return store
        }
    }

    /// ConsumeHalfMessage (§6.5): unresolved half messages of the topic whose check time has come, each with a new
    /// receipt handle, `ConsumedTimes` + 1 and `NextConsumeTime` about 10 s ahead; 404 `MessageNotExist` when none
    /// came within `waitseconds`.
    func consumeHalf(_ request: Request, _ context: MQRequestContext) async throws -> Response {
        let (target, path, rawQuery) = Self.target(request)
        guard let topic = MQPath.topic(of: path) else { throw MQError(.invalidRequestURL, "no resource at \(path)") }
        try PublishRequest.validateName(topic, what: "topic")
        // The consume query's rules; `consumer` is the transactional producer's group here.
        let parameters = try ConsumeParameters.decode(MQQuery(rawQuery))
        let (ns, group, count, wait) = (parameters.instance, parameters.consumer, parameters.numOfMessages, parameters.waitSeconds)
        let scopedTopic = MQInstance.scoped(topic, ns: ns)
        try acl.authorize(method: "GET", target: target, headers: Self.headers(request), remoteIP: Self.remoteIP(context),
                          needed: .pub, topic: topic, scopedTopic: scopedTopic, group: group,
                          scopedGroup: MQInstance.scoped(group, ns: ns))
        let store = try transactions
        let deadline = Date().addingTimeInterval(TimeInterval(wait))
        while true {
            let popped = store.popHalf(topic: scopedTopic, max: count)
            if !popped.isEmpty { return Self.xml(.ok, ConsumedMessageXML.documentBytes(popped.map(ConsumedMessageXML.init))) }
            let now = Date()
            guard now < deadline else { break }
            // Halves become poppable only by time (their check time, or a pop's invisibility ending): sleep until the
            // earliest of those, re-reading at least every second for halves published meanwhile.
            var pause = min(deadline.timeIntervalSince(now), 1.0)
            if let due = store.nextHalfDue(topic: scopedTopic) {
                pause = min(pause, max(0.005, Double(due) / 1000 - now.timeIntervalSince1970))
            }
            try await Task.sleep(nanoseconds: UInt64(pause * 1_000_000_000))
        }
        throw MQError(.messageNotExist, "no half message of topic \(topic) is due for a check")
    }

    /// Commit or rollback (§6.6) by the publish handle or a pop handle: 204, or 404 `<Errors>` with the per-handle
    /// error (`ReceiptHandleError`: invalid, another topic's, already resolved; `MessageNotExist`: expired).
    func endTransaction(_ request: Request, _ context: MQRequestContext, commit: Bool) async throws -> Response {
        let (target, path, rawQuery) = Self.target(request)
        guard let topic = MQPath.topic(of: path) else { throw MQError(.invalidRequestURL, "no resource at \(path)") }
        let query = MQQuery(rawQuery)
        let (ns, group) = try Self.transactionParameters(topic: topic, query: query)
        let scopedTopic = MQInstance.scoped(topic, ns: ns)
        try acl.authorize(method: "DELETE", target: target, headers: Self.headers(request), remoteIP: Self.remoteIP(context),
                          needed: .pub, topic: topic, scopedTopic: scopedTopic, group: group,
                          scopedGroup: MQInstance.scoped(group, ns: ns))
        let handles = try await Self.receiptHandles(request)
        guard handles.count == 1, let handle = handles.first else {
            throw MQError(.invalidArgument, "commit and rollback take exactly one <ReceiptHandle>, got \(handles.count)")
        }
        let store = try transactions
        do {
            try await store.endTransaction(topic: scopedTopic, receiptHandle: handle, commit: commit)
        } catch {
            let (code, message): (MQErrorCode, String)
            switch error {
            case let .invalidHandle(reason): (code, message) = (.receiptHandleError, reason)
            case let .expired(reason): (code, message) = (.messageNotExist, reason)
            case let .unavailable(reason): throw MQError(.internalError, reason)
            }
            return Self.xml(.notFound, AckErrors.document([(handle: handle, code: code.code, message: message)]))
        }
        return Self.noContent()
    }

    /// `ns` (validated) and `consumer` (the producer group, required) of a transaction request.
    static func transactionParameters(topic: String, query: MQQuery) throws(MQError) -> (ns: String?, group: String) {
        try PublishRequest.validateName(topic, what: "topic")
        let ns = query["ns"].flatMap { $0.isEmpty ? nil : $0 }
        if let ns { try PublishRequest.validateName(ns, what: "instance id (ns)") }
        guard let group = query["consumer"], !group.isEmpty else {
            throw MQError(.invalidArgument, "the consumer parameter (the producer group) is required")
        }
        try PublishRequest.validateName(group, what: "consumer (group)")
        return (ns, group)
    }
}
