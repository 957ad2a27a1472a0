// The ApsaraMQ HTTP protocol's values (http-api.md §3–§8): error codes and the `<Error>` body, the properties
// string, the publish request and response, query-parameter validation, instance (`ns`) scoping and the response
// headers. Pure: no IO, no broker; the routes in HTTPServer apply them.

import ApusMessage
import Crypto
import Glibc

/// An error code with its HTTP status (§8.2).
public struct MQErrorCode: Sendable, Equatable, Hashable {
    public var code: String
    public var status: Int

    public init(_ code: String, _ status: Int) {
        self.code = code
        self.status = status
    }

    public static let messageNotExist = MQErrorCode("MessageNotExist", 404)
    public static let topicNotExist = MQErrorCode("TopicNotExist", 404)
    public static let subscriptionNotExist = MQErrorCode("SubscriptionNotExist", 404)
    public static let invalidArgument = MQErrorCode("InvalidArgument", 400)
    public static let malformedXML = MQErrorCode("MalformedXML", 400)
    public static let receiptHandleError = MQErrorCode("ReceiptHandleError", 400)
    public static let invalidRequestURL = MQErrorCode("InvalidRequestURL", 400)
    public static let invalidQueryString = MQErrorCode("InvalidQueryString", 400)
    public static let missingAuthorizationHeader = MQErrorCode("MissingAuthorizationHeader", 400)
    public static let invalidAuthorizationHeader = MQErrorCode("InvalidAuthorizationHeader", 400)
    public static let missingDateHeader = MQErrorCode("MissingDateHeader", 400)
    public static let invalidDateHeader = MQErrorCode("InvalidDateHeader", 400)
    public static let signatureDoesNotMatch = MQErrorCode("SignatureDoesNotMatch", 403)
    public static let invalidAccessKeyId = MQErrorCode("InvalidAccessKeyId", 403)
    public static let accessDenied = MQErrorCode("AccessDenied", 403)
    public static let timeExpired = MQErrorCode("TimeExpired", 408)
    public static let internalError = MQErrorCode("InternalError", 500)
    public static let notImplemented = MQErrorCode("NotImplemented", 501)
}

/// A request-level failure: answered with the four-field `<Error>` body (§8.1).
public struct MQError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: MQErrorCode
    public var message: String

    public init(_ code: MQErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.code): \(message)" }

    /// `<Error><Code/><Message/><RequestId/><HostId/></Error>`, all four present and non-empty.
    public func body(requestId: String, hostId: String) -> String {
        var xml = XMLWriter(root: "Error")
        xml.field("Code", code.code)
        xml.field("Message", message.isEmpty ? code.code : message)
        xml.field("RequestId", requestId.isEmpty ? "-" : requestId)
        xml.field("HostId", hostId.isEmpty ? "-" : hostId)
        return xml.finish()
    }
}

/// The response headers (§3.3): every response carries the lowercase request id and the protocol version, every
/// body is `text/xml;charset=utf-8`.
public enum MQHeaders {
    public static let requestId = "x-mq-request-id"
    public static let version = "x-mq-version"
    public static let versionValue = "2015-06-06"

    /// Whether header `name` is `lowercase` (ASCII letters in either case; header names are ASCII tokens).
    static func name(_ name: String, is lowercase: StaticString) -> Bool {
        name.utf8.count == lowercase.utf8CodeUnitCount && self.name(name, hasPrefix: lowercase)
    }

    /// Whether header `name` starts with `lowercase`, ignoring ASCII case.
    static func name(_ name: String, hasPrefix lowercase: StaticString) -> Bool {
        let prefix = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        var bytes = name.utf8.makeIterator()
        for expected in prefix {
            guard let b = bytes.next(), lowercasedASCII(b) == expected else { return false }
        }
        return true
    }

    static func lowercasedASCII(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 0x20 : b
    }

