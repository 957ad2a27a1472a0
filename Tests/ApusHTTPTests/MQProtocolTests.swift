// The ApsaraMQ HTTP protocol layer without sockets: XML writing and tolerant reading, the publish request and
// response, properties, parameter validation, the §5.3 signature vectors, plain_acl.yml accounts and permissions,
// and the publish route through HummingbirdTesting with a fake publisher.

@testable import ApusBroker
import ApusMessage
@testable import ApusHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

// MARK: XML

@Test func xmlWriterEscapesAndNeverSelfCloses() throws {
    var xml = XMLWriter(root: "Message")
    xml.field("MessageBody", "a<b & c>d \"q\" 'x'\r\nzh:中文")
    xml.field("MessageTag", "")
    xml.field("Properties", nil)
    xml.field("PublishTime", 17)
    let text = xml.finish()
    #expect(text == #"<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1">"#
        + "<MessageBody>a&lt;b &amp; c&gt;d &quot;q&quot; &apos;x&apos;&#13;\nzh:中文</MessageBody><PublishTime>17</PublishTime></Message>")
    #expect(!text.contains("/>"))
    #expect(XMLWriter.escape("a\u{1}b\u{0}c\u{FFFE}") == "abc", "characters XML forbids are dropped")
    var numbers = XMLWriter(root: "n")
    for value: Int64 in [0, 7, -7, 10, 1_700_000_000_123, .max, .min] { numbers.field("v", value) }
    #expect(try XMLReader.parse(numbers.finish()).children.map(\.text)
        == ["0", "7", "-7", "10", "1700000000123", "9223372036854775807", "-9223372036854775808"])
}

@Test func xmlWriterEscapesTheSameAtEveryPosition() {
    // Bytes to rewrite or drop are found eight at a time: put each at every offset of a word, alone and two at once,
    // and check the text written, from a string and from a body's bytes.
    let cases: [(raw: String, written: String)] = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&quot;"),
                                                   ("'", "&apos;"), ("\r", "&#13;"), ("\n", "\n"), ("\t", "\t"),
                                                   ("\u{1}", ""), ("\u{1F}", ""), ("\u{0}", ""), ("\u{FFFE}", ""),
                                                   ("\u{FFFF}", ""), ("\u{EFFF}", "\u{EFFF}"), ("\u{FFFD}", "\u{FFFD}"),
                                                   ("é", "é"), ("%", "%"), ("=", "="), ("?", "?")]
    func written(_ text: String) -> String {
        var fromString = XMLWriter(root: "a"), fromBytes = XMLWriter(root: "a")
        fromString.field("b", text)
        fromBytes.field("b", utf8: Array(text.utf8))
        let document = fromString.finish()
        #expect(fromBytes.finish() == document)
        guard let open = document.range(of: "<b>"), let close = document.range(of: "</b>") else { return "(no element)" }
        return String(document[open.upperBound..<close.lowerBound])
    }
    for n in 0..<20 {
        let before = String(repeating: "a", count: n), after = String(repeating: "b", count: 19 - n)
        for (raw, expected) in cases {
            #expect(written(before + raw + after) == before + expected + after, "\(raw.debugDescription) after \(n) bytes")
            #expect(written(before + raw + raw + after) == before + expected + expected + after)
        }
    }
    #expect(written("<") == "&lt;" && written("\u{1}") == "" && written("") == "(no element)")
}

@Test func xmlWriterWritesABodyOfIllFormedUTF8AsItsDecodedString() {
    for bytes: [UInt8] in [[0x61, 0xFF, 0x62], [0xC3], [0xE4, 0xB8], Array(repeating: 0x61, count: 9) + [0x80, 0x3C],
                           [0xED, 0xA0, 0x80]] {
        var fromBytes = XMLWriter(root: "a"), fromString = XMLWriter(root: "a")
        fromBytes.field("b", utf8: bytes)
        fromString.field("b", String(decoding: bytes, as: UTF8.self))
        let document = fromBytes.finish()
        #expect(document == fromString.finish() && document.contains("\u{FFFD}"), "\(bytes)")
    }
}

@Test func xmlWriterNestsElements() {
    var xml = XMLWriter(root: "Messages")
    xml.begin("Message")
    xml.field("MessageId", "ID1")
    xml.end()
    xml.begin("Message")
    xml.field("MessageId", "ID2")
    #expect(xml.finish().hasSuffix("<Message><MessageId>ID1</MessageId></Message><Message><MessageId>ID2</MessageId></Message></Messages>"))
}

