// Tests that frames written without a command — a send or a pull from its pre-encoded template, a response from its typed
// header — are byte for byte what the general encoder writes (a JSON template: what the Java client writes), alone,
// in a burst with other frames, and over a real connection from on and off the event loop.

import ApusMessage
@testable import ApusRemoting
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

private let prototypes: [(String, SendMessageRequestHeader)] = [
    ("producer defaults", SendMessageRequestHeader(producerGroup: "PG", topic: "TopicTest", queueId: 0, bornTimestamp: 0,
                                                   properties: "")),
    ("every field", SendMessageRequestHeader(producerGroup: "group-é", topic: "主题", defaultTopic: "TBW102", defaultTopicQueueNums: 16,
                                             queueId: 0, sysFlag: 4, bornTimestamp: 0, flag: -7, properties: "", reconsumeTimes: 3,
                                             unitMode: true, maxReconsumeTimes: 16, batch: true, brokerName: "broker-a")),
    ("optionals absent", SendMessageRequestHeader(producerGroup: "", topic: "T", defaultTopic: nil, defaultTopicQueueNums: nil,
                                                  queueId: 0, bornTimestamp: 0, properties: "")),
]

/// Per-send values: small and extreme numbers, empty, non-ASCII and long properties (a header past 512 bytes).
private let sends: [(queueId: Int32, bornTimestamp: Int64, properties: String)] = [
    (0, 1_700_000_000_123, "UNIQ_KEY\u{1}AC110001\u{2}WAIT\u{1}true\u{2}"),
    (-1, Int64.min, ""),
    (Int32.max, Int64.max, "TAGS\u{1}标签\u{2}"),
    (7, 0, String(repeating: "KEYS\u{1}k v\u{2}", count: 300)),
]

private func templateFrame(_ template: SendFrameTemplate, opaque: Int32, _ send: (queueId: Int32, bornTimestamp: Int64, properties: String),
                           body: ByteBuffer) -> ByteBuffer {
    var out = ByteBuffer()
    template.writeHeader(opaque: opaque, queueId: send.queueId, bornTimestamp: send.bornTimestamp, properties: send.properties,
                         bodyLength: body.readableBytes, to: &out)
    out.writeImmutableBuffer(body)
    return out
}

@Test func aTemplatedSendIsTheFrameTheEncoderWrites() throws {
    for (name, prototype) in prototypes {
        let template = SendFrameTemplate(prototype)
        for send in sends {
            for body in [ByteBuffer(), ByteBuffer(bytes: Array(repeating: 0x5A, count: 1024))] {
                var header = prototype
                header.queueId = send.queueId
                header.bornTimestamp = send.bornTimestamp
                header.properties = send.properties
                var expected = RemotingCommand.request(code: .sendMessageV2, header: header, body: body.readableBytes > 0 ? body : nil)
                expected.serializeType = .rocketmq
                expected.opaque = 12_345
                let frame = templateFrame(template, opaque: 12_345, send, body: body)
                #expect(frame == (try encode(expected)), "\(name) \(send.queueId)")

                var command = template.command(queueId: send.queueId, bornTimestamp: send.bornTimestamp, properties: send.properties,
                                               body: body.readableBytes > 0 ? body : nil)
                command.opaque = 12_345
                #expect(frame == (try encode(command)), "\(name) \(send.queueId): the ordinary command")

                let decoded = try #require(try decodeOne(frame))
                #expect(try SendMessageRequestHeader(request: decoded) == header, "\(name) \(send.queueId)")
                #expect(decoded.opaque == 12_345 && decoded.code == RequestCode.sendMessageV2.rawValue && !decoded.isResponse)
                #expect((decoded.body ?? ByteBuffer()) == body)
            }
        }
    }
}

