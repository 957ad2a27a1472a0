// Frame codec tests: real C++ frames through every byte split, encoder output shape, malformed frames, type 1.

import ApusRemoting
import NIOCore
import NIOTestUtils
import Testing

/// Builds a frame the way a peer would: length, serialize type + header length word, header, body.
func frame(header: [UInt8], body: [UInt8] = [], type: UInt8 = 0) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(UInt32(4 + header.count + body.count))
    buffer.writeInteger(UInt32(type) << 24 | UInt32(header.count))
    buffer.writeBytes(header)
    buffer.writeBytes(body)
    return buffer
}

func frame(json: String, body: String = "") -> ByteBuffer {
    frame(header: Array(json.utf8), body: Array(body.utf8))
}

func encode(_ command: RemotingCommand) throws -> ByteBuffer {
    var out = ByteBuffer()
    try RemotingCommandEncoder().encode(data: command, out: &out)
    return out
}

func decodeOne(_ buffer: ByteBuffer, maxFrameLength: Int = 16 << 20) throws -> RemotingCommand? {
    var buffer = buffer
    var decoder = RemotingCommandDecoder(maxFrameLength: maxFrameLength)
    return try decoder.decode(buffer: &buffer)
}

/// The exact shape of a C++ 1.2.3 SEND_MESSAGE header: sorted keys, ints and strings mixed, ACL keys, trailing LF.
let cppSendHeader = #"{"code":10,"extFields":{"AccessKey":"","OnsChannel":"ALIYUN","Signature":"x/Ab+c=","batch":"0","bornTimestamp":"1700000000123","defaultTopic":"TBW102","defaultTopicQueueNums":4,"flag":0,"producerGroup":"PG","properties":"UNIQ_KEY\u0001AC1100\u0002WAIT\u0001true\u0002","queueId":3,"reconsumeTimes":"0","sysFlag":0,"topic":"TopicTest","unitMode":"0"},"flag":0,"language":"CPP","opaque":7,"remark":"","version":63}"# + "\n"

@Test func decodesCppRequestAcrossEverySplit() throws {
    var expected = RemotingCommand(code: 10, language: "CPP", version: 63, opaque: 7, flag: 0, remark: "", extFields: [
        "AccessKey": "", "OnsChannel": "ALIYUN", "Signature": "x/Ab+c=", "batch": "0", "bornTimestamp": "1700000000123",
        "defaultTopic": "TBW102", "defaultTopicQueueNums": "4", "flag": "0", "producerGroup": "PG",
        "properties": "UNIQ_KEY\u{1}AC1100\u{2}WAIT\u{1}true\u{2}", "queueId": "3", "reconsumeTimes": "0",
        "sysFlag": "0", "topic": "TopicTest", "unitMode": "0",
    ])
    expected.body = ByteBuffer(string: "hello body")
    let heartbeatHeader = #"{"code":34,"extFields":{"AccessKey":"","OnsChannel":"ALIYUN","Signature":"s"},"flag":0,"language":"CPP","opaque":8,"remark":"","version":63}"# + "\n"
    let heartbeat = RemotingCommand(code: 34, language: "CPP", version: 63, opaque: 8, remark: "",
                                    extFields: ["AccessKey": "", "OnsChannel": "ALIYUN", "Signature": "s"])
    var twoFrames = frame(json: cppSendHeader, body: "hello body")
    twoFrames.writeImmutableBuffer(frame(json: heartbeatHeader))
    try ByteToMessageDecoderVerifier.verifyDecoder(
        inputOutputPairs: [
            (frame(json: cppSendHeader, body: "hello body"), [expected]),
            (twoFrames, [expected, heartbeat]),
        ],
        decoderFactory: { RemotingCommandDecoder() })
}

