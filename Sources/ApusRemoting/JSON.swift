// A small, tolerant JSON model, parser and writer for remoting headers and bodies (no Foundation).
// Tolerance matches the peers (jsoncpp, fastjson): trailing bytes ignored, unquoted integer object keys accepted.

import ApusMessage
import NIOCore

public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, so 64-bit integers stay exact.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Keys in document order.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public static func number(_ value: Int64) -> JSONValue { .number(String(value)) }

    /// The first member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Strings as is; numbers as their literal text; booleans as "true"/"false".
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// Integers, reals (truncated), numeric strings, booleans (0/1).
    public var int64Value: Int64? {
        switch self {
        case .number(let n): return JSONValue.integer(n)
        case .string(let s): return JSONValue.integer(s.trimmingSpaces)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    public var int32Value: Int32? { int64Value.flatMap { Int32(exactly: $0) } }

    /// Booleans; numbers (non-zero = true); strings "true"/"1" and "false"/"0", any case.
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .number(let n): return (Double(n) ?? 0) != 0
        case .string(let s): return JSONValue.bool(s)
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    static func integer(_ text: some StringProtocol) -> Int64? {
        if let v = Int64(text) { return v }
        guard let d = Double(text), d.isFinite, abs(d) < 9.0e18 else { return nil }
        return Int64(d)
    }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: return nil
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}

public enum JSONError: Error, Sendable, Equatable {
    case unexpectedEnd
    case unexpectedByte(UInt8, at: Int)
    case tooDeep
    case invalidEscape(at: Int)
    /// A body's JSON had the wrong shape (e.g. not an object).
    case unexpectedType(String)
}

public enum JSONParser {
    public static let maxDepth = 64

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var reader = JSONReader(bytes)
        return try reader.parseValue(depth: 0)
    }

    public static func parse(_ s: String) throws -> JSONValue {
        return try s.withContiguousUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    public static func parse(_ buffer: ByteBuffer) throws -> JSONValue {
        try buffer.withUnsafeReadableBytes { try parse($0) }
    }
}

/// Cursor over UTF-8 bytes; also used directly by the header decoder to avoid building a tree.
struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    var pos = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): pos += 1
            default: return
            }
        }
    }

    /// Next non-space byte, not consumed. Inlined for the usual case, compact JSON: no space to skip.
    @inline(__always)
    mutating func peek() throws -> UInt8 {
        if pos < bytes.count {
            let next = bytes[pos]
            if next > 0x20 { return next }
        }
        return try peekAfterSpace()
    }

    private mutating func peekAfterSpace() throws -> UInt8 {
        skipWhitespace()
        guard pos < bytes.count else { throw JSONError.unexpectedEnd }
        return bytes[pos]
    }

    mutating func expect(_ byte: UInt8) throws {
        let b = try peek()
        guard b == byte else { throw JSONError.unexpectedByte(b, at: pos) }
        pos += 1
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) throws -> Bool {
        if try peek() == byte { pos += 1; return true }
        return false
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw JSONError.tooDeep }
        let b = try peek()
        switch b {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"):
            pos += 1
            var members: [(String, JSONValue)] = []
            if try consume(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                let key = try parseKey()
                members.append((key, try parseValue(depth: depth + 1)))
            } while try consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
            return .object(members)
        case UInt8(ascii: "["):
            pos += 1
            var elements: [JSONValue] = []
            if try consume(UInt8(ascii: "]")) { return .array(elements) }
            repeat {
                elements.append(try parseValue(depth: depth + 1))
            } while try consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
            return .array(elements)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw JSONError.unexpectedByte(b, at: pos)
        }
    }

    /// An object key and the colon after it: a quoted string, or (fastjson) a bare integer.
    mutating func parseKey() throws -> String {
        let key = try peek() == UInt8(ascii: "\"") ? try parseString() : try parseNumber()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// A quoted key without escapes, and the colon after it, as the bytes between the quotes; nil (nothing consumed)
    /// for any other key, which `parseKey` then reads.
    mutating func parseKeyBytes() throws -> UnsafeRawBufferPointer? {
        guard let key = try parseRawString() else { return nil }
        try expect(UInt8(ascii: ":"))
        return UnsafeRawBufferPointer(rebasing: bytes[key])
    }

    /// A string without escapes, as the range of its bytes between the quotes; nil (nothing consumed) for any other
    /// value.
    mutating func parseRawString() throws -> Range<Int>? {
        guard try peek() == UInt8(ascii: "\"") else { return nil }
        let start = pos + 1
        let end = stringRunEnd(from: start)
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        pos = end + 1
        return start..<end
    }

    /// Consumes a string as `parseString` would, without building it when it has no escapes.
    mutating func skipString() throws {
        let end = stringRunEnd(from: pos + 1)
        guard end < bytes.count else { throw JSONError.unexpectedEnd }
        if bytes[end] == UInt8(ascii: "\\") {
            _ = try parseString()
        } else {
            pos = end + 1
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard pos + n <= bytes.count else { throw JSONError.unexpectedEnd }
        for i in 0..<n where bytes[pos + i] != word.utf8Start[i] {
            throw JSONError.unexpectedByte(bytes[pos + i], at: pos + i)
        }
        pos += n
    }

    /// An optionally negative run of at most 18 digits followed by a delimiter, as an integer; nil (nothing consumed)
    /// for anything else (fractions, exponents, strings…), which the caller then parses in full.
    mutating func parsePlainInteger() throws -> Int64? {
        skipWhitespace()
        var i = pos
        let negative = i < bytes.count && bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int64(bytes[i] - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        guard digits > 0, i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), UInt8(ascii: "\n"),
             UInt8(ascii: "\r"), UInt8(ascii: "\t"):
            pos = i
            return negative ? -value : value
        default:
            return nil
        }
    }

    mutating func parseNumber() throws -> String {
        let start = pos
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        var digits = 0
        while pos < bytes.count {
            switch bytes[pos] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"): break
            default:
                guard digits > 0 else { throw JSONError.unexpectedByte(bytes[pos], at: pos) }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
            }
            pos += 1
        }
        guard digits > 0 else { throw JSONError.unexpectedEnd }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    }

    mutating func parseString() throws -> String {
        pos += 1  // opening quote
        let start = pos
        pos = stringRunEnd(from: pos)
        guard pos < bytes.count else { throw JSONError.unexpectedEnd }
        if bytes[pos] == UInt8(ascii: "\\") { return try parseEscapedString(from: start) }
        defer { pos += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    }

    /// Index of the first quote or backslash at or after `start` (`bytes.count` if none), tested 8 bytes at a time:
    /// a byte equal to the one sought becomes zero after the XOR, and `(x - 0x01…) & ~x & 0x80…` flags zero bytes,
    /// exactly for the lowest one.
    @inline(__always)
    private func stringRunEnd(from start: Int) -> Int {
        var i = start
        if let base = bytes.baseAddress {
            while i + 8 <= bytes.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let quote = word ^ 0x2222_2222_2222_2222, backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
                let hits = ((quote &- 0x0101_0101_0101_0101) & ~quote | (backslash &- 0x0101_0101_0101_0101) & ~backslash)
                    & 0x8080_8080_8080_8080
                if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
                i += 8
            }
        }
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") { i += 1 }
        return i
    }

    /// The string starting at `start` whose first escape is at `pos`. Its closing quote is found first: escapes only
    /// shrink text, so the distance bounds the result, which is then written in place with one allocation.
    private mutating func parseEscapedString(from start: Int) throws -> String {
        var end = pos
        while true {
            end = stringRunEnd(from: end)
            guard end < bytes.count else { throw JSONError.unexpectedEnd }
            if bytes[end] == UInt8(ascii: "\"") { break }
            end += 2  // the backslash and the byte it escapes
        }
        var failure: JSONError?
        let text = String(unsafeUninitializedCapacity: end - start) { out in
            do throws(JSONError) { return try unescape(from: start, into: UnsafeMutableRawPointer(out.baseAddress!)) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return text
    }

    /// Writes the string from `start` (first escape at `pos`) unescaped at `out`; leaves `pos` after the closing quote.
    private mutating func unescape(from start: Int, into out: UnsafeMutableRawPointer) throws(JSONError) -> Int {
        var o = 0
        func put(_ byte: UInt8) {
            out.storeBytes(of: byte, toByteOffset: o, as: UInt8.self)
            o += 1
        }
        func copy(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            (out + o).copyMemory(from: bytes.baseAddress! + range.lowerBound, byteCount: range.count)
            o += range.count
        }
        copy(start..<pos)
        while pos < bytes.count {
            // The run up to the next quote or backslash is copied in one piece.
            let run = pos
            pos = stringRunEnd(from: pos)
            copy(run..<pos)
            guard pos < bytes.count else { break }
            let b = bytes[pos]
            pos += 1
            if b == UInt8(ascii: "\"") { return o }
            guard pos < bytes.count else { throw .unexpectedEnd }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): put(e)
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                // The usual escape, Java's property separators \u0001 and \u0002: "00" and two hex digits of ASCII.
                if pos + 4 <= bytes.count, bytes[pos] == UInt8(ascii: "0"), bytes[pos + 1] == UInt8(ascii: "0"),
                   let high = HexDigit.value(bytes[pos + 2]), high < 8, let low = HexDigit.value(bytes[pos + 3]) {
                    put(high << 4 | low)
                    pos += 4
                    continue
                }
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), pos + 1 < bytes.count,
                   bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                    let save = pos
                    pos += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save  // lone high surrogate; the next escape stands alone
                    }
                }
                if scalar < 0x80 {
                    put(UInt8(scalar))  // the property separators \u0001 and \u0002 of every send
                } else {
                    for byte in UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")! { put(byte) }
                }
            default: throw .invalidEscape(at: pos - 2)
            }
        }
        throw .unexpectedEnd
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw JSONError.unexpectedEnd }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = HexDigit.value(bytes[pos]) else { throw JSONError.invalidEscape(at: pos) }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }
}

