// Tests of the typed headers: encode → decode round trips, SEND_MESSAGE long names vs SEND_MESSAGE_V2 letters,
// C++ value spellings (JSON numbers, "1"/"0" booleans), and errors naming the missing or unparsable field.

import ApusMessage
@testable import ApusRemoting
import NIOCore
import Testing

private func roundTrip<H: RemotingHeader & Equatable>(_ header: H) throws -> H {
    try H(extFields: header.extFields())
}

@Test func sendHeaderRoundTripsUnderBothNamings() throws {
    let header = SendMessageRequestHeader(
        producerGroup: "PG", topic: "T", queueId: 3, sysFlag: 1, bornTimestamp: 1_700_000_000_123, flag: 7,
        properties: "UNIQ_KEY\u{1}K\u{2}", reconsumeTimes: 2, unitMode: true, maxReconsumeTimes: 16, batch: true,
        brokerName: "b")
    #expect(try roundTrip(header) == header)
    let v1 = header.extFields(naming: .v1)
    let v2 = header.extFields(naming: .v2)
    #expect(try SendMessageRequestHeader(extFields: v1) == header)
    #expect(try SendMessageRequestHeader(extFields: v2) == header)
    #expect(v1["producerGroup"] == "PG" && v1["topic"] == "T" && v1["properties"] == "UNIQ_KEY\u{1}K\u{2}")
    #expect(v2["a"] == "PG" && v2["b"] == "T" && v2["e"] == "3" && v2["i"] == "UNIQ_KEY\u{1}K\u{2}" && v2["m"] == "true")
    #expect(v1.keys.allSatisfy { $0.count > 1 } && v2.keys.allSatisfy { $0.count == 1 })
}

@Test func sendHeaderLettersFollowJavaV2() {
    let fields = SendMessageRequestHeader.Field.allCases
    #expect(fields.map(\.letter).joined() == "abcdefghijklmn")
    #expect(fields.map(\.name) == [
        "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag", "bornTimestamp", "flag",
        "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes", "batch", "brokerName",
    ])
    for field in fields {
        #expect(SendMessageRequestHeader.Field.find(field.name) == field)
        #expect(SendMessageRequestHeader.Field.find(field.letter) == field)
    }
    #expect(SendMessageRequestHeader.Field.find("o") == nil && SendMessageRequestHeader.Field.find("AccessKey") == nil)
    #expect(SendMessageRequestHeader.Field.find("topics") == nil && SendMessageRequestHeader.Field.find("") == nil)
}

@Test func cppSendHeaderDecodes() throws {
    let command = try #require(try decodeOne(frame(json: cppSendHeader)))
    let header = try SendMessageRequestHeader(request: command)
    #expect(header.producerGroup == "PG" && header.topic == "TopicTest" && header.defaultTopic == "TBW102")
    #expect(header.defaultTopicQueueNums == 4 && header.queueId == 3 && header.sysFlag == 0 && header.flag == 0)
    #expect(header.bornTimestamp == 1_700_000_000_123 && header.reconsumeTimes == 0 && !header.unitMode && !header.batch)
    #expect(header.properties == "UNIQ_KEY\u{1}AC1100\u{2}WAIT\u{1}true\u{2}")
}

@Test func sendBatchFlagAcceptsOneTrueAndCode320() throws {
    for (value, expected) in [("1", true), ("true", true), ("TRUE", true), ("0", false), ("false", false), ("x", false)] {
        let header = try SendMessageRequestHeader(extFields: ["topic": "T", "batch": value])
        #expect(header.batch == expected, "batch=\(value)")
    }
    let v2 = RemotingCommand.request(code: .sendBatchMessage, extFields: ["b": "T"])
    #expect(try SendMessageRequestHeader(request: v2).batch)
    let single = RemotingCommand.request(code: .sendMessageV2, extFields: ["b": "T", "m": "false"])
    #expect(try !SendMessageRequestHeader(request: single).batch)
}

@Test func sendHeaderDefaultsAndErrors() throws {
    let minimal = try SendMessageRequestHeader(extFields: ["b": "T"])
    #expect(minimal.queueId == -1 && minimal.producerGroup == "" && minimal.properties == "" && minimal.maxReconsumeTimes == nil)
    #expect(minimal.bornTimestamp > 0)
    #expect(throws: HeaderError.missing(field: "topic")) { try SendMessageRequestHeader(extFields: ["a": "PG"]) }
    #expect(throws: HeaderError.missing(field: "topic")) { try SendMessageRequestHeader(extFields: ["topic": ""]) }
    #expect(throws: HeaderError.notANumber(field: "queueId", value: "x")) {
        try SendMessageRequestHeader(extFields: ["b": "T", "e": "x"])
    }
    // A later key wins, whatever its naming.
    #expect(try SendMessageRequestHeader(extFields: ExtFields(pairs: [("topic", "A"), ("b", "B")])).topic == "B")
}

