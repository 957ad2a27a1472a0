// The consumption side of the ApsaraMQ HTTP layer without sockets: `trans` dispatch, consume-parameter validation,
// the ack body, the `<Messages>` and `<Errors>` documents, visible properties, and the GET/DELETE routes through
// HummingbirdTesting with a fake consumer — bad input answered with the spec's code and XML while the routes keep
// serving, the long-poll bound.

@testable import ApusBroker
import ApusGroups
import ApusMessage
@testable import ApusHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

// MARK: Pure values

@Test func transSelectorIsOrderIndependentAndStrict() throws {
    #expect(try MQTrans.parse(MQQuery("consumer=G&numOfMessages=1")) == nil)
    #expect(try MQTrans.parse(MQQuery("trans=order&consumer=G")) == .order)
    #expect(try MQTrans.parse(MQQuery("consumer=G&trans=pop&ns=I")) == .pop)
    #expect(try MQTrans.parse(MQQuery("trans=")) == nil)
    #expect(throws: MQError.self) { try MQTrans.parse(MQQuery("trans=bogus")) }
}

@Test func consumeParametersValidateRanges() throws {
    let ok = try ConsumeParameters.decode(MQQuery("numOfMessages=16&waitseconds=30&tag=TagA%7C%7CTagB&ns=MQ_INST_1&consumer=GID_1"))
    #expect(ok == ConsumeParameters(consumer: "GID_1", instance: "MQ_INST_1", numOfMessages: 16, waitSeconds: 30, tag: "TagA||TagB"))
    let short = try ConsumeParameters.decode(MQQuery("consumer=GID_1&numOfMessages=1"))
    #expect(short.waitSeconds == 0 && short.tag == nil && short.instance == nil)
    for bad in ["consumer=G&numOfMessages=0", "consumer=G&numOfMessages=17", "consumer=G&numOfMessages=x",
                "consumer=G&waitseconds=31", "consumer=G&waitseconds=-1", "numOfMessages=1", "consumer=&numOfMessages=1",
                "consumer=G%20H&numOfMessages=1", "consumer=G&ns=a%2Fb"] {
        #expect(throws: MQError.self, "\(bad)") { try ConsumeParameters.decode(MQQuery(bad)) }
        do { _ = try ConsumeParameters.decode(MQQuery(bad)) } catch { #expect(error.code == .invalidArgument, "\(bad)") }
    }
}

@Test func ackBodyDecoding() throws {
    let body = #"<?xml version="1.0" encoding="utf-8"?><ReceiptHandles xmlns="http://mq.aliyuncs.com/doc/v1/">"#
        + "<ReceiptHandle>RH1</ReceiptHandle>\n  <ReceiptHandle><![CDATA[RH2]]></ReceiptHandle></ReceiptHandles>"
    #expect(try AckRequest.decode(Array(body.utf8)) == ["RH1", "RH2"])
    func code(_ text: String) -> MQErrorCode? {
        do { _ = try AckRequest.decode(Array(text.utf8)); return nil } catch { return error.code }
    }
    #expect(code("<ReceiptHandles><ReceiptHandle>a</ReceiptHandles>") == .malformedXML)
    #expect(code("<Message><ReceiptHandle>a</ReceiptHandle></Message>") == .malformedXML)
    #expect(code("<ReceiptHandles></ReceiptHandles>") == .invalidArgument)
    #expect(code("<ReceiptHandles>" + String(repeating: "<ReceiptHandle>h</ReceiptHandle>", count: 17) + "</ReceiptHandles>")
        == .invalidArgument)
    #expect(code("<ReceiptHandles><ReceiptHandle></ReceiptHandle></ReceiptHandles>") == .invalidArgument)
    #expect(code("<ReceiptHandles>" + String(repeating: " ", count: AckRequest.maxBodyBytes) + "</ReceiptHandles>")
        == .malformedXML)
}