    public static func response(requestId: String, hasBody: Bool) -> [(String, String)] {
        var headers = [(Self.requestId, requestId), (version, versionValue)]
        if hasBody { headers.append(("Content-Type", MQXML.contentType)) }
        return headers
    }
}

/// `key:value|key:value|` (§7): both the trailing-`|` and the bare form are read; pieces that are not exactly two
/// non-empty parts are dropped, as the clients drop them.
public enum MQProperties {
    public static let messageKey = "KEYS"
    public static let startDeliverTime = "__STARTDELIVERTIME"
    public static let transCheckImmunity = "__TransCheckT"
    public static let shardingKey = "__SHARDINGKEY"
    /// The characters the clients refuse in keys and values, `: | " ' & < >`, as bytes (all are ASCII).
    static func isForbidden(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: ":"), UInt8(ascii: "|"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "&"),
             UInt8(ascii: "<"), UInt8(ascii: ">"): return true
        default: return false
        }
    }

    /// Split on the bytes `|` and `:`, as the clients split on those characters.
    public static func parse(_ text: String) -> [(key: String, value: String)] {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.split(separator: UInt8(ascii: "|")).compactMap { piece in
                let parts = piece.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
                return (key: String(decoding: UnsafeBufferPointer(rebasing: parts[0]), as: UTF8.self),
                        value: String(decoding: UnsafeBufferPointer(rebasing: parts[1]), as: UTF8.self))
            }
        }
    }

    /// The trailing-`|` form; pairs whose key or value cannot be written are skipped.
    public static func encode(_ pairs: [(key: String, value: String)]) -> String {
        var out = ""
        for (key, value) in pairs where isWritable(key) && isWritable(value) { out += key + ":" + value + "|" }
        return out
    }

    public static func isWritable(_ s: String) -> Bool { !s.isEmpty && !s.utf8.contains(where: isForbidden) }
}

/// Instance scoping (`ns`, §4): a topic or group of instance `MQ_INST_1` is stored as `MQ_INST_1%name`, the
/// prefix the RocketMQ clients put on names in a namespace, so TCP and HTTP clients of one instance meet. No or
/// an empty `ns` is the default instance: names are used as given.
public enum MQInstance {
    public static func scoped(_ name: String, ns: String?) -> String {
        guard let ns, !ns.isEmpty else { return name }
        return ns + "%" + name
    }
}

/// The query of a request-target, split order-independently and percent-decoded (`+` is a space, §4).
public struct MQQuery: Sendable, Equatable {
    public var values: [String: String]

    /// Pieces are split on the bytes `&` and `=`, as the clients write them (a `Character` split would also read a
    /// grapheme cluster at a time, several times dearer).
    public init(_ raw: String) {
        var values: [String: String] = [:]
        var raw = raw
        raw.withUTF8 { utf8 in
            for piece in utf8.split(separator: UInt8(ascii: "&")) {
                let equals = piece.firstIndex(of: UInt8(ascii: "="))
                let key = MQQuery.decode(UnsafeBufferPointer(rebasing: piece[..<(equals ?? piece.endIndex)]), plusIsSpace: true)
                guard values[key] == nil else { continue }
                values[key] = equals.map { MQQuery.decode(UnsafeBufferPointer(rebasing: piece[($0 + 1)...]), plusIsSpace: true) } ?? ""
            }
        }
        self.values = values
    }

    public subscript(_ key: String) -> String? { values[key] }

    /// Percent-decoding with `+` as a space; an invalid escape is kept as is.
    public static func decode(_ s: String, plusIsSpace: Bool = true) -> String {
        var s = s
        return s.withUTF8 { decode($0, plusIsSpace: plusIsSpace) }
    }

