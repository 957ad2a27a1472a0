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
/// written as UTF-8 bytes into room made ahead, each field in one pass without capacity checks (`XMLCursor`): joining
/// strings with `+` made a string per piece (14,000 instructions for a publish's two fields), and appending each
/// piece to an array cost some 125 instructions a piece (13,000 per message of a `<Messages>` answer). Writing into a
/// `ByteBuffer` cost more still: its storage's exclusivity checks on every write.
public struct XMLWriter: Sendable {
    /// The document so far is `bytes[..<used]`; the rest is room, zero-filled, grown by doubling.
    private var bytes: [UInt8]
    private var used = 0
    private var open: [StaticString]

    /// Starts the document with the declaration and the root element carrying the default namespace; `capacity`:
    /// the bytes the document is expected to take, with the room its largest field needs (`maxEscapedGrowth` bytes a
    /// byte of text), so that it need not grow.
    public init(root: StaticString, capacity: Int = 512) {
        bytes = XMLWriter.room(max(capacity, 512), keeping: [])
        open = [root]
        var declaration = MQXML.declaration, namespace = MQXML.namespace
        declaration.withUTF8 { declaration in
            namespace.withUTF8 { namespace in
                write(room: declaration.count + root.utf8CodeUnitCount + namespace.count + 11) { out in
                    out.put(declaration)
                    out.put("<")
                    out.put(root)
                    out.put(" xmlns=\"")
                    out.put(namespace)
                    out.put("\">")
                }
            }
        }
    }

    /// Runs `body` on a cursor at the end of the document with at least `room` bytes ahead of it.
    private mutating func write(room: Int, _ body: (inout XMLCursor) -> Void) {
        if bytes.count - used < room { bytes = XMLWriter.room(used + max(room, bytes.count), keeping: bytes[..<used]) }
        let start = used
        used = bytes.withUnsafeMutableBufferPointer { buffer in
            var cursor = XMLCursor(base: buffer.baseAddress!, at: start)
            body(&cursor)
            return cursor.at
        }
    }

