// RemotingHeader: the protocol of typed request/response headers (a frame's ext fields as a struct), their decode
// errors, the shared field names and value parsing (spec §1.6), and RemotingCommand helpers to read and write them.
//
// Values stay strings on the wire. Decoding accepts what clients send: numbers as JSON numbers or decimal text (the
// frame decoder already turned JSON numbers into text), booleans as "true"/"false"/"1"/"0" in any case.
// A required field that is absent (or an empty string) is `.missing`; a numeric field that is present but not a
// number is `.notANumber`, whether required or not; an empty string reads as absent; an unreadable boolean reads as
// false (as Java's `Boolean.parseBoolean`).

import ApusMessage
import NIOCore

/// A typed header: decoded from and encoded to a frame's ext fields in one place, shared by broker and clients.
public protocol RemotingHeader: Sendable {
    init(extFields: ExtFields) throws(HeaderError)
    func extFields() -> ExtFields
}

/// A typed header that writes its own fields into a frame: the hot paths' headers (sends, pulls), whose numbers would
/// otherwise become strings in ext fields only to be copied into the frame. Its ext fields are rendered from the same
/// walk, so the two never disagree.
public protocol DirectHeader: RemotingHeader {
    /// Calls `visit` for each present field in wire order; absent (nil) fields are left out.
    func forEachField(_ visit: (String, HeaderFieldValue) -> Void)
    /// Writes a response frame's length words and header in serialization `type`, with `remark` and a length word
    /// that counts `bodyLength` body bytes (which the caller writes next), byte for byte what the general writer makes
    /// of `forEachField`, and returns true; or returns false (the default), leaving it to the general writer. For the
    /// most frequent frames, whose known keys can be written as constant bytes.
    func writeResponse(code: Int32, opaque: Int32, remark: String?, bodyLength: Int, serializeType type: SerializeType,
                       to out: inout ByteBuffer) -> Bool
}

extension DirectHeader {
    public func writeResponse(code: Int32, opaque: Int32, remark: String?, bodyLength: Int, serializeType type: SerializeType,
                              to out: inout ByteBuffer) -> Bool {
        false
    }
}

/// A field's value as a `DirectHeader` hands it over; on the wire every kind is text (spec §1.6).
public enum HeaderFieldValue: Sendable {
    case text(String)
    case integer(Int64)
    case bool(Bool)
    /// Written as its 32 digits, without a string.
    case offsetMessageId(OffsetMessageId)

    /// The value as ext-field text.
    var text: String {
        switch self {
        case let .text(text): return text
        case let .integer(value): return String(value)
        case let .bool(value): return value ? "true" : "false"
        case let .offsetMessageId(id): return id.text
        }
    }
}

extension DirectHeader {
    public func extFields() -> ExtFields { ExtFields(rendering: forEachField) }
}

extension ExtFields {
    /// The fields a header walk hands over, each value as its text.
    init(rendering walk: ((String, HeaderFieldValue) -> Void) -> Void) {
        self.init(minimumCapacity: 16)
        walk { key, value in append(key, value.text) }
    }
}

public enum HeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(field: String)
    case notANumber(field: String, value: String)

    /// The ext-field key at fault.
    public var field: String {
        switch self {
        case let .missing(field), let .notANumber(field, _): return field
        }
    }

    public var description: String {
        switch self {
        case let .missing(field): return "the header field '\(field)' is missing"
        case let .notANumber(field, value): return "the header field '\(field)' is not a number: \"\(value)\""
        }
    }
}

extension RemotingCommand {
    /// Decodes the ext fields as `type`.
    public func decodeHeader<H: RemotingHeader>(_ type: H.Type = H.self) throws(HeaderError) -> H {
        try H(extFields: extFields)
    }

    public static func request(code: RequestCode, header: some RemotingHeader, body: ByteBuffer? = nil) -> RemotingCommand {
        RemotingCommand(code: code.rawValue, extFields: header.extFields(), body: body)
    }

    public static func response(to request: RemotingCommand, code: ResponseCode, remark: String? = nil,
                                header: some RemotingHeader, body: ByteBuffer? = nil) -> RemotingCommand {
        response(to: request.responseAddress, code: code, remark: remark, extFields: header.extFields(), body: body)
    }

    public static func response(to address: ResponseAddress, code: ResponseCode, remark: String? = nil,
                                header: some RemotingHeader, body: ByteBuffer? = nil) -> RemotingCommand {
        response(to: address, code: code, remark: remark, extFields: header.extFields(), body: body)
    }
}

extension RemotingCommand {
    /// A request whose header is written straight into the frame. Inlinable, so that callers in other modules create
    /// the box of their concrete header type without a runtime metadata lookup.
    @inlinable
    public static func request(code: RequestCode, header: some DirectHeader, body: ByteBuffer? = nil) -> RemotingCommand {
        var command = RemotingCommand(code: code.rawValue, body: body)
        command.fields = .typed(TypedHeader(header))
        return command
    }

