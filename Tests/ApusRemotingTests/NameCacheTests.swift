// Tests of NameCache: a repeated long name is the same string, not a new one; every name still reads back as its
// bytes (long, short, non-ASCII, invalid UTF-8), past the cache's capacity too; and send headers (binary and JSON) of
// several topics, groups, default topics and broker names, long and short, decoded in turn each get their own names.

@testable import ApusRemoting
import NIOCore
import Testing

private func storage(_ s: String) -> UnsafePointer<UInt8>? {
    s.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
}

private func name(_ cache: NameCache, _ bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { cache.name($0) }
}

@Test func aRepeatedLongNameIsTheSameString() {
    let cache = NameCache()
    let bytes = Array("bench1234567890_topic".utf8)
    let first = name(cache, bytes), second = name(cache, bytes)
    #expect(first == "bench1234567890_topic" && second == first)
    #expect(storage(first) != nil && storage(first) == storage(second))
}

@Test func namesReadBackAsTheirBytesPastTheCapacity() {
    let cache = NameCache()
    let names = (0..<(NameCache.capacity * 3)).map { "topic-number-\($0)-long-enough" }
        + ["short", "", "主题-非ASCII-的名字-够长了", "0123456789abcdef"]
    for round in 0..<3 {
        for n in names.shuffled() { #expect(name(cache, Array(n.utf8)) == n, "round \(round)") }
    }
    // Invalid UTF-8 is repaired as String(decoding:) would, and a repaired string is never mistaken for its bytes.
    for count in [3, 20] {
        let invalid: [UInt8] = Array(repeating: 0xFF, count: count)
        let repaired = String(decoding: invalid, as: UTF8.self)
        #expect(name(cache, invalid) == repaired && name(cache, invalid) == repaired)
        #expect(name(cache, Array(repaired.utf8)) == repaired)
    }
}

@Test func sendHeadersOfSeveralTopicsAndGroupsKeepTheirOwnNames() throws {
    for serializeType in [SerializeType.rocketmq, .json] {
        for i in 0..<40 {
            var header = SendMessageRequestHeader(
                producerGroup: i % 2 == 0 ? "producer-group-long-\(i % 3)" : "pg\(i % 3)",
                topic: i % 5 == 0 ? "t\(i % 11)" : "topic-with-a-long-name-\(i % 11)",
                queueId: Int32(i % 4), bornTimestamp: Int64(i), properties: "KEYS\u{1}k\(i)\u{2}")
            header.defaultTopic = i % 3 == 0 ? nil : i % 3 == 1 ? "TBW102" : "default-topic-\(i % 7)"
            header.brokerName = i % 4 == 0 ? nil : "broker-\(i % 4)"
            var request = RemotingCommand.request(code: .sendMessageV2, header: header)
            request.serializeType = serializeType
            var out = ByteBuffer()
            try RemotingCommandEncoder().encode(data: request, out: &out)
            var decoder = RemotingCommandDecoder()
            let command = try #require(try decoder.decode(buffer: &out))
            #expect(try SendMessageRequestHeader(request: command) == header, "\(serializeType) \(i)")
        }
    }
}