    /// `count` bytes: `kept`, then zeros.
    private static func room(_ count: Int, keeping kept: ArraySlice<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = buffer.baseAddress!
            kept.withUnsafeBufferPointer { if let source = $0.baseAddress { base.initialize(from: source, count: $0.count) } }
            (base + kept.count).initialize(repeating: 0, count: count - kept.count)
            initialized = count
        }
    }

    /// Opens a child element.
    public mutating func begin(_ name: StaticString) {
        write(room: name.utf8CodeUnitCount + 2) { $0.openTag(name) }
        open.append(name)
    }

    /// Closes the innermost open element.
    public mutating func end() {
        guard let name = open.popLast() else { return }
        write(room: name.utf8CodeUnitCount + 3) { $0.closeTag(name) }
    }

    /// A text field; an empty or nil value is omitted (no empty or self-closing elements, §6.0).
    public mutating func field(_ name: StaticString, _ value: String?) {
        guard var value, !value.isEmpty else { return }
        value.withUTF8 { field(name, escaping: $0) }
    }

    /// A text field from bytes meant as UTF-8 (a message body), as `field(name, String(decoding: value, as:
    /// UTF8.self))` writes it: ASCII is escaped straight from the bytes; anything else is decoded first, ill-formed
    /// sequences becoming U+FFFD. The string of a 1 KiB body cost 12,000 instructions to make.
    public mutating func field(_ name: StaticString, utf8 value: [UInt8]) {
        guard !value.isEmpty else { return }
        if value.withUnsafeBufferPointer(SWAR.isASCII) {
            value.withUnsafeBufferPointer { field(name, escaping: $0) }
        } else {
            field(name, String(decoding: value, as: UTF8.self))
        }
    }

    private mutating func field(_ name: StaticString, escaping utf8: UnsafeBufferPointer<UInt8>) {
        write(room: 2 * name.utf8CodeUnitCount + 5 + XMLWriter.maxEscapedGrowth * utf8.count) { out in
            out.openTag(name)
            XMLWriter.appendEscaped(utf8, to: &out)
            out.closeTag(name)
        }
    }

    /// A decimal number field.
    public mutating func field(_ name: StaticString, _ value: Int64) {
        write(room: 2 * name.utf8CodeUnitCount + 5 + 20) { out in
            out.openTag(name)
            out.put(decimal: value)
            out.closeTag(name)
        }
    }

    /// Closes every open element and returns the document's UTF-8.
    public mutating func finishBytes() -> [UInt8] {
        while !open.isEmpty { end() }
        bytes.removeSubrange(used...)
        return bytes
    }

    /// Closes every open element and returns the document.
    public mutating func finish() -> String { String(decoding: finishBytes(), as: UTF8.self) }

    /// The most bytes `appendEscaped` writes for one (`"` becomes `&quot;`).
    public static let maxEscapedGrowth = 6

    /// One text node: `&`, `<`, `>`, quotes escaped; CR kept as `&#13;`; characters XML 1.0 forbids are dropped.
    public static func escape(_ value: String) -> String {
        var value = value
        return value.withUTF8 { utf8 in
            var out = [UInt8](repeating: 0, count: maxEscapedGrowth * utf8.count)
            let count = out.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                var cursor = XMLCursor(base: base, at: 0)
                appendEscaped(utf8, to: &cursor)
                return cursor.at
            }
            return String(decoding: out[..<count], as: UTF8.self)
        }
    }

    /// Writes valid UTF-8 `utf8` escaped as `escape` describes (at most `maxEscapedGrowth` bytes for one), the runs
    /// between bytes to rewrite or drop in one piece each. Those bytes are found eight at a time (`SWAR`): a 1 KiB body
    /// took 13 instructions a byte one at a time.
    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout XMLCursor) {
        var run = 0  // the first byte not yet written
        var i = 0
        while let at = nextAttention(utf8, from: i) {
            var skip = 1
            let replacement: StaticString?
            switch utf8[at] {
            case UInt8(ascii: "&"): replacement = "&amp;"
            case UInt8(ascii: "<"): replacement = "&lt;"
            case UInt8(ascii: ">"): replacement = "&gt;"
            case UInt8(ascii: "\""): replacement = "&quot;"
            case UInt8(ascii: "'"): replacement = "&apos;"
            case UInt8(ascii: "\r"): replacement = "&#13;"
            case 0x9, 0xA:
                i = at + 1  // kept as they are
                continue
            case 0xEF:
                // U+FFFE / U+FFFF (EF BF BE, EF BF BF) are dropped; any other character led by EF is kept.
                guard at + 2 < utf8.count, utf8[at + 1] == 0xBF, utf8[at + 2] >= 0xBE else {
                    i = at + 1
                    continue
                }
                replacement = nil
                skip = 3
            default: replacement = nil  // C0 controls: not XML 1.0 characters, dropped
            }
            out.put(UnsafeBufferPointer(rebasing: utf8[run..<at]))
            if let replacement { out.put(replacement) }
            i = at + skip
            run = i
        }
        out.put(UnsafeBufferPointer(rebasing: utf8[run...]))
    }

    /// The first byte from `start` that `appendEscaped` may have to rewrite or drop: `&<>"'`, a C0 control (tab and
    /// LF included) or 0xEF (the lead byte of U+FFFE and U+FFFF; UTF-8 being valid, surrogates cannot occur).
    private static func nextAttention(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var i = start
        if let base = utf8.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= utf8.count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // 0x26 `&` and 0x27 `'` differ in the low bit only: one test for both.
                let ascii = SWAR.match(w | SWAR.ones, 0x27) | SWAR.match(w, 0x3C) | SWAR.match(w, 0x3E) | SWAR.match(w, 0x22)
                    | SWAR.below(w, 0x20)
                if SWAR.found(ascii: ascii, in: w) || SWAR.found(high: SWAR.match(w, 0xEF), in: w) { break }
                i += 8
            }
        }
        while i < utf8.count {
            switch utf8[i] {
            case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"), 0xEF, ..<0x20:
                return i
            default: i += 1
            }
        }
        return nil
    }
}