/// A JSON template's frame reads back as the header it stands for, and so does its ordinary command.
@Test func aJSONTemplatedSendDecodesToItsHeader() throws {
    for (name, prototype) in prototypes {
        let template = SendFrameTemplate(prototype, serializeType: .json)
        for send in sends {
            var header = prototype
            header.queueId = send.queueId
            header.bornTimestamp = send.bornTimestamp
            header.properties = send.properties
            let body = ByteBuffer(bytes: Array(repeating: 0x5A, count: 1024))
            let frame = templateFrame(template, opaque: 12_345, send, body: body)
            #expect(frame.getInteger(at: 4, as: UInt8.self) == SerializeType.json.rawValue)
            let decoded = try #require(try decodeOne(frame))
            #expect(try SendMessageRequestHeader(request: decoded) == header, "\(name) \(send.queueId)")
            #expect(decoded.opaque == 12_345 && decoded.code == RequestCode.sendMessageV2.rawValue && !decoded.isResponse)
            #expect(decoded.body == body)

            var command = template.command(queueId: send.queueId, bornTimestamp: send.bornTimestamp, properties: send.properties,
                                           body: body)
            command.opaque = 12_345
            #expect(command.serializeType == .json)
            #expect(try SendMessageRequestHeader(request: try #require(try decodeOne(try encode(command)))) == header)
        }
    }
}

/// The header the Java client 4.9.8 sent in the capture `spec/captures/java-4.9.8/apus/1-sync-send` (frame 007), byte
/// for byte; only its version (409) is Apus's default here.
@Test func aJSONTemplateWritesTheJavaClientsHeader() throws {
    let java = #"{"code":310,"extFields":{"a":"PG_cap","b":"TopicCap","c":"TBW102","d":"4","e":"0","f":"0","g":"1796080139801","h":"0","i":"color\u0001red\u0002size\u0001L\u0002KEYS\u0001key-s1\u0002UNIQ_KEY\u0001C00002025F175FFD2B279A5016180000\u0002WAIT\u0001true\u0002TAGS\u0001TagA","j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":6,"serializeTypeCurrentRPC":"JSON","version":401}"#
    let template = SendFrameTemplate(SendMessageRequestHeader(producerGroup: "PG_cap", topic: "TopicCap", queueId: 0, bornTimestamp: 0,
                                                              properties: "", brokerName: "broker-a"), serializeType: .json)
    let properties = "color\u{1}red\u{2}size\u{1}L\u{2}KEYS\u{1}key-s1\u{2}UNIQ_KEY\u{1}C00002025F175FFD2B279A5016180000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA"
    var frame = templateFrame(template, opaque: 6, (0, 1_796_080_139_801, properties), body: ByteBuffer(string: "Hello"))
    #expect(frame.readInteger(as: UInt32.self) == UInt32(4 + java.utf8.count + 5))
    #expect(frame.readInteger(as: UInt32.self) == UInt32(java.utf8.count))
    #expect(frame.readString(length: java.utf8.count) == java)
    #expect(frame.readString(length: frame.readableBytes) == "Hello")
}

/// In the frame writer's burst buffer, between ordinary frames, with a body too large to copy.
@Test func templatedSendsShareTheBurstWithOtherFrames() throws {
    let channel = EmbeddedChannel()
    let writer = RemotingFrameWriter()
    try channel.pipeline.syncOperations.addHandler(writer)
    let template = SendFrameTemplate(prototypes[0].1)
    let small = ByteBuffer(bytes: [1, 2, 3])
    let large = ByteBuffer(bytes: Array(repeating: 7, count: 10_000))

    writer.append(RemotingCommand(code: 34, opaque: 1))
    var properties = sends[0].properties
    properties.withUTF8 { props in
        writer.appendRequest(body: small) {
            template.writeHeader(opaque: 2, queueId: 3, bornTimestamp: 4, properties: UnsafeRawBufferPointer(props), bodyLength: $1, to: &$0)
        }
    }
    writer.appendRequest(body: large) {
        template.writeHeader(opaque: 3, queueId: 1, bornTimestamp: 5, properties: "", bodyLength: $1, to: &$0)
    }
    writer.append(RemotingCommand(code: 35, opaque: 4))
    channel.flush()

    var wire = ByteBuffer()
    while var chunk = try channel.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&chunk) }
    var expected = try encode(RemotingCommand(code: 34, opaque: 1))
    expected.writeImmutableBuffer(templateFrame(template, opaque: 2, (3, 4, sends[0].properties), body: small))
    expected.writeImmutableBuffer(templateFrame(template, opaque: 3, (1, 5, ""), body: large))
    expected.writeImmutableBuffer(try encode(RemotingCommand(code: 35, opaque: 4)))
    #expect(wire == expected)
    _ = try channel.finish()
}