@Test func messagesDocumentHasTheMandatoryFieldsAndEscapes() throws {
    let m = ConsumedMessageXML(messageId: "ID1", receiptHandle: "RH1", bodyMD5: "MD5", body: Array("a<b&c 中文".utf8), publishTime: 1,
                               firstConsumeTime: 2, nextConsumeTime: 3, consumedTimes: 1, tag: nil,
                               properties: ConsumedMessageXML.visibleProperties([
                                   ("UNIQ_KEY", "X"), ("KEYS", "K1"), ("TAGS", "T"), ("a", "1"), ("bad", "x:y"),
                                   ("__SHARDINGKEY", "s"), ("WAIT", "true"),
                               ]))
    let text = String(decoding: ConsumedMessageXML.documentBytes([m, m]), as: UTF8.self)
    #expect(!text.contains("/>") && !text.contains("MessageTag"))
    let root = try XMLReader.parse(text)
    #expect(root.name == "Messages" && root.children("Message").count == 2)
    let first = try #require(root.child("Message"))
    #expect(first.children.map(\.name) == ["MessageId", "ReceiptHandle", "MessageBodyMD5", "MessageBody", "PublishTime",
                                           "FirstConsumeTime", "NextConsumeTime", "ConsumedTimes", "Properties"])
    #expect(first.child("MessageBody")?.text == "a<b&c 中文")
    #expect(first.child("Properties")?.text == "KEYS:K1|a:1|__SHARDINGKEY:s|")
    #expect(ConsumedMessageXML.visibleProperties([("TAGS", "T"), ("UNIQ_KEY", "U")]) == nil)
}

@Test func ackErrorsListOnlyTheFailures() throws {
    #expect(AckErrors.document(handles: ["a", "b"], results: [.acked, .acked]) == nil)
    let text = try #require(AckErrors.document(handles: ["a", "b", "c"], results: [.acked, .invalid, .expired]))
    let root = try XMLReader.parse(text)
    #expect(root.name == "Errors")
    let errors = root.children("Error")
    #expect(errors.map { $0.child("ReceiptHandle")?.text } == ["b", "c"])
    #expect(errors.map { $0.child("ErrorCode")?.text } == ["ReceiptHandleError", "MessageNotExist"])
    #expect(errors.allSatisfy { $0.children.map(\.name) == ["ErrorCode", "ErrorMessage", "ReceiptHandle"] })
}

// MARK: Routes

private func emptySnapshot() -> MetricsSnapshot {
    MetricsSnapshot(clusterName: "C", brokerName: "b", brokerAddress: "127.0.0.1:10911", topics: [], groups: [],
                    consumptions: [], producerCounts: [:], brokerPutTps: 0, brokerGetTps: 0, runtime: [:], retryTotal: 0,
                    deadLetterTotal: 0, broadcastSendBackDropped: 0, clientLags: [], requestLatency: [])
}

private struct NoPublisher: MQPublisher {
    var maxMessageSize: Int { 1024 }
    func publish(topic: String, body: [UInt8], properties: String, bornHost: HostAddress?) async throws(PublishRejection) -> String {
        throw PublishRejection(kind: .unavailable, reason: "no")
    }
}

/// Serves one message per (group, topic) once; acks "good" handles; a topic named "Missing" does not exist. A wait
/// sleeps until `release` is signalled (or the wait ends).
private final class FakeConsumer: MQConsumer, @unchecked Sendable {
    let lock = NSLock()
    var requests: [(ExternalConsumeRequest, Int64)] = []
    var acks: [(String, String, [String])] = []
    var served: Set<String> = []

    func consumeExternal(_ request: ExternalConsumeRequest, waitMillis: Int64) async throws(ConsumeRejection) -> [ExternalConsumedMessage] {
        lock.withLock { requests.append((request, waitMillis)) }
        if request.topic.hasSuffix("Missing") { throw ConsumeRejection(kind: .topicNotExist, reason: "topic not exist") }
        let fresh = lock.withLock { served.insert(request.group + "/" + request.topic).inserted }
        guard fresh else {
            if waitMillis > 0 { try? await Task.sleep(nanoseconds: UInt64(waitMillis) * 1_000_000) }
            return []
        }
        return [ExternalConsumedMessage(messageId: "MID", body: Array("hello <&>".utf8), publishTime: 10, tag: "TagA",
                                        properties: [("TAGS", "TagA"), ("KEYS", "K1"), ("UNIQ_KEY", "MID")],
                                        receiptHandle: "good-1", firstConsumeTime: 11, nextConsumeTime: 12, consumedTimes: 1)]
    }

