// SendHeaders: SEND_MESSAGE (10, long names), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320, one-letter names)
// request header and the send response header (spec §2.4–§2.6). The request decoder is on the hottest path: one
// pass over the ext fields, one string comparison per key, no dictionary.

import ApusMessage
import NIOCore

public struct SendMessageRequestHeader: DirectHeader, Equatable {
    /// A text field as it was read: a string (absent: nil), or the range of its bytes in `section` (a binary header
    /// read in place: no string is made until one is asked for). Small and without a buffer of its own: the header
    /// is moved and destroyed once per send.
    @usableFromInline
    enum Text: Sendable {
        case string(String?)
        case inSection(Range<Int>)

        var isEmpty: Bool {
            switch self {
            case let .string(text): return text?.isEmpty ?? true
            case let .inSection(range): return range.isEmpty
            }
        }
    }

    /// The bytes that `Text.inSection` values are read from: a binary header's ext-field section, or a JSON header
    /// (its strings without escapes); nil for a header made or read otherwise. A send's text fields kept as places in
    /// it cost one retain and one release of it together, where strings cost a lookup each and a retain and a release
    /// of each that is not short; the broker itself reads only the topic's bytes and the properties'.
    @usableFromInline private(set) var section: ByteBuffer?
    private var producerGroupText: Text
    @usableFromInline private(set) var topicText: Text
    /// Template for auto-creation, normally "TBW102".
    private var defaultTopicText: Text
    public var defaultTopicQueueNums: Int32?
    /// Negative (or absent): the broker picks a queue.
    public var queueId: Int32
    /// MessageSysFlag bits.
    public var sysFlag: Int32
    /// Absent: the time of decoding.
    public var bornTimestamp: Int64
    /// The user's int flag.
    public var flag: Int32
    @usableFromInline private(set) var propertiesText: Text
    public var reconsumeTimes: Int32
    public var unitMode: Bool
    /// Java clients (`l`, "consumeRetryTimes"): the limit for a send into a %RETRY% topic.
    public var maxReconsumeTimes: Int32?
    /// The decoded `batch` value ("1" or "true"); `init(request:)` also sets it for code 320.
    public var batch: Bool
    /// Java 4.9.x/5.x clients (`n`).
    private var brokerNameText: Text

    public var producerGroup: String {
        get { string(producerGroupText) ?? "" }
        set { producerGroupText = .string(newValue) }
    }
    public var topic: String {
        get { string(topicText) ?? "" }
        set { topicText = .string(newValue) }
    }
    /// Template for auto-creation, normally "TBW102".
    public var defaultTopic: String? {
        get { string(defaultTopicText) }
        set { defaultTopicText = .string(newValue) }
    }
    /// Java 4.9.x/5.x clients (`n`).
    public var brokerName: String? {
        get { string(brokerNameText) }
        set { brokerNameText = .string(newValue) }
    }
    /// The properties as they arrived: read from a binary header they stay bytes of its frame.
    public var sentProperties: PropertyText {
        get {
            switch propertiesText {
            case let .string(text): return .string(text ?? "")
            case let .inSection(range): return .bytes(section!.getSlice(at: section!.readerIndex + range.lowerBound, length: range.count)!)
            }
        }
        set {
            switch newValue {
            case let .string(text):
                propertiesText = .string(text)
            case let .bytes(bytes):
                // The bytes become the section: the other fields read from the old one become strings first.
                producerGroupText = .string(producerGroup)
                topicText = .string(topic)
                defaultTopicText = .string(defaultTopic)
                brokerNameText = .string(brokerName)
                section = bytes
                propertiesText = .inSection(0..<bytes.readableBytes)
            }
        }
    }
    public var properties: String {
        get { sentProperties.string }
        set { sentProperties = .string(newValue) }
    }