@Test func xmlReaderRoundTripsWriterOutput() throws {
    let body = "a<b & c>d \"q\" 'x'\r\n中文 \t end"
    var xml = XMLWriter(root: "Message")
    xml.field("MessageBody", body)
    let root = try XMLReader.parse(xml.finish())
    #expect(root.name == "Message")
    #expect(root.child("MessageBody")?.text == body)
}

@Test func xmlReaderToleratesSDKVariants() throws {
    // Python: slash namespace; Node: CDATA everywhere; pretty printing; a prefixed namespace; comments.
    let python = #"<?xml version="1.0" encoding="utf-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1/"><MessageBody>hello</MessageBody><Properties>a:1|KEYS:K1|</Properties><MessageTag>TagA</MessageTag></Message>"#
    let p = try XMLReader.parse(python)
    #expect(p.child("MessageBody")?.text == "hello" && p.child("MessageTag")?.text == "TagA")
    let node = "<?xml version=\"1.0\"?>\n<Message xmlns=\"http://mq.aliyuncs.com/doc/v1/\">\n  <!-- c -->\n  <MessageBody><![CDATA[<x>&]]></MessageBody>\n  <MessageTag><![CDATA[T]]></MessageTag>\n</Message>\n"
    let n = try XMLReader.parse(node)
    #expect(n.child("MessageBody")?.text == "<x>&" && n.child("MessageTag")?.text == "T")
    #expect(n.text == "")
    let prefixed = #"<mq:ReceiptHandles xmlns:mq="x"><mq:ReceiptHandle>A</mq:ReceiptHandle><mq:ReceiptHandle>B</mq:ReceiptHandle></mq:ReceiptHandles>"#
    let r = try XMLReader.parse(prefixed)
    #expect(r.name == "ReceiptHandles" && r.children("ReceiptHandle").map(\.text) == ["A", "B"])
    #expect(try XMLReader.parse("<a>x&#65;&#x42;y</a>").text == "xABy")
    #expect(try XMLReader.parse("<a><b/></a>").child("b")?.text == "")
}

@Test func xmlReaderRejectsMalformedAndOversized() {
    for bad in ["", "<a>", "<a></b>", "<a>&bogus;</a>", "<a>x</a><b/>", "<!DOCTYPE a><a/>", "<a>\u{1}</a>", "plain",
                String(repeating: "<a>", count: 20) + String(repeating: "</a>", count: 20)] {
        #expect(throws: XMLParseError.self, "\(bad.debugDescription)") { try XMLReader.parse(bad) }
    }
    #expect(throws: XMLParseError.self) { try XMLReader.parse(Array("<a>12345</a>".utf8), maxBytes: 5) }
    #expect(throws: XMLParseError.self) { try XMLReader.parse([0x3C, 0x61, 0x3E, 0xFF, 0x3C, 0x2F, 0x61, 0x3E], maxBytes: 100) }
}

@Test func xmlReaderReadsCharacterDataTheSameAtEveryPosition() throws {
    // Text is scanned eight bytes at a time: put each kind of byte the scan must stop at, or read through, at every
    // offset of a word, in texts of one piece and of several (an entity, CDATA, text after a child).
    let kept: [(raw: String, text: String)] = [("&amp;", "&"), ("&#x3C;", "<"), ("\n", "\n"), ("\t", "\t"), ("\r", "\r"),
                                               ("é", "é"), ("\u{FFFD}", "\u{FFFD}"), ("\u{EFFF}", "\u{EFFF}"),
                                               ("<![CDATA[<&]]>", "<&"), ("<!-- c -->", "")]
    for n in 0..<20 {
        let before = String(repeating: "a", count: n), after = String(repeating: "b", count: 19 - n)
        for (raw, text) in kept {
            let element = try XMLReader.parse("<a>" + before + raw + after + "</a>")
            #expect(element.text == before + text + after, "\(raw.debugDescription) after \(n) bytes")
        }
        #expect(try XMLReader.parse("<a>" + before + "<b>x</b>" + after + "</a>").text == before + after)
        for bad in ["\u{1}", "\u{1F}", "\u{FFFE}", "\u{FFFF}", "\u{0}"] {
            #expect(throws: XMLParseError.self, "\(bad.debugDescription) after \(n) bytes") {
                try XMLReader.parse("<a>" + before + bad + after + "</a>")
            }
        }
    }
    let body = String(repeating: "0123456789abcdef", count: 64)
    #expect(try XMLReader.parse("<a>\(body)</a>").text == body)
    #expect(try XMLReader.parse("<a>\n  <b>x</b>\n</a>").text == "", "whitespace between children is not text")
}