    func ackExternal(group: String, topic: String, handles: [String]) -> [HTTPAckResult] {
        lock.withLock { acks.append((group, topic, handles)) }
        return handles.map { $0.hasPrefix("good") ? .acked : $0.hasPrefix("late") ? .expired : .invalid }
    }
}

private func errorCode(_ response: TestResponse) throws -> String? {
    try XMLReader.parse(String(buffer: response.body)).child("Code")?.text
}

private func handles(_ list: [String]) -> ByteBuffer {
    ByteBuffer(string: #"<?xml version="1.0" encoding="utf-8"?><ReceiptHandles xmlns="http://mq.aliyuncs.com/doc/v1/">"#
        + list.map { "<ReceiptHandle>\($0)</ReceiptHandle>" }.joined() + "</ReceiptHandles>")
}

@Test func consumeAndAckRoutes() async throws {
    let fake = FakeConsumer()
    let endpoint = MQEndpoint(publisher: NoPublisher(), consumer: fake, acl: .disabled, hostId: "h")
    let app = Application(router: HTTPServer.router(collector: MetricsCollector(snapshot: { emptySnapshot() }), mq: endpoint))
    try await app.test(.router) { client in
        try await client.execute(uri: "/topics/T1/messages?consumer=GID_1&numOfMessages=3&ns=MQ_INST_1&waitseconds=3&tag=TagA%7C%7CTagB",
                                 method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/xml;charset=utf-8")
            #expect(response.headers[HTTPField.Name("x-mq-request-id")!] != nil)
            let message = try #require(try XMLReader.parse(String(buffer: response.body)).child("Message"))
            #expect(message.child("MessageBody")?.text == "hello <&>")
            #expect(message.child("MessageBodyMD5")?.text.count == 32)
            #expect(message.child("Properties")?.text == "KEYS:K1|")
            #expect(message.child("MessageTag")?.text == "TagA")
        }
        let (first, wait) = try #require(fake.requests.first)
        #expect(first.group == "MQ_INST_1%GID_1" && first.topic == "MQ_INST_1%T1" && first.tag == "TagA||TagB")
        #expect(first.numOfMessages == 3 && !first.orderly && wait == 3000)
        // Nothing left: 404 MessageNotExist; parameter order does not matter; trans=order is orderly.
        try await client.execute(uri: "/topics/T1/messages?trans=order&numOfMessages=1&ns=MQ_INST_1&consumer=GID_1", method: .get) { response in
            #expect(response.status == .notFound)
            let code = try errorCode(response)
            #expect(code == "MessageNotExist")
        }
        #expect(fake.requests.last?.0.orderly == true && fake.requests.last?.1 == 0)
        // Ack: 204 without body; partial failure: 404 <Errors> listing only the failures.
        try await client.execute(uri: "/topics/T1/messages?consumer=GID_1&ns=MQ_INST_1", method: .delete,
                                 body: handles(["good-1"])) { response in
            #expect(response.status == .noContent)
            #expect(response.body.readableBytes == 0)
        }
        #expect(fake.acks.first.map { [$0.0, $0.1] } == ["MQ_INST_1%GID_1", "MQ_INST_1%T1"])
        try await client.execute(uri: "/topics/T1/messages?consumer=GID_1", method: .delete,
                                 body: handles(["good-2", "bad-1", "late-1"])) { response in
            #expect(response.status == .notFound)
            let root = try XMLReader.parse(String(buffer: response.body))
            #expect(root.name == "Errors")
            #expect(root.children("Error").map { $0.child("ErrorCode")?.text } == ["ReceiptHandleError", "MessageNotExist"])
        }
        #expect(fake.acks.last?.2 == ["good-2", "bad-1", "late-1"], "the valid handle went to the engine with the others")
    }
}