    /// Calls `body` with the topic's UTF-8 bytes (as sent: a binary header's are not checked for valid UTF-8), without
    /// making a string of them.
    @inlinable
    public func withTopicUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUTF8(topicText, body)
    }

    /// Calls `body` with the properties' UTF-8 bytes as sent, without making a string or a buffer of them.
    @inlinable
    public func withSentPropertiesUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withUTF8(propertiesText, body)
    }

    @inlinable
    func withUTF8<R>(_ text: Text, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch text {
        case let .string(string):
            return try (string ?? "").withContiguousUTF8(body)
        case let .inSection(range):
            return try section!.withUnsafeReadableBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range]).assumingMemoryBound(to: UInt8.self)) }
        }
    }

    private func string(_ text: Text) -> String? {
        switch text {
        case let .string(string): return string
        case .inSection: return withUTF8(text) { String(decoding: $0, as: UTF8.self) }
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.producerGroup == b.producerGroup && a.topic == b.topic && a.defaultTopic == b.defaultTopic
            && a.defaultTopicQueueNums == b.defaultTopicQueueNums && a.queueId == b.queueId && a.sysFlag == b.sysFlag
            && a.bornTimestamp == b.bornTimestamp && a.flag == b.flag && a.sentProperties == b.sentProperties
            && a.reconsumeTimes == b.reconsumeTimes && a.unitMode == b.unitMode && a.maxReconsumeTimes == b.maxReconsumeTimes
            && a.batch == b.batch && a.brokerName == b.brokerName
    }

    // The initializers are in extensions, so that Swift synthesizes the memberwise one (every stored property, in
    // order): the decoders build the header with it. A header built by an explicit all-field initializer was copied
    // once more where it was returned (a retain and a release of each string per send).

    /// The header's fields in the order of their SEND_MESSAGE_V2 letters: `a` is `producerGroup`, `b` `topic`,
    /// `c` `defaultTopic`, `d` `defaultTopicQueueNums`, `e` `queueId`, `f` `sysFlag`, `g` `bornTimestamp`, `h` `flag`,
    /// `i` `properties`, `j` `reconsumeTimes`, `k` `unitMode`, `l` `maxReconsumeTimes`, `m` `batch`, `n` `brokerName`
    /// (Java `SendMessageRequestHeaderV2`).
    public enum Field: UInt8, CaseIterable, Sendable {
        case producerGroup, topic, defaultTopic, defaultTopicQueueNums, queueId, sysFlag, bornTimestamp, flag
        case properties, reconsumeTimes, unitMode, maxReconsumeTimes, batch, brokerName

        /// Read as a number (the rest are text or booleans).
        var isInteger: Bool {
            switch self {
            case .defaultTopicQueueNums, .queueId, .sysFlag, .bornTimestamp, .flag, .reconsumeTimes, .maxReconsumeTimes:
                return true
            default:
                return false
            }
        }

        /// SEND_MESSAGE (10) key.
        public var name: String {
            switch self {
            case .producerGroup: return "producerGroup"
            case .topic: return "topic"
            case .defaultTopic: return "defaultTopic"
            case .defaultTopicQueueNums: return "defaultTopicQueueNums"
            case .queueId: return "queueId"
            case .sysFlag: return "sysFlag"
            case .bornTimestamp: return "bornTimestamp"
            case .flag: return "flag"
            case .properties: return "properties"
            case .reconsumeTimes: return "reconsumeTimes"
            case .unitMode: return "unitMode"
            case .maxReconsumeTimes: return "maxReconsumeTimes"
            case .batch: return "batch"
            case .brokerName: return "brokerName"
            }
        }

        /// SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE key: "a" + position (literals: every send encodes fourteen of them).
        public var letter: String {
            switch self {
            case .producerGroup: return "a"
            case .topic: return "b"
            case .defaultTopic: return "c"
            case .defaultTopicQueueNums: return "d"
            case .queueId: return "e"
            case .sysFlag: return "f"
            case .bornTimestamp: return "g"
            case .flag: return "h"
            case .properties: return "i"
            case .reconsumeTimes: return "j"
            case .unitMode: return "k"
            case .maxReconsumeTimes: return "l"
            case .batch: return "m"
            case .brokerName: return "n"
            }
        }

        /// The field named `key` under either naming: a letter maps by position; a long name is told apart by its
        /// first byte and length, then confirmed by one comparison with `name`.
        @inline(__always)
        static func find(_ key: String) -> Field? {
            return key.withContiguousUTF8 { find(UnsafeRawBufferPointer($0)) }
        }

        /// `find` for a key's UTF-8 bytes as they arrived.
        @inline(__always)
        static func find(_ key: UnsafeRawBufferPointer) -> Field? {
            guard let first = key.first else { return nil }
            let count = key.count
            if count == 1 { return Field(rawValue: first &- UInt8(ascii: "a")) }
            let candidate: Field
            switch first {
            case UInt8(ascii: "p"): candidate = count == 13 ? .producerGroup : .properties
            case UInt8(ascii: "t"): candidate = .topic
            case UInt8(ascii: "d"): candidate = count == 12 ? .defaultTopic : .defaultTopicQueueNums
            case UInt8(ascii: "q"): candidate = .queueId
            case UInt8(ascii: "s"): candidate = .sysFlag
            case UInt8(ascii: "b"): candidate = count == 13 ? .bornTimestamp : count == 5 ? .batch : .brokerName
            case UInt8(ascii: "f"): candidate = .flag
            case UInt8(ascii: "r"): candidate = .reconsumeTimes
            case UInt8(ascii: "u"): candidate = .unitMode
            case UInt8(ascii: "m"): candidate = .maxReconsumeTimes
            default: return nil
            }
            // One memcmp: `elementsEqual` walked the name's UTF-8 view element by element, about 570 instructions a
            // key, twelve per send of the C++ client (which sends the long names).
            return candidate.name.hasSameUTF8(as: key.assumingMemoryBound(to: UInt8.self)) ? candidate : nil
        }
    }

    public enum Naming: Sendable {
        /// Long names, SEND_MESSAGE (10).
        case v1
        /// One-letter names, SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320).
        case v2
    }
}

