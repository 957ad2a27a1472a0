// Tests of ApusMessage: record layout, properties, ids, batches, checksums, compression, tag hash.
import ApusMessage
import NIOCore
import Testing

private func sampleMessage(body: [UInt8] = Array("hello".utf8), properties: String? = nil) -> MessageToStore {
    MessageToStore(
        topic: "TopicTest", queueId: 3, flag: 7, body: ByteBuffer(bytes: body),
        properties: properties ?? MessagePropertyCodec.encode([("TAGS", "TagA"), ("UNIQ_KEY", "ABC")]),
        sysFlag: 0, bornTimestamp: 1_700_000_000_123, bornHost: HostAddress("10.0.0.2:5555")!,
        storeHost: HostAddress("127.0.0.1:20911")!, reconsumeTimes: 2, preparedTransactionOffset: 99,
        tagsCode: TagsCode.of("TagA"))
}

private func int(_ bytes: [UInt8], _ at: Int, _ size: Int) -> Int64 {
    var value: Int64 = 0
    for i in 0..<size { value = value << 8 | Int64(bytes[at + i]) }
    return size == 4 ? Int64(Int32(truncatingIfNeeded: value)) : value
}

@Test func recordFieldsSitAtTheirSpecifiedOffsets() {
    let m = sampleMessage()
    let bytes = StoredMessageCodec.encode(m, queueOffset: 42, physicalOffset: 4096, storeTimestamp: 1_700_000_000_456)
    let properties = Array(m.properties.utf8)
    #expect(bytes.count == 91 + 5 + 9 + properties.count)
    #expect(StoredMessageCodec.recordLength(bodyLength: 5, topicLength: 9, propertiesLength: properties.count) == bytes.count)
    #expect(int(bytes, 0, 4) == Int64(bytes.count))
    #expect(Array(bytes[4..<8]) == [0xDA, 0xA3, 0x20, 0xA7])
    #expect(int(bytes, 8, 4) == Int64(CRC32.checksum(Array("hello".utf8)) & 0x7FFF_FFFF))
    #expect(int(bytes, 12, 4) == 3)
    #expect(int(bytes, 16, 4) == 7)
    #expect(int(bytes, 20, 8) == 42)
    #expect(int(bytes, 28, 8) == 4096)
    #expect(int(bytes, 36, 4) == 0)
    #expect(int(bytes, 40, 8) == 1_700_000_000_123)
    #expect(Array(bytes[48..<52]) == [10, 0, 0, 2])
    #expect(int(bytes, 52, 4) == 5555)
    #expect(int(bytes, 56, 8) == 1_700_000_000_456)
    #expect(Array(bytes[64..<68]) == [0x7F, 0, 0, 1])
    #expect(int(bytes, 68, 4) == 20911)
    #expect(int(bytes, 72, 4) == 2)
    #expect(int(bytes, 76, 8) == 99)
    #expect(int(bytes, 84, 4) == 5)
    #expect(Array(bytes[88..<93]) == Array("hello".utf8))
    #expect(bytes[93] == 9)
    #expect(Array(bytes[94..<103]) == Array("TopicTest".utf8))
    #expect(int(bytes, 103, 2) == Int64(properties.count))
    #expect(Array(bytes[105...]) == properties)
}