/// Writes bytes into room made ahead (`XMLWriter.write(room:_:)`), with no capacity checks.
struct XMLCursor {
    let base: UnsafeMutablePointer<UInt8>
    var at: Int

    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        if let source = bytes.baseAddress { (base + at).update(from: source, count: bytes.count) }
        at += bytes.count
    }

    mutating func put(_ text: StaticString) {
        put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func openTag(_ name: StaticString) {
        base[at] = UInt8(ascii: "<")
        at += 1
        put(name)
        base[at] = UInt8(ascii: ">")
        at += 1
    }

    mutating func closeTag(_ name: StaticString) {
        base[at] = UInt8(ascii: "<")
        base[at + 1] = UInt8(ascii: "/")
        at += 2
        put(name)
        base[at] = UInt8(ascii: ">")
        at += 1
    }

    /// At most 20 bytes.
    mutating func put(decimal value: Int64) {
        if value < 0 {
            base[at] = UInt8(ascii: "-")
            at += 1
        }
        var digits = 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        rest = value.magnitude
        for i in stride(from: at + digits - 1, through: at, by: -1) {
            base[i] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        at += digits
    }
}

/// Tests on eight bytes at once (a word loaded from memory), exact for "is there such a byte in the word".
/// `(x - 0x01…) & ~x & 0x80…` is non-zero exactly when a byte of `x` is zero, and `(x - n…) & ~x & 0x80…` exactly when a
/// byte is below `n` (n ≤ 0x80). For `x = word ^ c…` with `c` below 0x80, `~x`'s high bits are `~word`'s, so the tests
/// for several such bytes share one mask and one branch: `found(ascii: match(w, c1) | match(w, c2) | below(w, n), in:
/// w)`. For a `c` from 0x80, `~x`'s high bits are `word`'s: `found(high: match(w, c), in: w)`.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    @inline(__always) static func match(_ word: UInt64, _ byte: UInt8) -> UInt64 { (word ^ (ones &* UInt64(byte))) &- ones }

    @inline(__always) static func below(_ word: UInt64, _ limit: UInt8) -> UInt64 { word &- ones &* UInt64(limit) }

    /// Whether `match`es of bytes below 0x80 and `below`s (each at most 0x80) found a byte of `word`.
    @inline(__always) static func found(ascii tests: UInt64, in word: UInt64) -> Bool { tests & ~word & highs != 0 }

    /// Whether `match`es of bytes from 0x80 found a byte of `word`.
    @inline(__always) static func found(high tests: UInt64, in word: UInt64) -> Bool { tests & word & highs != 0 }

    /// Whether every byte is below 0x80.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        var tail: UInt8 = 0
        while i < bytes.count {
            tail |= bytes[i]
            i += 1
        }
        return high & highs == 0 && tail < 0x80
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
    /// Eight bytes at a time (`SWAR`) while none of them is `<`, `&`, a C0 control or 0xEF (the lead byte of U+FFFE and
    /// U+FFFF); a word with any of them is read a byte at a time. One byte at a time, a 1 KiB body took 17 instructions
    /// a byte.
    private mutating func skipCharacterData() throws(XMLParseError) {
        let bytes = self.bytes
        let allowedAll = bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            while true {
                while at + 8 <= raw.count {
                    let word = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                    let ascii = SWAR.match(word, 0x3C) | SWAR.match(word, 0x26) | SWAR.below(word, 0x20)
                    if SWAR.found(ascii: ascii, in: word) || SWAR.found(high: SWAR.match(word, 0xEF), in: word) { break }
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