@Test func requestIdsAreAPrefixAndAtLeastTwelveHexDigits() {
    let ids = RequestIDs(prefix: 0x5f3a9c1e)
    #expect(ids.next() == "5f3a9c1e-000000000001")
    #expect(ids.next() == "5f3a9c1e-000000000002")
    #expect(RequestIDs(prefix: 0).next() == "0-000000000001")
}

// MARK: Errors, properties, headers

@Test func errorBodyHasFourNonEmptyFields() throws {
    let body = MQError(.messageNotExist, "Message not exist.").body(requestId: "RID", hostId: "http://127.0.0.1:8080")
    let root = try XMLReader.parse(body)
    #expect(root.name == "Error")
    #expect(root.children.map(\.name) == ["Code", "Message", "RequestId", "HostId"])
    #expect(root.child("Code")?.text == "MessageNotExist" && root.child("RequestId")?.text == "RID")
    #expect(body.contains(#"xmlns="http://mq.aliyuncs.com/doc/v1">"#))
    let empty = try XMLReader.parse(MQError(.internalError, "").body(requestId: "", hostId: ""))
    #expect(empty.children.allSatisfy { !$0.text.isEmpty })
    #expect(MQErrorCode.signatureDoesNotMatch.status == 403 && MQErrorCode.malformedXML.status == 400)
    #expect(MQHeaders.response(requestId: "X", hasBody: true).map(\.0) == ["x-mq-request-id", "x-mq-version", "Content-Type"])
}

@Test func propertiesParseBothFormsAndDropBadPieces() {
    let trailing = MQProperties.parse("a:1|KEYS:K1|")
    #expect(trailing.map(\.key) == ["a", "KEYS"] && trailing.map(\.value) == ["1", "K1"])
    #expect(MQProperties.parse("a:1|KEYS:K1").count == 2)
    #expect(MQProperties.parse("a:1:2|b:|:c|d:4").map(\.key) == ["d"])
    #expect(MQProperties.encode([("a", "1"), ("bad", "x:y"), ("KEYS", "K")]) == "a:1|KEYS:K|")
}

@Test func queryAndPathDecoding() {
    let q = MQQuery("consumer=GID_1&numOfMessages=3&ns=MQ_INST_1&tag=TagA%7C%7CTagB&x=a+b")
    #expect(q["tag"] == "TagA||TagB" && q["x"] == "a b" && q["ns"] == "MQ_INST_1" && q["missing"] == nil)
    #expect(MQPath.topic(of: "/topics/T1/messages") == "T1")
    #expect(MQPath.topic(of: "/topics/T%2D1/messages") == "T-1")
    #expect(MQPath.topic(of: "/topics//messages") == nil && MQPath.topic(of: "/topic/T/messages") == nil)
    #expect(MQPath.topic(of: "/topics/a%2Fb/messages") == "a/b" && MQPath.topic(of: "/topics/a/b/messages") == nil)
    #expect(MQPath.topic(of: "/topics/T/messages/") == nil && MQPath.topic(of: "/topics/messages") == nil)
    #expect(MQPath.topic(of: "/topics/T+1/messages") == "T+1", "a plus in a path is a plus")
    let repeated = MQQuery("a=1&a=2&&b&=v&c=%41%4")
    #expect(repeated["a"] == "1" && repeated["b"] == "" && repeated[""] == "v" && repeated["c"] == "A%4")
    #expect(MQInstance.scoped("T", ns: "MQ_INST_1") == "MQ_INST_1%T")
    #expect(MQInstance.scoped("T", ns: "") == "T" && MQInstance.scoped("T", ns: nil) == "T")
}

// MARK: Publish request / response

private func publishBody(_ inner: String) -> [UInt8] {
    Array(("<?xml version=\"1.0\" encoding=\"utf-8\"?><Message xmlns=\"http://mq.aliyuncs.com/doc/v1/\">" + inner + "</Message>").utf8)
}