@Test func recordRoundTripsAndRejectsGarbage() {
    let m = sampleMessage(body: (0..<300).map { UInt8($0 & 0xFF) })
    let bytes = StoredMessageCodec.encode(m, queueOffset: 1, physicalOffset: 2, storeTimestamp: 3)
    bytes.withUnsafeBytes { raw in
        guard case .message(let decoded, let length) = StoredMessageCodec.decode(raw, verifyCRC: true) else {
            Issue.record("not decoded"); return
        }
        #expect(length == bytes.count)
        #expect(decoded.body == ByteBuffer(bytes: (0..<300).map { UInt8($0 & 0xFF) }))
        #expect(decoded.topic == "TopicTest")
        #expect(decoded.queueOffset == 1 && decoded.physicalOffset == 2 && decoded.storeTimestamp == 3)
        #expect(decoded.bornHost == HostAddress("10.0.0.2:5555")!)
        #expect(decoded.propertyMap["TAGS"] == "TagA")
        #expect(decoded.offsetMessageId == "7F000001000051AF0000000000000002")
        #expect(StoredMessageCodec.decode(UnsafeRawBufferPointer(rebasing: raw[0..<50]), verifyCRC: true) == .needMoreData)
    }
    var corrupted = bytes
    corrupted[100] ^= 0xFF
    corrupted.withUnsafeBytes { #expect(StoredMessageCodec.decode($0, verifyCRC: true) == .corrupt) }
    var badMagic = bytes
    badMagic[5] = 0
    badMagic.withUnsafeBytes { #expect(StoredMessageCodec.decode($0, verifyCRC: false) == .corrupt) }
    let blank: [UInt8] = [0, 0, 0, 64, 0xCB, 0xD4, 0x31, 0x94]
    blank.withUnsafeBytes { #expect(StoredMessageCodec.decode($0, verifyCRC: true) == .blank(length: 64)) }
    // Random garbage never traps.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
        var junk = bytes
        for _ in 0..<4 { junk[Int.random(in: 0..<junk.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
        junk.withUnsafeBytes { _ = StoredMessageCodec.decode(UnsafeRawBufferPointer(rebasing: $0[0..<Int.random(in: 0...junk.count)]), verifyCRC: true) }
    }
}

/// Each body is the slice of its own record, also in a buffer that does not start at index 0 (a pull response's body).
@Test func decodeAllReadsConcatenatedRecords() {
    var buffer = ByteBuffer(bytes: [9, 9, 9, 9, 9])
    buffer.moveReaderIndex(forwardBy: 5)
    for i in 0..<3 {
        buffer.writeBytes(StoredMessageCodec.encode(sampleMessage(body: [UInt8](repeating: UInt8(i + 1), count: i * 7)),
                                                    queueOffset: Int64(i), physicalOffset: 0, storeTimestamp: 0))
    }
    let decoded = StoredMessageCodec.decodeAll(buffer)
    #expect(decoded.map(\.queueOffset) == [0, 1, 2])
    #expect(decoded.map { Array($0.body.readableBytesView) } == (0..<3).map { [UInt8](repeating: UInt8($0 + 1), count: $0 * 7) })
}

/// A pull's records share their topic string when the topic repeats (or is the one the pull expected); each record
/// still reads its own topic, whatever topic was expected.
@Test func decodeAllReadsEachRecordsTopic() {
    let topics = ["a-long-topic-name-over-15", "a-long-topic-name-over-15", "a-long-topic-name-over-16", "T", "T", "",
                  "话题-topic-non-ascii", "话题-topic-non-ascii", "a-long-topic-name-over-15"]
    var buffer = ByteBuffer()
    for (i, topic) in topics.enumerated() {
        var message = sampleMessage(body: [UInt8(i)])
        message.topic = topic
        buffer.writeBytes(StoredMessageCodec.encode(message, queueOffset: Int64(i), physicalOffset: 0, storeTimestamp: 0))
    }
    let decoded = StoredMessageCodec.decodeAll(buffer)
    #expect(decoded.map(\.topic) == topics)
    #expect(decoded.map(\.body) == topics.indices.map { ByteBuffer(bytes: [UInt8($0)]) })
    for expected in ["a-long-topic-name-over-15", "a-long-topic-name-over-1", "a-long-topic-name-over-155", "T", "", "x"] {
        let read = StoredMessageCodec.decodeAll(buffer, topic: expected)
        #expect(read.map(\.topic) == topics, "expected topic \(expected)")
        #expect(read.map(\.queueOffset) == topics.indices.map(Int64.init))
    }
}

@Test func propertiesEncodeDecodeAndScan() {
    let text = MessagePropertyCodec.encode([("TAGS", "TagA"), ("KEYS", "k1 k2"), ("EMPTY", ""), ("UNIQ_KEY", "U1")])
    #expect(text == "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}EMPTY\u{1}\u{2}UNIQ_KEY\u{1}U1\u{2}")
    #expect(MessagePropertyCodec.decode(text) == ["TAGS": "TagA", "KEYS": "k1 k2", "EMPTY": "", "UNIQ_KEY": "U1"])
    #expect(MessagePropertyCodec.value(of: "KEYS", in: text) == "k1 k2")
    #expect(MessagePropertyCodec.value(of: "TAG", in: text) == nil)
    #expect(MessagePropertyCodec.value(of: "UNIQ_KEY", in: text) == "U1")
    #expect(MessagePropertyCodec.value(of: "A", in: "A\u{1}1\u{2}A\u{1}2\u{2}") == "2")
    #expect(MessagePropertyCodec.value(of: "A", in: "") == nil)
    #expect(MessagePropertyCodec.value(of: "EMPTY", in: text) == "")
    #expect(MessagePropertyCodec.value(of: "B", in: "A\u{1}x\u{2}B\u{1}y") == "y")   // Java 4.9: no trailing separator
    #expect(MessagePropertyCodec.value(of: "", in: text) == nil)
    #expect(MessagePropertyCodec.decode("A\u{1}x\u{2}\u{2}\u{1}y\u{2}") == ["A": "x"])
}

@Test func tagHashMatchesJavaStringHashCode() {
    #expect(TagsCode.of("TagA") == 2598919)
    #expect(TagsCode.of("*") == 42)
    #expect(TagsCode.of(nil) == 0)
    #expect(TagsCode.of("") == 0)
    #expect(TagsCode.of("é") == 233)
    #expect(TagsCode.of("😀") == 1772899)
    // Wraps around and is sign-extended: "polygenelubricants".hashCode() == Integer.MIN_VALUE.
    #expect(TagsCode.of("polygenelubricants") == Int64(Int32.min))
}

@Test func crc32KnownValues() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(CRC32.checksum([UInt8]()) == 0)
    #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
}

@Test func offsetMessageIdRoundTrips() {
    let host = HostAddress("127.0.0.1:20911")!
    #expect(MessageId.offsetMessageId(storeHost: host, commitLogOffset: 0) == "7F000001000051AF0000000000000000")
    #expect(MessageId.offsetMessageId(storeHost: HostAddress(ipv4: 0xFFFF_FFFF, port: -1), commitLogOffset: -1)
            == String(repeating: "F", count: 32))
    #expect(MessageId.offsetMessageId(storeHost: HostAddress(ipv4: 0x0A0B_0C0D, port: 0x7FFF_FFFF), commitLogOffset: 0x0123_4567_89AB_CDEF)
            == "0A0B0C0D7FFFFFFF0123456789ABCDEF")
    let id = MessageId.offsetMessageId(storeHost: HostAddress("192.168.1.200:10911")!, commitLogOffset: 0x1234_5678_9ABC)
    #expect(id.count == 32)
    let decoded = MessageId.decodeOffsetMessageId(id)
    #expect(decoded?.storeHost == HostAddress("192.168.1.200:10911")!)
    #expect(decoded?.commitLogOffset == 0x1234_5678_9ABC)
    #expect(MessageId.decodeOffsetMessageId(id.lowercased())?.commitLogOffset == 0x1234_5678_9ABC)
    #expect(MessageId.decodeOffsetMessageId("XYZ") == nil)
    #expect(MessageId.decodeOffsetMessageId("G" + id.dropFirst()) == nil)
}

@Test func batchCodecRoundTripsAndRejectsInconsistency() throws {
    let elements = [
        MessageBatchElement(flag: 1, body: Array("one".utf8), properties: "UNIQ_KEY\u{1}A\u{2}"),
        MessageBatchElement(flag: 0, body: [], properties: ""),
    ]
    let encoded = MessageBatchCodec.encode(elements)
    #expect(encoded.count == (20 + 3 + 2 + 11) + (20 + 0 + 2 + 0))
    #expect(Array(encoded[0..<4]) == [0, 0, 0, 36])
    #expect(try encoded.withUnsafeBytes { try MessageBatchCodec.decode($0) } == elements)
    var wrongSize = encoded
    wrongSize[3] = 37
    #expect(throws: MessageBatchError.self) { try wrongSize.withUnsafeBytes { try MessageBatchCodec.decode($0) } }
    #expect(throws: MessageBatchError.self) { try Array(encoded.dropLast()).withUnsafeBytes { try MessageBatchCodec.decode($0) } }
}

@Test func zlibRoundTripsAndBoundsOutput() throws {
    let input = Array(String(repeating: "RocketMQ body ", count: 1000).utf8)
    let compressed = input.withUnsafeBytes { Zlib.deflate($0) }
    #expect(compressed.count < input.count / 10)
    #expect(compressed[0] == 0x78)  // RFC 1950 header
    #expect(try compressed.withUnsafeBytes { try Zlib.inflate($0, maxOutput: 1 << 20) } == input)
    #expect(throws: ZlibError.self) { try compressed.withUnsafeBytes { try Zlib.inflate($0, maxOutput: 100) } }
    #expect(throws: ZlibError.self) { try Array(compressed.prefix(10)).withUnsafeBytes { try Zlib.inflate($0, maxOutput: 1 << 20) } }
    #expect(throws: ZlibError.self) { try [UInt8](repeating: 7, count: 20).withUnsafeBytes { try Zlib.inflate($0, maxOutput: 1 << 20) } }
}
