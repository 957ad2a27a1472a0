// A send frame read straight into the service's request (SendMessageRequestHeader.read(request:as:)) carries the same
// fields as the typed header read from it, for binary and JSON headers, long and one-letter names, and code 320.

@testable import ApusBroker
import ApusMessage
import ApusRemoting
import NIOCore
import Testing

private func decoded(_ header: SendMessageRequestHeader, code: RequestCode, _ type: SerializeType) throws -> RemotingCommand {
    var command = RemotingCommand.request(code: code, header: header, body: ByteBuffer(string: "body"))
    command.serializeType = type
    var out = ByteBuffer()
    try RemotingCommandEncoder().encode(data: command, out: &out)
    var decoder = RemotingCommandDecoder()
    return try #require(try decoder.decode(buffer: &out))
}

@Test func aSendReadIntoTheServiceRequestHasTheHeadersFields() throws {
    let headers = [
        SendMessageRequestHeader(producerGroup: "producer-group-with-a-long-name", topic: "topic-with-a-long-name",
                                 defaultTopic: "TBW102", defaultTopicQueueNums: 8, queueId: 3, sysFlag: 4,
                                 bornTimestamp: 1_764_000_000_000, flag: -2, properties: "KEYS\u{1}k\u{2}WAIT\u{1}true\u{2}",
                                 reconsumeTimes: 2, unitMode: true, maxReconsumeTimes: 5, batch: false, brokerName: "b"),
        SendMessageRequestHeader(producerGroup: "", topic: "T", defaultTopic: nil, defaultTopicQueueNums: nil, queueId: -1,
                                 bornTimestamp: 0, properties: ""),
    ]
    for header in headers {
        for code in [RequestCode.sendMessage, .sendMessageV2, .sendBatchMessage] {
            for type in [SerializeType.rocketmq, .json] {
                let command = try decoded(header, code: code, type)
                let expected = try SendMessageRequestHeader(request: command)
                let request = try SendMessageRequestHeader.read(request: command, as: SendRequest.self)
                #expect(expected.batch == (code == .sendBatchMessage))
                #expect(request.producerGroup == expected.producerGroup && request.topic == expected.topic
                        && request.defaultTopic == expected.defaultTopic && request.defaultTopicQueueNums == expected.defaultTopicQueueNums
                        && request.queueId == expected.queueId && request.sysFlag == expected.sysFlag
                        && request.bornTimestamp == expected.bornTimestamp && request.flag == expected.flag
                        && request.properties == expected.properties && request.reconsumeTimes == expected.reconsumeTimes
                        && request.maxReconsumeTimes == expected.maxReconsumeTimes && request.batch == expected.batch,
                        "\(code) \(type) \(header.topic)")
                #expect(expected.topic == header.topic && expected.properties == header.properties && expected.queueId == header.queueId)
            }
        }
    }
}
