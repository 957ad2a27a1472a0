// Frame codec: RemotingCommand <-> bytes on the wire (spec §1.2 frame, §1.3 binary header, §1.4 JSON header).
//
// Frame (big-endian):
//   0  u32  length        = 4 + headerLength + bodyLength (bytes after this field)
//   4  u8   serializeType 0 = JSON, 1 = ROCKETMQ binary   } one u32 word; with type 0 the whole word is the
//   5  u24  headerLength                                  } header length (the C++ client never masks it)
//   8  headerLength bytes of header, then the body (may be empty)
// JSON header written: {"code":N,"language":"JAVA","version":N,"opaque":N,"flag":N[,"remark":"..."],
//   "extFields":{"k":"v",...},"serializeTypeCurrentRPC":"JSON"} — ints as numbers, every ext value a string.
// Binary header (type 1): i16 code, u8 language ordinal, i16 version, i32 opaque, i32 flag,
//   i32 remarkLength + UTF-8 remark (0 = none), i32 extLength + repeated (i16 keyLength, key, i32 valueLength, value).

import ApusMessage
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum RemotingDecodingError: Error, Sendable, Equatable {
    case frameTooLarge(Int)
    case frameTooSmall(Int)
    case headerLengthInvalid(Int)
    case unsupportedSerializeType(UInt8)
    case malformedHeader(String)
}

/// Frame decoder (§1.2). The connection handlers drive it with `FrameReader` inside their own `channelRead` (no
/// pipeline hop or boxing per frame); a body is a slice of the received bytes.
public struct RemotingCommandDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RemotingCommand

    public let maxFrameLength: Int

    public init(maxFrameLength: Int = 16 * 1024 * 1024) {
        self.maxFrameLength = maxFrameLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> RemotingCommand? {
        guard let rawLength = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let length = Int(rawLength)
        if length > maxFrameLength { throw RemotingDecodingError.frameTooLarge(length) }
        if length < 4 { throw RemotingDecodingError.frameTooSmall(length) }
        guard buffer.readableBytes >= 4 + length else { return nil }

        let word = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)!
        guard let type = SerializeType(rawValue: UInt8(word >> 24)) else {
            throw RemotingDecodingError.unsupportedSerializeType(UInt8(word >> 24))
        }
        let headerLength = Int(word & 0xFF_FFFF)
        guard headerLength <= length - 4 else { throw RemotingDecodingError.headerLengthInvalid(headerLength) }

        buffer.moveReaderIndex(forwardBy: 8)
        let bodyLength = length - 4 - headerLength
        guard type == .json else { return try HeaderCodec.decodeBinary(&buffer, headerLength: headerLength, bodyLength: bodyLength) }
        let header = buffer.readSlice(length: headerLength)!
        let body = bodyLength > 0 ? buffer.readSlice(length: bodyLength) : nil
        return try HeaderCodec.decodeJSON(header, body: body)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RemotingCommand? {
        try decode(buffer: &buffer)
    }
}

public struct RemotingCommandEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RemotingCommand

    public init() {}

    public func encode(data: RemotingCommand, out: inout ByteBuffer) throws {
        HeaderCodec.writeHeader(data, bodyLength: data.body?.readableBytes ?? 0, to: &out)
        if let body = data.body { out.writeImmutableBuffer(body) }
    }
}

/// Header encoding and decoding shared by the public codec and the connection pipeline.
enum HeaderCodec {
    /// What a header holds besides its ext fields.
    struct Prefix {
        var code: Int32
        var language: String
        var version: Int32
        var opaque: Int32
        var flag: Int32
        var remark: String?
        var serializeType: SerializeType
    }

    /// Calls its argument for each ext field of a header being written.
    typealias FieldWalk = ((String, HeaderFieldValue) -> Void) -> Void