@Test func publishDecodesPythonBody() throws {
    let p = try PublishRequest.decode(
        topic: "T1", query: MQQuery("ns=MQ_INST_1"),
        body: publishBody("<MessageBody>a &lt;b&gt; &amp; 中文</MessageBody><Properties>a:1|KEYS:K1|__STARTDELIVERTIME:1700000000000|__SHARDINGKEY:s|</Properties><MessageTag>TagA</MessageTag>"),
        maxBodyBytes: 1024)
    #expect(p.body == "a <b> & 中文" && p.tag == "TagA" && p.instance == "MQ_INST_1")
    #expect(p.storedTopic == "MQ_INST_1%T1")
    #expect(!p.isTransactional)
    let stored = MessagePropertyCodec.decode(p.storedProperties)
    #expect(stored == ["a": "1", "KEYS": "K1", "__STARTDELIVERTIME": "1700000000000", "__SHARDINGKEY": "s", "TAGS": "TagA"])
    let plain = try PublishRequest.decode(topic: "T1", query: MQQuery(""), body: publishBody("<MessageBody>x</MessageBody>"),
                                          maxBodyBytes: 10)
    #expect(plain.storedTopic == "T1" && plain.tag == nil && plain.storedProperties.isEmpty)
}

@Test func publishValidation() {
    func code(_ inner: String, topic: String = "T", query: String = "", max: Int = 16) -> String? {
        do {
            _ = try PublishRequest.decode(topic: topic, query: MQQuery(query), body: publishBody(inner), maxBodyBytes: max)
            return nil
        } catch { return error.code.code }
    }
    #expect(code("<MessageBody></MessageBody>") == "InvalidArgument")
    #expect(code("<MessageTag>x</MessageTag>") == "InvalidArgument")
    #expect(code("<MessageBody>" + String(repeating: "x", count: 17) + "</MessageBody>") == "InvalidArgument")
    #expect(code("<MessageBody>x</MessageBody><MessageTag>" + String(repeating: "t", count: 65) + "</MessageTag>") == "InvalidArgument")
    #expect(code("<MessageBody>x</MessageBody><Properties>__STARTDELIVERTIME:soon|</Properties>") == "InvalidArgument")
    #expect(code("<MessageBody>x</MessageBody><Properties>__TransCheckT:5|</Properties>") == "InvalidArgument")
    #expect(code("<MessageBody>x</MessageBody><Properties>k:a&amp;b|</Properties>") == "InvalidArgument")
    #expect(code("<MessageBody>x</MessageBody><Properties>__TransCheckT:10|</Properties>") == nil)
    #expect(code("<MessageBody>x</MessageBody>", topic: "bad topic") == "InvalidArgument")
    #expect(code("<MessageBody>x</MessageBody>", query: "ns=bad%20ns") == "InvalidArgument")
    #expect(code("<MessageBody>x</MessageBod>") == "MalformedXML")
    do {
        _ = try PublishRequest.decode(topic: "T", query: MQQuery(""), body: Array("<Other/>".utf8), maxBodyBytes: 10)
        Issue.record("accepted")
    } catch { #expect(error.code == .malformedXML) }
}

@Test func publishResponseShape() throws {
    let xml = PublishResponse(messageId: "0A00000100002A9F0000000000000000", bodyMD5: "5D41402ABC4B2A76B9719D911017C592").xml
    let root = try XMLReader.parse(xml)
    #expect(root.name == "Message" && root.children.map(\.name) == ["MessageId", "MessageBodyMD5"])
    #expect(xml.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mq.aliyuncs.com/doc/v1">"#))
}

// MARK: Signatures (§5.3)

private let date = "Wed, 07 Mar 2012 18:49:58 GMT"

private func sign(_ method: String, _ target: String, md5: String? = nil, type: String? = nil,
                  date: String = date, id: String = "AKID_TEST", secret: String = "SECRET_TEST") -> String {
    var headers = [("x-mq-version", "2015-06-06"), ("date", date)]
    if let md5 { headers.append(("Content-MD5", md5)) }
    if let type { headers.append(("content-type", type)) }
    return "MQ \(id):" + MQSignature.sign(MQSignature.stringToSign(method: method, target: target, headers: headers), secret: secret)
}

@Test func signatureWorkedExamples() {
    let t1 = "/topics/T1/messages?consumer=GID_1&numOfMessages=3&ns=MQ_INST_1&waitseconds=3&tag=TagA%7C%7CTagB"
    #expect(MQSignature.stringToSign(method: "GET", target: t1, headers: [("x-mq-version", "2015-06-06"), ("date", date)])
        == "GET\n\n\n\(date)\nx-mq-version:2015-06-06\n\(t1)")
    #expect(sign("GET", t1) == "MQ AKID_TEST:p2ABqxFUz+SpTdWD+NewTClx11k=")
    let xml = "text/xml;charset=UTF-8"
    #expect(sign("POST", "/topics/T1/messages?ns=MQ_INST_1", type: xml) == "MQ AKID_TEST:ALQJUt1rHSSsu+myYERWV5CsGXo=")
    #expect(sign("DELETE", "/topics/T1/messages?consumer=GID_1&ns=MQ_INST_1", type: xml) == "MQ AKID_TEST:XKA4ZQP+g7J76nPc6q0fKUU+6gY=")
    #expect(sign("DELETE", "/topics/T1/messages?consumer=GID_T&ns=MQ_INST_1&trans=commit", type: xml)
        == "MQ AKID_TEST:qOaHE+yAEy78YBdO7v0secmDgRM=")
    #expect(sign("GET", "/topics/T1/messages?consumer=GID_1&numOfMessages=16&waitseconds=3",
                 md5: "ZDQxZDhjZDk4ZjAwYjIwNGU5ODAwOTk4ZWNmODQyN2U=", type: "text/xml;charset=utf-8")
        == "MQ AKID_TEST:ZqZCB0YfkZYIzm3Cwj3g/tjAgz0=")
    #expect(sign("PUT", "/", md5: "574683b3684e3cff610afa155cc2506d", type: "text/xml", date: "Tue, 11 Apr 2017 10:09:19 GMT",
                 id: "ACCESS_KEY_ID", secret: "ACCESS_KEY_SECRET") == "MQ ACCESS_KEY_ID:G7NRBqmP9XfhTJ/pV3AgYQtXaaU=")
    // Names in any case; the first Content-MD5, Content-Type and Date; every x-mq-* header, lowercased and sorted;
    // the method uppercased; other headers left out.
    let mixed = [("X-MQ-Zeta", "z"), ("DATE", date), ("Content-Type", "a/b"), ("host", "h"), ("x-mq-alpha", "1"),
                 ("content-type", "second"), ("X-Mq-Version", "2015-06-06"), ("CONTENT-MD5", "m"), ("x-mqx", "no")]
    #expect(MQSignature.stringToSign(method: "post", target: "/t?a=1", headers: mixed)
        == "POST\nm\na/b\n\(date)\nx-mq-alpha:1\nx-mq-version:2015-06-06\nx-mq-zeta:z\n/t?a=1")
    #expect(MQSignature.stringToSign(method: "GET", target: "/", headers: []) == "GET\n\n\n\n/")
    let account = ACLAccount(accessKey: "K", secretKey: "one", admin: true)
    var changed = account
    changed.secretKey = "SECRET_TEST"
    #expect(changed.signer.sign(Array("x".utf8)) == MQSignature.sign("x", secret: "SECRET_TEST"))
    #expect(account.signer.sign(Array("x".utf8)) != changed.signer.sign(Array("x".utf8)))
}

