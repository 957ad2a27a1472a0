// The HTTP transaction operations (http-api §6.1, §6.5, §6.6, §10.6) through the routes with HummingbirdTesting and a
// fake broker whose half messages follow the real TransactionTable on a clock the test moves.

@testable import ApusBroker
import ApusGroups
import ApusHTTP
import ApusMessage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

private final class FakeTransactions: MQPublisher, MQTransactionStore, @unchecked Sendable {
    let lock = NSLock()
    var table = TransactionTable(rules: TransactionRules())
    var now: Int64 = 1_000_000
    var bodies: [Int64: (body: [UInt8], properties: String)] = [:]
    var committed: [String] = []
    var rolledBack: [String] = []
    var maxMessageSize: Int { 1024 }

    func publish(topic: String, body: [UInt8], properties: String, bornHost: HostAddress?) async throws(PublishRejection) -> String {
        "PLAIN"
    }

    func publishHalf(topic: String, body: [UInt8], properties: String, checkSeconds: Int64,
                     bornHost: HostAddress?) async throws(PublishRejection) -> (messageId: String, receiptHandle: String) {
        lock.withLock {
            let offset = Int64(bodies.count)
            let half = HalfMessage(queueOffset: offset, commitLogOffset: offset, topic: topic, producerGroup: "", origin: .http,
                                   storeTimestamp: now, immunityMillis: checkSeconds * 1000)
            table.add(half)
            bodies[offset] = (body, properties)
            return ("ID\(offset)", TransactionTable.handle(of: half).text)
        }
    }

    func popHalf(topic: String, max: Int) -> [HalfDelivery] {
        lock.withLock {
            table.pop(topic: topic, max: max, now: now).map { half in
                table.recordCheck(queueOffset: half.queueOffset, checks: half.checks, next: half.nextCheck)
                let stored = bodies[half.queueOffset]!
                return HalfDelivery(messageId: "ID\(half.queueOffset)", receiptHandle: TransactionTable.handle(of: half).text,
                                    body: stored.body, properties: stored.properties, publishTime: half.storeTimestamp,
                                    firstConsumeTime: half.firstCheckAt, nextConsumeTime: half.nextCheck,
                                    consumedTimes: half.checks)
            }
        }
    }

    func nextHalfDue(topic: String) -> Int64? { lock.withLock { table.nextPoppable(topic: topic) } }

    func endTransaction(topic: String, receiptHandle: String, commit: Bool) async throws(TransactionEndError) {
        let outcome: Result<HalfMessage, HalfHandleError> = lock.withLock {
            let checked = table.validate(handle: receiptHandle, topic: topic, now: now)
            if case let .success(half) = checked {
                table.resolve(queueOffset: half.queueOffset)
                let body = String(decoding: bodies[half.queueOffset]!.body, as: UTF8.self)
                if commit { committed.append(body) } else { rolledBack.append(body) }
            }
            return checked
        }
        switch outcome {
        case .success: return
        case let .failure(.invalid(reason)): throw .invalidHandle(reason)
        case let .failure(.expired(reason)): throw .expired(reason)
        }
    }
}

private func snapshot() -> MetricsSnapshot {
    MetricsSnapshot(clusterName: "C", brokerName: "b", brokerAddress: "127.0.0.1:10911", topics: [], groups: [],
                    consumptions: [], producerCounts: [:], brokerPutTps: 0, brokerGetTps: 0, runtime: [:], retryTotal: 0,
                    deadLetterTotal: 0, broadcastSendBackDropped: 0, clientLags: [], requestLatency: [])
}

private func handles(_ list: [String]) -> ByteBuffer {
    ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"utf-8\"?><ReceiptHandles xmlns=\"http://mq.aliyuncs.com/doc/v1/\">"
        + list.map { "<ReceiptHandle>\($0)</ReceiptHandle>" }.joined() + "</ReceiptHandles>")
}

private func half(_ body: String) -> ByteBuffer {
    ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"utf-8\"?><Message xmlns=\"http://mq.aliyuncs.com/doc/v1/\"><MessageBody>"
        + body + "</MessageBody><MessageTag>TagT</MessageTag><Properties>a:1|__TransCheckT:10|</Properties></Message>")
}

private func xml(_ response: TestResponse) throws -> XMLElement { try XMLReader.parse(String(buffer: response.body)) }