    /// Writes the 8-byte prefix and the header; the length word at offset 0 counts `bodyLength` body bytes, which the
    /// caller writes next.
    static func writeHeader(_ command: RemotingCommand, bodyLength: Int, to out: inout ByteBuffer) {
        let prefix = Prefix(code: command.code, language: command.language, version: command.version, opaque: command.opaque,
                            flag: command.flag, remark: command.remark, serializeType: command.serializeType)
        writeHeader(prefix, bodyLength: bodyLength, to: &out) { forEachField(command, $0) }
    }

    /// `writeHeader` for a header given as its prefix and a walk of its ext fields.
    static func writeHeader(_ c: Prefix, bodyLength: Int, to out: inout ByteBuffer, fields: FieldWalk) {
        let start = out.writerIndex
        out.writeInteger(UInt64(0))
        switch c.serializeType {
        case .json: writeJSON(c, fields, to: &out)
        case .rocketmq: writeBinary(c, fields, to: &out)
        }
        let headerLength = out.writerIndex - start - 8
        out.setInteger(UInt32(4 + headerLength + bodyLength), at: start)
        out.setInteger(UInt32(c.serializeType.rawValue) << 24 | UInt32(headerLength & 0xFF_FFFF), at: start + 4)
    }

    /// Each ext field of an outgoing command: a typed header's values as they are, decoded fields as text.
    @inline(__always)
    private static func forEachField(_ c: RemotingCommand, _ body: (String, HeaderFieldValue) -> Void) {
        if case let .typed(header) = c.fields {
            header.forEachField(body)
        } else {
            for (key, value) in c.extFields { body(key, .text(value)) }
        }
    }

    /// The header goes straight into the buffer's memory: NIO's per-call `writeInteger`/`writeString` each re-check
    /// capacity, uniqueness and exclusive access, which was a tenth of the Swift producer's CPU per send. It is written
    /// in one pass into the room the buffer has (at least `firstRoom` bytes; a burst buffer has kilobytes), each field
    /// checked against it; a header that does not fit is measured and written again.
    private static let firstRoom = 512

    private static func writeJSON(_ c: Prefix, _ fields: FieldWalk, to out: inout ByteBuffer) {
        if writeJSON(c, fields, to: &out, room: firstRoom) { return }
        var bound = jsonTail + jsonFixedBound(c)
        fields { key, value in bound += JSONWriter.escapedBound(key.utf8.count) + value.jsonBound + 2 }
        _ = writeJSON(c, fields, to: &out, room: bound)
    }

    /// Room kept for the closing `},"serializeTypeCurrentRPC":"JSON"}`.
    private static let jsonTail = 40

    /// At most this many bytes before the ext fields: the four numbers, the language and the remark.
    private static func jsonFixedBound(_ c: Prefix) -> Int {
        120 + 4 * 20 + JSONWriter.escapedBound(c.language.utf8.count) + JSONWriter.escapedBound(c.remark?.utf8.count ?? 0)
    }

    /// False (nothing written) when the header does not fit the buffer's room.
    private static func writeJSON(_ c: Prefix, _ fields: FieldWalk, to out: inout ByteBuffer, room: Int) -> Bool {
        var fits = true
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { buffer in
            let capacity = buffer.count - jsonTail
            guard jsonFixedBound(c) <= capacity else {
                fits = false
                return 0
            }
            var w = RawHeaderWriter(buffer.baseAddress!)
            w.text("{\"code\":")
            w.decimal(Int64(c.code))
            w.text(",\"language\":")
            w.escaped(c.language)
            w.text(",\"version\":")
            w.decimal(Int64(c.version))
            w.text(",\"opaque\":")
            w.decimal(Int64(c.opaque))
            w.text(",\"flag\":")
            w.decimal(Int64(c.flag))
            if let remark = c.remark {
                w.text(",\"remark\":")
                w.escaped(remark)
            }
            w.text(",\"extFields\":{")
            var first = true
            fields { key, value in
                guard fits, w.count + JSONWriter.escapedBound(key.utf8.count) + value.jsonBound + 2 <= capacity else {
                    fits = false
                    return
                }
                if !first { w.byte(UInt8(ascii: ",")) }
                first = false
                w.escaped(key)
                w.byte(UInt8(ascii: ":"))
                switch value {
                case let .text(text): w.escaped(text)
                case let .integer(number): w.quotedDecimal(number)  // quoted, as every value (spec §1.6)
                case let .bool(flag): w.text(flag ? "\"true\"" : "\"false\"")
                case let .offsetMessageId(id):
                    w.byte(UInt8(ascii: "\""))
                    w.messageId(id)
                    w.byte(UInt8(ascii: "\""))
                }
            }
            w.text("},\"serializeTypeCurrentRPC\":\"JSON\"}")
            return fits ? w.count : 0
        }
        return fits
    }