@Test func authorizationHeaderParsingAndDates() throws {
    let parsed = try MQSignature.parseAuthorization("MQ AK:with:colons=")
    #expect(parsed.accessKey == "AK:with" && parsed.signature == "colons=")
    for (header, key) in [("MQ  AK :sig", "AK"), ("MQ \tAK\u{A0}:sig", "AK"), ("MQ 中:sig", "中"), ("MQ a b:sig", "a b")] {
        #expect(try MQSignature.parseAuthorization(header) == (accessKey: key, signature: "sig"), "\(header.debugDescription)")
    }
    for bad in ["Basic x:y", "MQ nocolon", "MQ :sig", "MQ id:", "MQ", "MQ ", "MQ  :sig", "mq id:sig", "MQid:sig"] {
        #expect(throws: MQError.self) { try MQSignature.parseAuthorization(bad) }
    }
    #expect(MQSignature.constantTimeEquals("p2ABqxFU=", "p2ABqxFU=") && MQSignature.constantTimeEquals("", ""))
    for other in ["p2ABqxFV=", "q2ABqxFU=", "p2ABqxFU", "p2ABqxFU==", ""] {
        #expect(!MQSignature.constantTimeEquals("p2ABqxFU=", other), "\(other)")
    }
    #expect(MQSignature.parseDate(date) == 1_331_146_198)
    #expect(MQSignature.parseDate("yesterday") == nil)
    // What the SDKs write, and the spellings the old DateFormatter also took: names in either case, a one-digit field,
    // any weekday, spaces around.
    for (text, seconds) in [("Thu, 01 Jan 1970 00:00:00 GMT", 0), ("Wed, 29 Feb 2012 18:49:58 GMT", 1_330_541_398),
                            ("wed, 7 mar 2012 8:9:5 GMT", 1_331_107_745), ("Mon, 07 Mar 2012 18:49:58 GMT", 1_331_146_198),
                            (" Sun, 31 Dec 2023 23:59:59 GMT ", 1_704_067_199), ("Sat, 01 Mar 1969 00:00:00 GMT", -26_438_400),
                            ("Wed, 01 Mar 2400 00:00:00 GMT", 13_574_649_600)] as [(String, Int64)] {
        #expect(MQSignature.parseDate(text) == seconds, "\(text)")
    }
    for bad in ["Wed, 32 Mar 2012 18:49:58 GMT", "Wed, 00 Mar 2012 18:49:58 GMT", "Wed, 29 Feb 2013 18:49:58 GMT",
                "Wed, 31 Apr 2012 18:49:58 GMT", "Wed, 07 Mar 2012 24:00:00 GMT", "Wed, 07 Mar 2012 23:60:00 GMT",
                "Wed, 07 Mar 2012 23:59:60 GMT", "Wed, 07 Mar 2012 18:49:58 UTC", "Wed, 07 Mar 2012 18:49:58 gmt",
                "Wed,07 Mar 2012 18:49:58 GMT", "07 Mar 2012 18:49:58 GMT", "Wed, 07 Mar 12 18:49:58 GMT",
                "Wed, 07 Mar 2012 18:49:58.5 GMT", "Wed, +7 Mar 2012 18:49:58 GMT", "Wed, 07 Mar 2012 18:49:58 GMTx",
                "Wed, 07 Mar 2012 18:49:58", "Xyz, 07 Mar 2012 18:49:58 GMT", "Wed, 07 Mrz 2012 18:49:58 GMT", ""] {
        #expect(MQSignature.parseDate(bad) == nil, "\(bad)")
    }
}