@Test func halfPublishPopCommitAndRollbackOverHTTP() async throws {
    let fake = FakeTransactions()
    let endpoint = MQEndpoint(publisher: fake, acl: .disabled, hostId: "h")
    let app = Application(router: HTTPServer.router(collector: MetricsCollector(snapshot: { snapshot() }), mq: endpoint))
    try await app.test(.router) { client in
        let path = "/topics/T/messages?ns=NS&consumer=GID_P"
        var publishHandles: [String] = []
        for body in ["one", "two"] {
            try await client.execute(uri: "/topics/T/messages?ns=NS", method: .post, body: half(body)) { response in
                #expect(response.status == .created)
                let root = try xml(response)
                #expect(root.child("MessageId")?.text.isEmpty == false)
                publishHandles.append(root.child("ReceiptHandle")?.text ?? "")
            }
        }
        // Nothing is due before __TransCheckT.
        try await client.execute(uri: path + "&trans=pop&numOfMessages=16", method: .get) { response in
            #expect(response.status == .notFound)
            let got = try xml(response).child("Code")?.text
            #expect(got == "MessageNotExist")
        }
        // "one" committed by its publish handle at once.
        try await client.execute(uri: path + "&trans=commit", method: .delete, body: handles([publishHandles[0]])) { response in
            #expect(response.status == .noContent)
        }
        try await client.execute(uri: path + "&trans=rollback", method: .delete, body: handles([publishHandles[0]])) { response in
            #expect(response.status == .notFound)
            let error = try xml(response).child("Error")
            #expect(error?.child("ErrorCode")?.text == "ReceiptHandleError")
            #expect(error?.child("ReceiptHandle")?.text == publishHandles[0])
            #expect(error?.children.count == 3)
        }
        fake.lock.withLock { fake.now += 10_000 }
        var popHandle = ""
        try await client.execute(uri: path + "&trans=pop&numOfMessages=16&waitseconds=1", method: .get) { response in
            #expect(response.status == .ok)
            let messages = try xml(response).children("Message")
            #expect(messages.count == 1)
            let m = messages[0]
            #expect(m.child("MessageBody")?.text == "two" && m.child("ConsumedTimes")?.text == "1")
            #expect(m.child("MessageTag")?.text == "TagT")
            #expect(m.child("Properties")?.text.contains("a:1|") == true)
            #expect(m.child("NextConsumeTime")?.text == String(1_020_000))
            #expect(m.child("MessageBodyMD5")?.text == "B8A9F715DBB64FD5C56E7783C6820A61")
            popHandle = m.child("ReceiptHandle")?.text ?? ""
            #expect(!popHandle.isEmpty && popHandle != publishHandles[1])
        }
        // The publish handle was replaced by the pop's.
        try await client.execute(uri: path + "&trans=commit", method: .delete, body: handles([publishHandles[1]])) { response in
            #expect(response.status == .notFound)
            let got = try xml(response).child("Error")?.child("ErrorCode")?.text
            #expect(got == "MessageNotExist")
        }
        try await client.execute(uri: path + "&trans=rollback", method: .delete, body: handles([popHandle])) { response in
            #expect(response.status == .noContent)
        }
        // Bad requests.
        try await client.execute(uri: path + "&trans=commit", method: .delete, body: handles(["a", "b"])) { response in
            #expect(response.status == .badRequest)
            let got = try xml(response).child("Code")?.text
            #expect(got == "InvalidArgument")
        }
        try await client.execute(uri: path + "&trans=commit", method: .delete, body: ByteBuffer(string: "<nope")) { response in
            #expect(response.status == .badRequest)
            let got = try xml(response).child("Code")?.text
            #expect(got == "MalformedXML")
        }
        try await client.execute(uri: "/topics/T/messages?trans=pop", method: .get) { response in
            #expect(response.status == .badRequest)
            let got = try xml(response).child("Code")?.text
            #expect(got == "InvalidArgument")
        }
        try await client.execute(uri: path + "&trans=pop&numOfMessages=17", method: .get) { response in
            #expect(response.status == .badRequest)
            let got = try xml(response).child("Code")?.text
            #expect(got == "InvalidArgument")
        }
    }
    #expect(fake.committed == ["one"] && fake.rolledBack == ["two"])
}