@Test func sendResponseRoundTrip() throws {
    let header = SendMessageResponseHeader(msgId: "0A00000100002A9F0000000000000000", queueId: 2, queueOffset: 42)
    #expect(try roundTrip(header) == header)
    #expect(header.extFields() == ["msgId": "0A00000100002A9F0000000000000000", "queueId": "2", "queueOffset": "42"])
    #expect(try roundTrip(SendMessageResponseHeader(msgId: "m", queueId: 0, queueOffset: 0, transactionId: "t")).transactionId == "t")
    // One record's id, kept as numbers, reads and writes as its text.
    let numbers = SendMessageResponseHeader(offsetMessageId: OffsetMessageId(storeHost: HostAddress("10.0.0.1:10911")!, commitLogOffset: 0),
                                            queueId: 2, queueOffset: 42)
    #expect(numbers == header && numbers.msgId == header.msgId)
    #expect(numbers.extFields() == header.extFields())
    var renamed = numbers
    renamed.msgId = "X"
    #expect(renamed.extFields()["msgId"] == "X")
}

@Test func pullHeadersRoundTripAndCppValues() throws {
    let request = PullMessageRequestHeader(consumerGroup: "G", topic: "T", queueId: 1, queueOffset: 9, maxMsgNums: 32,
                                           sysFlag: [.commitOffset, .suspend, .subscription], commitOffset: 8,
                                           subscription: "TagA || TagC", subVersion: 1_795_561_262_109)
    #expect(try roundTrip(request) == request)
    // C++: queueId, maxMsgNums, sysFlag as JSON numbers (text after frame decoding); no suspendTimeoutMillis.
    let cpp = try PullMessageRequestHeader(extFields: [
        "consumerGroup": "G", "topic": "T", "queueId": "0", "queueOffset": "0", "maxMsgNums": "32", "sysFlag": "6",
        "commitOffset": "0", "subscription": "*", "subVersion": "1795561262109",
    ])
    #expect(cpp.sysFlag == [.suspend, .subscription] && cpp.suspendTimeoutMillis == 15_000 && cpp.expressionType == nil)
    #expect(throws: HeaderError.missing(field: "queueOffset")) {
        try PullMessageRequestHeader(extFields: ["consumerGroup": "G", "topic": "T", "queueId": "0"])
    }
    let response = PullMessageResponseHeader(nextBeginOffset: 10, minOffset: 0, maxOffset: 12)
    #expect(try roundTrip(response) == response)
    #expect(response.extFields() == ["nextBeginOffset": "10", "minOffset": "0", "maxOffset": "12", "suggestWhichBrokerId": "0"])
}

@Test func consumerHeadersRoundTrip() throws {
    #expect(try roundTrip(QueryConsumerOffsetRequestHeader(consumerGroup: "G", topic: "T", queueId: 1))
        == QueryConsumerOffsetRequestHeader(consumerGroup: "G", topic: "T", queueId: 1))
    let update = UpdateConsumerOffsetRequestHeader(consumerGroup: "G", topic: "%RETRY%G", queueId: 0, commitOffset: 77)
    #expect(try roundTrip(update) == update)
    #expect(try roundTrip(OffsetResponseHeader(offset: -1)) == OffsetResponseHeader(offset: -1))
    #expect(try roundTrip(GetConsumerListByGroupRequestHeader(consumerGroup: "G")).consumerGroup == "G")
    let back = ConsumerSendMsgBackRequestHeader(offset: 1234, group: "G", delayLevel: 3, originMsgId: "id", originTopic: "T",
                                                unitMode: false, maxReconsumeTimes: 5)
    #expect(try roundTrip(back) == back)
    // C++ 1.2.3: delayLevel as a number, nothing else.
    let cppBack = try ConsumerSendMsgBackRequestHeader(extFields: ["group": "G", "offset": "99", "delayLevel": "0"])
    #expect(cppBack.offset == 99 && cppBack.delayLevel == 0 && cppBack.maxReconsumeTimes == nil && cppBack.originTopic == nil)
    #expect(throws: HeaderError.missing(field: "group")) { try ConsumerSendMsgBackRequestHeader(extFields: ["offset": "1"]) }

    let unregister = try UnregisterClientRequestHeader(extFields: ["clientID": "c", "producerGroup": "", "consumerGroup": "G"])
    #expect(unregister == UnregisterClientRequestHeader(clientID: "c", consumerGroup: "G"))
    #expect(unregister.extFields() == ["clientID": "c", "producerGroup": "", "consumerGroup": "G"])
    let reset = ResetOffsetRequestHeader(topic: "T", group: "G", timestamp: 5, isForce: true)
    #expect(try roundTrip(reset) == reset)
    #expect(try ResetOffsetRequestHeader(extFields: ["topic": "T", "group": "G", "timestamp": "5", "isForce": "1"]).isForce)
}