    private static func writeBinary(_ c: Prefix, _ fields: FieldWalk, to out: inout ByteBuffer) {
        if writeBinary(c, fields, to: &out, room: firstRoom) { return }
        var bound = binaryFixedBound(c)
        fields { key, value in bound += 6 + key.utf8.count + value.utf8Bound }
        _ = writeBinary(c, fields, to: &out, room: bound)
    }

    /// The bytes before the ext fields: code, language, version, opaque, flag, the remark and the two lengths.
    private static func binaryFixedBound(_ c: Prefix) -> Int { 21 + (c.remark?.utf8.count ?? 0) }

    /// False (nothing written) when the header does not fit the buffer's room.
    private static func writeBinary(_ c: Prefix, _ fields: FieldWalk, to out: inout ByteBuffer, room: Int) -> Bool {
        var fits = true
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { buffer in
            let capacity = buffer.count
            guard binaryFixedBound(c) <= capacity else {
                fits = false
                return 0
            }
            var w = RawHeaderWriter(buffer.baseAddress!)
            w.integer(Int16(truncatingIfNeeded: c.code))
            w.integer(LanguageCode.ordinal(c.language))
            w.integer(Int16(truncatingIfNeeded: c.version))
            w.integer(c.opaque)
            w.integer(c.flag)
            if let remark = c.remark {
                w.integer(Int32(remark.utf8.count))
                w.utf8(remark)
            } else {
                w.integer(Int32(0))
            }
            let extLengthAt = w.beginLength()
            fields { key, value in
                guard fits, w.count + 6 + key.utf8.count + value.utf8Bound <= capacity else {
                    fits = false
                    return
                }
                w.integer(Int16(truncatingIfNeeded: key.utf8.count))
                w.utf8(key)
                let lengthAt = w.beginLength()
                switch value {
                case let .text(text): w.utf8(text)
                case let .integer(number): w.decimal(number)
                case let .bool(flag): w.text(flag ? "true" : "false")
                case let .offsetMessageId(id): w.messageId(id)
                }
                w.endLength(at: lengthAt)
            }
            w.endLength(at: extLengthAt)
            return fits ? w.count : 0
        }
        return fits
    }