@Test func badConsumeAndAckInputGetsSpecCodes() async throws {
    let fake = FakeConsumer()
    let endpoint = MQEndpoint(publisher: NoPublisher(), consumer: fake, acl: .disabled, hostId: "h")
    let app = Application(router: HTTPServer.router(collector: MetricsCollector(snapshot: { emptySnapshot() }), mq: endpoint))
    try await app.test(.router) { client in
        let cases: [(String, HTTPRequest.Method, ByteBuffer?, Int, String)] = [
            ("/topics/T1/messages?consumer=G&numOfMessages=0", .get, nil, 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G&numOfMessages=17", .get, nil, 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G&numOfMessages=1&waitseconds=31", .get, nil, 400, "InvalidArgument"),
            ("/topics/T1/messages?numOfMessages=1", .get, nil, 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G&numOfMessages=1&trans=bogus", .get, nil, 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G&numOfMessages=1&trans=commit", .get, nil, 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G&trans=order", .delete, handles(["good"]), 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G&trans=bogus", .delete, handles(["good"]), 400, "InvalidArgument"),
            ("/topics/Missing/messages?consumer=G&numOfMessages=1", .get, nil, 404, "TopicNotExist"),
            ("/topics/T1/messages?consumer=G", .delete, ByteBuffer(string: "<ReceiptHandles><ReceiptHandle>x"), 400, "MalformedXML"),
            ("/topics/T1/messages?consumer=G", .delete, ByteBuffer(string: "not xml at all"), 400, "MalformedXML"),
            ("/topics/T1/messages?consumer=G", .delete, ByteBuffer(repeating: UInt8(ascii: " "), count: 200_000), 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G", .delete, handles([]), 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G", .delete, handles(Array(repeating: "good", count: 17)), 400, "InvalidArgument"),
            ("/topics/T1/messages", .delete, handles(["good"]), 400, "InvalidArgument"),
            ("/topics/T1/messages?consumer=G&numOfMessages=1&trans=pop", .get, nil, 501, "NotImplemented"),
            ("/topics/T1/messages?consumer=G&trans=commit", .delete, handles(["good"]), 501, "NotImplemented"),
        ]
        for (uri, method, body, status, code) in cases {
            try await client.execute(uri: uri, method: method, body: body) { response in
                #expect(Int(response.status.code) == status, "\(method) \(uri)")
                let got = try errorCode(response)
                #expect(got == code, "\(method) \(uri)")
                #expect(response.headers[HTTPField.Name("x-mq-request-id")!] != nil)
            }
        }
        // Still serving.
        try await client.execute(uri: "/topics/T9/messages?consumer=G&numOfMessages=1", method: .get) { response in
            #expect(response.status == .ok)
        }
    }
    #expect(fake.acks.isEmpty, "no bad ack reached the engine")
}

@Test func longPollsBeyondTheBoundAreShortPolls() async throws {
    let gate = LongPollGate(limit: 2)
    #expect(gate.enter() && gate.enter())
    #expect(!gate.enter(), "the third concurrent long poll is refused")
    gate.leave()
    #expect(gate.enter())
    #expect(gate.count == 2)

    let fake = FakeConsumer()
    let endpoint = MQEndpoint(publisher: NoPublisher(), consumer: fake, acl: .disabled, hostId: "h", maxLongPolls: 0)
    let app = Application(router: HTTPServer.router(collector: MetricsCollector(snapshot: { emptySnapshot() }), mq: endpoint))
    try await app.test(.router) { client in
        for _ in 0..<2 {
            try await client.execute(uri: "/topics/T1/messages?consumer=G&numOfMessages=1&waitseconds=30", method: .get) { _ in }
        }
    }
    #expect(fake.requests.map(\.1) == [0, 0], "no wait held beyond the bound")
}