@Test func queueAndMessageHeadersRoundTrip() throws {
    #expect(try roundTrip(QueueRequestHeader(topic: "T", queueId: 2)) == QueueRequestHeader(topic: "T", queueId: 2))
    let search = SearchOffsetRequestHeader(topic: "T", queueId: 2, timestamp: 1_700_000_000_000)
    #expect(try roundTrip(search) == search)
    #expect(try roundTrip(GetEarliestMsgStoretimeResponseHeader(timestamp: -1)).timestamp == -1)
    let query = QueryMessageRequestHeader(topic: "T", key: "k", maxNum: 32, beginTimestamp: 0, endTimestamp: 9, uniqueKeyQuery: true)
    #expect(try roundTrip(query) == query)
    #expect(query.extFields()["_UNIQUE_KEY_QUERY"] == "true")
    let queryResponse = QueryMessageResponseHeader(indexLastUpdateTimestamp: 1, indexLastUpdatePhyoffset: 2)
    #expect(try roundTrip(queryResponse) == queryResponse)
    #expect(try roundTrip(ViewMessageRequestHeader(offset: 77)).offset == 77)
    #expect(throws: HeaderError.notANumber(field: "queueId", value: "one")) {
        try QueueRequestHeader(extFields: ["topic": "T", "queueId": "one"])
    }
}

@Test func adminAndNameServerHeadersRoundTrip() throws {
    let create = CreateTopicRequestHeader(topic: "T", defaultTopic: "TBW102", readQueueNums: 8, writeQueueNums: 8,
                                          perm: Permission.readWrite, order: true)
    #expect(try roundTrip(create) == create)
    let defaults = try CreateTopicRequestHeader(extFields: ["topic": "T"])
    #expect(defaults.readQueueNums == 16 && defaults.perm == 6 && defaults.topicFilterType == "SINGLE_TAG" && !defaults.order)
    #expect(try roundTrip(GetRouteInfoRequestHeader(topic: "T")) == GetRouteInfoRequestHeader(topic: "T"))
    let register = RegisterBrokerRequestHeader(brokerName: "b", brokerAddr: "10.0.0.1:10911", clusterName: "C", brokerId: 0)
    #expect(try roundTrip(register) == register)
    #expect(throws: HeaderError.missing(field: "brokerAddr")) { try RegisterBrokerRequestHeader(extFields: ["brokerName": "b"]) }
    #expect(RegisterBrokerResponseHeader().extFields() == ["haServerAddr": "", "masterAddr": ""])
    let unregister = UnregisterBrokerRequestHeader(brokerName: "b", brokerAddr: "a", clusterName: "C", brokerId: 1)
    #expect(try roundTrip(unregister) == unregister)
}

@Test func transactionHeadersRoundTrip() throws {
    let end = EndTransactionRequestHeader(producerGroup: "PG", tranStateTableOffset: 3, commitLogOffset: 4096,
                                          commitOrRollback: MessageSysFlag.transactionCommit, fromTransactionCheck: true,
                                          msgId: "U", transactionId: "X")
    #expect(try roundTrip(end) == end)
    // C++: every value a string, the check flag "0"/"1".
    let cpp = try EndTransactionRequestHeader(extFields: [
        "producerGroup": "PG", "tranStateTableOffset": "3", "commitLogOffset": "4096", "commitOrRollback": "12",
        "fromTransactionCheck": "1", "msgId": "U", "transactionId": "X",
    ])
    #expect(cpp.commitOrRollback == MessageSysFlag.transactionRollback && cpp.fromTransactionCheck)
    let check = CheckTransactionStateRequestHeader(tranStateTableOffset: 3, commitLogOffset: 4096, msgId: "U", transactionId: "X",
                                                   offsetMsgId: "O")
    #expect(try roundTrip(check) == check)
}

@Test func commandHelpersCarryHeaders() throws {
    let request = RemotingCommand.request(code: .getMaxOffset, header: GetMaxOffsetRequestHeader(topic: "T", queueId: 1))
    #expect(request.code == RequestCode.getMaxOffset.rawValue && request.extFields == ["topic": "T", "queueId": "1"])
    let decoded: GetMaxOffsetRequestHeader = try request.decodeHeader()
    #expect(decoded.topic == "T")
    let response = RemotingCommand.response(to: request, code: .success, header: OffsetResponseHeader(offset: 5))
    #expect(response.isResponse && response.extFields == ["offset": "5"])
    #expect("\(HeaderError.missing(field: "topic"))".contains("'topic'"))
}