/// A JSON header's language reads as sent, whether it is one of RocketMQ's names, another name, escaped or a number.
@Test func jsonLanguageReadsAsSent() throws {
    let cases = [(#""JAVA""#, "JAVA"), (#""CPP""#, "CPP"), (#""RUST""#, "RUST"), (#""NODE""#, "NODE"), (#""JAV""#, "JAV"),
                 (#""\u0043PP""#, "CPP"), (#""""#, ""), ("7", "7"), ("null", "")]
    for (json, expected) in cases {
        let command = try #require(try decodeOne(frame(json: #"{"code":10,"language":\#(json),"opaque":1}"#)))
        #expect(command.language == expected, "\(json)")
    }
}

@Test func extFieldValuesAreNormalisedToText() throws {
    let header = #"{"code":"11","opaque":"9","flag":1.0,"extFields":{"queueId":3,"queueOffset":"9007199254740993","ok":true,"no":false,"gone":null,"batch":"1","neg":-5,"nested":{"a":1}}}  garbage"#
    let command = try #require(try decodeOne(frame(json: header)))
    #expect(command.code == 11 && command.opaque == 9 && command.flag == 1 && command.isResponse && !command.isOneway)
    #expect(command.extFields["queueId"] == "3")
    #expect(command.extFields["queueOffset"] == "9007199254740993")
    #expect(command.extFields["ok"] == "true" && command.extFields["no"] == "false")
    #expect(command.extFields["batch"] == "1")
    #expect(command.extFields["neg"] == "-5")
    #expect(command.extFields["gone"] == nil && command.extFields["nested"] == nil)
    #expect(command.remark == nil && command.body == nil)
}

@Test func encoderWritesNumbersAndStringExtFields() throws {
    let request = RemotingCommand(code: 11, language: "CPP", version: 63, opaque: 42, extFields: ["queueId": "1"])
    let response = RemotingCommand.response(to: request, code: .pullNotFound, remark: "quote \" slash \\ nl \n ctl \u{1} 中文",
                                            extFields: ["nextBeginOffset": "42", "minOffset": "0"],
                                            body: ByteBuffer(string: "BODY"))
    var out = try encode(response)
    let length = out.readInteger(as: UInt32.self) ?? 0
    #expect(Int(length) == out.readableBytes)
    let word = out.readInteger(as: UInt32.self) ?? 0
    #expect(word >> 24 == 0)
    let header = out.readSlice(length: Int(word)) ?? ByteBuffer()
    #expect(String(buffer: out) == "BODY")

    let json = try JSONParser.parse(header)
    #expect(json["code"] == .number("19"))
    #expect(json["opaque"] == .number("42"))
    #expect(json["flag"] == .number("1"))
    #expect(json["version"] == .number(Int64(RemotingCommand.defaultVersion)))
    #expect(json["language"] == .string("JAVA"))
    #expect(json["serializeTypeCurrentRPC"] == .string("JSON"))
    #expect(json["remark"] == .string("quote \" slash \\ nl \n ctl \u{1} 中文"))
    #expect(json["extFields"]?["nextBeginOffset"] == .string("42"))
    #expect(json["extFields"]?["minOffset"] == .string("0"))
    #expect(String(buffer: header).contains(#"ctl \u0001"#))

    // Round trip through the decoder.
    let decoded = try #require(try decodeOne(try encode(response)))
    #expect(decoded == response)
}

@Test func encoderAlwaysWritesExtFieldsAndOmitsNilRemark() throws {
    var out = try encode(.request(code: .heartBeat))
    out.moveReaderIndex(forwardBy: 8)
    let json = try JSONParser.parse(out)
    #expect(json["extFields"] == .object([]))
    #expect(json["remark"] == nil)
    #expect(json["code"] == .number("34"))
}

/// Headers are written in one pass into the room the buffer has; one larger than that (long values, a long remark,
/// many fields, text that grows when escaped) is measured and written again, byte for byte the same frame.
@Test func headersLargerThanTheBuffersRoomAreWrittenWhole() throws {
    let long = String(repeating: "p\u{1}v\u{2}\"", count: 700)
    let cases: [(String, RemotingCommand)] = [
        ("long value", RemotingCommand(code: 310, extFields: ["i": long, "b": "T"], body: ByteBuffer(bytes: [1]))),
        ("long remark", RemotingCommand(code: 1, remark: long, extFields: ["x": "y"])),
        ("many fields", RemotingCommand(code: 11, extFields: ExtFields(Dictionary(uniqueKeysWithValues: (0..<200).map { ("k\($0)", "v\($0)") })))),
        ("typed, long properties", .request(code: .sendMessageV2, header: SendMessageRequestHeader(
            producerGroup: "PG", topic: "T", queueId: 1, bornTimestamp: 5, properties: long), body: ByteBuffer(bytes: [2]))),
    ]
    for (name, command) in cases {
        for type in [SerializeType.json, .rocketmq] {
            var command = command
            command.serializeType = type
            let fresh = try encode(command)                        // a new buffer: far less room than the header
            var roomy = ByteBuffer()
            roomy.reserveCapacity(64 * 1024)
            try RemotingCommandEncoder().encode(data: command, out: &roomy)  // room enough at the first try
            #expect(fresh == roomy, "\(name) \(type)")
            let decoded = try #require(try decodeOne(fresh), "\(name) \(type)")
            #expect(decoded == command, "\(name) \(type)")
            #expect(decoded.remark == command.remark && decoded.extFields == command.extFields, "\(name) \(type)")
        }
    }
}

@Test func malformedFramesThrowTheRightError() {
    var tooLarge = ByteBuffer()
    tooLarge.writeInteger(UInt32(1025))
    #expect(throws: RemotingDecodingError.frameTooLarge(1025)) { try decodeOne(tooLarge, maxFrameLength: 1024) }

    var tiny = ByteBuffer()
    tiny.writeInteger(UInt32(2))
    tiny.writeBytes([0, 0])
    #expect(throws: RemotingDecodingError.frameTooSmall(2)) { try decodeOne(tiny) }

    var headerTooLong = ByteBuffer()
    headerTooLong.writeInteger(UInt32(10))
    headerTooLong.writeInteger(UInt32(50))
    headerTooLong.writeBytes([UInt8](repeating: 0x20, count: 6))
    #expect(throws: RemotingDecodingError.headerLengthInvalid(50)) { try decodeOne(headerTooLong) }

    #expect(throws: RemotingDecodingError.unsupportedSerializeType(7)) { try decodeOne(frame(header: [1, 2], type: 7)) }
    #expect(throws: RemotingDecodingError.self) { try decodeOne(frame(json: #"{"code":10,"extFields":{"a":}"#)) }
    #expect(throws: RemotingDecodingError.self) { try decodeOne(frame(json: #"{"opaque":1}"#)) }
    #expect(throws: RemotingDecodingError.self) { try decodeOne(frame(json: #"[1,2]"#)) }
    #expect(throws: RemotingDecodingError.self) { try decodeOne(frame(json: #"{"code":"ten"}"#)) }
}

@Test func partialFrameWaitsForMoreBytes() throws {
    let full = frame(json: #"{"code":10}"#)
    #expect(try decodeOne(full.getSlice(at: 0, length: 3)!) == nil)
    #expect(try decodeOne(full.getSlice(at: 0, length: full.readableBytes - 1)!) == nil)
}

@Test func binaryHeaderRoundTripAndResponsesKeepTheType() throws {
    // A type-1 request as a Java client with -Drocketmq.serialize.type=ROCKETMQ would send it.
    var header = ByteBuffer()
    header.writeInteger(Int16(14))                // code
    header.writeInteger(UInt8(0))                 // JAVA
    header.writeInteger(Int16(401))               // version
    header.writeInteger(Int32(77))                // opaque
    header.writeInteger(Int32(0))                 // flag
    header.writeInteger(Int32(2)); header.writeString("hi")
    var ext = ByteBuffer()
    for (k, v) in [("topic", "T"), ("queueId", "2"), ("empty", "")] {
        ext.writeInteger(Int16(k.utf8.count)); ext.writeString(k)
        ext.writeInteger(Int32(v.utf8.count)); ext.writeString(v)
    }
    header.writeInteger(Int32(ext.readableBytes)); header.writeBuffer(&ext)
    let request = try #require(try decodeOne(frame(header: Array(buffer: header), body: [9, 9], type: 1)))
    #expect(request.serializeType == .rocketmq)
    #expect(request.code == 14 && request.opaque == 77 && request.version == 401 && request.language == "JAVA")
    #expect(request.remark == "hi")
    #expect(request.extFields == ["topic": "T", "queueId": "2"])
    #expect(request.body == ByteBuffer(bytes: [9, 9]))

    let response = RemotingCommand.response(to: request, code: .success, remark: "ok", extFields: ["offset": "5"])
    var encoded = try encode(response)
    #expect(encoded.getInteger(at: 4, as: UInt32.self)! >> 24 == 1)
    let decoded = try #require(try decodeOne(encoded))
    #expect(decoded == response)
    #expect(decoded.serializeType == .rocketmq && decoded.opaque == 77 && decoded.isResponse)

    // Truncated binary header throws instead of trapping.
    encoded.moveWriterIndex(to: 20)
    encoded.setInteger(UInt32(16), at: 0)
    encoded.setInteger(UInt32(1) << 24 | 12, at: 4)
    #expect(throws: RemotingDecodingError.self) { try decodeOne(encoded) }
}

/// A binary header's ext-field section is checked pair by pair against its declared length: a section that ends
/// inside a pair (whether or not more header bytes follow), a header cut before its section, or a negative remark, key
/// or value length, is a malformed header; every whole-pair length decodes.
@Test func binaryExtFieldsThatEndInsideAPairAreRejected() throws {
    func header(_ ext: [UInt8], declaring length: Int, trailing: Int = 0) -> [UInt8] {
        var header = ByteBuffer()
        header.writeInteger(Int16(14)); header.writeInteger(UInt8(0)); header.writeInteger(Int16(401))
        header.writeInteger(Int32(77)); header.writeInteger(Int32(0)); header.writeInteger(Int32(0))
        header.writeInteger(Int32(length)); header.writeBytes(ext)
        header.writeBytes([UInt8](repeating: 0, count: trailing))
        return Array(buffer: header)
    }
    var ext = ByteBuffer()
    var pairEnds: [Int] = [0]
    for (k, v) in [("topic", "T"), ("queueId", "2"), ("empty", "")] {
        ext.writeInteger(Int16(k.utf8.count)); ext.writeString(k)
        ext.writeInteger(Int32(v.utf8.count)); ext.writeString(v)
        pairEnds.append(ext.readableBytes)
    }
    let bytes = Array(buffer: ext)
    for length in 0...bytes.count {
        for trailing in [0, 16] {  // the section's bytes only, or more header bytes after it
            let cut = header(Array(bytes[..<length]), declaring: length, trailing: trailing)
            if pairEnds.contains(length) {
                #expect(try decodeOne(frame(header: cut, type: 1))?.code == 14, "a section of \(length) bytes")
            } else {
                #expect(throws: RemotingDecodingError.malformedHeader("binary header truncated"), "a section of \(length) bytes") {
                    try decodeOne(frame(header: cut, type: 1))
                }
            }
        }
    }
    // A header cut anywhere before its section's length ends (in the fixed fields, the remark or the length) too.
    var whole = ByteBuffer()
    whole.writeInteger(Int16(14)); whole.writeInteger(UInt8(0)); whole.writeInteger(Int16(401))
    whole.writeInteger(Int32(77)); whole.writeInteger(Int32(0)); whole.writeInteger(Int32(2)); whole.writeString("hi")
    whole.writeInteger(Int32(bytes.count)); whole.writeBytes(bytes)
    let wholeBytes = Array(buffer: whole)
    #expect(try decodeOne(frame(header: wholeBytes, type: 1))?.remark == "hi")
    for cut in 1..<(17 + 2 + 4) {
        #expect(throws: RemotingDecodingError.malformedHeader("binary header truncated"), "a header of \(cut) bytes") {
            try decodeOne(frame(header: Array(wholeBytes[..<cut]), type: 1))
        }
    }
    var negativeRemark = wholeBytes
    negativeRemark[13] = 0x80
    #expect(throws: RemotingDecodingError.malformedHeader("binary header truncated")) {
        try decodeOne(frame(header: negativeRemark, type: 1))
    }
    var negativeKey = bytes
    negativeKey[0] = 0xFF
    var negativeValue = bytes
    negativeValue[2 + 5] = 0x80
    for bad in [negativeKey, negativeValue] {
        #expect(throws: RemotingDecodingError.malformedHeader("binary header truncated")) {
            try decodeOne(frame(header: header(bad, declaring: bad.count), type: 1))
        }
    }
}

@Test func responseFactoryCopiesOpaqueAndSetsFlag() {
    let request = RemotingCommand(code: 15, language: "CPP", version: 63, opaque: 1234, flag: 2)
    let response = RemotingCommand.response(to: request, code: .success)
    #expect(response.opaque == 1234 && response.flag == 1 && response.isResponse && !response.isOneway)
    #expect(response.language == "JAVA" && response.version == RemotingCommand.defaultVersion)
    #expect(response.responseCode == .success && request.requestCode == .updateConsumerOffset)
}
