// The consumption side of the ApsaraMQ HTTP protocol as pure values (http-api.md §4, §6.2–§6.4, §9): the `trans`
// selector, consume-query validation, the `<ReceiptHandles>` ack body, the `<Messages>` answer and the per-handle
// `<Errors>` answer. No IO, no broker: MQConsumeRoutes applies them.

import ApusGroups

/// What `trans` selects (§4): absent → plain consume or ack.
public enum MQTrans: String, Sendable, Equatable {
    case order, pop, commit, rollback

    /// nil for an absent or empty `trans`; an unknown value is `InvalidArgument`.
    public static func parse(_ query: MQQuery) throws(MQError) -> MQTrans? {
        guard let raw = query["trans"], !raw.isEmpty else { return nil }
        guard let trans = MQTrans(rawValue: raw) else {
            throw MQError(.invalidArgument, "trans=\(raw) is not one of order, pop, commit, rollback")
        }
        return trans
    }
}

/// A validated consume query (§6.2): `consumer` required, `numOfMessages` 1..16 (absent: 1), `waitseconds` 0..30
/// (absent: no wait), `tag` percent-decoded (`A||B`), `ns` the instance.
public struct ConsumeParameters: Sendable, Equatable {
    public var consumer: String
    public var instance: String?
    public var numOfMessages: Int
    public var waitSeconds: Int
    public var tag: String?

    public static let maxMessages = 16
    public static let maxWaitSeconds = 30

    public static func decode(_ query: MQQuery) throws(MQError) -> ConsumeParameters {
        guard let consumer = query["consumer"], !consumer.isEmpty else {
            throw MQError(.invalidArgument, "the consumer (group id) parameter is missing")
        }
        try PublishRequest.validateName(consumer, what: "consumer (group id)")
        let instance = query["ns"].flatMap { $0.isEmpty ? nil : $0 }
        if let instance { try PublishRequest.validateName(instance, what: "instance id (ns)") }
        var count = 1
        if let raw = query["numOfMessages"] {
            guard let n = Int(raw), (1...maxMessages).contains(n) else {
                throw MQError(.invalidArgument, "numOfMessages must be an integer 1..\(maxMessages), got \(raw.prefix(32))")
            }
            count = n
        }
        var wait = 0
        if let raw = query["waitseconds"], !raw.isEmpty {
            guard let w = Int(raw), (0...maxWaitSeconds).contains(w) else {
                throw MQError(.invalidArgument, "waitseconds must be an integer 0..\(maxWaitSeconds), got \(raw.prefix(32))")
            }
            wait = w
        }
        var tag = query["tag"]
        if tag?.isEmpty == true { tag = nil }
        if let tag, tag.utf8.count > 1024 || tag.contains(where: { $0.unicodeScalars.contains { $0.value < 0x20 } }) {
            throw MQError(.invalidArgument, "the tag filter is longer than 1024 bytes or contains a control character")
        }
        return ConsumeParameters(consumer: consumer, instance: instance, numOfMessages: count, waitSeconds: wait, tag: tag)
    }
}

/// An ack body (§6.4): `<ReceiptHandles>` with 1..16 non-empty `<ReceiptHandle>` elements.
public enum AckRequest {
    public static let maxHandles = 16
    /// Bound of an ack (or commit/rollback) body: 16 handles of up to 1 KB each, the envelope and whitespace.
    public static let maxBodyBytes = 64 * 1024

    public static func decode(_ body: [UInt8]) throws(MQError) -> [String] {
        let root: XMLElement
        do {
            root = try XMLReader.parse(body, maxBytes: maxBodyBytes)
        } catch {
            throw MQError(.malformedXML, "the request body is not a valid <ReceiptHandles> document: \(error.reason)")
        }
        guard root.name == "ReceiptHandles" else {
            throw MQError(.malformedXML, "the request body's root element is <\(root.name)>, expected <ReceiptHandles>")
        }
        let handles = root.children("ReceiptHandle").map(\.text)
        guard (1...maxHandles).contains(handles.count) else {
            throw MQError(.invalidArgument, "an ack carries 1..\(maxHandles) receipt handles, got \(handles.count)")
        }
        guard !handles.contains(where: \.isEmpty) else { throw MQError(.invalidArgument, "a receipt handle is empty") }
        return handles
    }
}

/// One message of a `<Messages>` answer (§9).
public struct ConsumedMessageXML: Sendable, Equatable {
    public var messageId: String
    public var receiptHandle: String
    public var bodyMD5: String
    /// The body as stored; its UTF-8 becomes the text (ill-formed sequences as U+FFFD).
    public var body: [UInt8]
    public var publishTime: Int64
    public var firstConsumeTime: Int64
    public var nextConsumeTime: Int64
    public var consumedTimes: Int32
    public var tag: String?
    /// The §7 form (`k:v|k:v|`), nil when empty.
    public var properties: String?