    /// `decode` of UTF-8 bytes; text with nothing to decode becomes a string in one copy.
    static func decode(_ utf8: UnsafeBufferPointer<UInt8>, plusIsSpace: Bool) -> String {
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(decoding: utf8, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            if c == UInt8(ascii: "%"), i + 2 < utf8.count,
               let h = HexDigit.value(utf8[i + 1]), let l = HexDigit.value(utf8[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(plusIsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What a path names: `/topics/{topic}/messages`.
public enum MQPath {
    /// The percent-decoded topic of a request path, or nil for any other path.
    /// Matched as bytes: `/topics/`, a segment without `/`, `/messages`.
    public static func topic(of path: String) -> String? {
        var path = path
        return path.withUTF8 { utf8 -> String? in
            let prefix: StaticString = "/topics/", suffix: StaticString = "/messages"
            let p = prefix.utf8CodeUnitCount, q = suffix.utf8CodeUnitCount
            guard utf8.count > p + q, memcmp(utf8.baseAddress!, prefix.utf8Start, p) == 0,
                  memcmp(utf8.baseAddress! + utf8.count - q, suffix.utf8Start, q) == 0 else { return nil }
            let segment = UnsafeBufferPointer(rebasing: utf8[p..<(utf8.count - q)])
            guard !segment.contains(UInt8(ascii: "/")) else { return nil }
            return MQQuery.decode(segment, plusIsSpace: false)
        }
    }
}

/// A validated publish (§6.1): body, tag and the client's properties, verbatim.
public struct PublishRequest: Sendable, Equatable {
    public var topic: String
    public var instance: String?
    public var body: String
    public var tag: String?
    public var properties: [Pair]

    public struct Pair: Sendable, Equatable {
        public var key: String
        public var value: String
    }

    public static let maxTagLength = 64
    /// Room for the `<Message>` envelope, tag and properties beyond the body itself.
    public static let envelopeAllowance = 64 * 1024

    /// Decodes and validates a publish (§4, §6.1, §7). `maxBodyBytes` is the broker's maxMessageSize.
    public static func decode(topic: String, query: MQQuery, body: [UInt8], maxBodyBytes: Int) throws(MQError) -> PublishRequest {
        try validateName(topic, what: "topic")
        let instance = query["ns"].flatMap { $0.isEmpty ? nil : $0 }
        if let instance { try validateName(instance, what: "instance id (ns)") }
        let root: XMLElement
        do {
            // The escaped body can be up to 6 times its text (`&quot;`), plus the envelope.
            root = try XMLReader.parse(body, maxBytes: maxBodyBytes * 6 + envelopeAllowance)
        } catch {
            throw MQError(.malformedXML, "the request body is not a valid <Message> document: \(error.reason)")
        }
        guard root.name == "Message" else {
            throw MQError(.malformedXML, "the request body's root element is <\(root.name)>, expected <Message>")
        }
        guard let text = root.child("MessageBody")?.text, !text.isEmpty else {
            throw MQError(.invalidArgument, "the message body is empty")
        }
        guard text.utf8.count <= maxBodyBytes else {
            throw MQError(.invalidArgument, "the message body is \(text.utf8.count) bytes; at most \(maxBodyBytes)")
        }
        var tag = root.child("MessageTag")?.text
        if tag?.isEmpty == true { tag = nil }
        if let tag {
            // Characters are counted only when the bytes could be too many.
            guard tag.utf8.count <= maxTagLength || tag.count <= maxTagLength else {
                throw MQError(.invalidArgument, "the message tag is \(tag.count) characters; at most \(maxTagLength)")
            }
            // As bytes: a C0 control is one byte, and no byte of a longer UTF-8 sequence is below 0x80.
            guard !tag.utf8.contains(where: { $0 == UInt8(ascii: "|") || $0 < 0x20 }) else {
                throw MQError(.invalidArgument, "the message tag contains '|' or a control character")
            }
        }
        let raw = root.child("Properties")?.text ?? ""
        var pairs: [Pair] = []
        for (key, value) in MQProperties.parse(raw) {
            guard !key.utf8.contains(where: { $0 < 0x20 }), !value.utf8.contains(where: { $0 < 0x20 }) else {
                throw MQError(.invalidArgument, "the property \(key) contains a control character")
            }
            guard !key.utf8.contains(where: MQProperties.isForbidden), !value.utf8.contains(where: MQProperties.isForbidden) else {
                throw MQError(.invalidArgument, "the property \(key) contains one of : | \" ' & < >")
            }
            pairs.append(Pair(key: key, value: value))
        }
        if let start = pairs.first(where: { $0.key == MQProperties.startDeliverTime }) {
            guard let ms = Int64(start.value), ms >= 0 else {
                throw MQError(.invalidArgument, "__STARTDELIVERTIME must be epoch milliseconds, got \(start.value)")
            }
        }
        if let check = pairs.first(where: { $0.key == MQProperties.transCheckImmunity }) {
            guard let seconds = Int(check.value), (10...300).contains(seconds) else {
                throw MQError(.invalidArgument, "__TransCheckT must be 10..300 seconds, got \(check.value)")
            }
        }
        return PublishRequest(topic: topic, instance: instance, body: text, tag: tag, properties: pairs)
    }

    /// Letters, digits, `_`, `-` (and `%`, `|` as RocketMQ allows), at most 127 after scoping.
    static func validateName(_ name: String, what: String) throws(MQError) {
        let legal = name.utf8.allSatisfy { c in
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "%"), UInt8(ascii: "|"): return true
            default: return false
            }
        }
        guard !name.isEmpty, name.utf8.count <= 127, legal else {
            throw MQError(.invalidArgument, "the \(what) [\(name)] is illegal: use letters, digits, _ and - (at most 127)")
        }
    }

    /// A transactional half message (`__TransCheckT`).
    public var isTransactional: Bool { properties.contains { $0.key == MQProperties.transCheckImmunity } }

    /// `__TransCheckT` in seconds (validated 10...300 by `decode`); nil: not transactional.
    public var transactionCheckSeconds: Int64? {
        properties.first { $0.key == MQProperties.transCheckImmunity }.flatMap { Int64($0.value) }
    }

    /// The topic as stored: scoped by the instance.
    public var storedTopic: String { MQInstance.scoped(topic, ns: instance) }

    /// RocketMQ's properties for the stored message: the client's pairs verbatim (KEYS, __STARTDELIVERTIME,
    /// __SHARDINGKEY, user keys) plus TAGS from the tag element.
    public var storedProperties: String {
        var pairs = properties.map { ($0.key, $0.value) }
        if let tag { pairs.append((MessageProperty.tags, tag)) }
        return MessagePropertyCodec.encode(pairs)
    }
}

/// The 201 `<Message>` answer (§6.1).
public struct PublishResponse: Sendable, Equatable {
    public var messageId: String
    public var bodyMD5: String
    public var receiptHandle: String?

    public init(messageId: String, bodyMD5: String, receiptHandle: String? = nil) {
        self.messageId = messageId
        self.bodyMD5 = bodyMD5
        self.receiptHandle = receiptHandle
    }

    public var xml: String {
        var xml = XMLWriter(root: "Message")
        xml.field("MessageId", messageId)
        xml.field("MessageBodyMD5", bodyMD5)
        xml.field("ReceiptHandle", receiptHandle)
        return xml.finish()
    }
}

/// `MessageBodyMD5`: the body's MD5 as 32 uppercase hex digits.
enum MQDigest {
    static func md5Hex(_ body: [UInt8]) -> String {
        let digits: StaticString = "0123456789ABCDEF"
        return Insecure.MD5.hash(data: body).withUnsafeBytes { digest in
            String(unsafeUninitializedCapacity: 2 * digest.count) { out in
                for (i, byte) in digest.enumerated() {
                    out[2 * i] = digits.utf8Start[Int(byte >> 4)]
                    out[2 * i + 1] = digits.utf8Start[Int(byte & 0xF)]
                }
                return 2 * digest.count
            }
        }
    }
}