/// Over a connection: sends from off the event loop (as ordinary commands) and from on it (encoded directly) reach the
/// server with their headers and bodies, and each completion gets its own response.
@Test func templatedSendsAreAnsweredFromOnAndOffTheEventLoop() async throws {
    let loopback = try await Loopback()
    let client = try await loopback.client()
    let template = SendFrameTemplate(prototypes[1].1)

    struct Sent: Sendable { let queueId: Int32; let properties: String; let body: String }
    let sent = [Sent(queueId: 2, properties: "A\u{1}b\u{2}", body: "off")]
        + (0..<3).map { Sent(queueId: Int32($0), properties: "N\u{1}\($0)\u{2}", body: "on \($0)") }
    @Sendable func send(_ s: Sent, flush: Bool) -> EventLoopFuture<RemotingCommand> {
        client.send(template, queueId: s.queueId, bornTimestamp: 99, properties: s.properties, body: ByteBuffer(string: s.body),
                    timeout: .seconds(5), flush: flush)
    }
    var responses = [try await send(sent[0], flush: true).get()]
    let onLoop = try await client.eventLoop.submit { [send(sent[1], flush: false), send(sent[2], flush: false), send(sent[3], flush: true)] }.get()
    for future in onLoop { responses.append(try await future.get()) }

    for (response, s) in zip(responses, sent) {
        // The echo server answers with the request's ext fields and body.
        #expect(response.extFields["e"] == "\(s.queueId)" && response.extFields["i"] == s.properties && response.extFields["g"] == "99")
        #expect(response.extFields["b"] == "主题" && response.extFields["n"] == "broker-a" && response.extFields["k"] == "true")
        #expect(response.body.map { String(buffer: $0) } == s.body)
    }
    await client.close()
    try await loopback.shutdown()
}

/// Pull headers as the Swift consumer makes them: defaults, non-ASCII names and expression, an expression long enough to
/// take the header past 512 bytes, extreme numbers.
private let pullPrototypes: [PullMessageRequestHeader] = [
    PullMessageRequestHeader(consumerGroup: "CG", topic: "TopicTest", queueId: 0, queueOffset: 0, sysFlag: [],
                             subscription: "*", subVersion: 1_700_000_000_000),
    PullMessageRequestHeader(consumerGroup: "组-é", topic: "主题", queueId: Int32.max, queueOffset: 0, maxMsgNums: 1, sysFlag: [],
                             commitOffset: 0, suspendTimeoutMillis: 0, subscription: "TagA || 标签 || \"q\"", subVersion: Int64.min),
    PullMessageRequestHeader(consumerGroup: "g", topic: "T", queueId: -1, queueOffset: 0, maxMsgNums: Int32.min, sysFlag: [],
                             subscription: (0..<200).map { "tag\($0)" }.joined(separator: " || "), subVersion: 0),
]

/// Per-pull values: the first pull, a committing pull, extreme offsets, every flag bit.
private let pulls: [(queueOffset: Int64, sysFlag: PullSysFlag, commitOffset: Int64)] = [
    (0, [.suspend, .subscription], 0),
    (1_234_567, [.suspend, .subscription, .commitOffset], 1_234_567),
    (Int64.max, [], Int64.min),
    (-1, PullSysFlag(rawValue: -1), 9),
]