    @inlinable
    public static func response(to request: RemotingCommand, code: ResponseCode, remark: String? = nil,
                                header: some DirectHeader, body: ByteBuffer? = nil) -> RemotingCommand {
        response(to: request.responseAddress, code: code, remark: remark, header: header, body: body)
    }

    /// A response whose header is written straight into the frame.
    @inlinable
    public static func response(to address: ResponseAddress, code: ResponseCode, remark: String? = nil,
                                header: some DirectHeader, body: ByteBuffer? = nil) -> RemotingCommand {
        var command = response(to: address, code: code, remark: remark, body: body)
        command.fields = .typed(TypedHeader(header))
        return command
    }
}

/// Ext-field keys, each spelled once (the one-letter keys of SEND_MESSAGE_V2 are in SendMessageRequestHeader.Field).
enum FieldName {
    static let topic = "topic"
    static let queueId = "queueId"
    static let group = "group"
    static let consumerGroup = "consumerGroup"
    static let producerGroup = "producerGroup"
    static let clientID = "clientID"
    static let offset = "offset"
    static let commitOffset = "commitOffset"
    static let queueOffset = "queueOffset"
    static let timestamp = "timestamp"
    static let maxMsgNums = "maxMsgNums"
    static let sysFlag = "sysFlag"
    static let suspendTimeoutMillis = "suspendTimeoutMillis"
    static let subscription = "subscription"
    static let subVersion = "subVersion"
    static let expressionType = "expressionType"
    static let nextBeginOffset = "nextBeginOffset"
    static let minOffset = "minOffset"
    static let maxOffset = "maxOffset"
    static let suggestWhichBrokerId = "suggestWhichBrokerId"
    static let msgId = "msgId"
    static let transactionId = "transactionId"
    static let offsetMsgId = "offsetMsgId"
    static let delayLevel = "delayLevel"
    static let originMsgId = "originMsgId"
    static let originTopic = "originTopic"
    static let unitMode = "unitMode"
    static let maxReconsumeTimes = "maxReconsumeTimes"
    static let defaultTopic = "defaultTopic"
    static let readQueueNums = "readQueueNums"
    static let writeQueueNums = "writeQueueNums"
    static let perm = "perm"
    static let topicFilterType = "topicFilterType"
    static let topicSysFlag = "topicSysFlag"
    static let order = "order"
    static let acceptStandardJsonOnly = "acceptStandardJsonOnly"
    static let brokerName = "brokerName"
    static let brokerAddr = "brokerAddr"
    static let clusterName = "clusterName"
    static let haServerAddr = "haServerAddr"
    static let masterAddr = "masterAddr"
    static let brokerId = "brokerId"
    static let compressed = "compressed"
    static let bodyCrc32 = "bodyCrc32"
    static let tranStateTableOffset = "tranStateTableOffset"
    static let commitLogOffset = "commitLogOffset"
    static let commitOrRollback = "commitOrRollback"
    static let fromTransactionCheck = "fromTransactionCheck"
    static let isForce = "isForce"
    static let key = "key"
    static let maxNum = "maxNum"
    static let beginTimestamp = "beginTimestamp"
    static let endTimestamp = "endTimestamp"
    static let uniqueKeyQuery = "_UNIQUE_KEY_QUERY"
    static let indexLastUpdateTimestamp = "indexLastUpdateTimestamp"
    static let indexLastUpdatePhyoffset = "indexLastUpdatePhyoffset"
    static let groupName = "groupName"
    static let removeOffset = "removeOffset"
    static let version = "version"
    static let statsName = "statsName"
    static let statsKey = "statsKey"
    static let clientId = "clientId"
    static let jstackEnable = "jstackEnable"
    static let namespace = "namespace"
    static let value = "value"
    static let cluster = "cluster"
    static let wipeTopicCount = "wipeTopicCount"
    static let addTopicCount = "addTopicCount"
    static let srcGroup = "srcGroup"
    static let destGroup = "destGroup"
    static let offline = "offline"
    static let isOrder = "isOrder"
    static let index = "index"
    static let count = "count"
}

/// Value parsing shared by every header (and the hot send-header decoder).
enum HeaderValue {
    @inline(__always)
    static func int32(_ text: String, field: String) throws(HeaderError) -> Int32 {
        if let value = Int32(text) { return value }
        if let value = JSONValue.integer(text.trimmingSpaces).flatMap({ Int32(exactly: $0) }) { return value }
        throw .notANumber(field: field, value: text)
    }

    @inline(__always)
    static func int64(_ text: String, field: String) throws(HeaderError) -> Int64 {
        if let value = Int64(text) { return value }
        if let value = JSONValue.integer(text.trimmingSpaces) { return value }
        throw .notANumber(field: field, value: text)
    }

