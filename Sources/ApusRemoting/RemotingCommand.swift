// RemotingCommand: one request or response frame of the remoting protocol. Its ext fields are read and written
// through typed headers (Headers/*.swift), never by key at the call site.

import NIOCore

public struct RemotingCommand: Sendable, Equatable {
    /// `version` we announce: V4_9_4 (401), the first version Java name servers answer with standard JSON.
    public static let defaultVersion: Int32 = 401
    /// `language` of the commands we make.
    public static let defaultLanguage = "JAVA"

    public var code: Int32
    public var language: String
    public var version: Int32
    public var opaque: Int32
    public var flag: Int32
    public var remark: String?
    /// Ext-field values as text; JSON numbers and booleans were converted at decode time, nulls dropped.
    /// Send requests and binary responses keep their ext fields as they arrived, and an outgoing typed header is kept
    /// typed (`fields`): this property decodes or renders them only if someone asks.
    public var extFields: ExtFields {
        get {
            switch fields {
            case let .decoded(fields): return fields
            case let .binary(section): return HeaderCodec.binaryExtFields(section)
            case let .jsonSend(object, _): return HeaderCodec.jsonExtFields(object)
            case let .jsonPull(object, _): return HeaderCodec.jsonExtFields(object)
            case let .typed(header): return header.extFields()
            }
        }
        set { fields = .decoded(newValue) }
    }

    /// Where a command's ext fields are. One enum, so that a copy of the command retains one reference for them.
    @usableFromInline
    enum Fields: Sendable {
        case decoded(ExtFields)
        /// The ext-field section of a binary header as it arrived, its structure checked by the decoder: a send or pull request's
        /// (read in place by its typed header) or a response's (read only if someone asks).
        case binary(ByteBuffer)
        /// The `extFields` object of a JSON send request as it arrived, and its typed header (or the error reading it),
        /// read in the same pass as the frame's header.
        case jsonSend(ByteBuffer, DecodedSendHeader)
        /// The same for a JSON pull request whose fields are in the shapes the Java and C++ clients send
        /// (`PullMessageRequestHeader.read(json:)`).
        case jsonPull(ByteBuffer, DecodedPullHeader)
        /// An outgoing typed header, written straight into the frame without ext-field strings.
        case typed(any TypedHeaderBox)
    }
    @usableFromInline
    var fields: Fields
    /// Bytes after the header; on decode a slice of the incoming frame.
    public var body: ByteBuffer?
    public var serializeType: SerializeType

    // The initializers are in an extension, so that Swift synthesizes the memberwise one (code, language, version,
    // opaque, flag, remark, fields, body, serializeType): the decoders use it. A command built by an explicit
    // all-field initializer and returned was copied once more (a retain and a release of each reference).

    public static func == (lhs: RemotingCommand, rhs: RemotingCommand) -> Bool {
        lhs.code == rhs.code && lhs.language == rhs.language && lhs.version == rhs.version && lhs.opaque == rhs.opaque
            && lhs.flag == rhs.flag && lhs.remark == rhs.remark && lhs.extFields == rhs.extFields && lhs.body == rhs.body
            && lhs.serializeType == rhs.serializeType
    }

    static let responseFlag: Int32 = 1
    static let onewayFlag: Int32 = 2

    /// Flag bit 0.
    public var isResponse: Bool { flag & RemotingCommand.responseFlag != 0 }
    /// Flag bit 1. The remoting layer never writes a response to a request carrying it (RemotingFrameWriter). The C++
    /// client never sets it on the wire, so processors still answer its "one-way" requests (harmless).
    public var isOneway: Bool { flag & RemotingCommand.onewayFlag != 0 }

    public var requestCode: RequestCode? { RequestCode(rawValue: code) }
    public var responseCode: ResponseCode? { ResponseCode(rawValue: code) }