/// A typed header is written straight into the frame (`DirectHeader`): the bytes must be those of its ext fields, in
/// both serialize types, and decode to the same header.
@Test func directHeadersWriteTheBytesOfTheirExtFields() throws {
    func check<H: DirectHeader & Equatable>(_ header: H, request code: RequestCode? = nil, _ note: String) throws {
        for type in [SerializeType.json, .rocketmq] {
            var typed = code.map { RemotingCommand.request(code: $0, header: header, body: ByteBuffer(bytes: [1, 2])) }
                ?? RemotingCommand.response(to: RemotingCommand(code: 10, opaque: 9), code: .success, header: header)
            typed.serializeType = type
            var plain = typed
            plain.extFields = header.extFields()
            if case .typed = typed.fields {} else { Issue.record("\(note): not typed") }
            #expect(try encode(typed) == encode(plain), "\(note) \(type)")
            let decoded = try #require(try decodeOne(encode(typed)))
            #expect(try decoded.decodeHeader(H.self) == header, "\(note) \(type)")
            #expect(decoded.extFields == (try decodeOne(encode(plain)))?.extFields, "\(note) \(type)")  // binary drops "" (null)
        }
    }
    let send = SendMessageRequestHeader(
        producerGroup: "PG \"quoted\" 中文", topic: "T", queueId: -1, sysFlag: Int32.min, bornTimestamp: Int64.max, flag: 7,
        properties: "UNIQ_KEY\u{1}K\u{2}WAIT\u{1}true\u{2}", reconsumeTimes: 2, unitMode: true, maxReconsumeTimes: 16,
        batch: false, brokerName: "b")
    try check(send, request: .sendMessageV2, "send, every field")
    try check(SendMessageRequestHeader(producerGroup: "", topic: "T", defaultTopic: nil, defaultTopicQueueNums: nil, queueId: 0,
                                       bornTimestamp: Int64.min, properties: ""), request: .sendMessageV2, "send, optionals absent")
    try check(SendMessageResponseHeader(msgId: "0A0000010000271100000000000004D2", queueId: 3, queueOffset: 0), "send response")
    try check(SendMessageResponseHeader(msgId: "a,b", queueId: 0, queueOffset: -1, transactionId: "tx"), "send response, tx")
    try check(SendMessageResponseHeader(offsetMessageId: OffsetMessageId(storeHost: HostAddress("10.0.0.1:10001")!, commitLogOffset: 1234),
                                        queueId: 3, queueOffset: 7), "send response, offset message id")
    try check(PullMessageRequestHeader(consumerGroup: "G", topic: "T", queueId: 1, queueOffset: 42, sysFlag: [.suspend],
                                       commitOffset: 40, subscription: "a || b", subVersion: 9, expressionType: "TAG"),
              request: .pullMessage, "pull, every field")
    try check(PullMessageRequestHeader(consumerGroup: "G", topic: "T", queueId: 1, queueOffset: 0, sysFlag: []),
              request: .pullMessage, "pull, optionals absent")
    try check(PullMessageResponseHeader(nextBeginOffset: 1_000_000_000_000, minOffset: 0, maxOffset: -1), "pull response")
    // A send header handed over in process (not through a frame) reads back the same, through its ext fields.
    let inProcess = RemotingCommand.request(code: .sendMessageV2, header: send)
    #expect(try SendMessageRequestHeader(request: inProcess) == send)
}

extension ExtFields {
    fileprivate init(pairs: [(String, String)]) {
        self.init()
        for (key, value) in pairs { append(key, value) }
    }
}

/// A binary (type 1) frame of `code` whose ext fields are `pairs` in this order; a nil value is Java's null (length 0).
private func binarySendFrame(code: Int32 = 310, flag: Int32 = 0, _ pairs: [(String, String?)]) -> ByteBuffer {
    var ext = ByteBuffer()
    for (key, value) in pairs {
        ext.writeInteger(Int16(key.utf8.count)); ext.writeString(key)
        ext.writeInteger(Int32(value?.utf8.count ?? 0)); ext.writeString(value ?? "")
    }
    var header = ByteBuffer()
    header.writeInteger(Int16(code)); header.writeInteger(UInt8(0)); header.writeInteger(Int16(401))
    header.writeInteger(Int32(5)); header.writeInteger(flag); header.writeInteger(Int32(0))
    header.writeInteger(Int32(ext.readableBytes)); header.writeBuffer(&ext)
    return frame(header: Array(buffer: header), body: [1], type: 1)
}