// MARK: ACL

private let plainACL = """
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.{1,2}
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
      - MQ_INST_1%topicD=PUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    admin: true
"""

@Test func plainACLParsesAccounts() throws {
    let (accounts, white) = try ACLConfig.parsePlainACL(plainACL)
    #expect(white == ["10.10.103.*", "192.168.0.{1,2}"])
    #expect(accounts.map(\.accessKey) == ["RocketMQ", "rocketmq2"])
    let a = accounts[0]
    #expect(a.secretKey == "12345678" && !a.admin && a.whiteRemoteAddress == nil)
    #expect(a.defaultTopicPerm == .deny && a.defaultGroupPerm == .sub)
    #expect(a.topicPerms["topicB"] == [.pub, .sub] && a.topicPerms["topicC"] == .sub && a.groupPerms["groupA"] == .deny)
    #expect(accounts[1].admin && accounts[1].whiteRemoteAddress == "192.168.1.*")
    #expect(throws: (any Error).self) { try ACLConfig.parsePlainACL("accounts:\n  - accessKey: x\n") }
}

@Test func aclPermissions() throws {
    let (accounts, _) = try ACLConfig.parsePlainACL(plainACL)
    let a = accounts[0]
    #expect(a.may(.pub, topic: "topicB") && a.may(.sub, topic: "topicB"))
    #expect(!a.may(.pub, topic: "topicA") && !a.may(.pub, topic: "topicC") && a.may(.sub, topic: "topicC"))
    #expect(!a.may(.pub, topic: "unlisted"), "defaultTopicPerm DENY")
    #expect(a.may(.pub, topic: "topicD", scopedTopic: "MQ_INST_1%topicD"))
    #expect(a.may(.sub, topic: "topicB", group: "groupB") && !a.may(.sub, topic: "topicB", group: "groupA"))
    #expect(a.may(.sub, topic: "topicB", group: "other"), "defaultGroupPerm SUB")
    #expect(accounts[1].may(.pub, topic: "anything"))
    #expect(ACLPerm.parse("ANY").grants(.pub) && !ACLPerm.parse("bogus").grants(.sub) && !ACLPerm.parse(nil).grants(.pub))
    #expect(ACLConfig.addressMatches("192.168.1.*", "192.168.1.7") && !ACLConfig.addressMatches("192.168.1.*", "192.168.2.7"))
    #expect(ACLConfig.addressMatches("10.0.0.1-10", "10.0.0.5") && !ACLConfig.addressMatches("10.0.0.1-10", "10.0.0.11"))
    #expect(ACLConfig.addressMatches("192.168.0.{1,2}", "192.168.0.2") && ACLConfig.addressMatches("127.0.0.1", "127.0.0.1"))
}

