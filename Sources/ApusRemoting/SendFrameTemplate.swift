// SendFrameTemplate: a SEND_MESSAGE_V2 request's header (binary, or JSON as the Java client writes it) pre-encoded for
// one producer group and topic, so that a send writes only its opaque, queue id, birth time and properties (the Swift
// producer's hot path).

import ApusMessage
import NIOCore

/// The header a `RemotingCommand.request(code: .sendMessageV2, header:)` would write, split at the per-send values:
/// the frame's bytes carry the same fields, without a command, a boxed header or a field walk.
///
/// Binary (ROCKETMQ, spec §1.3; the Swift producer): code, language, version, opaque, flag, remark length (0),
/// ext-field length, then each field as key length, key, value length, value. `fixed` holds the bytes between the
/// per-send values: the opaque, and the values of `e` queueId, `g` bornTimestamp and `i` properties.
///
/// JSON (spec §1.2), laid out as the Java client's fastjson writes it, keys in alphabetical order and every ext-field
/// value a string: `{"code":310,"extFields":{"a":…,"e":"<queueId>",…,"g":"<bornTimestamp>",…,"i":"<properties>",…},
/// "flag":0,"language":"JAVA","opaque":<opaque>,"serializeTypeCurrentRPC":"JSON","version":401}`. `apus bench
/// --serialize json` sends these, so a sitting measures the broker on the header the Java and C++ clients send.
public final class SendFrameTemplate: Sendable {
    /// The header this template writes; its queue id, birth time and properties are each send's.
    public let prototype: SendMessageRequestHeader
    public let serializeType: SerializeType
    /// The header's bytes with each per-send value left out (binary: also the ext-field length).
    private let fixed: [UInt8]
    /// Where in `fixed` each per-send value goes, in the order they are written.
    private let cuts: Cuts

    private enum Cuts {
        case binary(opaque: Int, extFields: Int, queueId: Int, bornTimestamp: Int, properties: Int)
        case json(queueId: Int, bornTimestamp: Int, properties: Int, opaque: Int)
    }

    /// A template for the fields `prototype.forEachField(naming: .v2)` visits.
    public init(_ prototype: SendMessageRequestHeader, serializeType: SerializeType = .rocketmq) {
        self.prototype = prototype
        self.serializeType = serializeType
        var bytes: [UInt8] = []
        var cut: [String: Int] = [:]
        let perSend: Set<String> = ["e", "g", "i"]
        switch serializeType {
        case .rocketmq:
            let layout = BinaryHeaderLayout(code: .sendMessageV2, perRequest: perSend) { prototype.forEachField(naming: .v2, $0) }
            bytes = layout.bytes
            cuts = .binary(opaque: layout.opaqueAt, extFields: layout.extFieldsAt, queueId: layout.valueAt["e"]!,
                           bornTimestamp: layout.valueAt["g"]!, properties: layout.valueAt["i"]!)
        case .json:
            func quoted(_ text: String) {
                var room = [UInt8](repeating: 0, count: JSONWriter.escapedBound(text.utf8.count))
                let length = room.withUnsafeMutableBytes { out in
                    Array(text.utf8).withUnsafeBufferPointer { JSONWriter.writeEscaped($0, to: out.baseAddress!) }
                }
                bytes.append(contentsOf: room[..<length])
            }
            bytes.append(contentsOf: "{\"code\":\(RequestCode.sendMessageV2.rawValue),\"extFields\":{".utf8)
            var first = true
            prototype.forEachField(naming: .v2) { key, value in
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                quoted(key)
                bytes.append(UInt8(ascii: ":"))
                if perSend.contains(key) { cut[key] = bytes.count } else { quoted(value.text) }
            }
            bytes.append(contentsOf: "},\"flag\":0,\"language\":\"\(RemotingCommand.defaultLanguage)\",\"opaque\":".utf8)
            let opaque = bytes.count
            bytes.append(contentsOf: ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":\(RemotingCommand.defaultVersion)}".utf8)
            cuts = .json(queueId: cut["e"]!, bornTimestamp: cut["g"]!, properties: cut["i"]!, opaque: opaque)
        }
        fixed = bytes
    }

    public var topic: String { prototype.topic }

    /// The same request as an ordinary command (for writes that cannot take the direct path).
    public func command(queueId: Int32, bornTimestamp: Int64, properties: String, body: ByteBuffer?) -> RemotingCommand {
        var header = prototype
        header.queueId = queueId
        header.bornTimestamp = bornTimestamp
        header.properties = properties
        var command = RemotingCommand.request(code: .sendMessageV2, header: header, body: body)
        command.serializeType = serializeType
        return command
    }

    /// Writes the frame's 8-byte prefix and header; the length word counts a body of `bodyLength` bytes, which the
    /// caller writes next.
    public func writeHeader(opaque: Int32, queueId: Int32, bornTimestamp: Int64, properties: String, bodyLength: Int,
                            to out: inout ByteBuffer) {
        properties.withContiguousUTF8 { props in
            writeHeader(opaque: opaque, queueId: queueId, bornTimestamp: bornTimestamp, properties: UnsafeRawBufferPointer(props),
                        bodyLength: bodyLength, to: &out)
        }
    }

    /// `writeHeader` with the properties' UTF-8 bytes (the Swift producer builds them on the stack, not as a string).
    public func writeHeader(opaque: Int32, queueId: Int32, bornTimestamp: Int64, properties: UnsafeRawBufferPointer,
                            bodyLength: Int, to out: inout ByteBuffer) {
        let props = properties.assumingMemoryBound(to: UInt8.self)
        fixed.withUnsafeBytes { fixed in
            let bound = 8 + fixed.count + 4 + 4 + 11 + 2 * (4 + 22) + 4 + JSONWriter.escapedBound(props.count)
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { buffer in
                var w = RawHeaderWriter(buffer.baseAddress!)
                w.integer(UInt64(0))
                func copy(_ range: Range<Int>) { w.bytes(UnsafeRawBufferPointer(rebasing: fixed[range])) }
                switch cuts {
                case let .binary(opaqueAt, extFieldsAt, queueIdAt, bornTimestampAt, propertiesAt):
                    copy(0..<opaqueAt)
                    w.integer(opaque)
                    copy(opaqueAt..<extFieldsAt)
                    let extLengthAt = w.beginLength()
                    copy(extFieldsAt..<queueIdAt)
                    w.decimalValue(Int64(queueId))
                    copy(queueIdAt..<bornTimestampAt)
                    w.decimalValue(bornTimestamp)
                    copy(bornTimestampAt..<propertiesAt)
                    w.integer(Int32(props.count))
                    w.bytes(UnsafeRawBufferPointer(props))
                    copy(propertiesAt..<fixed.count)
                    w.endLength(at: extLengthAt)
                case let .json(queueIdAt, bornTimestampAt, propertiesAt, opaqueAt):
                    copy(0..<queueIdAt)
                    w.quotedDecimal(Int64(queueId))
                    copy(queueIdAt..<bornTimestampAt)
                    w.quotedDecimal(bornTimestamp)
                    copy(bornTimestampAt..<propertiesAt)
                    w.escaped(props)
                    copy(propertiesAt..<opaqueAt)
                    w.decimal(Int64(opaque))
                    copy(opaqueAt..<fixed.count)
                }
                w.setFrameWords(serializeType, bodyLength: bodyLength)
                return w.count
            }
        }
    }
}