    /// The command of a JSON header, built once from what the header says (a command filled in and returned from the
    /// parse was copied twice per frame).
    static func decodeJSON(_ header: ByteBuffer, body: ByteBuffer?) throws -> RemotingCommand {
        var code: Int32 = 0, opaque: Int32 = 0, flag: Int32 = 0, version: Int32 = 0
        var language = "", remark: String?
        var fields = RemotingCommand.Fields.decoded([:])
        try header.withUnsafeReadableBytes { bytes in
            var reader = JSONReader(bytes)
            var sawCode = false
            do {
                try reader.expect(UInt8(ascii: "{"))
                if try !reader.consume(UInt8(ascii: "}")) {
                    repeat {
                        // Keys are matched as bytes: no string per key (a JSON header has seven or eight).
                        let key = try reader.parseKeyBytes().map(HeaderKey.init) ?? HeaderKey(try reader.parseKey())
                        switch key {
                        case .code: code = try integer(&reader, "code"); sawCode = true
                        case .opaque: opaque = try integer(&reader, "opaque")
                        case .flag: flag = try integer(&reader, "flag")
                        case .version: version = try integer(&reader, "version")
                        case .language:
                            if let raw = try reader.parseRawString() {
                                language = LanguageCode.name(UnsafeRawBufferPointer(rebasing: bytes[raw]))
                            } else {
                                language = try reader.peek() == UInt8(ascii: "\"")
                                    ? reader.parseString() : reader.parseValue(depth: 1).stringValue ?? ""
                            }
                        case .remark: remark = try reader.parseValue(depth: 1).stringValue
                        case .extFields:
                            // A send's typed header is read in this same pass (the Java and C++ clients write "code"
                            // first); its fields are decoded only if someone asks.
                            // A pull's too, when its values have the clients' shapes (else through the ext fields).
                            let start = reader.pos
                            if sawCode, RemotingCommand.isSend(code: code), try reader.peek() == UInt8(ascii: "{") {
                                let sendHeader = DecodedSendHeader(try SendMessageRequestHeader.read(json: &reader, section: header))
                                fields = .jsonSend(header.getSlice(at: header.readerIndex + start, length: reader.pos - start)!,
                                                   sendHeader)
                            } else if sawCode, code == RequestCode.pullMessage.rawValue, try reader.peek() == UInt8(ascii: "{"),
                                      let pullHeader = PullMessageRequestHeader.read(json: &reader) {
                                fields = .jsonPull(header.getSlice(at: header.readerIndex + start, length: reader.pos - start)!,
                                                   DecodedPullHeader(pullHeader))
                            } else {
                                fields = .decoded(try extFields(&reader))
                            }
                        case .other:
                            if try reader.peek() == UInt8(ascii: "\"") { try reader.skipString() } else { _ = try reader.parseValue(depth: 1) }
                        }
                    } while try reader.consume(UInt8(ascii: ","))
                    try reader.expect(UInt8(ascii: "}"))
                }
            } catch let error as JSONError {
                throw RemotingDecodingError.malformedHeader("\(error)")
            }
            guard sawCode else { throw RemotingDecodingError.malformedHeader("no code") }
        }
        return RemotingCommand(code: code, language: language, version: version, opaque: opaque, flag: flag, remark: remark,
                               fields: fields, body: body, serializeType: .json)
    }

    /// The ext fields of an undecoded JSON `extFields` object, as `decodeJSON` would have built them.
    static func jsonExtFields(_ object: ByteBuffer) -> ExtFields {
        object.withUnsafeReadableBytes { bytes in
            var reader = JSONReader(bytes)
            return (try? extFields(&reader)) ?? [:]
        }
    }

    /// The top-level keys of a JSON header that mean something here.
    private enum HeaderKey {
        case code, opaque, flag, version, language, remark, extFields, other

        init(_ key: UnsafeRawBufferPointer) {
            func isKey(_ name: StaticString) -> Bool { memcmp(key.baseAddress!, name.utf8Start, key.count) == 0 }
            switch key.count {
            case 4: self = isKey("code") ? .code : isKey("flag") ? .flag : .other
            case 6: self = isKey("opaque") ? .opaque : isKey("remark") ? .remark : .other
            case 7: self = isKey("version") ? .version : .other
            case 8: self = isKey("language") ? .language : .other
            case 9: self = isKey("extFields") ? .extFields : .other
            default: self = .other
            }
        }

        init(_ key: String) {
            self = key.withContiguousUTF8 { HeaderKey(UnsafeRawBufferPointer($0)) }
        }
    }