extension SendMessageRequestHeader {
    public init(producerGroup: String, topic: String, defaultTopic: String? = TopicNames.autoCreateTemplate,
                defaultTopicQueueNums: Int32? = 4, queueId: Int32, sysFlag: Int32 = 0, bornTimestamp: Int64,
                flag: Int32 = 0, properties: String, reconsumeTimes: Int32 = 0, unitMode: Bool = false,
                maxReconsumeTimes: Int32? = nil, batch: Bool = false, brokerName: String? = nil) {
        self.init(section: nil, producerGroupText: .string(producerGroup), topicText: .string(topic),
                  defaultTopicText: .string(defaultTopic), defaultTopicQueueNums: defaultTopicQueueNums, queueId: queueId,
                  sysFlag: sysFlag, bornTimestamp: bornTimestamp, flag: flag, propertiesText: .string(properties),
                  reconsumeTimes: reconsumeTimes, unitMode: unitMode, maxReconsumeTimes: maxReconsumeTimes, batch: batch,
                  brokerNameText: .string(brokerName))
    }

    /// Decodes a send request of code 10, 310 or 320; every code-320 request is a batch (the C++ client marks batches
    /// on code 10 with `batch="1"`, Java clients use 320 with `m=true`).
    /// Borrowing: an initializer takes its arguments owned, which cost the caller a copy of the command.
    public init(request: borrowing RemotingCommand) throws(HeaderError) {
        switch request.fields {
        case let .jsonSend(_, decoded): self = try decoded.result.get()
        case let .binary(section): try self.init(binaryExtFields: section)
        default: try self.init(extFields: request.extFields)
        }
        if request.code == RequestCode.sendBatchMessage.rawValue { batch = true }
    }

