// XML for the ApsaraMQ HTTP protocol (http-api.md §6.0): an XMLWriter for responses (UTF-8 declaration, the
// no-prefix default namespace, escaped single text nodes, never a self-closing element) and a small tolerant
// reader for the request bodies the SDKs send (any namespace or prefix, CDATA from Node, entities, comments).
// Pure and bounded; the consume/ack side reuses both.

import ApusMessage

/// The namespace every response declares (no trailing slash: the Java SDK's JAXB binding needs exactly this).
public enum MQXML {
    public static let namespace = "http://mq.aliyuncs.com/doc/v1"
    public static let declaration = #"<?xml version="1.0" encoding="UTF-8"?>"#
    public static let contentType = "text/xml;charset=utf-8"
}

/// Builds a compact response document: `XMLWriter(root: "Message").field("MessageId", id).finish()`. The document is
/// written as UTF-8 bytes and made a string once: joining strings with `+` made a string per piece, 14,000
/// instructions for a publish's two fields.
public struct XMLWriter: Sendable {
    private var bytes: [UInt8] = []
    private var open: [String]

    /// Starts the document with the declaration and the root element carrying the default namespace.
    public init(root: String) {
        open = [root]
        bytes.reserveCapacity(256)
        append(MQXML.declaration)
        append("<")
        append(root)
        append(" xmlns=\"")
        append(MQXML.namespace)
        append("\">")
    }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Opens a child element.
    public mutating func begin(_ name: String) {
        append("<")
        append(name)
        append(">")
        open.append(name)
    }

    /// Closes the innermost open element.
    public mutating func end() {
        guard let name = open.popLast() else { return }
        append("</")
        append(name)
        append(">")
    }

    /// A text field; an empty or nil value is omitted (no empty or self-closing elements, §6.0).
    public mutating func field(_ name: String, _ value: String?) {
        guard var value, !value.isEmpty else { return }
        append("<")
        append(name)
        append(">")
        value.withUTF8 { XMLWriter.appendEscaped($0, to: &bytes) }
        append("</")
        append(name)
        append(">")
    }

    public mutating func field(_ name: String, _ value: Int64) { field(name, String(value)) }