@Test func aclAuthorizeChecksSignatureThenPermission() throws {
    let acl = ACLConfig(enabled: true, accounts: [
        ACLAccount(accessKey: "AKID_TEST", secretKey: "SECRET_TEST", admin: false, defaultTopicPerm: .pub),
        ACLAccount(accessKey: "SUBONLY", secretKey: "S", admin: false, defaultTopicPerm: .sub),
    ])
    let target = "/topics/T1/messages?ns=MQ_INST_1"
    func check(_ headers: [(String, String)], ip: String? = nil) -> String? {
        do {
            try acl.authorize(method: "POST", target: target, headers: headers, remoteIP: ip, needed: .pub, topic: "T1",
                              scopedTopic: "MQ_INST_1%T1")
            return nil
        } catch { return error.code.code }
    }
    let base = [("x-mq-version", "2015-06-06"), ("Date", date), ("Content-Type", "text/xml;charset=UTF-8")]
    #expect(check(base + [("Authorization", "MQ AKID_TEST:ALQJUt1rHSSsu+myYERWV5CsGXo=")]) == nil)
    #expect(check(base + [("Authorization", "MQ AKID_TEST:AAAAAt1rHSSsu+myYERWV5CsGXo=")]) == "SignatureDoesNotMatch")
    #expect(check(base + [("Authorization", "MQ NOBODY:ALQJUt1rHSSsu+myYERWV5CsGXo=")]) == "AccessDenied")
    #expect(check(base) == "MissingAuthorizationHeader")
    #expect(check(base + [("Authorization", "Basic abc")]) == "InvalidAuthorizationHeader")
    let noDate = base.filter { $0.0 != "Date" }
    #expect(check(noDate + [("Authorization", "MQ AKID_TEST:x")]) == "MissingDateHeader")
    let subOnly = "MQ SUBONLY:" + MQSignature.sign(MQSignature.stringToSign(method: "POST", target: target, headers: base), secret: "S")
    #expect(check(base + [("Authorization", subOnly)]) == "AccessDenied")
    #expect(ACLConfig.disabled.enabled == false)
    try ACLConfig.disabled.authorize(method: "POST", target: target, headers: [], remoteIP: nil, needed: .pub, topic: "T1",
                                     scopedTopic: "T1")
    let whitelisted = ACLConfig(enabled: true, accounts: [], globalWhiteRemoteAddresses: ["127.0.0.*"])
    try whitelisted.authorize(method: "POST", target: target, headers: [], remoteIP: "127.0.0.1", needed: .pub, topic: "T1",
                              scopedTopic: "T1")
}

@Test func aclLoadFromSettings() throws {
    let shortcut = try ACLConfig.load(aclEnable: true, aclFile: nil, accessKey: "AK", secretKey: "SK")
    #expect(shortcut.enabled && shortcut.accounts["AK"]?.admin == true)
    #expect(throws: (any Error).self) { try ACLConfig.load(aclEnable: true, aclFile: nil, accessKey: nil, secretKey: nil) }
    #expect(throws: (any Error).self) { try ACLConfig.load(aclEnable: false, aclFile: nil, accessKey: "AK", secretKey: nil) }
    #expect(throws: (any Error).self) { try ACLConfig.load(aclEnable: true, aclFile: "/nonexistent/plain_acl.yml", accessKey: nil, secretKey: nil) }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("apus-acl-\(UUID().uuidString).yml").path
    try plainACL.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let file = try ACLConfig.load(aclEnable: true, aclFile: path, accessKey: "AK", secretKey: "SK")
    #expect(Set(file.accounts.keys) == ["RocketMQ", "rocketmq2", "AK"] && file.globalWhiteRemoteAddresses.count == 2)
    var config = BrokerConfig(storePathRootDir: "/tmp/x")
    #expect(try config.apply([("aclEnable", "true"), ("aclFile", path), ("accessKey", "AK"), ("secretKey", "SK")]).isEmpty)
    #expect(config.aclEnable && config.aclFile == path && config.accessKey == "AK" && config.secretKey == "SK")
}

// MARK: Route

private func emptySnapshot() -> MetricsSnapshot {
    MetricsSnapshot(clusterName: "C", brokerName: "b", brokerAddress: "127.0.0.1:10911", topics: [], groups: [],
                    consumptions: [], producerCounts: [:], brokerPutTps: 0, brokerGetTps: 0, runtime: [:], retryTotal: 0,
                    deadLetterTotal: 0, broadcastSendBackDropped: 0, clientLags: [], requestLatency: [])
}

private final class FakePublisher: MQPublisher, @unchecked Sendable {
    let lock = NSLock()
    var sent: [(topic: String, body: [UInt8], properties: String)] = []
    var maxMessageSize: Int { 1024 }

