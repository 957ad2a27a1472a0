// PullHeaders: PULL_MESSAGE (11) request and response headers (spec §2.7); the sysFlag bits are PullSysFlag
// (ApusMessage).

import ApusMessage
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct PullMessageRequestHeader: DirectHeader, Equatable {
    public var consumerGroup: String
    public var topic: String
    public var queueId: Int32
    /// Next offset to read.
    public var queueOffset: Int64
    /// Absent: 32.
    public var maxMsgNums: Int32
    public var sysFlag: PullSysFlag
    /// The consumer's offset to store when `sysFlag` has `.commitOffset`.
    public var commitOffset: Int64?
    /// Longest hold when `sysFlag` has `.suspend`; absent: 15 000 ms.
    public var suspendTimeoutMillis: Int64
    /// The expression as the user gave it, when `sysFlag` has `.subscription`.
    public var subscription: String?
    public var subVersion: Int64
    /// Java clients only: "TAG" or "SQL92"; absent means TAG.
    public var expressionType: String?

    public static let defaultMaxMsgNums: Int32 = 32
    public static let defaultSuspendTimeoutMillis: Int64 = 15_000

    public init(consumerGroup: String, topic: String, queueId: Int32, queueOffset: Int64,
                maxMsgNums: Int32 = defaultMaxMsgNums, sysFlag: PullSysFlag, commitOffset: Int64? = nil,
                suspendTimeoutMillis: Int64 = defaultSuspendTimeoutMillis, subscription: String? = nil,
                subVersion: Int64 = 0, expressionType: String? = nil) {
        self.consumerGroup = consumerGroup
        self.topic = topic
        self.queueId = queueId
        self.queueOffset = queueOffset
        self.maxMsgNums = maxMsgNums
        self.sysFlag = sysFlag
        self.commitOffset = commitOffset
        self.suspendTimeoutMillis = suspendTimeoutMillis
        self.subscription = subscription
        self.subVersion = subVersion
        self.expressionType = expressionType
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        consumerGroup = try r.string(FieldName.consumerGroup)
        topic = try r.string(FieldName.topic)
        queueId = try r.int32(FieldName.queueId)
        queueOffset = try r.int64(FieldName.queueOffset)
        maxMsgNums = try r.optionalInt32(FieldName.maxMsgNums) ?? Self.defaultMaxMsgNums
        sysFlag = PullSysFlag(rawValue: try r.optionalInt32(FieldName.sysFlag) ?? 0)
        commitOffset = try r.optionalInt64(FieldName.commitOffset)
        suspendTimeoutMillis = try r.optionalInt64(FieldName.suspendTimeoutMillis) ?? Self.defaultSuspendTimeoutMillis
        subscription = r.optionalString(FieldName.subscription)
        subVersion = try r.optionalInt64(FieldName.subVersion) ?? 0
        expressionType = r.optionalString(FieldName.expressionType)
    }

    public func forEachField(_ visit: (String, HeaderFieldValue) -> Void) {
        visit(FieldName.consumerGroup, .text(consumerGroup))
        visit(FieldName.topic, .text(topic))
        visit(FieldName.queueId, .integer(Int64(queueId)))
        visit(FieldName.queueOffset, .integer(queueOffset))
        visit(FieldName.maxMsgNums, .integer(Int64(maxMsgNums)))
        visit(FieldName.sysFlag, .integer(Int64(sysFlag.rawValue)))
        if let commitOffset { visit(FieldName.commitOffset, .integer(commitOffset)) }
        visit(FieldName.suspendTimeoutMillis, .integer(suspendTimeoutMillis))
        if let subscription { visit(FieldName.subscription, .text(subscription)) }
        visit(FieldName.subVersion, .integer(subVersion))
        if let expressionType { visit(FieldName.expressionType, .text(expressionType)) }
    }
}

