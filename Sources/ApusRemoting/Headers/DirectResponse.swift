// DirectResponse: the frame of a response whose typed header writes its own fields (`DirectHeader.writeResponse`) —
// the broker's most frequent frames (send and pull answers) — laid out byte for byte as HeaderCodec's general writer
// lays out `RemotingCommand.response(to:code:remark:header:body:)`: language JAVA, the default version, the response
// flag, the remark if any; JSON or binary (RemotingCodec.swift documents both layouts).

import ApusMessage
import NIOCore

enum DirectResponse {
    /// Writes a response frame: its length words (counting `bodyLength` body bytes, which the caller writes next) and
    /// its header, whose ext fields `fields` writes in serialization `type` with the `RawHeaderWriter` field methods;
    /// `fieldsBound` bounds what it writes (`keyBound` and the value bounds, summed).
    @inline(__always)
    static func write(code: Int32, opaque: Int32, remark: String?, bodyLength: Int, type: SerializeType, fieldsBound: Int,
                      to out: inout ByteBuffer, fields: (inout RawHeaderWriter) -> Void) {
        // Frame words 8; JSON: the fixed text 105, the numbers at most 33, the remark's key 10 (binary: 21 in all).
        let bound = 8 + 190 + (remark.map { JSONWriter.escapedBound($0.utf8.count) + 4 } ?? 0) + fieldsBound
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { buffer in
            var w = RawHeaderWriter(buffer.baseAddress!)
            w.integer(UInt64(0))  // the frame's length words, set last
            switch type {
            case .json:
                w.text("{\"code\":")
                w.decimal(Int64(code))
                w.text(",\"language\":\"JAVA\",\"version\":")  // RemotingCommand.defaultLanguage
                w.decimal(Int64(RemotingCommand.defaultVersion))
                w.text(",\"opaque\":")
                w.decimal(Int64(opaque))
                w.text(",\"flag\":1")  // RemotingCommand.responseFlag
                if let remark {
                    w.text(",\"remark\":")
                    w.escaped(remark)
                }
                w.text(",\"extFields\":{")
                fields(&w)
                w.text("},\"serializeTypeCurrentRPC\":\"JSON\"}")
            case .rocketmq:
                w.integer(Int16(truncatingIfNeeded: code))
                w.byte(LanguageCode.java)
                w.integer(Int16(truncatingIfNeeded: RemotingCommand.defaultVersion))
                w.integer(opaque)
                w.integer(RemotingCommand.responseFlag)
                if let remark {
                    let lengthAt = w.beginLength()
                    w.utf8(remark)
                    w.endLength(at: lengthAt)
                } else {
                    w.integer(Int32(0))
                }
                let extLengthAt = w.beginLength()
                fields(&w)
                w.endLength(at: extLengthAt)
            }
            w.setFrameWords(type, bodyLength: bodyLength)
            return w.count
        }
    }

    /// At most this many bytes for a key in either type: JSON's comma, quotes and colon; binary's two lengths.
    static func keyBound(_ key: StaticString) -> Int { key.utf8CodeUnitCount + 6 }
    /// At most this many bytes for an integer value in either type.
    static let integerBound = 22
    /// At most this many bytes for a text value in either type.
    static func textBound(_ text: String) -> Int { JSONWriter.escapedBound(text.utf8.count) + 4 }
}

extension RawHeaderWriter {
    /// An ext field's key in `type`: `"key":` in JSON (after a comma unless it is the first), its length and bytes in
    /// binary (the binary value's length follows with the value).
    @inline(__always)
    mutating func key(_ key: StaticString, _ type: SerializeType, first: Bool = false) {
        switch type {
        case .json:
            if !first { byte(UInt8(ascii: ",")) }
            byte(UInt8(ascii: "\""))
            text(key)
            text("\":")
        case .rocketmq:
            integer(Int16(key.utf8CodeUnitCount))
            text(key)
        }
    }

    /// A number as every ext-field value is: a JSON string, or binary's length and digits.
    @inline(__always)
    mutating func integerValue(_ value: Int64, _ type: SerializeType) {
        switch type {
        case .json: quotedDecimal(value)
        case .rocketmq: decimalValue(value)
        }
    }

    @inline(__always)
    mutating func textValue(_ value: String, _ type: SerializeType) {
        switch type {
        case .json: escaped(value)
        case .rocketmq:
            integer(Int32(value.utf8.count))
            utf8(value)
        }
    }

    @inline(__always)
    mutating func messageIdValue(_ id: OffsetMessageId, _ type: SerializeType) {
        switch type {
        case .json:
            byte(UInt8(ascii: "\""))
            messageId(id)
            byte(UInt8(ascii: "\""))
        case .rocketmq:
            integer(Int32(OffsetMessageId.textLength))
            messageId(id)
        }
    }
}