    /// A value as `HeaderCodec` would have put it in the ext fields: a string without escapes as the range of its bytes
    /// in the header (read as the binary header's values are), other text (its index in the read's list of texts), or
    /// (JSON numbers of integer fields) already a number. Plain values, so the fourteen slots need no destruction.
    private enum Slot {
        case raw(Range<Int>)
        case text(Int)
        case integer(Int64)
    }

    /// Reads the JSON `extFields` object at `reader` (its `{` next) straight into the header, consuming exactly what
    /// `HeaderCodec`'s ext-field parser would and throwing the same syntax errors; the header's own errors (a missing
    /// topic, a non-numeric queue id) are returned, as `init(extFields:)` would throw them.
    /// `section`: the buffer whose readable bytes `reader` reads; the header keeps its string values (those without
    /// escapes) as places in it, as it keeps a binary section's.
    static func read(json reader: inout JSONReader, section: ByteBuffer) throws -> Result<SendMessageRequestHeader, HeaderError> {
        // Slots of strings kept in a temporary buffer were created and destroyed through the runtime's generic value
        // witnesses, about 800 instructions per send: the slots are plain values, the few texts (Java's escaped
        // properties) in a list.
        var slots = InlineArray<14, Slot?>(repeating: nil)  // one per Field (a…n)
        var texts: [String] = []
        func setText(_ field: Field, _ text: String) {
            slots[Int(field.rawValue)] = .text(texts.count)
            texts.append(text)
        }
        reader.pos += 1  // the object's "{"
        if try !reader.consume(UInt8(ascii: "}")) {
            repeat {
                let field = try reader.parseKeyBytes().map(Field.find) ?? Field.find(try reader.parseKey())
                // Java sends every value as a string, mostly without escapes: kept as where its bytes are.
                if let raw = try reader.parseRawString() {
                    if let field { slots[Int(field.rawValue)] = .raw(raw) }  // a later key wins
                    continue
                }
                let next = try reader.peek()
                let isNumber = next == UInt8(ascii: "-") || next &- UInt8(ascii: "0") < 10
                guard let field else {
                    // Not a send field (ACL keys, unknown names): consumed as the ext-field parser would.
                    if next == UInt8(ascii: "\"") { try reader.skipString() }
                    else if isNumber { _ = try reader.parseNumber() }
                    else { _ = try reader.parseValue(depth: 2) }
                    continue
                }
                let start = reader.pos
                if next == UInt8(ascii: "\"") {
                    setText(field, try reader.parseString())
                } else if isNumber {
                    if field.isInteger, let value = try reader.parsePlainInteger() {
                        // An integer read in place; the text it came from when it does not fit the field, so that the
                        // error quotes it.
                        if field == .bornTimestamp || Int32(exactly: value) != nil {
                            slots[Int(field.rawValue)] = .integer(value)
                        } else {
                            let digits = UnsafeRawBufferPointer(rebasing: reader.bytes[start..<reader.pos])
                            setText(field, String(decoding: digits, as: UTF8.self))
                        }
                    } else {
                        setText(field, try reader.parseNumber())
                    }
                } else if let text = try reader.parseValue(depth: 2).stringValue {  // a null is dropped
                    setText(field, text)
                }
            } while try reader.consume(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "}"))
        }
        let bytes = reader.bytes
        // Text without escapes stays where it is: a string is made only when one is asked for.
        func text(_ field: Field) -> Text {
            switch slots[Int(field.rawValue)] {
            case let .raw(range)?: return .inSection(range)
            case let .text(index)?: return .string(texts[index])
            case let .integer(value)?: return .string(String(value))
            case nil: return .string(nil)
            }
        }
        func int64(_ field: Field) throws(HeaderError) -> Int64? {
            switch slots[Int(field.rawValue)] {
            case let .raw(range)?:
                let value = UnsafeRawBufferPointer(rebasing: bytes[range])
                return value.isEmpty ? nil : try HeaderValue.int64(value, field: field.name)
            case let .integer(value)?: return value
            case let .text(index)?: return texts[index].isEmpty ? nil : try HeaderValue.int64(texts[index], field: field.name)
            case nil: return nil
            }
        }
        func int32(_ field: Field) throws(HeaderError) -> Int32? {
            switch slots[Int(field.rawValue)] {
            case let .raw(range)?:
                let value = UnsafeRawBufferPointer(rebasing: bytes[range])
                return value.isEmpty ? nil : try HeaderValue.int32(value, field: field.name)
            case let .integer(value)?: return Int32(truncatingIfNeeded: value)  // in range (checked when read)
            case let .text(index)?: return texts[index].isEmpty ? nil : try HeaderValue.int32(texts[index], field: field.name)
            case nil: return nil
            }
        }
        func bool(_ field: Field) -> Bool? {
            switch slots[Int(field.rawValue)] {
            case let .raw(range)?: return HeaderValue.bool(UnsafeRawBufferPointer(rebasing: bytes[range]))
            case let .text(index)?: return HeaderValue.bool(texts[index])
            case let .integer(value)?: return HeaderValue.bool(String(value))
            case nil: return nil
            }
        }
        return Result { () throws(HeaderError) in
            try Self.assemble(section: section, text: text, int32: int32, int64: int64, bool: bool)
        }
    }

    /// The same header read in place from a binary ext-field section (`RemotingCommand.Fields.binary`): strings
    /// only for the text fields, integers parsed from their digits; the same results and errors as `init(extFields:)`.
    init(binaryExtFields section: borrowing ByteBuffer) throws(HeaderError) {
        // Where each field's value is (a later key wins), found in one walk and returned as plain offsets: a header
        // built inside the buffer's closure and returned from it was copied (a retain and a release of each string).
        let found = section.withUnsafeReadableBytes { bytes in
            var found = InlineArray<14, Range<Int>?>(repeating: nil)  // one per Field (a…n)
            HeaderCodec.forEachBinaryExtField(bytes) { key, value in
                guard let field = Field.find(key) else { return }
                let at = bytes.baseAddress!.distance(to: value.baseAddress!)
                found[Int(field.rawValue)] = at..<at + value.count
            }
            return found
        }
        func read<R>(_ field: Field, _ body: (UnsafeRawBufferPointer) throws(HeaderError) -> R) throws(HeaderError) -> R? {
            guard let range = found[Int(field.rawValue)] else { return nil }
            return try section.withUnsafeReadableBytes { bytes throws(HeaderError) in try body(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        }
        // Text stays where it is: a string is made only when one is asked for.
        func text(_ field: Field) -> Text { found[Int(field.rawValue)].map(Text.inSection) ?? .string(nil) }
        func int64(_ field: Field) throws(HeaderError) -> Int64? {
            try read(field) { value throws(HeaderError) in try HeaderValue.int64(value, field: field.name) }
        }
        func int32(_ field: Field) throws(HeaderError) -> Int32? {
            try read(field) { value throws(HeaderError) in try HeaderValue.int32(value, field: field.name) }
        }
        // Booleans are read from their bytes: no string for "false" twice per send.
        func bool(_ field: Field) -> Bool? { try? read(field, HeaderValue.bool) }
        self = try Self.assemble(section: copy section, text: text, int32: int32, int64: int64, bool: bool)
    }

    /// Accepts long names and letters alike (a later key wins, as in a JSON object read into a map).
    public init(extFields: ExtFields) throws(HeaderError) {
        self = try withUnsafeTemporaryAllocation(of: String?.self, capacity: Field.allCases.count) { values throws(HeaderError) in
            values.initialize(repeating: nil)
            defer { _ = values.deinitialize() }
            for pair in extFields.pairs {
                if let field = Field.find(pair.key) { values[Int(field.rawValue)] = pair.value }  // a later key wins
            }
            func text(_ field: Field) -> String? { values[Int(field.rawValue)] }
            func int32(_ field: Field) throws(HeaderError) -> Int32? { try Self.int32(values[Int(field.rawValue)], field) }
            func int64(_ field: Field) throws(HeaderError) -> Int64? {
                guard let text = values[Int(field.rawValue)], !text.isEmpty else { return nil }
                return try HeaderValue.int64(text, field: field.name)
            }
            return try Self.assemble(text: { .string(text($0)) }, int32: int32, int64: int64, bool: { text($0).map(HeaderValue.bool) })
        }
    }

    /// The header from its fields' values, however they were read (ext fields, a binary section in place, JSON in one
    /// pass): the one place for the defaults and the order in which errors are found. Absent values are nil; an empty
    /// integer counts as absent. `section`: what `Text.inSection` values are read from.
    @inline(__always)
    private static func assemble(section: consuming ByteBuffer? = nil, text: (Field) -> Text,
                                 int32: (Field) throws(HeaderError) -> Int32?, int64: (Field) throws(HeaderError) -> Int64?,
                                 bool: (Field) -> Bool?) throws(HeaderError) -> SendMessageRequestHeader {
        let topic = text(.topic)
        guard !topic.isEmpty else { throw .missing(field: Field.topic.name) }
        // One expression (the fields' errors in this order): a header built and then changed was copied once more.
        return SendMessageRequestHeader(
            section: section, producerGroupText: text(.producerGroup), topicText: topic,
            defaultTopicText: text(.defaultTopic), defaultTopicQueueNums: try int32(.defaultTopicQueueNums),
            queueId: try int32(.queueId) ?? -1, sysFlag: try int32(.sysFlag) ?? 0,
            bornTimestamp: try int64(.bornTimestamp) ?? currentMillis(), flag: try int32(.flag) ?? 0,
            propertiesText: text(.properties), reconsumeTimes: try int32(.reconsumeTimes) ?? 0,
            unitMode: bool(.unitMode) ?? false, maxReconsumeTimes: try int32(.maxReconsumeTimes),
            batch: bool(.batch) ?? false, brokerNameText: text(.brokerName))
    }

    @inline(__always)
    private static func int32(_ text: String?, _ field: Field) throws(HeaderError) -> Int32? {
        guard let text, !text.isEmpty else { return nil }
        return try HeaderValue.int32(text, field: field.name)
    }

    /// One-letter keys (what Apus's producer sends).
    public func forEachField(_ visit: (String, HeaderFieldValue) -> Void) { forEachField(naming: .v2, visit) }

    public func forEachField(naming: Naming, _ visit: (String, HeaderFieldValue) -> Void) {
        func put(_ field: Field, _ value: HeaderFieldValue?) {
            if let value { visit(naming == .v1 ? field.name : field.letter, value) }
        }
        put(.producerGroup, .text(producerGroup))
        put(.topic, .text(topic))
        put(.defaultTopic, defaultTopic.map(HeaderFieldValue.text))
        put(.defaultTopicQueueNums, defaultTopicQueueNums.map { .integer(Int64($0)) })
        put(.queueId, .integer(Int64(queueId)))
        put(.sysFlag, .integer(Int64(sysFlag)))
        put(.bornTimestamp, .integer(bornTimestamp))
        put(.flag, .integer(Int64(flag)))
        put(.properties, .text(sentProperties.string))
        put(.reconsumeTimes, .integer(Int64(reconsumeTimes)))
        put(.unitMode, .bool(unitMode))
        put(.maxReconsumeTimes, maxReconsumeTimes.map { .integer(Int64($0)) })
        put(.batch, .bool(batch))
        put(.brokerName, brokerName.map(HeaderFieldValue.text))
    }

    public func extFields(naming: Naming) -> ExtFields { ExtFields(rendering: { forEachField(naming: naming, $0) }) }
}

/// Response to a send (codes 0, 10, 11, 12).
public struct SendMessageResponseHeader: DirectHeader, Equatable {
    /// Offset message id of the stored record; for a batch the ids joined by ",".
    public var msgId: String {
        get {
            switch id {
            case let .text(text): return text
            case let .offset(id): return id.text
            }
        }
        set { id = .text(newValue) }
    }
    public var queueId: Int32
    /// Consume-queue offset of the (first) message.
    public var queueOffset: Int64
    /// Java: the unique key of a prepared (transaction) message.
    public var transactionId: String?
    /// A single record's id stays numbers until it is written or read.
    private var id: ID

    private enum ID: Sendable {
        case text(String)
        case offset(OffsetMessageId)
    }

    public init(msgId: String, queueId: Int32, queueOffset: Int64, transactionId: String? = nil) {
        self.init(id: .text(msgId), queueId: queueId, queueOffset: queueOffset, transactionId: transactionId)
    }

    /// The answer for one stored record.
    public init(offsetMessageId: OffsetMessageId, queueId: Int32, queueOffset: Int64, transactionId: String? = nil) {
        self.init(id: .offset(offsetMessageId), queueId: queueId, queueOffset: queueOffset, transactionId: transactionId)
    }

    private init(id: ID, queueId: Int32, queueOffset: Int64, transactionId: String?) {
        self.id = id
        self.queueId = queueId
        self.queueOffset = queueOffset
        self.transactionId = transactionId
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        id = .text(r.optionalString(FieldName.msgId) ?? "")
        queueId = try r.int32(FieldName.queueId)
        queueOffset = try r.int64(FieldName.queueOffset)
        transactionId = r.optionalString(FieldName.transactionId)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.msgId == b.msgId && a.queueId == b.queueId && a.queueOffset == b.queueOffset && a.transactionId == b.transactionId
    }

    public func forEachField(_ visit: (String, HeaderFieldValue) -> Void) {
        switch id {
        case let .text(text): visit(FieldName.msgId, .text(text))
        case let .offset(id): visit(FieldName.msgId, .offsetMessageId(id))
        }
        visit(FieldName.queueId, .integer(Int64(queueId)))
        visit(FieldName.queueOffset, .integer(queueOffset))
        if let transactionId { visit(FieldName.transactionId, .text(transactionId)) }
    }

    /// The broker's most frequent frame, written without the general writer's field walk (closures, key strings, a
    /// value enum, the language looked up by name), which was a tenth of the broker's CPU per send. Same bytes: the
    /// fields of `forEachField` in its order (tests compare the two).
    public func writeResponse(code: Int32, opaque: Int32, remark: String?, bodyLength: Int, serializeType type: SerializeType,
                              to out: inout ByteBuffer) -> Bool {
        var bound = DirectResponse.keyBound("msgId") + DirectResponse.keyBound("queueId") + DirectResponse.keyBound("queueOffset")
            + 2 * DirectResponse.integerBound
        switch id {
        case let .text(text): bound += DirectResponse.textBound(text)
        case .offset: bound += OffsetMessageId.textLength + 4
        }
        if let transactionId { bound += DirectResponse.keyBound("transactionId") + DirectResponse.textBound(transactionId) }
        DirectResponse.write(code: code, opaque: opaque, remark: remark, bodyLength: bodyLength, type: type, fieldsBound: bound,
                             to: &out) { w in
            w.key("msgId", type, first: true)
            switch id {
            case let .text(text): w.textValue(text, type)
            case let .offset(offsetId): w.messageIdValue(offsetId, type)
            }
            w.key("queueId", type)
            w.integerValue(Int64(queueId), type)
            w.key("queueOffset", type)
            w.integerValue(queueOffset, type)
            if let transactionId {
                w.key("transactionId", type)
                w.textValue(transactionId, type)
            }
        }
        return true
    }
}