extension PullMessageRequestHeader {
    /// The header of a pull as it arrived. A binary section (the Swift client's) is read in place: the group and topic
    /// through the thread's `NameCache`, numbers from their bytes. Going through the ext fields made a string of every
    /// key and value, about 5,000 instructions per pull. A JSON pull in the Java and C++ clients' shapes was read with
    /// its frame (`read(json:)`); other forms are read from the ext fields. Values, defaults and errors are the same
    /// every way.
    public init(request: borrowing RemotingCommand) throws(HeaderError) {
        if case let .jsonPull(_, decoded) = request.fields {
            self = try decoded.result.get()
            return
        }
        guard case let .binary(section) = request.fields else {
            self = try Self(extFields: request.extFields)
            return
        }
        self = try section.withUnsafeReadableBytes { bytes in
            var found = InlineArray<11, Range<Int>?>(repeating: nil)  // one per Field; a later key wins
            HeaderCodec.forEachBinaryExtField(bytes) { key, value in
                guard let field = Field.find(key) else { return }
                let at = bytes.baseAddress!.distance(to: value.baseAddress!)
                found[Int(field.rawValue)] = at..<at + value.count
            }
            return Result { () throws(HeaderError) in try Self(found: found, in: bytes) }
        }.get()
    }

    /// Reads the JSON `extFields` object at `reader` (its `{` next) as the header, in the frame's own parsing pass (the
    /// Java and C++ clients' pulls: through the ext fields, which made a string of every key and value and hashed each
    /// key twice, a Java pull's frame and header took 15,759 instructions; 9,348 this way). Only the shapes those
    /// clients send are read here: every value a string without escapes or a plain integer (the C++ client sends
    /// `queueId`, `maxMsgNums` and `sysFlag` as numbers), and no pull field empty. For anything else, a syntax error
    /// included, it returns nil with `reader` where it was, and the caller builds the ext fields as before; so values
    /// and errors are always those of `init(extFields:)`.
    static func read(json reader: inout JSONReader) -> Result<PullMessageRequestHeader, HeaderError>? {
        let start = reader.pos
        var found = InlineArray<11, Range<Int>?>(repeating: nil)  // one per Field; a later key wins
        do {
            reader.pos += 1  // the object's "{"
            if try !reader.consume(UInt8(ascii: "}")) {
                repeat {
                    guard let key = try reader.parseKeyBytes() else { reader.pos = start; return nil }
                    let field = Field.find(key)
                    let value: Range<Int>
                    if let raw = try reader.parseRawString() {
                        value = raw
                    } else {
                        reader.skipWhitespace()
                        let digits = reader.pos
                        guard try reader.parsePlainInteger() != nil else { reader.pos = start; return nil }
                        value = digits..<reader.pos
                    }
                    guard let field else { continue }  // ACL keys (the C++ client sends an empty AccessKey), bname…
                    guard !value.isEmpty else { reader.pos = start; return nil }
                    found[Int(field.rawValue)] = value
                } while try reader.consume(UInt8(ascii: ","))
                try reader.expect(UInt8(ascii: "}"))
            }
        } catch {
            reader.pos = start
            return nil
        }
        let bytes = reader.bytes
        return Result { () throws(HeaderError) in try Self(found: found, in: bytes) }
    }

