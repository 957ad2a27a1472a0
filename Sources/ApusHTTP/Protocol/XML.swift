// XML for the ApsaraMQ HTTP protocol (http-api.md §6.0): an XMLWriter for responses (UTF-8 declaration, the
// no-prefix default namespace, escaped single text nodes, never a self-closing element) and a small tolerant
// reader for the request bodies the SDKs send (any namespace or prefix, CDATA from Node, entities, comments).
// Pure and bounded; the consume/ack side reuses both.

/// The namespace every response declares (no trailing slash: the Java SDK's JAXB binding needs exactly this).
public enum MQXML {
    public static let namespace = "http://mq.aliyuncs.com/doc/v1"
    public static let declaration = #"<?xml version="1.0" encoding="UTF-8"?>"#
    public static let contentType = "text/xml;charset=utf-8"
}

/// Builds a compact response document: `XMLWriter(root: "Message").field("MessageId", id).finish()`.
public struct XMLWriter: Sendable {
    private var text: String
    private var open: [String]

    /// Starts the document with the declaration and the root element carrying the default namespace.
    public init(root: String) {
        text = MQXML.declaration + "<" + root + " xmlns=\"" + MQXML.namespace + "\">"
        open = [root]
    }

    /// Opens a child element.
    public mutating func begin(_ name: String) {
        text += "<" + name + ">"
        open.append(name)
    }

    /// Closes the innermost open element.
    public mutating func end() {
        guard let name = open.popLast() else { return }
        text += "</" + name + ">"
    }

    /// A text field; an empty or nil value is omitted (no empty or self-closing elements, §6.0).
    public mutating func field(_ name: String, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        text += "<" + name + ">" + XMLWriter.escape(value) + "</" + name + ">"
    }

    public mutating func field(_ name: String, _ value: Int64) { field(name, String(value)) }

    /// Closes every open element and returns the document.
    public mutating func finish() -> String {
        while !open.isEmpty { end() }
        return text
    }

    /// One text node: `&`, `<`, `>`, quotes escaped; CR kept as `&#13;`; characters XML 1.0 forbids are dropped.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            default:
                if XMLChars.isAllowed(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
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
        guard let text = String(validating: bytes, as: UTF8.self) else { throw XMLParseError(reason: "the body is not UTF-8") }
        return try parse(text)
    }

    public static func parse(_ text: String) throws(XMLParseError) -> XMLElement {
        var reader = XMLReader(Array(text.unicodeScalars))
        reader.skipProlog()
        guard reader.peek("<") else { throw XMLParseError(reason: "no root element") }
        let root = try reader.element(depth: 0)
        reader.skipMisc()
        guard reader.at == reader.chars.count else { throw XMLParseError(reason: "content after the root element") }
        return root
    }

    private let chars: [Unicode.Scalar]
    private var at = 0

    private init(_ chars: [Unicode.Scalar]) { self.chars = chars }

    private func peek(_ s: String) -> Bool {
        var i = at
        for c in s.unicodeScalars {
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
        }
        return true
    }

    private mutating func skipSpace() {
        while at < chars.count, chars[at] == " " || chars[at] == "\n" || chars[at] == "\r" || chars[at] == "\t" { at += 1 }
    }

    /// Skips whitespace, comments and processing instructions.
    private mutating func skipMisc() {
        while true {
            skipSpace()
            if peek("<?") { skip(past: "?>") } else if peek("<!--") { skip(past: "-->") } else { return }
        }
    }

    private mutating func skipProlog() {
        if at < chars.count, chars[at] == "\u{FEFF}" { at += 1 }
        skipMisc()
    }

    private mutating func skip(past end: String) {
        while at < chars.count, !peek(end) { at += 1 }
        at = min(chars.count, at + end.unicodeScalars.count)
    }

    private mutating func name() throws(XMLParseError) -> String {
        let start = at
        while at < chars.count, !" \t\r\n/>=".unicodeScalars.contains(chars[at]) { at += 1 }
        guard at > start else { throw XMLParseError(reason: "an element has no name") }
        let full = String(String.UnicodeScalarView(chars[start..<at]))
        if let colon = full.lastIndex(of: ":") { return String(full[full.index(after: colon)...]) }
        return full
    }

    private mutating func element(depth: Int) throws(XMLParseError) -> XMLElement {
        guard depth < 16 else { throw XMLParseError(reason: "elements nested too deeply") }
        at += 1 // "<"
        let tag = try name()
        // Attributes (the namespace declaration among them) are skipped, quotes respected.
        while true {
            skipSpace()
            guard at < chars.count else { throw XMLParseError(reason: "unterminated <\(tag)>") }
            if peek("/>") {
                at += 2
                return XMLElement(name: tag, text: "", children: [])
            }
            if chars[at] == ">" {
                at += 1
                break
            }
            if chars[at] == "\"" || chars[at] == "'" {
                let quote = chars[at]
                at += 1
                while at < chars.count, chars[at] != quote { at += 1 }
                at += 1
            } else {
                at += 1
            }
        }
        var element = XMLElement(name: tag, text: "", children: [])
        while true {
            guard at < chars.count else { throw XMLParseError(reason: "unterminated <\(tag)>") }
            if peek("</") {
                at += 2
                let closing = try name()
                skipSpace()
                guard closing == tag, at < chars.count, chars[at] == ">" else {
                    throw XMLParseError(reason: "</\(closing)> does not close <\(tag)>")
                }
                at += 1
                if !element.children.isEmpty, element.text.allSatisfy(\.isWhitespace) { element.text = "" }
                return element
            } else if peek("<![CDATA[") {
                at += 9
                let start = at
                while at < chars.count, !peek("]]>") { at += 1 }
                guard at < chars.count else { throw XMLParseError(reason: "unterminated CDATA section") }
                element.text.unicodeScalars.append(contentsOf: chars[start..<at])
                at += 3
            } else if peek("<!--") {
                skip(past: "-->")
            } else if peek("<?") {
                skip(past: "?>")
            } else if peek("<!") {
                throw XMLParseError(reason: "DOCTYPE and declarations are not accepted")
            } else if chars[at] == "<" {
                element.children.append(try self.element(depth: depth + 1))
            } else if chars[at] == "&" {
                element.text.unicodeScalars.append(try entity())
            } else {
                guard XMLChars.isAllowed(chars[at]) else { throw XMLParseError(reason: "a character XML does not allow") }
                element.text.unicodeScalars.append(chars[at])
                at += 1
            }
        }
    }

    private mutating func entity() throws(XMLParseError) -> Unicode.Scalar {
        let start = at + 1
        var end = start
        while end < chars.count, end - start < 12, chars[end] != ";" { end += 1 }
        guard end < chars.count, chars[end] == ";" else { throw XMLParseError(reason: "an unterminated entity") }
        let body = String(String.UnicodeScalarView(chars[start..<end]))
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