/// The in-place reading of a binary send header (no ext-field strings) must agree with the ext-field reading in every
/// result and every error.
@Test func binarySendHeaderReadInPlaceAgreesWithExtFields() throws {
    let header = SendMessageRequestHeader(
        producerGroup: "PG", topic: "T", queueId: 3, sysFlag: 1, bornTimestamp: 1_700_000_000_123, flag: 7,
        properties: "UNIQ_KEY\u{1}K\u{2}", reconsumeTimes: 2, unitMode: true, maxReconsumeTimes: 16, batch: true,
        brokerName: "b")
    for naming in [SendMessageRequestHeader.Naming.v1, .v2] {
        var command = RemotingCommand.request(code: naming == .v1 ? .sendMessage : .sendMessageV2,
                                              extFields: header.extFields(naming: naming), body: ByteBuffer(bytes: [1]))
        command.serializeType = .rocketmq
        let decoded = try #require(try decodeOne(encode(command)))
        #expect(decoded.keepsFieldsAsReceived)          // the fast path is taken
        let read = try SendMessageRequestHeader(request: decoded)
        #expect(read == header)
        // The properties stay the frame's bytes (no string until someone asks) and read back as sent.
        guard case .bytes = read.sentProperties else { Issue.record("properties made a string: \(read.sentProperties)"); continue }
        #expect(read.properties == "UNIQ_KEY\u{1}K\u{2}")
        #expect(read.withTopicUTF8 { Array($0) } == Array("T".utf8))
        #expect(read.withSentPropertiesUTF8 { Array($0) } == Array("UNIQ_KEY\u{1}K\u{2}".utf8))
        // New properties given as bytes leave the fields read from the frame as they were.
        var changed = read
        changed.sentProperties = .bytes(ByteBuffer(string: "KEYS\u{1}k"))
        #expect(changed.topic == "T" && changed.producerGroup == "PG" && changed.brokerName == "b")
        #expect(changed.properties == "KEYS\u{1}k" && changed.withSentPropertiesUTF8 { Array($0) } == Array("KEYS\u{1}k".utf8))
        #expect(decoded.extFields == command.extFields)     // and the fields still read as before when asked
        #expect(decoded == command)
    }
    let cases: [[(String, String?)]] = [
        [("b", "T")],                                              // defaults
        [("topic", "A"), ("b", "B"), ("e", "x"), ("e", "4")],      // a later key wins, an earlier bad value is overridden
        [("b", "T"), ("e", "+5"), ("d", " 7 "), ("g", "-12")],     // spellings only the general parser reads
        [("b", "T"), ("g", "99999999999999999999")],               // too long for the digit loop
        [("b", "T"), ("e", "2147483648")],                         // out of Int32 range
        [("b", "T"), ("e", "x")],                                  // not a number
        [("b", "T"), ("e", "-")],
        [("a", "PG")],                                             // no topic
        [("b", nil), ("a", "PG")],                                 // a null topic is absent
        [("b", "T"), ("k", "1"), ("m", "TRUE"), ("c", nil), ("n", "broker-a"), ("zz", "ignored")],
        [("b", "T"), ("k", "true"), ("m", "0")],                  // booleans, read from their bytes in place
        [("b", "T"), ("k", "false"), ("m", "True")],
        [("b", "T"), ("k", ""), ("m", "yes")],
        [("b", "T"), ("k", "0"), ("m", "1")],
    ]
    for pairs in cases {
        let command = try #require(try decodeOne(binarySendFrame(pairs)))
        #expect(command.keepsFieldsAsReceived)
        let inPlace = Result { () throws(HeaderError) in try SendMessageRequestHeader(request: command) }
        let viaFields = Result { () throws(HeaderError) in try SendMessageRequestHeader(extFields: command.extFields) }
        switch (inPlace, viaFields) {
        case let (.success(a), .success(b)):
            // Both default a missing bornTimestamp to the clock: compare the rest.
            var a = a, b = b
            if !pairs.contains(where: { $0.0 == "g" }) { a.bornTimestamp = 0; b.bornTimestamp = 0 }
            #expect(a == b, "\(pairs)")
        case let (.failure(a), .failure(b)):
            #expect(a == b, "\(pairs)")
        default:
            Issue.record("\(pairs): in place \(inPlace), via ext fields \(viaFields)")
        }
    }
    // Batches by code; pulls keep their fields for their typed header too; other requests decode their fields at once,
    // responses only when asked.
    #expect(try SendMessageRequestHeader(request: #require(try decodeOne(binarySendFrame(code: 320, [("b", "T")])))).batch)
    let response = try #require(try decodeOne(binarySendFrame(code: 10, flag: 1, [("msgId", "m")])))
    #expect(response.keepsFieldsAsReceived && response.extFields == ["msgId": "m"])
    let pull = try #require(try decodeOne(binarySendFrame(code: 11, [("topic", "T")])))
    #expect(pull.keepsFieldsAsReceived && pull.extFields == ["topic": "T"])
    #expect(try !#require(try decodeOne(binarySendFrame(code: 14, [("topic", "T")]))).keepsFieldsAsReceived)
}

@Test func binarySendHeaderWithBrokenFieldsIsRejectedByTheDecoder() throws {
    var broken = binarySendFrame([("b", "T"), ("a", "PG")])
    broken.moveWriterIndex(to: broken.writerIndex - 2)   // the body byte and the last value byte
    let length = broken.readableBytes - 4
    broken.setInteger(UInt32(length), at: 0)
    broken.setInteger(UInt32(1) << 24 | UInt32(length - 4), at: 4)
    #expect(throws: RemotingDecodingError.self) { try decodeOne(broken) }
}

