// A command-like struct built in a parse and returned (see count-copies.sh).
final class Box { var x = 1 }
struct Buf { var storage: Box; var a: UInt32; var b: UInt32 }
enum Fields { case decoded([String: String]); case bin(Buf); case send(Buf, Box) }
struct Cmd {
    var code: Int32
    var language: String
    var version: Int32
    var opaque: Int32
    var flag: Int32
    var remark: String?
    var fields: Fields
    var body: Buf?
    var st: UInt8
}
@inline(never) func parse(_ b: UnsafeRawBufferPointer, _ f: (UnsafeRawBufferPointer) throws -> Void) rethrows { try f(b) }
@inline(never) func make(_ bytes: UnsafeRawBufferPointer, body: Buf?, box: Box) throws -> Cmd {
    var code: Int32 = 0, opaque: Int32 = 0
    var language = ""
    var fields = Fields.decoded([:])
    try parse(bytes) { b in
        code = Int32(b[0]); opaque = Int32(b[1])
        if b[2] == 1 { fields = .send(Buf(storage: box, a: 1, b: 2), box) }
        if b[3] == 9 { throw CancellationError() }
        language = String(decoding: b[4..<8], as: UTF8.self)
    }
    return Cmd(code: code, language: language, version: 1, opaque: opaque, flag: 0, remark: nil, theFields: fields, body: body)
}
struct CancellationError: Error {}

extension Cmd {
    init(code: Int32, language: String, version: Int32 = 0, opaque: Int32 = 0, flag: Int32 = 0, remark: String? = nil, theFields: Fields, body: Buf? = nil, st: UInt8 = 0) {
        self.init(code: code, language: language, version: version, opaque: opaque, flag: flag, remark: remark, fields: theFields, body: body, st: st)
    }
}