/// Appends compact JSON to a ByteBuffer; commas between members and elements are inserted automatically.
public struct JSONWriter {
    public var buffer: ByteBuffer
    private var needsComma = false

    public init(buffer: ByteBuffer = ByteBuffer()) { self.buffer = buffer }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
        needsComma = true
    }

    public mutating func beginObject() { separate(); buffer.writeInteger(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { buffer.writeInteger(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray() { separate(); buffer.writeInteger(UInt8(ascii: "[")); needsComma = false }
    public mutating func endArray() { buffer.writeInteger(UInt8(ascii: "]")); needsComma = true }

    /// Writes `"key":`; the next call writes its value.
    public mutating func key(_ key: String) {
        separate()
        JSONWriter.writeEscaped(key, to: &buffer)
        buffer.writeInteger(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) { separate(); JSONWriter.writeEscaped(value, to: &buffer) }
    public mutating func number(_ value: some BinaryInteger) { separate(); JSONWriter.writeInteger(Int64(value), to: &buffer) }
    public mutating func bool(_ value: Bool) { separate(); buffer.writeStaticString(value ? "true" : "false") }
    public mutating func null() { separate(); buffer.writeStaticString("null") }
    /// Pre-encoded JSON text, written verbatim.
    public mutating func raw(_ json: String) { separate(); buffer.writeString(json) }

    public mutating func string(_ key: String, _ value: String) { self.key(key); string(value) }
    public mutating func number(_ key: String, _ value: some BinaryInteger) { self.key(key); number(value) }
    public mutating func bool(_ key: String, _ value: Bool) { self.key(key); bool(value) }
    public mutating func strings(_ key: String, _ values: [String]) {
        self.key(key)
        beginArray()
        for v in values { string(v) }
        endArray()
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): raw(n)
        case .string(let s): string(s)
        case .array(let a):
            beginArray()
            for v in a { self.value(v) }
            endArray()
        case .object(let o):
            beginObject()
            for (k, v) in o { key(k); self.value(v) }
            endObject()
        }
    }

    /// Quoted, escaped string: quote, backslash and control characters escaped; other UTF-8 passed through.
    /// Writes `s` as a JSON string straight into the buffer's memory: one capacity check per string, not per byte.
    static func writeEscaped(_ s: String, to buffer: inout ByteBuffer) {
        _ = s.withContiguousUTF8 { utf8 in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: escapedBound(utf8.count)) { out in
                writeEscaped(utf8, to: out.baseAddress!)
            }
        }
    }

    /// The most bytes `writeEscaped` writes for `count` bytes of UTF-8.
    @inline(__always) static func escapedBound(_ count: Int) -> Int { count * 6 + 2 }

    /// Writes `utf8` quoted and escaped at `out`, which has room for `escapedBound(utf8.count)`; returns the length.
    static func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: UnsafeMutableRawPointer) -> Int {
        let hex: StaticString = "0123456789abcdef"
        var o = 0
        @inline(__always) func put(_ byte: UInt8) {
            out.storeBytes(of: byte, toByteOffset: o, as: UInt8.self)
            o += 1
        }
        put(UInt8(ascii: "\""))
        for b in utf8 {
            if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
                put(b)
                continue
            }
            put(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(b)
            case 0x0A: put(UInt8(ascii: "n"))
            case 0x0D: put(UInt8(ascii: "r"))
            case 0x09: put(UInt8(ascii: "t"))
            default:
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "0"))
                put(hex.utf8Start[Int(b >> 4)])
                put(hex.utf8Start[Int(b & 0xF)])
            }
        }
        put(UInt8(ascii: "\""))
        return o
    }

    /// Decimal text of `value` without allocating.
    static func writeInteger(_ value: Int64, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { writeDecimal(value, to: $0.baseAddress!) }
    }

    /// Writes the decimal text of `value` (at most 20 bytes) at `out`; returns its length. The length is counted four
    /// digits a step, then the digits are written two a step from a table of pairs, the last first. A digit a step, a
    /// send's 13-digit birth time took two loops of 13 divisions: 326 instructions per send in the Swift producer.
    static func writeDecimal(_ value: Int64, to out: UnsafeMutableRawPointer) -> Int {
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude
        while rest >= 10_000 {
            rest /= 10_000
            digits += 4
        }
        digits += rest >= 100 ? (rest >= 1_000 ? 3 : 2) : (rest >= 10 ? 1 : 0)
        let length = digits + (value < 0 ? 1 : 0)
        if value < 0 { out.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self) }
        let pairs: StaticString = """
            00010203040506070809101112131415161718192021222324252627282930313233343536373839\
            40414243444546474849505152535455565758596061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899
            """
        var end = length
        while magnitude >= 100 {
            let pair = Int(magnitude % 100) &* 2
            magnitude /= 100
            end -= 2
            (out + end).copyMemory(from: pairs.utf8Start + pair, byteCount: 2)
        }
        if magnitude >= 10 {
            (out + end - 2).copyMemory(from: pairs.utf8Start + Int(magnitude) &* 2, byteCount: 2)
        } else {
            out.storeBytes(of: UInt8(ascii: "0") &+ UInt8(magnitude), toByteOffset: end - 1, as: UInt8.self)
        }
        return length
    }
}

extension JSONWriter {
    /// The finished bytes as text (for tests and logs).
    public var text: String { String(buffer: buffer) }
}