    /// The header from where each field's value lies in `bytes` (an absent or empty value is nil, as in ext fields).
    private init(found: InlineArray<11, Range<Int>?>, in bytes: UnsafeRawBufferPointer) throws(HeaderError) {
        func value(_ field: Field) -> UnsafeRawBufferPointer? {
            found[Int(field.rawValue)].map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
        }
        func name(_ field: Field) throws(HeaderError) -> String {
            guard let value = value(field) else { throw .missing(field: field.name.description) }
            return NameCache.current.name(value)
        }
        func int64(_ field: Field) throws(HeaderError) -> Int64? {
            guard let value = value(field) else { return nil }
            return try HeaderValue.int64(value, field: field.name.description)
        }
        func int32(_ field: Field) throws(HeaderError) -> Int32? {
            guard let value = value(field) else { return nil }
            return try HeaderValue.int32(value, field: field.name.description)
        }
        func required<T>(_ field: Field, _ read: (Field) throws(HeaderError) -> T?) throws(HeaderError) -> T {
            guard let value = try read(field) else { throw .missing(field: field.name.description) }
            return value
        }
        let consumerGroup = try name(.consumerGroup)
        let topic = try name(.topic)
        let queueId = try required(.queueId, int32)
        let queueOffset = try required(.queueOffset, int64)
        let maxMsgNums = try int32(.maxMsgNums) ?? Self.defaultMaxMsgNums
        let sysFlag = PullSysFlag(rawValue: try int32(.sysFlag) ?? 0)
        let commitOffset = try int64(.commitOffset)
        let suspendTimeoutMillis = try int64(.suspendTimeoutMillis) ?? Self.defaultSuspendTimeoutMillis
        let subscription = value(.subscription).map { String(decoding: $0, as: UTF8.self) }
        let subVersion = try int64(.subVersion) ?? 0
        self.init(consumerGroup: consumerGroup, topic: topic, queueId: queueId, queueOffset: queueOffset,
                  maxMsgNums: maxMsgNums, sysFlag: sysFlag, commitOffset: commitOffset,
                  suspendTimeoutMillis: suspendTimeoutMillis, subscription: subscription, subVersion: subVersion,
                  expressionType: value(.expressionType).map { String(decoding: $0, as: UTF8.self) })
    }

    private enum Field: UInt8 {
        case consumerGroup, topic, queueId, queueOffset, maxMsgNums, sysFlag, commitOffset, suspendTimeoutMillis
        case subscription, subVersion, expressionType

        var name: StaticString {
            switch self {
            case .consumerGroup: "consumerGroup"
            case .topic: "topic"
            case .queueId: "queueId"
            case .queueOffset: "queueOffset"
            case .maxMsgNums: "maxMsgNums"
            case .sysFlag: "sysFlag"
            case .commitOffset: "commitOffset"
            case .suspendTimeoutMillis: "suspendTimeoutMillis"
            case .subscription: "subscription"
            case .subVersion: "subVersion"
            case .expressionType: "expressionType"
            }
        }

        /// The field named `key`: told apart by length and first byte, then confirmed by comparing the bytes.
        static func find(_ key: UnsafeRawBufferPointer) -> Field? {
            let candidate: Field
            switch key.count {
            case 5: candidate = .topic
            case 7: candidate = key.first == UInt8(ascii: "q") ? .queueId : .sysFlag
            case 10: candidate = key.first == UInt8(ascii: "m") ? .maxMsgNums : .subVersion
            case 11: candidate = .queueOffset
            case 12: candidate = key.first == UInt8(ascii: "c") ? .commitOffset : .subscription
            case 13: candidate = .consumerGroup
            case 14: candidate = .expressionType
            case 20: candidate = .suspendTimeoutMillis
            default: return nil
            }
            return memcmp(candidate.name.utf8Start, key.baseAddress!, key.count) == 0 ? candidate : nil
        }
    }
}

/// Every PULL_MESSAGE response (found, not found, retry, offset moved) carries it; all values strings (§1.6).
public struct PullMessageResponseHeader: DirectHeader, Equatable {
    public var nextBeginOffset: Int64
    public var minOffset: Int64
    public var maxOffset: Int64
    /// 0 = master; Apus always answers 0.
    public var suggestWhichBrokerId: Int64

    public init(nextBeginOffset: Int64, minOffset: Int64, maxOffset: Int64, suggestWhichBrokerId: Int64 = 0) {
        self.nextBeginOffset = nextBeginOffset
        self.minOffset = minOffset
        self.maxOffset = maxOffset
        self.suggestWhichBrokerId = suggestWhichBrokerId
    }

