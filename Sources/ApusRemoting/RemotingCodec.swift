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

import NIOCore

public enum RemotingDecodingError: Error, Sendable, Equatable {
    case frameTooLarge(Int)
    case frameTooSmall(Int)
    case headerLengthInvalid(Int)
    case unsupportedSerializeType(UInt8)
    case malformedHeader(String)
}

/// Frame decoder (§1.2). The connection handlers drive it with NIO's `NIOSingleStepByteToMessageProcessor` inside
/// their own `channelRead` (no pipeline hop or boxing per frame); a body is a slice of the received bytes.
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
        var header = buffer.readSlice(length: headerLength)!
        var command = type == .json ? try HeaderCodec.decodeJSON(header) : try HeaderCodec.decodeBinary(&header)
        let bodyLength = length - 4 - headerLength
        command.body = bodyLength > 0 ? buffer.readSlice(length: bodyLength) : nil
        command.serializeType = type
        return command
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RemotingCommand? {
        try decode(buffer: &buffer)
    }
}

public struct RemotingCommandEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RemotingCommand

    public init() {}

    public func encode(data: RemotingCommand, out: inout ByteBuffer) throws {
        let start = out.writerIndex
        HeaderCodec.writeHeader(data, to: &out)
        if let body = data.body { out.writeImmutableBuffer(body) }
        out.setInteger(UInt32(out.writerIndex - start - 4), at: start)
    }
}

/// Header encoding and decoding shared by the public codec and the connection pipeline.
enum HeaderCodec {
    /// Writes the 8-byte prefix and the header; the length word at offset 0 counts no body yet.
    static func writeHeader(_ command: RemotingCommand, to out: inout ByteBuffer) {
        let start = out.writerIndex
        out.writeInteger(UInt64(0))
        switch command.serializeType {
        case .json: writeJSON(command, to: &out)
        case .rocketmq: writeBinary(command, to: &out)
        }
        let headerLength = out.writerIndex - start - 8
        out.setInteger(UInt32(4 + headerLength), at: start)
        out.setInteger(UInt32(command.serializeType.rawValue) << 24 | UInt32(headerLength & 0xFF_FFFF), at: start + 4)
    }

    private static func writeJSON(_ c: RemotingCommand, to out: inout ByteBuffer) {
        out.writeStaticString("{\"code\":")
        JSONWriter.writeInteger(Int64(c.code), to: &out)
        out.writeStaticString(",\"language\":")
        JSONWriter.writeEscaped(c.language, to: &out)
        out.writeStaticString(",\"version\":")
        JSONWriter.writeInteger(Int64(c.version), to: &out)
        out.writeStaticString(",\"opaque\":")
        JSONWriter.writeInteger(Int64(c.opaque), to: &out)
        out.writeStaticString(",\"flag\":")
        JSONWriter.writeInteger(Int64(c.flag), to: &out)
        if let remark = c.remark {
            out.writeStaticString(",\"remark\":")
            JSONWriter.writeEscaped(remark, to: &out)
        }
        out.writeStaticString(",\"extFields\":{")
        var first = true
        for (key, value) in c.extFields {
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            JSONWriter.writeEscaped(key, to: &out)
            out.writeInteger(UInt8(ascii: ":"))
            JSONWriter.writeEscaped(value, to: &out)
        }
        out.writeStaticString("},\"serializeTypeCurrentRPC\":\"JSON\"}")
    }

    private static func writeBinary(_ c: RemotingCommand, to out: inout ByteBuffer) {
        out.writeInteger(Int16(truncatingIfNeeded: c.code))
        out.writeInteger(LanguageCode.ordinal(c.language))
        out.writeInteger(Int16(truncatingIfNeeded: c.version))
        out.writeInteger(c.opaque)
        out.writeInteger(c.flag)
        if let remark = c.remark {
            out.writeInteger(Int32(remark.utf8.count))
            out.writeString(remark)
        } else {
            out.writeInteger(Int32(0))
        }
        let extStart = out.writerIndex
        out.writeInteger(Int32(0))
        for (key, value) in c.extFields {
            out.writeInteger(Int16(truncatingIfNeeded: key.utf8.count))
            out.writeString(key)
            out.writeInteger(Int32(value.utf8.count))
            out.writeString(value)
        }
        out.setInteger(Int32(out.writerIndex - extStart - 4), at: extStart)
    }

    static func decodeJSON(_ header: ByteBuffer) throws -> RemotingCommand {
        try header.withUnsafeReadableBytes { bytes in
            var reader = JSONReader(bytes)
            var command = RemotingCommand(code: 0, language: "", version: 0)
            var sawCode = false
            do {
                try reader.expect(UInt8(ascii: "{"))
                if try !reader.consume(UInt8(ascii: "}")) {
                    repeat {
                        let key = try reader.parseKey()
                        switch key {
                        case "code": command.code = try integer(&reader, key); sawCode = true
                        case "opaque": command.opaque = try integer(&reader, key)
                        case "flag": command.flag = try integer(&reader, key)
                        case "version": command.version = try integer(&reader, key)
                        case "language":
                            command.language = try reader.peek() == UInt8(ascii: "\"")
                                ? reader.parseString() : reader.parseValue(depth: 1).stringValue ?? ""
                        case "remark": command.remark = try reader.parseValue(depth: 1).stringValue
                        case "extFields": command.extFields = try extFields(&reader)
                        default: _ = try reader.parseValue(depth: 1)
                        }
                    } while try reader.consume(UInt8(ascii: ","))
                    try reader.expect(UInt8(ascii: "}"))
                }
            } catch let error as JSONError {
                throw RemotingDecodingError.malformedHeader("\(error)")
            }
            guard sawCode else { throw RemotingDecodingError.malformedHeader("no code") }
            return command
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
            } else if next == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) {
                fields.append(key, try reader.parseNumber())
            } else if let value = try reader.parseValue(depth: 2).stringValue {
                fields.append(key, value)
            }
        } while try reader.consume(UInt8(ascii: ","))
        try reader.expect(UInt8(ascii: "}"))
        return fields
    }

    static func decodeBinary(_ header: inout ByteBuffer) throws -> RemotingCommand {
        let truncated = RemotingDecodingError.malformedHeader("binary header truncated")
        guard let code = header.readInteger(as: Int16.self), let language = header.readInteger(as: UInt8.self),
              let version = header.readInteger(as: Int16.self), let opaque = header.readInteger(as: Int32.self),
              let flag = header.readInteger(as: Int32.self), let remarkLength = header.readInteger(as: Int32.self),
              remarkLength >= 0
        else { throw truncated }
        var remark: String?
        if remarkLength > 0 {
            guard let text = header.readString(length: Int(remarkLength)) else { throw truncated }
            remark = text
        }
        guard let extLength = header.readInteger(as: Int32.self), extLength >= 0,
              var ext = header.readSlice(length: Int(extLength))
        else { throw truncated }
        var fields = ExtFields()
        while ext.readableBytes > 0 {
            guard let keyLength = ext.readInteger(as: Int16.self), keyLength >= 0,
                  let key = ext.readString(length: Int(keyLength)),
                  let valueLength = ext.readInteger(as: Int32.self), valueLength >= 0,
                  let value = ext.readString(length: Int(valueLength))
            else { throw truncated }
            if valueLength > 0 { fields.append(key, value) }  // a zero length is Java's null
        }
        return RemotingCommand(code: Int32(code), language: LanguageCode.name(language), version: Int32(version),
                               opaque: opaque, flag: flag, remark: remark, extFields: fields, serializeType: .rocketmq)
    }
}