/// A JSON send frame of `code` with `extFields` (raw JSON) in Java's key order, or with "code" last.
private func jsonSendFrame(code: Int = 310, _ extFields: String, codeLast: Bool = false) -> ByteBuffer {
    let rest = #""flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":401"#
    return codeLast
        ? frame(json: #"{"extFields":\#(extFields),\#(rest),"code":\#(code)}"#, body: "x")
        : frame(json: #"{"code":\#(code),"extFields":\#(extFields),\#(rest)}"#, body: "x")
}

/// A JSON send's typed header is read in the same pass as the frame (no ext fields built): it must agree with the
/// ext-field reading in every result and error, and the ext fields must still read as a non-send frame's would.
@Test func jsonSendHeaderReadInOnePassAgreesWithExtFields() throws {
    let cases = [
        #"{"a":"PG","b":"T","c":"TBW102","d":"4","e":"3","f":"0","g":"1700000000123","h":"0","i":"UNIQ_KEY\u0001K\u0002WAIT\u0001true\u0002","j":"0","k":"false","l":"16","m":"false"}"#,
        #"{"AccessKey":"","OnsChannel":"ALIYUN","Signature":"x/Ab+c=","batch":"0","bornTimestamp":"1700000000123","defaultTopic":"TBW102","defaultTopicQueueNums":4,"flag":0,"producerGroup":"PG","properties":"P","queueId":3,"reconsumeTimes":"0","sysFlag":0,"topic":"TopicTest","unitMode":"0"}"#,
        #"{"topic":"A","b":"B","e":"x","e":4}"#,                     // a later key wins, an earlier bad value is overridden
        #"{"b":"T","e":"+5","d":" 7 ","g":-12,"h":3.0,"f":1e2,"j":"-0"}"#,
        #"{"b":"T","g":"99999999999999999999"}"#, #"{"b":"T","g":99999999999999999999}"#,
        #"{"b":"T","e":"2147483648"}"#, #"{"b":"T","e":2147483648}"#, #"{"b":"T","e":-2147483649}"#,
        #"{"b":"T","e":"000000002147483648"}"#,                         // quoted as it came in the error
        #"{"b":"T","e":"x"}"#, #"{"b":"T","e":true}"#, #"{"b":"T","e":null}"#, #"{"b":"T","e":""}"#, #"{"b":"T","e":"-"}"#,
        #"{"b":"T","e":"4\u0030"}"#,                                  // an escaped digit is still a number
        #"{"a":"PG"}"#, #"{"b":""}"#, #"{"b":null}"#, #"{}"#, #"{"b":7}"#,
        #"{"b":"T\u0041","a":{"x":1},"n":[1,2],"k":"1","m":"TRUE","zz":"ignored","c":"","i":"esc\"aped"}"#,
        #"{"\u0062":"T", 1:"x" , "e" : 2 }"#,                          // an escaped key, a bare number key, spaces
        #"{"b":"T","i":"K\u0001\u00e9\u4e2d\ud83d\ude00\ud83d\u0002V"}"#,     // escapes past ASCII, a lone surrogate
    ]
    for ext in cases {
        let send = try #require(try decodeOne(jsonSendFrame(ext)))
        #expect(send.keepsFieldsAsReceived, "\(ext)")
        let other = try #require(try decodeOne(jsonSendFrame(code: 14, ext)))   // QUERY_CONSUMER_OFFSET: fields decoded at once
        #expect(!other.keepsFieldsAsReceived && send.extFields == other.extFields, "\(ext)")
        let onePass = Result { () throws(HeaderError) in try SendMessageRequestHeader(request: send) }
        let viaFields = Result { () throws(HeaderError) in try SendMessageRequestHeader(extFields: other.extFields) }
        switch (onePass, viaFields) {
        case let (.success(a), .success(b)):
            var a = a, b = b
            if !ext.contains(#""g""#) && !ext.contains("bornTimestamp") { a.bornTimestamp = 0; b.bornTimestamp = 0 }
            #expect(a == b, "\(ext)")
        case let (.failure(a), .failure(b)):
            #expect(a == b, "\(ext)")
        default:
            Issue.record("\(ext): one pass \(onePass), via ext fields \(viaFields)")
        }
        // "code" after the ext fields: read the general way, same header.
        let late = try #require(try decodeOne(jsonSendFrame(ext, codeLast: true)))
        #expect(!late.keepsFieldsAsReceived && late.extFields == other.extFields, "\(ext)")
    }
    #expect(try SendMessageRequestHeader(request: #require(try decodeOne(jsonSendFrame(code: 320, #"{"b":"T"}"#)))).batch)
}

/// A JSON pull's typed header is read in the frame's pass when its values have the Java and C++ clients' shapes (strings
/// without escapes, plain integers, none empty), and through the ext fields otherwise: either way it must agree with
/// the ext-field reading in every result and error.
@Test func jsonPullHeaderReadInOnePassAgreesWithExtFields() throws {
    let java = #"{"queueId":"2","maxMsgNums":"32","sysFlag":"3","suspendTimeoutMillis":"15000","commitOffset":"7","bname":"broker-a","topic":"TopicCap","queueOffset":"9","expressionType":"TAG","subVersion":"1796080079960","consumerGroup":"CG"}"#
    let cpp = #"{"AccessKey":"","OnsChannel":"ALIYUN","Signature":"EjAtdVo8IX89b7loyndHgRn35HQ=","commitOffset":"0","consumerGroup":"CG","maxMsgNums":32,"queueId":1,"queueOffset":"0","subVersion":"1700000000000","subscription":"TagA || TagC","suspendTimeoutMillis":"15000","sysFlag":6,"topic":"T"}"#
    let onePassCases = [
        java, cpp,
        #"{"topic":"T","consumerGroup":"G","queueId":"x","queueOffset":"1"}"#,              // a bad number: the same error
        #"{"topic":"T","consumerGroup":"G","queueId":2147483648,"queueOffset":"1"}"#,
        #"{"topic":"T","consumerGroup":"G","queueId":"-1","queueOffset":-5 , "sysFlag" : 1 }"#,
        #"{"topic":"T","consumerGroup":"G","queueOffset":"1"}"#, #"{"consumerGroup":"G","queueId":1,"queueOffset":"1"}"#,
        #"{"topic":"A","topic":"B","consumerGroup":"G","queueId":1,"queueOffset":"1","zz":"ignored","n":12}"#,  // a later key wins
        #"{"topic":"T","consumerGroup":"G","queueId":"+1","queueOffset":" 4 ","subscription":"*"}"#,
        #"{}"#,
    ]
    let generalCases = [
        #"{"topic":"T\u0041","consumerGroup":"G","queueId":1,"queueOffset":"1"}"#,     // an escape
        #"{"topic":"T","consumerGroup":"G","queueId":1,"queueOffset":"1","subscription":""}"#,   // an empty value
        #"{"topic":"","consumerGroup":"G","queueId":1,"queueOffset":"1"}"#,
        #"{"topic":"T","consumerGroup":"G","queueId":1,"queueOffset":"1","commitOffset":null}"#,
        #"{"topic":"T","consumerGroup":"G","queueId":1.0,"queueOffset":"1"}"#, #"{"topic":"T","consumerGroup":"G","queueId":1e2,"queueOffset":"1"}"#,
        #"{"topic":"T","consumerGroup":"G","queueId":1,"queueOffset":99999999999999999999}"#,
        #"{"topic":"T","consumerGroup":"G","queueId":true,"queueOffset":"1"}"#,
        #"{"topic":"T","consumerGroup":"G","queueId":1,"queueOffset":"1","x":{"y":[1,2]}}"#,
        #"{"\u0074opic":"T","consumerGroup":"G","queueId":1,"queueOffset":"1"}"#, #"{1:"x","topic":"T","consumerGroup":"G","queueId":1,"queueOffset":"1"}"#,
    ]
    for (ext, onePass) in onePassCases.map({ ($0, true) }) + generalCases.map({ ($0, false) }) {
        let pull = try #require(try decodeOne(jsonSendFrame(code: 11, ext)))
        #expect(pull.keepsFieldsAsReceived == onePass, "\(ext)")
        let other = try #require(try decodeOne(jsonSendFrame(code: 14, ext)))
        #expect(pull.extFields == other.extFields, "\(ext)")
        let typed = Result { () throws(HeaderError) in try PullMessageRequestHeader(request: pull) }
        let viaFields = Result { () throws(HeaderError) in try PullMessageRequestHeader(extFields: other.extFields) }
        switch (typed, viaFields) {
        case let (.success(a), .success(b)): #expect(a == b, "\(ext)")
        case let (.failure(a), .failure(b)): #expect(a == b, "\(ext)")
        default: Issue.record("\(ext): one pass \(typed), via ext fields \(viaFields)")
        }
    }
    let header = try PullMessageRequestHeader(request: #require(try decodeOne(jsonSendFrame(code: 11, cpp))))
    #expect(header == PullMessageRequestHeader(consumerGroup: "CG", topic: "T", queueId: 1, queueOffset: 0, maxMsgNums: 32,
                                               sysFlag: PullSysFlag(rawValue: 6), commitOffset: 0, suspendTimeoutMillis: 15_000,
                                               subscription: "TagA || TagC", subVersion: 1_700_000_000_000))
}

@Test func jsonSendHeaderSyntaxErrorsStillCloseTheFrame() {
    for ext in [#"{"b":"T",}"#, #"{"b":"T""#, #"{"b":"\x"}"#, #"{"b" "T"}"#, #"{"b":tru}"#, #"{"e":"3"#, #"{"zz":"\u00"}"#] {
        #expect(throws: RemotingDecodingError.self, "\(ext)") { try decodeOne(jsonSendFrame(ext)) }
        #expect(throws: RemotingDecodingError.self, "\(ext)") { try decodeOne(jsonSendFrame(code: 11, ext)) }
    }
}

extension RemotingCommand {
    /// The ext fields are kept as they arrived (binary section, JSON send or pull object), not decoded into `ExtFields`.
    var keepsFieldsAsReceived: Bool {
        switch fields {
        case .binary, .jsonSend, .jsonPull: return true
        case .decoded, .typed: return false
        }
    }
}

/// Booleans as the clients spell them: the byte-matched spellings and the general path agree with Java's reading.
@Test func headerBooleansReadAsBefore() {
    let cases: [(String, Bool)] = [("true", true), ("1", true), ("TRUE", true), ("True", true), ("false", false), ("0", false),
                                   ("", false), ("FALSE", false), ("yes", false), ("2", false), (" true", false), ("truex", false)]
    for (text, expected) in cases { #expect(HeaderValue.bool(text) == expected, "\(text.debugDescription)") }
}

/// A pull header in a binary section is read in place: every value and every error is the one its ext fields give.
@Test func pullHeaderReadInPlaceAgreesWithExtFields() throws {
    let full: ExtFields = [
        "consumerGroup": "G", "topic": "T", "queueId": "1", "queueOffset": "42", "maxMsgNums": "16", "sysFlag": "7",
        "commitOffset": "40", "suspendTimeoutMillis": "20000", "subscription": "a || b", "subVersion": "9",
        "expressionType": "TAG",
    ]
    var cases: [(String, ExtFields)] = [("every field", full)]
    cases.append(("only the required", ["consumerGroup": "G", "topic": "T", "queueId": "0", "queueOffset": "0"]))
    for key in ["consumerGroup", "topic", "queueId", "queueOffset"] {
        var missing = full
        missing[key] = nil
        cases.append(("\(key) missing", missing))
        var empty = full
        empty[key] = ""  // Java's null: absent
        cases.append(("\(key) empty", empty))
    }
    for (key, value) in [("queueId", "x"), ("queueId", "2147483648"), ("queueOffset", "9223372036854775808"),
                         ("maxMsgNums", "-1"), ("sysFlag", " 3"), ("commitOffset", "+5"), ("subVersion", "1.5"),
                         ("suspendTimeoutMillis", "-0"), ("topic", "中文"), ("subscription", "")] {
        var changed = full
        changed[key] = value
        cases.append(("\(key)=\(value)", changed))
    }
    var repeated = full
    repeated.append("topic", "Later")  // a later key wins
    repeated.append("brokerName", "b")  // not a pull field
    repeated.append("queueIds", "5")
    cases.append(("repeated and unknown keys", repeated))

    for (note, fields) in cases {
        var request = RemotingCommand.request(code: .pullMessage, extFields: fields)
        request.serializeType = .rocketmq
        let decoded = try #require(try decodeOne(encode(request)))
        guard case .binary = decoded.fields else {
            Issue.record("\(note): not a binary section")
            continue
        }
        let inPlace = Result { () throws(HeaderError) in try PullMessageRequestHeader(request: decoded) }
        let viaFields = Result { () throws(HeaderError) in try PullMessageRequestHeader(extFields: decoded.extFields) }
        #expect("\(inPlace)" == "\(viaFields)", "\(note)")
    }
    let every = try PullMessageRequestHeader(extFields: full)
    #expect(every.maxMsgNums == 16 && every.commitOffset == 40 && every.subscription == "a || b")
}

/// A pull's answer read in place by the Swift consumer (binary and JSON): every value and every error is the one its
/// ext fields give.
@Test func pullResponseHeaderReadInPlaceAgreesWithExtFields() throws {
    let full: ExtFields = ["nextBeginOffset": "43", "minOffset": "7", "maxOffset": "99", "suggestWhichBrokerId": "0"]
    var cases: [(String, ExtFields)] = [("every field", full), ("only the required", ["nextBeginOffset": "0"])]
    for key in ["nextBeginOffset", "minOffset", "maxOffset", "suggestWhichBrokerId"] {
        var missing = full
        missing[key] = nil
        cases.append(("\(key) missing", missing))
        var empty = full
        empty[key] = ""
        cases.append(("\(key) empty", empty))
    }
    for (key, value) in [("nextBeginOffset", "x"), ("nextBeginOffset", "9223372036854775808"), ("minOffset", "-1"),
                         ("maxOffset", " 3"), ("maxOffset", "+5"), ("suggestWhichBrokerId", "1.5"), ("minOffset", "中文")] {
        var changed = full
        changed[key] = value
        cases.append(("\(key)=\(value)", changed))
    }
    var repeated = full
    repeated.append("maxOffset", "100")  // a later key wins
    repeated.append("maxOffsets", "5")  // not a field of it
    repeated.append("mixOffset", "6")
    cases.append(("repeated and unknown keys", repeated))

    for (note, fields) in cases {
        for type in [SerializeType.rocketmq, .json] {
            var response = RemotingCommand.request(code: .pullMessage, extFields: fields)
            response.serializeType = type
            let decoded = try #require(try decodeOne(encode(response)))
            let inPlace = Result { () throws(HeaderError) in try PullMessageResponseHeader(response: decoded) }
            let viaFields = Result { () throws(HeaderError) in try PullMessageResponseHeader(extFields: decoded.extFields) }
            #expect("\(inPlace)" == "\(viaFields)", "\(note), \(type)")
        }
    }
    var sample = RemotingCommand.request(code: .pullMessage, extFields: full)
    sample.serializeType = .rocketmq
    let every = try PullMessageResponseHeader(response: #require(try decodeOne(encode(sample))))
    #expect(every == PullMessageResponseHeader(nextBeginOffset: 43, minOffset: 7, maxOffset: 99))
}

@Test func hostAddressOfASocketAddressIsItsIPv4AndPort() throws {
    let v4 = try HostAddress(SocketAddress(ipAddress: "10.1.2.254", port: 40123))
    #expect(v4 == HostAddress(ip: "10.1.2.254", port: 40123))
    #expect(v4?.ipv4 == 0x0A01_02FE && v4?.port == 40123)
    #expect(try HostAddress(SocketAddress(ipAddress: "::1", port: 80)) == nil)
    #expect(HostAddress(nil as SocketAddress?) == nil)
}