    /// `int32` of a value read in place: a plain number from its bytes, anything else through its text (same errors).
    /// The field's name is only made for the text path.
    @inline(__always)
    static func int32(_ bytes: UnsafeRawBufferPointer, field: @autoclosure () -> String) throws(HeaderError) -> Int32 {
        if let plain = plainInteger(bytes), let exact = Int32(exactly: plain) { return exact }
        return try int32(text: bytes, field: field())
    }

    /// `int64` of a value read in place: a plain number from its bytes, anything else through its text (same errors).
    @inline(__always)
    static func int64(_ bytes: UnsafeRawBufferPointer, field: @autoclosure () -> String) throws(HeaderError) -> Int64 {
        if let plain = plainInteger(bytes) { return plain }
        return try int64(text: bytes, field: field())
    }

    // The rare text paths stay out of line: inlined into every caller, they made the send header's reads slower.
    @inline(never)
    private static func int32(text bytes: UnsafeRawBufferPointer, field: String) throws(HeaderError) -> Int32 {
        try int32(String(decoding: bytes, as: UTF8.self), field: field)
    }

    @inline(never)
    private static func int64(text bytes: UnsafeRawBufferPointer, field: String) throws(HeaderError) -> Int64 {
        try int64(String(decoding: bytes, as: UTF8.self), field: field)
    }

    /// `-?[0-9]{1,18}` as a number (no overflow possible); nil for anything else, which callers hand to `int32`/`int64`
    /// as text. For header values read in place, without building their string.
    @inline(__always)
    static func plainInteger(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { i = 1 }
        guard bytes.count > i, bytes.count - i <= 18 else { return nil }
        var value: Int64 = 0
        while i < bytes.count {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int64(digit)
            i += 1
        }
        return negative ? -value : value
    }

    /// "true" and "fals" as they lie in memory, so that a value is compared with one load.
    private static let trueWord = UInt32(littleEndian: 0x6575_7274)
    private static let falsWord = UInt32(littleEndian: 0x736C_6166)

    /// `bool` of a value's UTF-8 bytes; only an unusual spelling becomes a string.
    static func bool(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch bytes.count {
        case 0: return false
        case 1 where bytes[0] == UInt8(ascii: "1"): return true
        case 1 where bytes[0] == UInt8(ascii: "0"): return false
        case 4 where bytes.loadUnaligned(as: UInt32.self) == Self.trueWord: return true
        case 5 where bytes.loadUnaligned(as: UInt32.self) == Self.falsWord && bytes[4] == UInt8(ascii: "e"): return false
        default: return bool(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// "true"/"1" (any case) → true; anything else → false. Compared only with the spelling of its length: a short
    /// string equal to a literal is equal bit for bit (instant), while every mismatch takes the general comparison.
    @inline(__always)
    static func bool(_ text: String) -> Bool {
        switch text.utf8.count {
        case 0: return false
        case 1 where text == "1": return true
        case 1 where text == "0": return false
        case 4 where text == "true": return true
        case 5 where text == "false": return false
        default: return JSONValue.bool(text) ?? false
        }
    }
}

/// Reads the fields of a non-hot header by key.
struct HeaderReader {
    let fields: ExtFields

    init(_ fields: ExtFields) { self.fields = fields }

    /// Present and non-empty.
    func string(_ key: String) throws(HeaderError) -> String {
        guard let value = fields[key], !value.isEmpty else { throw .missing(field: key) }
        return value
    }

    /// Absent → nil; an empty string is kept (some fields, e.g. `producerGroup` of UNREGISTER_CLIENT, send "").
    func optionalString(_ key: String) -> String? { fields[key] }

    func int32(_ key: String) throws(HeaderError) -> Int32 {
        guard let value = try optionalInt32(key) else { throw .missing(field: key) }
        return value
    }

    func optionalInt32(_ key: String) throws(HeaderError) -> Int32? {
        guard let text = fields[key], !text.isEmpty else { return nil }
        return try HeaderValue.int32(text, field: key)
    }

    func int64(_ key: String) throws(HeaderError) -> Int64 {
        guard let value = try optionalInt64(key) else { throw .missing(field: key) }
        return value
    }

    func optionalInt64(_ key: String) throws(HeaderError) -> Int64? {
        guard let text = fields[key], !text.isEmpty else { return nil }
        return try HeaderValue.int64(text, field: key)
    }

    func bool(_ key: String) -> Bool? { fields[key].map(HeaderValue.bool) }
}

/// Builds ext fields; nil values are left out (as Java does), everything else is written as text.
struct HeaderWriter {
    private(set) var fields: ExtFields

    init(capacity: Int) { fields = ExtFields(minimumCapacity: capacity) }

    mutating func put(_ key: String, _ value: String?) {
        if let value { fields.append(key, value) }
    }

    mutating func put(_ key: String, _ value: Int32?) {
        if let value { fields.append(key, String(value)) }
    }

    mutating func put(_ key: String, _ value: Int64?) {
        if let value { fields.append(key, String(value)) }
    }

    mutating func put(_ key: String, _ value: Bool?) {
        if let value { fields.append(key, value ? "true" : "false") }
    }
}