    /// A header integer: plain digits are read in place; anything else goes through the general parser.
    private static func integer(_ reader: inout JSONReader, _ key: String) throws -> Int32 {
        if let value = try reader.parsePlainInteger() { return Int32(truncatingIfNeeded: value) }
        let value = try reader.parseValue(depth: 1)
        if value == .null { return 0 }
        guard let v = value.int64Value else { throw RemotingDecodingError.malformedHeader("\(key) is not a number") }
        return Int32(truncatingIfNeeded: v)
    }

    /// Ext fields with every value normalised to text: numbers as literal text, booleans "true"/"false";
    /// nulls and nested arrays/objects are dropped.
    private static func extFields(_ reader: inout JSONReader) throws -> ExtFields {
        guard try reader.peek() == UInt8(ascii: "{") else {
            _ = try reader.parseValue(depth: 1)
            return [:]
        }
        reader.pos += 1
        var fields = ExtFields(minimumCapacity: 16)
        if try reader.consume(UInt8(ascii: "}")) { return fields }
        repeat {
            let key = try reader.parseKey()
            let next = try reader.peek()
            if next == UInt8(ascii: "\"") {
                fields.append(key, try reader.parseString())
            } else if next == UInt8(ascii: "-") || next &- UInt8(ascii: "0") < 10 {
                fields.append(key, try reader.parseNumber())
            } else if let value = try reader.parseValue(depth: 2).stringValue {
                fields.append(key, value)
            }
        } while try reader.consume(UInt8(ascii: ","))
        try reader.expect(UInt8(ascii: "}"))
        return fields
    }

    /// What a binary header holds besides its ext fields, as plain values: a command built inside the reading closure
    /// and returned from it was copied and destroyed (a retain and a release of each of its references).
    private struct BinaryPrefix {
        var code: Int32
        var language: UInt8
        var version: Int32
        var opaque: Int32
        var flag: Int32
        var remark: Range<Int>
        var extFields: Range<Int>
    }

    /// The command of a binary header of `headerLength` bytes at `frame`'s reader index, followed by `bodyLength` bytes of
    /// body; both are consumed. Built once, with its fields in place, and read where it lies in the frame: a slice of
    /// the header cost a retain and a release of the frame's storage per command.
    static func decodeBinary(_ frame: inout ByteBuffer, headerLength: Int, bodyLength: Int) throws -> RemotingCommand {
        let p = try frame.withUnsafeReadableBytes { frameBytes throws(RemotingDecodingError) in
            let bytes = UnsafeRawBufferPointer(rebasing: frameBytes[..<headerLength])
            // Plain loads after one length check per part (a throwing reader's call per field and per length had cost
            // 30 instructions each: 650 per send header). No sum here can overflow: every position is at most the
            // header's length, every length under 2^31.
            let truncated = RemotingDecodingError.malformedHeader("binary header truncated")
            func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            // code 2, language 1, version 2, opaque 4, flag 4, remark length 4
            guard bytes.count >= 17 else { throw truncated }
            let code = Int32(load(0, Int16.self)), language = load(2, UInt8.self), version = Int32(load(3, Int16.self))
            let opaque = load(5, Int32.self), flag = load(9, Int32.self)
            let remarkLength = Int(load(13, Int32.self))
            let remarkStart = 17
            guard remarkLength >= 0, bytes.count &- remarkStart &- remarkLength >= 4 else { throw truncated }
            let extLength = Int(load(remarkStart &+ remarkLength, Int32.self))
            let extStart = remarkStart &+ remarkLength &+ 4
            guard extLength >= 0, bytes.count &- extStart >= extLength else { throw truncated }
            let extEnd = extStart &+ extLength
            // The section's structure, checked once: every later walk relies on it. A pair that would end past the
            // section is an error at once.
            var p = extStart
            while p < extEnd {
                guard extEnd &- p >= 2 else { throw truncated }
                let keyLength = Int(load(p, Int16.self))
                guard keyLength >= 0, extEnd &- p &- 2 &- keyLength >= 4 else { throw truncated }
                p &+= 2 &+ keyLength
                let valueLength = Int(load(p, Int32.self))
                guard valueLength >= 0, extEnd &- p &- 4 >= valueLength else { throw truncated }
                p &+= 4 &+ valueLength
            }
            return BinaryPrefix(code: code, language: language, version: version, opaque: opaque, flag: flag,
                                remark: remarkStart..<remarkStart + remarkLength, extFields: extStart..<extEnd)
        }
        let start = frame.readerIndex
        // A send's or pull's fields are read in place by its typed header (SendMessageRequestHeader(request:),
        // PullMessageRequestHeader(request:)), a response's only if someone asks (a pipelining producer never does).
        let fields: RemotingCommand.Fields =
            p.flag & RemotingCommand.responseFlag != 0 || RemotingCommand.defersExtFields(code: p.code)
            ? .binary(frame.getSlice(at: start + p.extFields.lowerBound, length: p.extFields.count)!)
            : .decoded(frame.withUnsafeReadableBytes { binaryExtFields(UnsafeRawBufferPointer(rebasing: $0[p.extFields])) })
        let remark = p.remark.isEmpty ? nil : frame.getString(at: start + p.remark.lowerBound, length: p.remark.count)
        frame.moveReaderIndex(forwardBy: headerLength)
        let body = bodyLength > 0 ? frame.readSlice(length: bodyLength) : nil
        return RemotingCommand(code: p.code, language: LanguageCode.name(p.language), version: p.version, opaque: p.opaque,
                               flag: p.flag, remark: remark, fields: fields, body: body, serializeType: .rocketmq)
    }