    /// Closes every open element and returns the document.
    public mutating func finish() -> String {
        while !open.isEmpty { end() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One text node: `&`, `<`, `>`, quotes escaped; CR kept as `&#13;`; characters XML 1.0 forbids are dropped.
    public static func escape(_ value: String) -> String {
        var value = value
        var out: [UInt8] = []
        value.withUTF8 { appendEscaped($0, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `utf8` escaped as `escape` describes; text that needs nothing (most) is appended in one piece.
    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard let first = utf8.firstIndex(where: needsAttention) else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(contentsOf: utf8[..<first])
        var i = first
        while i < utf8.count {
            let b = utf8[i]
            switch b {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&apos;".utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: "&#13;".utf8)
            case 0x9, 0xA: out.append(b)
            case ..<0x20: break  // C0 controls: not XML 1.0 characters, dropped
            case 0xEF where i + 2 < utf8.count && utf8[i + 1] == 0xBF && utf8[i + 2] >= 0xBE:
                i += 2  // U+FFFE / U+FFFF: dropped
            default: out.append(b)
            }
            i += 1
        }
    }

    /// A byte `escape` must rewrite or drop (UTF-8 is valid: surrogates cannot occur; U+FFFE/U+FFFF start with EF).
    private static func needsAttention(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"), 0xEF: return true
        case 0x9, 0xA: return false
        default: return b < 0x20
        }
    }
}

enum XMLChars {
    /// XML 1.0 Char: tab, LF, CR, and everything from U+0020 except the surrogates and U+FFFE/U+FFFF.
    static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}

/// A parsed element: its local name (any prefix dropped), attributes ignored, text and children.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [XMLElement]

    /// The first child with this local name.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// Every child with this local name, in order.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

public struct XMLParseError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// A small non-validating parser for request bodies: tolerates any namespace or prefix, CDATA sections mixed
/// with text, comments, processing instructions and whitespace between elements; rejects unbalanced tags,
/// unknown entities, DOCTYPEs, characters XML forbids, more than `maxBytes` bytes or nesting deeper than 16.
public struct XMLReader {
    public static func parse(_ bytes: [UInt8], maxBytes: Int) throws(XMLParseError) -> XMLElement {
        guard bytes.count <= maxBytes else { throw XMLParseError(reason: "the body is \(bytes.count) bytes; at most \(maxBytes)") }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw XMLParseError(reason: "the body is not UTF-8") }
        return try parseValidated(bytes)
    }

    public static func parse(_ text: String) throws(XMLParseError) -> XMLElement {
        try parseValidated(Array(text.utf8))
    }

    /// Works on the UTF-8 bytes (already valid UTF-8): markup is ASCII, so text runs are copied as byte ranges and
    /// decoded once per element, not a scalar at a time.
    private static func parseValidated(_ bytes: [UInt8]) throws(XMLParseError) -> XMLElement {
        var reader = XMLReader(bytes)
        reader.skipProlog()
        guard reader.peek("<") else { throw XMLParseError(reason: "no root element") }
        let root = try reader.element(depth: 0)
        reader.skipMisc()
        guard reader.at == reader.bytes.count else { throw XMLParseError(reason: "content after the root element") }
        return root
    }

    private let bytes: [UInt8]
    private var at = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    private func peek(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard at + n <= bytes.count else { return false }
        for i in 0..<n where bytes[at + i] != s.utf8Start[i] { return false }
        return true
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") || b == UInt8(ascii: "\t")
    }

    private mutating func skipSpace() {
        while at < bytes.count, Self.isSpace(bytes[at]) { at += 1 }
    }

    /// Skips whitespace, comments and processing instructions.
    private mutating func skipMisc() {
        while true {
            skipSpace()
            if peek("<?") { skip(past: "?>") } else if peek("<!--") { skip(past: "-->") } else { return }
        }
    }

    private mutating func skipProlog() {
        if peek("\u{FEFF}") { at += 3 }
        skipMisc()
    }

    private mutating func skip(past end: StaticString) {
        while at < bytes.count, !peek(end) { at += 1 }
        at = min(bytes.count, at + end.utf8CodeUnitCount)
    }

    private func text(_ range: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    private mutating func name() throws(XMLParseError) -> String {
        let start = at
        var colon: Int?
        while at < bytes.count {
            let b = bytes[at]
            if Self.isSpace(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: ">") || b == UInt8(ascii: "=") { break }
            if b == UInt8(ascii: ":") { colon = at }
            at += 1
        }
        guard at > start else { throw XMLParseError(reason: "an element has no name") }
        return text((colon.map { $0 + 1 } ?? start)..<at)
    }

    /// XML 1.0 Char for the byte at `i` of valid UTF-8: no C0 controls but tab, LF and CR; no U+FFFE / U+FFFF
    /// (EF BF BE / EF BF BF). Surrogates cannot occur in valid UTF-8.
    private func allowed(at i: Int) -> Bool {
        let b = bytes[i]
        if b < 0x20 { return b == 0x9 || b == 0xA || b == 0xD }
        if b == 0xEF, i + 2 < bytes.count, bytes[i + 1] == 0xBF, bytes[i + 2] >= 0xBE { return false }
        return true
    }

    /// Moves `at` to the next `<` or `&` (or the end), checking that every byte on the way is an XML character.
    /// Eight bytes at a time while none of them is `<`, `&`, a C0 control or 0xEF (the lead byte of U+FFFE and U+FFFF):
    /// `(x - 0x01…) & ~x & 0x80…` is non-zero exactly when a byte of `x` is zero, and `(x - n…) & ~x & 0x80…` when a
    /// byte is below `n`. A word with any of them is read a byte at a time; a 1 KiB body took 17 instructions a byte.
    private mutating func skipCharacterData() throws(XMLParseError) {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let bytes = self.bytes
        let allowedAll = bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            while true {
                while at + 8 <= raw.count {
                    let word = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                    if hasZero(word ^ (ones &* 0x3C)) || hasZero(word ^ (ones &* 0x26)) || hasZero(word ^ (ones &* 0xEF))
                        || (word &- ones &* 0x20) & ~word & highs != 0 { break }
                    at += 8
                }
                // At most a word's worth a byte at a time, then back to words.
                let stop = min(raw.count, at + 8)
                while at < stop {
                    let b = raw[at]
                    if b == UInt8(ascii: "<") || b == UInt8(ascii: "&") { return true }
                    guard allowed(at: at) else { return false }
                    at += 1
                }
                if at == raw.count { return true }
            }
        }
        guard allowedAll else { throw XMLParseError(reason: "a character XML does not allow") }
    }

    private mutating func element(depth: Int) throws(XMLParseError) -> XMLElement {
        guard depth < 16 else { throw XMLParseError(reason: "elements nested too deeply") }
        at += 1 // "<"
        let tag = try name()
        // Attributes (the namespace declaration among them) are skipped, quotes respected.
        while true {
            skipSpace()
            guard at < bytes.count else { throw XMLParseError(reason: "unterminated <\(tag)>") }
            if peek("/>") {
                at += 2
                return XMLElement(name: tag, text: "", children: [])
            }
            if bytes[at] == UInt8(ascii: ">") {
                at += 1
                break
            }
            if bytes[at] == UInt8(ascii: "\"") || bytes[at] == UInt8(ascii: "'") {
                let quote = bytes[at]
                at += 1
                while at < bytes.count, bytes[at] != quote { at += 1 }
                at += 1
            } else {
                at += 1
            }
        }
        var children: [XMLElement] = []
        // The element's text: while it is one run of bytes (a body's usual case), only where that run is; copied
        // into `content` when a second piece (an entity, CDATA, text after a child) joins it.
        var content: [UInt8] = []
        var run: Range<Int>?
        func copyRun() {
            if let first = run {
                content.append(contentsOf: bytes[first])
                run = nil
            }
        }
        func add(_ piece: Range<Int>) {
            if content.isEmpty, run == nil {
                run = piece
            } else {
                copyRun()
                content.append(contentsOf: bytes[piece])
            }
        }
        while true {
            guard at < bytes.count else { throw XMLParseError(reason: "unterminated <\(tag)>") }
            if bytes[at] != UInt8(ascii: "<") && bytes[at] != UInt8(ascii: "&") {
                // A run of character data.
                let start = at
                try skipCharacterData()
                add(start..<at)
            } else if peek("</") {
                at += 2
                let closing = try name()
                skipSpace()
                guard closing == tag, at < bytes.count, bytes[at] == UInt8(ascii: ">") else {
                    throw XMLParseError(reason: "</\(closing)> does not close <\(tag)>")
                }
                at += 1
                let text: String
                if let single = run {  // `content` is empty: the one piece goes straight into the string
                    text = !children.isEmpty && bytes[single].allSatisfy(Self.isSpace) ? "" : self.text(single)
                } else {
                    text = !children.isEmpty && content.allSatisfy(Self.isSpace) ? "" : String(decoding: content, as: UTF8.self)
                }
                return XMLElement(name: tag, text: text, children: children)
            } else if peek("<![CDATA[") {
                at += 9
                let start = at
                while at < bytes.count, !peek("]]>") { at += 1 }
                guard at < bytes.count else { throw XMLParseError(reason: "unterminated CDATA section") }
                add(start..<at)
                at += 3
            } else if peek("<!--") {
                skip(past: "-->")
            } else if peek("<?") {
                skip(past: "?>")
            } else if peek("<!") {
                throw XMLParseError(reason: "DOCTYPE and declarations are not accepted")
            } else if bytes[at] == UInt8(ascii: "<") {
                children.append(try self.element(depth: depth + 1))
            } else {
                let scalar = try entity()
                copyRun()
                content.append(contentsOf: String(scalar).utf8)
            }
        }
    }

    private mutating func entity() throws(XMLParseError) -> Unicode.Scalar {
        let start = at + 1
        var end = start
        while end < bytes.count, end - start < 12, bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw XMLParseError(reason: "an unterminated entity") }
        let body = text(start..<end)
        at = end + 1
        switch body {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            var value: UInt32?
            if body.hasPrefix("#x") || body.hasPrefix("#X") { value = UInt32(body.dropFirst(2), radix: 16) }
            else if body.hasPrefix("#") { value = UInt32(body.dropFirst(), radix: 10) }
            guard let value, let scalar = Unicode.Scalar(value), XMLChars.isAllowed(scalar) else {
                throw XMLParseError(reason: "unknown entity &\(body);")
            }
            return scalar
        }
    }
}