    /// A pull's answer as the Swift consumer reads it on every arrival: a binary header's fields are read where they
    /// lie (no ext-field dictionary of strings); a JSON header through its ext fields. Same values and errors as
    /// `init(extFields:)` (an empty value counts as absent, a later key wins).
    public init(response: borrowing RemotingCommand) throws(HeaderError) {
        guard case let .binary(section) = response.fields else {
            self = try Self(extFields: response.extFields)
            return
        }
        self = try section.withUnsafeReadableBytes { bytes throws(HeaderError) in
            var values = InlineArray<4, Int64?>(repeating: nil)  // in the order of `field(_:)`
            try HeaderCodec.forEachBinaryExtField(bytes) { key, value throws(HeaderError) in
                guard !value.isEmpty, let (index, name) = Self.field(key) else { return }
                values[index] = try HeaderValue.int64(value, field: name.description)
            }
            guard let next = values[0] else { throw .missing(field: FieldName.nextBeginOffset) }
            return Self(nextBeginOffset: next, minOffset: values[1] ?? 0, maxOffset: values[2] ?? 0,
                        suggestWhichBrokerId: values[3] ?? 0)
        }
    }

    /// The field `key` names, as its index in `init(response:)`'s values and its name: told apart by length and a
    /// byte, then confirmed by comparing the bytes.
    private static func field(_ key: UnsafeRawBufferPointer) -> (Int, StaticString)? {
        let found: (Int, StaticString)
        switch key.count {
        case 15: found = (0, "nextBeginOffset")
        case 9: found = key[1] == UInt8(ascii: "i") ? (1, "minOffset") : (2, "maxOffset")
        case 20: found = (3, "suggestWhichBrokerId")
        default: return nil
        }
        return memcmp(found.1.utf8Start, key.baseAddress!, key.count) == 0 ? found : nil
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        nextBeginOffset = try r.int64(FieldName.nextBeginOffset)
        minOffset = try r.optionalInt64(FieldName.minOffset) ?? 0
        maxOffset = try r.optionalInt64(FieldName.maxOffset) ?? 0
        suggestWhichBrokerId = try r.optionalInt64(FieldName.suggestWhichBrokerId) ?? 0
    }

    public func forEachField(_ visit: (String, HeaderFieldValue) -> Void) {
        visit(FieldName.nextBeginOffset, .integer(nextBeginOffset))
        visit(FieldName.minOffset, .integer(minOffset))
        visit(FieldName.maxOffset, .integer(maxOffset))
        visit(FieldName.suggestWhichBrokerId, .integer(suggestWhichBrokerId))
    }

    /// Every pull's answer (its body a byte range of the commit log), written without the general writer's field walk
    /// and the command it would need. Same bytes: the fields of `forEachField` in its order (tests compare the two).
    public func writeResponse(code: Int32, opaque: Int32, remark: String?, bodyLength: Int, serializeType type: SerializeType,
                              to out: inout ByteBuffer) -> Bool {
        let bound = DirectResponse.keyBound("nextBeginOffset") + DirectResponse.keyBound("minOffset")
            + DirectResponse.keyBound("maxOffset") + DirectResponse.keyBound("suggestWhichBrokerId") + 4 * DirectResponse.integerBound
        DirectResponse.write(code: code, opaque: opaque, remark: remark, bodyLength: bodyLength, type: type, fieldsBound: bound,
                             to: &out) { w in
            w.key("nextBeginOffset", type, first: true)
            w.integerValue(nextBeginOffset, type)
            w.key("minOffset", type)
            w.integerValue(minOffset, type)
            w.key("maxOffset", type)
            w.integerValue(maxOffset, type)
            w.key("suggestWhichBrokerId", type)
            w.integerValue(suggestWhichBrokerId, type)
        }
        return true
    }
}