    func publish(topic: String, body: [UInt8], properties: String, bornHost: HostAddress?) async throws(PublishRejection) -> String {
        if topic.hasSuffix("Missing") { throw PublishRejection(kind: .topicNotExist, reason: "topic [\(topic)] not exist") }
        lock.withLock { sent.append((topic, body, properties)) }
        return "7F00000100002A9F00000000000000A0"
    }
}

@Test func publishRouteAnswers201AndXMLErrors() async throws {
    let fake = FakePublisher()
    let endpoint = MQEndpoint(publisher: fake, acl: .disabled, hostId: "http://127.0.0.1:8080")
    let app = Application(router: HTTPServer.router(collector: MetricsCollector(snapshot: { emptySnapshot() }), mq: endpoint))
    try await app.test(.router) { client in
        let body = ByteBuffer(bytes: publishBody("<MessageBody>hello</MessageBody><Properties>a:1|KEYS:K1|</Properties><MessageTag>TagA</MessageTag>"))
        try await client.execute(uri: "/topics/T1/messages?ns=MQ_INST_1", method: .post,
                                 headers: [.contentType: "text/xml;charset=UTF-8"], body: body) { response in
            #expect(response.status == .created)
            #expect(response.headers[HTTPField.Name("x-mq-request-id")!] != nil)
            #expect(response.headers[.contentType] == "text/xml;charset=utf-8")
            let root = try XMLReader.parse(String(buffer: response.body))
            #expect(root.child("MessageId")?.text == "7F00000100002A9F00000000000000A0")
            #expect(root.child("MessageBodyMD5")?.text == "5D41402ABC4B2A76B9719D911017C592")
        }
        #expect(fake.sent.first?.topic == "MQ_INST_1%T1")
        #expect(MessagePropertyCodec.decode(fake.sent.first?.properties ?? "") == ["a": "1", "KEYS": "K1", "TAGS": "TagA"])
        try await client.execute(uri: "/topics/Missing/messages", method: .post, body: body) { response in
            #expect(response.status == .notFound)
            let root = try XMLReader.parse(String(buffer: response.body))
            #expect(root.child("Code")?.text == "TopicNotExist")
            #expect(root.child("RequestId")?.text == response.headers[HTTPField.Name("x-mq-request-id")!])
        }
        try await client.execute(uri: "/topics/T1/messages", method: .post, body: ByteBuffer(string: "<Message>")) { response in
            #expect(response.status == .badRequest)
            let code = try XMLReader.parse(String(buffer: response.body)).child("Code")?.text
            #expect(code == "MalformedXML")
        }
        let trans = ByteBuffer(bytes: publishBody("<MessageBody>h</MessageBody><Properties>__TransCheckT:10|</Properties>"))
        try await client.execute(uri: "/topics/T1/messages", method: .post, body: trans) { response in
            #expect(response.status.code == 501)
            let code = try XMLReader.parse(String(buffer: response.body)).child("Code")?.text
            #expect(code == "NotImplemented")
        }
    }
}

@Test func publishRouteChecksSignatures() async throws {
    let fake = FakePublisher()
    let acl = ACLConfig(enabled: true, accounts: [ACLAccount(accessKey: "AKID_TEST", secretKey: "SECRET_TEST", admin: true)])
    let endpoint = MQEndpoint(publisher: fake, acl: acl, hostId: "h")
    let app = Application(router: HTTPServer.router(collector: MetricsCollector(snapshot: { emptySnapshot() }), mq: endpoint))
    try await app.test(.router) { client in
        let body = ByteBuffer(bytes: publishBody("<MessageBody>hello</MessageBody>"))
        var headers: HTTPFields = [.contentType: "text/xml;charset=UTF-8", .date: date]
        headers[HTTPField.Name("x-mq-version")!] = "2015-06-06"
        headers[.authorization] = "MQ AKID_TEST:ALQJUt1rHSSsu+myYERWV5CsGXo="
        try await client.execute(uri: "/topics/T1/messages?ns=MQ_INST_1", method: .post, headers: headers, body: body) { response in
            #expect(response.status == .created)
        }
        headers[.authorization] = "MQ AKID_TEST:wrongwrongwrongwrongwrongw="
        try await client.execute(uri: "/topics/T1/messages?ns=MQ_INST_1", method: .post, headers: headers, body: body) { response in
            #expect(response.status == .forbidden)
            let code = try XMLReader.parse(String(buffer: response.body)).child("Code")?.text
            #expect(code == "SignatureDoesNotMatch")
        }
    }
    #expect(fake.sent.count == 1)
}