    public static func request(code: RequestCode, extFields: ExtFields = [:], body: ByteBuffer? = nil) -> RemotingCommand {
        RemotingCommand(code: code.rawValue, extFields: extFields, body: body)
    }

    /// A response carrying the request's opaque and serialize type, flag = RESPONSE.
    /// A client's answer to a relayed request, passed back unchanged (code, remark, ext fields, body) as the response
    /// to `request` (admin.md §7.1).
    public static func relayedResponse(to request: RemotingCommand, answer: RemotingCommand) -> RemotingCommand {
        RemotingCommand(code: answer.code, opaque: request.opaque, flag: responseFlag, remark: answer.remark,
                        extFields: answer.extFields, body: answer.body)
    }

    public static func response(to request: RemotingCommand, code: ResponseCode, remark: String? = nil,
                                extFields: ExtFields = [:], body: ByteBuffer? = nil) -> RemotingCommand {
        response(to: request.responseAddress, code: code, remark: remark, extFields: extFields, body: body)
    }

    /// What a response needs of its request; a processor that answers later keeps this instead of the whole request
    /// (whose ext fields and body it no longer needs).
    public struct ResponseAddress: Sendable {
        public var opaque: Int32
        public var serializeType: SerializeType
    }

    public var responseAddress: ResponseAddress { ResponseAddress(opaque: opaque, serializeType: serializeType) }

    public static func response(to address: ResponseAddress, code: ResponseCode, remark: String? = nil,
                                extFields: ExtFields = [:], body: ByteBuffer? = nil) -> RemotingCommand {
        RemotingCommand(code: code.rawValue, opaque: address.opaque, flag: responseFlag, remark: remark,
                        extFields: extFields, body: body, serializeType: address.serializeType)
    }
}

extension RemotingCommand {
    public init(code: Int32, language: String = RemotingCommand.defaultLanguage, version: Int32 = RemotingCommand.defaultVersion,
                opaque: Int32 = 0, flag: Int32 = 0, remark: String? = nil, extFields: ExtFields = [:],
                body: ByteBuffer? = nil, serializeType: SerializeType = .json) {
        self.init(code: code, language: language, version: version, opaque: opaque, flag: flag, remark: remark,
                  fields: .decoded(extFields), body: body, serializeType: serializeType)
    }
}

extension RemotingCommand: CustomStringConvertible {
    public var description: String {
        let kind = isResponse ? "response" : "request"
        return "\(kind)(code: \(code), opaque: \(opaque), flag: \(flag), ext: \(extFields), body: \(body?.readableBytes ?? 0)B)"
    }
}

/// A request's typed header read with its frame (or the error reading it), boxed so that a command stays small to copy.
/// One class per header, not a generic one: a generic class's deinit destroys its value through the runtime's
/// generic witnesses, about 350 instructions more per send.
@usableFromInline
final class DecodedSendHeader: Sendable {
    let result: Result<SendMessageRequestHeader, HeaderError>

    init(_ result: Result<SendMessageRequestHeader, HeaderError>) { self.result = result }
}

@usableFromInline
final class DecodedPullHeader: Sendable {
    let result: Result<PullMessageRequestHeader, HeaderError>

    init(_ result: Result<PullMessageRequestHeader, HeaderError>) { self.result = result }
}

/// An outgoing typed header in a command (`RemotingCommand.Fields.typed`), boxed so that a command stays small to copy.
@usableFromInline
protocol TypedHeaderBox: AnyObject, Sendable {
    func forEachField(_ visit: (String, HeaderFieldValue) -> Void)
    func extFields() -> ExtFields
}

@usableFromInline
final class TypedHeader<Header: DirectHeader>: TypedHeaderBox {
    let header: Header

    @usableFromInline
    init(_ header: Header) { self.header = header }

    @usableFromInline
    func forEachField(_ visit: (String, HeaderFieldValue) -> Void) { header.forEachField(visit) }
    @usableFromInline
    func extFields() -> ExtFields { header.extFields() }
}
