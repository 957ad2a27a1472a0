// Broker.consumeExternal / ackExternal (the HTTP API's consume entry) and the sharding-key queue of Broker.publish:
// the client-visible message id (UNIQ_KEY, else the offset id), inflated bodies, properties in stored order, the
// auto-created topic, refusals as ConsumeRejection, a key's messages in one queue.

@testable import ApusBroker
import ApusGroups
import ApusMessage
import NIOCore
import Testing

@Test func consumeExternalShowsTheClientsViewAndAcks() async throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    let now = currentMillis()
    try h.send(topic: "Ext", body: "plain", properties: [("KEYS", "K1"), ("a", "1")], now: now)
    // A compressed body (the C++ client deflates bodies over 4 KB) comes out inflated.
    let big = String(repeating: "compressible 中文 ", count: 400)
    let deflated = Array(big.utf8).withUnsafeBytes { Zlib.deflate($0) }
    let prepared = try h.broker.send.prepare(SendRequest(
        topic: "Ext", defaultTopic: "TBW102", defaultTopicQueueNums: nil, queueId: 0, sysFlag: MessageSysFlag.compressed,
        bornTimestamp: now, properties: .string(MessagePropertyCodec.encode([("TAGS", "TagB")])), body: ByteBuffer(bytes: deflated),
        bornHost: ServiceHarness.bornHost), now: now)
    _ = h.broker.send.append(prepared)

    let request = ExternalConsumeRequest(group: "GID_ext", topic: "Ext", tag: nil, numOfMessages: 16, orderly: false,
                                         client: "http:test")
    let got = try await h.broker.consumeExternal(request, waitMillis: 0)
    #expect(got.count == 2)
    let plain = try #require(got.first { $0.body == Array("plain".utf8) })
    #expect(plain.messageId == "ID-plain", "UNIQ_KEY is the message id")
    #expect(plain.tag == "TagA" && plain.consumedTimes == 1)
    #expect(plain.properties.map(\.key).prefix(4) == ["TAGS", "UNIQ_KEY", "KEYS", "a"], "stored order")
    let compressed = try #require(got.first { $0.tag == "TagB" })
    #expect(String(decoding: compressed.body, as: UTF8.self) == big)
    #expect(compressed.messageId.count == 32, "no UNIQ_KEY: the offset message id")

    let acked = await h.broker.ackExternal(group: "GID_ext", topic: "Ext", handles: [plain.receiptHandle, "junk"])
    #expect(acked == [.acked, .invalid])
    #expect(try await h.broker.consumeExternal(request, waitMillis: 0).isEmpty, "the other one is invisible")
}

@Test func consumeExternalCreatesTopicsOrRefuses() async throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    let fresh = ExternalConsumeRequest(group: "GID_x", topic: "NotYet", tag: "A||B", numOfMessages: 1, orderly: true,
                                       client: "c")
    #expect(try await h.broker.consumeExternal(fresh, waitMillis: 0).isEmpty)
    #expect(h.broker.topics.get("NotYet") != nil, "auto-created like a send")

    let strict = try ServiceHarness { $0.autoCreateTopicEnable = false }
    defer { strict.stop() }
    do {
        _ = try await strict.broker.consumeExternal(fresh, waitMillis: 0)
        Issue.record("consumed a missing topic")
    } catch { #expect(error.kind == .topicNotExist) }
    var bad = fresh
    bad.numOfMessages = 17
    do {
        _ = try await h.broker.consumeExternal(bad, waitMillis: 0)
        Issue.record("17 messages accepted")
    } catch { #expect(error.kind == .invalidArgument) }
}

@Test func shardingKeyPicksOneQueue() async throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<12 {
        _ = try await h.broker.publish(topic: "Sharded", body: Array("m\(i)".utf8),
                                       properties: MessagePropertyCodec.encode([("__SHARDINGKEY", "key-\(i % 2)")]),
                                       bornHost: nil)
    }
    let queues = (0..<16).map { h.messages(topic: "Sharded", queueId: Int32($0)) }
    for key in ["key-0", "key-1"] {
        let holding = queues.indices.filter { q in
            queues[q].contains { MessagePropertyCodec.value(of: "__SHARDINGKEY", in: $0.properties) == key }
        }
        #expect(holding.count == 1, "\(key) is in one queue")
        let expected = Int32(abs(Int64(TagsCode.javaHash(key.utf16))) % Int64(h.broker.topics.get("Sharded")!.writeQueueNums))
        #expect(holding.first.map(Int32.init) == expected)
    }
}

@Test func storedPropertiesComeOutInOrderWithTheLastOfADuplicateKeyInPlace() {
    func text(_ pairs: [(String, String)]) -> String { pairs.map { $0 + "\u{1}" + $1 }.joined(separator: "\u{2}") }
    func pairs(_ text: String) -> [String] { Broker.orderedProperties(text).map { $0.key + "=" + $0.value } }
    #expect(pairs(text([("TAGS", "T"), ("UNIQ_KEY", "U"), ("KEYS", "a b"), ("TAGS", "T2"), ("e", "")]))
        == ["TAGS=T2", "UNIQ_KEY=U", "KEYS=a b", "e="])
    #expect(pairs("") == [] && pairs("\u{2}\u{2}") == [] && pairs("novalue\u{2}\u{1}nokey\u{2}k\u{1}v\u{1}w\u{2}")
        == ["k=v\u{1}w"], "pieces without a separator or a key are skipped; the first separator splits")
    #expect(pairs(text([("中", "文"), ("é", "ü")])) == ["中=文", "é=ü"])
    // Past sixteen pairs, duplicates are found through an index: the same answer.
    let many = (0..<40).map { ("k\($0 % 25)", "v\($0)") }
    #expect(pairs(text(many)) == (0..<25).map { "k\($0)=v\($0 < 15 ? $0 + 25 : $0)" })
}