/// A templated pull is byte for byte the frame the general encoder writes for its header, reads back as that header,
/// and its ordinary command (the path off the event loop) is the same frame.
@Test func aTemplatedPullIsTheFrameTheEncoderWrites() throws {
    for prototype in pullPrototypes {
        let template = PullFrameTemplate(prototype)
        for pull in pulls {
            var header = prototype
            header.queueOffset = pull.queueOffset
            header.sysFlag = pull.sysFlag
            header.commitOffset = pull.commitOffset
            var expected = RemotingCommand.request(code: .pullMessage, header: header)
            expected.serializeType = .rocketmq
            expected.opaque = -5
            var frame = ByteBuffer()
            template.write(opaque: -5, queueOffset: pull.queueOffset, sysFlag: pull.sysFlag, commitOffset: pull.commitOffset,
                           to: &frame)
            #expect(frame == (try encode(expected)), "\(prototype.topic) \(pull.queueOffset)")

            var command = template.command(queueOffset: pull.queueOffset, sysFlag: pull.sysFlag, commitOffset: pull.commitOffset)
            command.opaque = -5
            #expect(frame == (try encode(command)), "\(prototype.topic): the ordinary command")

            let decoded = try #require(try decodeOne(frame))
            #expect(try PullMessageRequestHeader(request: decoded) == header, "\(prototype.topic) \(pull.queueOffset)")
            #expect(decoded.opaque == -5 && decoded.code == RequestCode.pullMessage.rawValue && decoded.body == nil)
        }
    }
}

/// Over a connection: pulls from off the event loop (as ordinary commands) and from on it (encoded into the burst and
/// flushed) reach the server with their per-pull values, and each callback gets its own response.
@Test func templatedPullsAreAnsweredFromOnAndOffTheEventLoop() async throws {
    let loopback = try await Loopback()
    let client = try await loopback.client()
    let template = PullFrameTemplate(pullPrototypes[1])
    @Sendable func pull(_ offset: Int64, _ done: @escaping @Sendable (Result<RemotingCommand, Error>) -> Void) {
        client.pull(template, queueOffset: offset, sysFlag: [.suspend, .commitOffset], commitOffset: offset - 1,
                    timeout: .seconds(5), completion: done)
    }
    func answers(_ offsets: [Int64], onLoop: Bool) async throws -> [RemotingCommand] {
        try await withThrowingTaskGroup(of: (Int, RemotingCommand).self) { group in
            for (i, offset) in offsets.enumerated() {
                group.addTask {
                    try await withCheckedThrowingContinuation { continuation in
                        let go: @Sendable () -> Void = { pull(offset) { continuation.resume(with: $0.map { (i, $0) }) } }
                        if onLoop { client.eventLoop.execute(go) } else { go() }
                    }
                }
            }
            var all = [RemotingCommand?](repeating: nil, count: offsets.count)
            for try await (i, response) in group { all[i] = response }
            return all.compactMap { $0 }
        }
    }
    let offsets: [Int64] = [10, 20, 30]
    for onLoop in [false, true] {
        let responses = try await answers(offsets, onLoop: onLoop)
        #expect(responses.count == offsets.count)
        for (response, offset) in zip(responses, offsets) {
            // The echo server answers with the request's ext fields.
            #expect(response.extFields["queueOffset"] == "\(offset)" && response.extFields["commitOffset"] == "\(offset - 1)",
                    "on the loop: \(onLoop)")
            #expect(response.extFields["sysFlag"] == "\(PullSysFlag([.suspend, .commitOffset]).rawValue)")
            #expect(response.extFields["topic"] == "主题" && response.extFields["subscription"] == pullPrototypes[1].subscription)
        }
    }
    await client.close()
    try await loopback.shutdown()
}