    /// Walks the ext-field section of a binary header whose structure was checked (`decodeBinary`): each pair's key and
    /// value bytes; a zero-length value (Java's null) is skipped.
    static func forEachBinaryExtField<E: Error>(_ section: UnsafeRawBufferPointer,
                                                _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(E) -> Void)
        throws(E) {
        var p = 0
        while p + 6 <= section.count {
            let keyLength = Int(UInt16(bigEndian: section.loadUnaligned(fromByteOffset: p, as: UInt16.self)))
            let valueAt = p + 2 + keyLength
            guard valueAt + 4 <= section.count else { return }
            let valueLength = Int(UInt32(bigEndian: section.loadUnaligned(fromByteOffset: valueAt, as: UInt32.self)))
            guard valueAt + 4 + valueLength <= section.count else { return }
            if valueLength > 0 {
                try body(UnsafeRawBufferPointer(rebasing: section[(p + 2)..<valueAt]),
                         UnsafeRawBufferPointer(rebasing: section[(valueAt + 4)..<(valueAt + 4 + valueLength)]))
            }
            p = valueAt + 4 + valueLength
        }
    }

    /// The ext fields of an undecoded binary section.
    static func binaryExtFields(_ section: ByteBuffer) -> ExtFields {
        section.withUnsafeReadableBytes(binaryExtFields)
    }

