// SendFrameTemplate: a SEND_MESSAGE_V2 request's binary header pre-encoded for one producer group and topic, so that
// a send writes only its opaque, queue id, birth time and properties (the Swift producer's hot path).

import NIOCore

/// The header a `RemotingCommand.request(code: .sendMessageV2, header:)` with serialize type ROCKETMQ would write,
/// split at the per-send values: the frame's bytes are identical, without a command, a boxed header or a field walk.
///
/// The binary header (spec §1.3): code, language, version, opaque, flag, remark length (0), ext-field length, then
/// each field as key length, key, value length, value. The template keeps the bytes between the per-send values
/// (`opaque`, and the values of `e` queueId, `g` bornTimestamp and `i` properties) in `fixed`, cut at `cuts`.
public final class SendFrameTemplate: Sendable {
    /// The header this template writes; its queue id, birth time and properties are each send's.
    public let prototype: SendMessageRequestHeader
    /// Code, language and version; flag and an empty remark; then the ext fields, with each per-send value left out.
    private let fixed: [UInt8]
    /// Where in `fixed` the opaque, the flag-to-ext-length part, and the three per-send values go.
    private let cuts: (opaque: Int, extFields: Int, queueId: Int, bornTimestamp: Int, properties: Int)

    /// A template for the fields `prototype.forEachField(naming: .v2)` visits.
    public init(_ prototype: SendMessageRequestHeader) {
        self.prototype = prototype
        var bytes: [UInt8] = []
        func integer<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        integer(Int16(truncatingIfNeeded: RequestCode.sendMessageV2.rawValue))
        integer(LanguageCode.ordinal(RemotingCommand.defaultLanguage))
        integer(Int16(truncatingIfNeeded: RemotingCommand.defaultVersion))
        let opaque = bytes.count
        integer(Int32(0))  // flag
        integer(Int32(0))  // remark length
        let extFields = bytes.count
        var cut: [String: Int] = [:]
        prototype.forEachField(naming: .v2) { key, value in
            integer(Int16(truncatingIfNeeded: key.utf8.count))
            bytes.append(contentsOf: key.utf8)
            if key == "e" || key == "g" || key == "i" {
                cut[key] = bytes.count
                return
            }
            let text = Array(value.text.utf8)
            integer(Int32(text.count))
            bytes.append(contentsOf: text)
        }
        fixed = bytes
        cuts = (opaque, extFields, cut["e"]!, cut["g"]!, cut["i"]!)
    }

    public var topic: String { prototype.topic }

    /// The same request as an ordinary command (for writes that cannot take the direct path).
    public func command(queueId: Int32, bornTimestamp: Int64, properties: String, body: ByteBuffer?) -> RemotingCommand {
        var header = prototype
        header.queueId = queueId
        header.bornTimestamp = bornTimestamp
        header.properties = properties
        var command = RemotingCommand.request(code: .sendMessageV2, header: header, body: body)
        command.serializeType = .rocketmq
        return command
    }

    /// Writes the frame's 8-byte prefix and header; the length word counts a body of `bodyLength` bytes, which the
    /// caller writes next.
    func writeHeader(opaque: Int32, queueId: Int32, bornTimestamp: Int64, properties: String, bodyLength: Int,
                     to out: inout ByteBuffer) {
        var properties = properties
        properties.withUTF8 { props in
            fixed.withUnsafeBytes { fixed in
                let bound = 8 + fixed.count + 4 + 4 + 11 + 4 + 20 + 4 + props.count
                out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { buffer in
                    var w = RawHeaderWriter(buffer.baseAddress!)
                    w.integer(UInt64(0))
                    func copy(_ range: Range<Int>) { w.bytes(UnsafeRawBufferPointer(rebasing: fixed[range])) }
                    copy(0..<cuts.opaque)
                    w.integer(opaque)
                    copy(cuts.opaque..<cuts.extFields)
                    let extLengthAt = w.beginLength()
                    copy(cuts.extFields..<cuts.queueId)
                    w.decimalValue(Int64(queueId))
                    copy(cuts.queueId..<cuts.bornTimestamp)
                    w.decimalValue(bornTimestamp)
                    copy(cuts.bornTimestamp..<cuts.properties)
                    w.integer(Int32(props.count))
                    w.bytes(UnsafeRawBufferPointer(props))
                    copy(cuts.properties..<fixed.count)
                    w.endLength(at: extLengthAt)
                    w.setBinaryFrameWords(bodyLength: bodyLength)
                    return w.count
                }
            }
        }
    }
}