/// A response written from its typed header is the frame of `RemotingCommand.response(to:code:remark:header:body:)`, in
/// either serialize type, with or without a remark and a body (small, copied into the burst; large, written as its own
/// buffer), and is dropped like any other response when its request was one-way; a header without a writer of its own
/// gets the same frame from the general writer.
@Test func aDirectResponseIsTheFrameOfItsCommand() throws {
    let sendHeaders = [
        SendMessageResponseHeader(offsetMessageId: OffsetMessageId(storeHost: HostAddress(ip: "10.0.0.7", port: 10911)!,
                                                                   commitLogOffset: 1 << 40), queueId: 3, queueOffset: 77),
        SendMessageResponseHeader(msgId: "A,B", queueId: 0, queueOffset: -1, transactionId: "tx \"1\""),
        // The widest numbers, and a batch's ids past the frame writer's first 512 bytes.
        SendMessageResponseHeader(msgId: Array(repeating: String(repeating: "F", count: 32), count: 40).joined(separator: ","),
                                  queueId: Int32.min, queueOffset: Int64.min, transactionId: "事务-" + String(repeating: "t", count: 600)),
        SendMessageResponseHeader(offsetMessageId: OffsetMessageId(storeHost: .zero, commitLogOffset: Int64.max), queueId: Int32.max,
                                  queueOffset: Int64.max),
        SendMessageResponseHeader(msgId: "", queueId: -1, queueOffset: 0),
    ]
    let pullHeaders = [
        PullMessageResponseHeader(nextBeginOffset: 32, minOffset: 0, maxOffset: 1_000),
        PullMessageResponseHeader(nextBeginOffset: Int64.min, minOffset: Int64.max, maxOffset: -1, suggestWhichBrokerId: Int64.min),
    ]
    let remarks: [String?] = [nil, "FOUND", "quote \" slash \\ nl \n ctl \u{1} 中文", String(repeating: "长", count: 400)]
    let bodies: [ByteBuffer?] = [nil, ByteBuffer(string: "BODY"), ByteBuffer(repeating: 0xA5, count: 40_000)]
    for type in [SerializeType.json, .rocketmq] {
        for header in sendHeaders {
            try expectDirectResponse(header, code: .success, remark: nil, body: nil, type: type)
        }
        try expectDirectResponse(sendHeaders[1], code: .flushDiskTimeout, remark: "flush timed out", body: nil, type: type)
        for header in pullHeaders {
            for remark in remarks {
                for body in bodies { try expectDirectResponse(header, code: .pullNotFound, remark: remark, body: body, type: type) }
            }
        }
        // A header without a writer of its own goes through the general writer, remark and body included.
        let general = PullMessageRequestHeader(consumerGroup: "CG", topic: "T", queueId: 1, queueOffset: 2, maxMsgNums: 32,
                                               sysFlag: .subscription, commitOffset: 0, suspendTimeoutMillis: 0,
                                               subscription: "*", subVersion: 0, expressionType: "TAG")
        for body in bodies { try expectDirectResponse(general, code: .success, remark: remarks[2], body: body, type: type) }
    }
}

private func expectDirectResponse<Header: DirectHeader & Equatable>(_ header: Header, code: ResponseCode, remark: String?,
                                                                    body: ByteBuffer?, type: SerializeType) throws {
    let channel = EmbeddedChannel()
    let writer = RemotingFrameWriter()
    try channel.pipeline.syncOperations.addHandler(writer)
    let request = RemotingCommand(code: 310, opaque: 41, serializeType: type)
    writer.appendResponse(to: request.responseAddress, code: code, remark: remark, header: header, body: body)
    writer.requestReceived(RemotingCommand(code: 15, opaque: 42, flag: 2, serializeType: type))
    writer.appendResponse(to: RemotingCommand.ResponseAddress(opaque: 42, serializeType: type), code: code, remark: remark,
                          header: header, body: body)
    channel.flush()

    var wire = ByteBuffer()
    while var chunk = try channel.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&chunk) }
    let context = "\(type), \(Header.self), remark \(remark?.count ?? -1), body \(body?.readableBytes ?? -1)"
    #expect(wire == (try encode(.response(to: request, code: code, remark: remark, header: header, body: body))), "\(context)")
    #expect(writer.droppedOnewayResponses == 1)
    let decoded = try #require(try decodeOne(wire))
    #expect(try decoded.decodeHeader(Header.self) == header && decoded.isResponse && decoded.opaque == 41, "\(context)")
    #expect(decoded.remark == remark && decoded.body == body, "\(context)")
    _ = try channel.finish()
}