    /// The ext fields of a binary section whose structure was checked; a zero-length value (Java's null) is left out.
    private static func binaryExtFields(_ section: UnsafeRawBufferPointer) -> ExtFields {
        var fields = ExtFields(minimumCapacity: 16)
        forEachBinaryExtField(section) { key, value in
            fields.append(String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        return fields
    }
}

extension RemotingCommand {
    /// The sends: their typed header is read from a JSON header in the frame's own pass.
    static func isSend(code: Int32) -> Bool {
        code == RequestCode.sendMessageV2.rawValue || code == RequestCode.sendMessage.rawValue
            || code == RequestCode.sendBatchMessage.rawValue
    }

    /// Request codes whose binary ext fields the decoder leaves in place for their typed header: the sends and pulls.
    static func defersExtFields(code: Int32) -> Bool { isSend(code: code) || code == RequestCode.pullMessage.rawValue }
}

/// Writes into memory the caller has sized: big-endian integers, UTF-8, JSON text. No bounds checks of its own.
struct RawHeaderWriter {
    private let base: UnsafeMutableRawPointer
    private(set) var count = 0

    init(_ base: UnsafeMutableRawPointer) { self.base = base }

    @inline(__always) mutating func integer<T: FixedWidthInteger>(_ value: T) {
        (base + count).storeBytes(of: value.bigEndian, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inline(__always) mutating func byte(_ value: UInt8) {
        (base + count).storeBytes(of: value, as: UInt8.self)
        count += 1
    }

    mutating func messageId(_ id: OffsetMessageId) {
        id.writeText(to: base + count)
        count += OffsetMessageId.textLength
    }

    mutating func utf8(_ s: String) {
        let base = self.base, start = count
        count += s.withContiguousUTF8 { utf8 in
            if let source = utf8.baseAddress { (base + start).copyMemory(from: source, byteCount: utf8.count) }
            return utf8.count
        }
    }

    mutating func text(_ s: StaticString) {
        (base + count).copyMemory(from: s.utf8Start, byteCount: s.utf8CodeUnitCount)
        count += s.utf8CodeUnitCount
    }

    mutating func escaped(_ s: String) {
        let base = self.base, start = count
        count += s.withContiguousUTF8 { JSONWriter.writeEscaped($0, to: base + start) }
    }

    /// UTF-8 as a quoted, escaped JSON string.
    mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        count += JSONWriter.writeEscaped(utf8, to: base + count)
    }

    mutating func decimal(_ value: Int64) {
        count += JSONWriter.writeDecimal(value, to: base + count)
    }

    /// A number as a JSON string, as Java's header fields carry every value.
    mutating func quotedDecimal(_ value: Int64) {
        byte(UInt8(ascii: "\""))
        decimal(value)
        byte(UInt8(ascii: "\""))
    }

    /// A binary ext-field value in decimal: its length, then its digits.
    mutating func decimalValue(_ value: Int64) {
        let lengthAt = beginLength()
        decimal(value)
        endLength(at: lengthAt)
    }

    /// Room for a 32-bit length of what follows; returns where it is, for `endLength`.
    @inline(__always) mutating func beginLength() -> Int {
        defer { count += 4 }
        return count
    }

    /// Sets the length at `lengthAt` (from `beginLength`) to the bytes written after it.
    @inline(__always) mutating func endLength(at lengthAt: Int) {
        setInteger(Int32(count - lengthAt - 4), at: lengthAt)
    }

    /// Sets a frame's two leading words (written as 8 placeholder bytes first) for the header of `type` that follows
    /// them up to `count` and a body of `bodyLength` bytes.
    mutating func setFrameWords(_ type: SerializeType, bodyLength: Int) {
        let headerLength = count - 8
        setInteger(UInt32(4 + headerLength + bodyLength), at: 0)
        setInteger(UInt32(type.rawValue) << 24 | UInt32(headerLength & 0xFF_FFFF), at: 4)
    }

    mutating func bytes(_ source: UnsafeRawBufferPointer) {
        if let start = source.baseAddress { (base + count).copyMemory(from: start, byteCount: source.count) }
        count += source.count
    }

    /// Overwrites a big-endian integer written earlier (a length known only after what follows it).
    @inline(__always) mutating func setInteger<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        (base + offset).storeBytes(of: value.bigEndian, as: T.self)
    }
}

extension HeaderFieldValue {
    /// At most this many bytes in a binary header.
    var utf8Bound: Int {
        switch self {
        case let .text(text): return text.utf8.count
        case .integer: return 20
        case .bool: return 5
        case .offsetMessageId: return OffsetMessageId.textLength
        }
    }

    /// At most this many bytes as a JSON string.
    var jsonBound: Int {
        switch self {
        case let .text(text): return JSONWriter.escapedBound(text.utf8.count)
        case .integer: return 22
        case .bool: return 7
        case .offsetMessageId: return OffsetMessageId.textLength + 2
        }
    }
}