    public init(messageId: String, receiptHandle: String, bodyMD5: String, body: [UInt8], publishTime: Int64,
                firstConsumeTime: Int64, nextConsumeTime: Int64, consumedTimes: Int32, tag: String?, properties: String?) {
        self.messageId = messageId
        self.receiptHandle = receiptHandle
        self.bodyMD5 = bodyMD5
        self.body = body
        self.publishTime = publishTime
        self.firstConsumeTime = firstConsumeTime
        self.nextConsumeTime = nextConsumeTime
        self.consumedTimes = consumedTimes
        self.tag = tag
        self.properties = properties
    }

    /// The UTF-8 of the 200 `<Messages>` document of one or more messages (as bytes: a body of 1 KiB or more a
    /// message, written into the answer without a `String` made of it).
    public static func documentBytes(_ messages: [ConsumedMessageXML]) -> [UInt8] {
        // The fixed fields, ids and handles take some 400 bytes a message; a body is written with room for its escapes.
        let capacity = messages.reduce(128) { $0 + 400 + $1.body.count + ($1.properties?.utf8.count ?? 0) }
            + (XMLWriter.maxEscapedGrowth - 1) * (messages.map(\.body.count).max() ?? 0)
        var xml = XMLWriter(root: "Messages", capacity: capacity)
        for m in messages {
            xml.begin("Message")
            xml.field("MessageId", m.messageId)
            xml.field("ReceiptHandle", m.receiptHandle)
            xml.field("MessageBodyMD5", m.bodyMD5)
            xml.field("MessageBody", utf8: m.body)
            xml.field("PublishTime", m.publishTime)
            xml.field("FirstConsumeTime", m.firstConsumeTime)
            xml.field("NextConsumeTime", m.nextConsumeTime)
            xml.field("ConsumedTimes", Int64(m.consumedTimes))
            xml.field("MessageTag", m.tag)
            xml.field("Properties", m.properties)
            xml.end()
        }
        return xml.finishBytes()
    }

    /// RocketMQ's own bookkeeping keys: never shown to HTTP clients (the tag has its element, the client id is the
    /// MessageId). Everything else — KEYS, `__STARTDELIVERTIME`, `__SHARDINGKEY`, `__TransCheckT`, user keys — is
    /// returned as published (§7).
    public static let hiddenProperties: Set<String> = [
        "TAGS", "WAIT", "DELAY", "RETRY_TOPIC", "REAL_TOPIC", "REAL_QID", "TRAN_MSG", "PGROUP", "ORIGIN_MESSAGE_ID",
        "RECONSUME_TIME", "MAX_RECONSUME_TIMES", "UNIQ_KEY", "CLUSTER", "MIN_OFFSET", "MAX_OFFSET", "CONSUME_START_TIME",
        "TIMER_DELIVER_MS", "TIMER_DELAY_SEC", "TIMER_DELAY_MS", "TIMER_OUT_MS", "TIMER_ENQUEUE_MS", "TIMER_DEQUEUE_MS",
        "TIMER_ROLL_TIMES", "TRANSACTION_CHECK_TIMES", "CHECK_IMMUNITY_TIME_IN_SECONDS", "MSG_REGION", "TRACE_ON",
        "INSTANCE_ID", "__transactionId__", "DELAY_LEVEL", "BORN_TIMESTAMP",
    ]

    /// The §7 properties text of stored pairs: hidden keys dropped, pairs a client cannot read (`:` `|` or an XML
    /// hostile character, empty parts) skipped; nil when nothing is left.
    public static func visibleProperties(_ pairs: [(key: String, value: String)]) -> String? {
        let text = MQProperties.encode(pairs.filter { !hiddenProperties.contains($0.key) })
        return text.isEmpty ? nil : text
    }
}

/// The per-handle failures of an ack (§6.4): a 404 `<Errors>` with one three-field `<Error>` per failed handle.
public enum AckErrors {
    /// nil when every handle was acked (answer 204).
    public static func document(handles: [String], results: [HTTPAckResult]) -> String? {
        let failed = zip(handles, results).filter { $0.1 != .acked }
        guard !failed.isEmpty else { return nil }
        return document(failed.map { handle, result in
            (handle: handle, code: result.errorCode ?? "ReceiptHandleError",
             message: result == .expired ? "The receipt handle has expired: its NextConsumeTime has passed."
                                         : "The receipt handle you provide is not valid.")
        })
    }

    /// One three-field `<Error>` per failed handle (acks, and commit / rollback of a transaction).
    public static func document(_ failures: [(handle: String, code: String, message: String)]) -> String {
        var xml = XMLWriter(root: "Errors")
        for failure in failures {
            xml.begin("Error")
            xml.field("ErrorCode", failure.code)
            xml.field("ErrorMessage", failure.message.isEmpty ? failure.code : failure.message)
            xml.field("ReceiptHandle", failure.handle.isEmpty ? "-" : failure.handle)
            xml.end()
        }
        return xml.finish()
    }
}
