// JSON parser and writer tests: escapes, surrogate pairs, fastjson quirks, tolerance, depth limit, random input.

import ApusRemoting
import NIOCore
import Testing

@Test func parsesUnicodeEscapesAndSurrogatePairs() throws {
    let value = try JSONParser.parse(#"{"a":"\u00e9\u4e2d\ud83d\ude00 \"q\" \\ \/ \n\t","raw":"中文😀"}"#)
    #expect(value["a"] == .string("é中😀 \"q\" \\ / \n\t"))
    #expect(value["raw"] == .string("中文😀"))
    // A lone surrogate becomes U+FFFD rather than failing.
    #expect(try JSONParser.parse(#""\ud800x""#) == .string("\u{FFFD}x"))
    // "\u00" and two hex digits (Java's property separators) are read apart from other escapes: either case, and
    // scalars from 0x80 (two bytes of UTF-8) the general way.
    #expect(try JSONParser.parse(#""a\u0001b\u001F\u001fc\u007F\u0080\u00FF\u0100""#)
        == .string("a\u{1}b\u{1F}\u{1F}c\u{7F}\u{80}\u{FF}\u{100}"))
    for bad in [#""\u00G1""#, #""\u001G""#, #""\u00""#, #""\u000""#] {
        #expect(throws: JSONError.self, "\(bad)") { try JSONParser.parse(bad) }
    }
}

@Test func acceptsUnquotedIntegerKeysAndTrailingBytes() throws {
    let value = try JSONParser.parse("{0:\"10.0.0.5:10911\",1:\"10.0.0.6:10911\"}\n\u{0}\u{0}junk")
    #expect(value == .object([("0", .string("10.0.0.5:10911")), ("1", .string("10.0.0.6:10911"))]))
    #expect(try JSONParser.parse("  [1, -2.5e3, true, false, null]  \n") ==
        .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
}

@Test func numbersKeepInt64PrecisionAndLenientAccessors() throws {
    let value = try JSONParser.parse(#"{"big":9223372036854775807,"s":"12","f":3.9,"b":true,"t":"TRUE","z":"0"}"#)
    #expect(value["big"]?.int64Value == Int64.max)
    #expect(value["big"]?.int32Value == nil)
    #expect(value["s"]?.int32Value == 12)
    #expect(value["f"]?.int64Value == 3)
    #expect(value["b"]?.stringValue == "true")
    #expect(value["t"]?.boolValue == true && value["z"]?.boolValue == false)
    #expect(value["missing"] == nil)
}

@Test func objectEqualityIsOrderPreserving() {
    let a = JSONValue.object([("x", .null), ("y", .bool(true))])
    let b = JSONValue.object([("y", .bool(true)), ("x", .null)])
    #expect(a == a && a != b)
}

@Test func deepNestingThrowsInsteadOfCrashing() throws {
    let deep = String(repeating: "[", count: 100_000)
    #expect(throws: JSONError.tooDeep) { try JSONParser.parse(deep) }
    let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
    _ = try JSONParser.parse(ok)
}

@Test func invalidInputThrows() {
    for text in ["", "   ", "{", "{\"a\"", "{\"a\":}", "[1,]", "\"abc", "\"\\x\"", "\"\\u12\"", "tru", "nul", "-", "{a:1}", "}", "+1"] {
        #expect(throws: JSONError.self, "\(text)") { try JSONParser.parse(text) }
    }
}

@Test func randomBytesNeverTrap() {
    var rng = SystemRandomNumberGenerator()
    let alphabet = Array("{}[]:,\"\\u0123456789abcdefABCDEFtrunlse-+.eE \n".utf8)
    for _ in 0..<3000 {
        let length = Int.random(in: 0..<64, using: &rng)
        let bytes: [UInt8] = (0..<length).map { _ in
            Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        }
        _ = try? bytes.withUnsafeBytes { try JSONParser.parse($0) }
        // The header decoder on the same bytes must throw or succeed, never trap.
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(4 + bytes.count))
        buffer.writeInteger(UInt32(bytes.count) | (Bool.random(using: &rng) ? 1 << 24 : 0))
        buffer.writeBytes(bytes)
        var decoder = RemotingCommandDecoder()
        _ = try? decoder.decode(buffer: &buffer)
    }
}

@Test func writerEscapesAndRoundTrips() throws {
    let value = JSONValue.object([
        ("s", .string("a\"b\\c\u{0}\u{1f}\r\n\t é😀")),
        ("n", .number(Int64.min)),
        ("arr", .array([.bool(true), .null, .number("0"), .array([]), .object([])])),
    ])
    var writer = JSONWriter()
    writer.value(value)
    #expect(writer.text.contains(#"\u0000\u001f\r\n\t é😀"#))
    #expect(try JSONParser.parse(writer.text) == value)
    #expect(writer.text == #"{"s":"a\"b\\c\u0000\u001f\r\n\t é😀","n":-9223372036854775808,"arr":[true,null,0,[],{}]}"#)
}

/// Integers are written two digits a step after their length is counted four digits a step: every length, both signs,
/// each side of every power of ten and the extremes come out as Swift prints them.
@Test func integersAreWrittenAsSwiftPrintsThem() {
    var values: [Int64] = [0, Int64.min, Int64.min + 1, Int64.max]
    var power: Int64 = 1
    for _ in 0..<19 {
        values += [power - 1, power, power + 1, -power, -(power - 1), power * 3 + 7]
        if power <= Int64.max / 10 { power *= 10 }
    }
    values += (-1_000...100_000).map { Int64($0) }
    var random = SystemRandomNumberGenerator()
    values += (0..<10_000).map { _ in Int64.random(in: .min ... .max, using: &random) >> Int64.random(in: 0...62, using: &random) }
    for value in values {
        var writer = JSONWriter()
        writer.number(value)
        guard writer.text == String(value) else {
            Issue.record("\(value) was written as \(writer.text)")
            return
        }
    }
}

/// Strings are scanned 8 bytes at a time: a quote, a backslash or the end at every position of a word is found, and
/// an escaped string is rebuilt with the right length.
@Test func stringScanFindsQuotesAndEscapesAtEveryOffset() throws {
    for n in 0..<40 {
        let run = String(repeating: "a", count: n)
        #expect(try JSONParser.parse("\"\(run)\"") == .string(run))
        #expect(try JSONParser.parse("[\"\(run)\\\"b\\u0001\(run)\\\\\", 1]") == .array([.string(run + "\"b\u{1}" + run + "\\"), .number("1")]))
        #expect(throws: JSONError.self) { try JSONParser.parse("\"\(run)") }
        #expect(throws: JSONError.self) { try JSONParser.parse("\"\(run)\\") }
        #expect(throws: JSONError.self) { try JSONParser.parse("\"\(run)\\u00") }
        #expect(throws: JSONError.self) { try JSONParser.parse("\"\(run)\\x\"") }
    }
    // Java's fastjson writes the properties separators as \u0001 and \u0002.
    let properties = (0..<20).map { "KEY\($0)\\u0001value\($0)\\u0002" }.joined()
    let expected = (0..<20).map { "KEY\($0)\u{1}value\($0)\u{2}" }.joined()
    #expect(try JSONParser.parse("{\"i\":\"\(properties)\"}")["i"] == .string(expected))
}

/// `\u` takes four hex digits of either case; a byte just outside 0–9, a–f or A–F is an invalid escape.
@Test func unicodeEscapesTakeHexDigitsOfEitherCase() throws {
    #expect(try JSONParser.parse(#""\u00e9\u00E9\u4E2d\u0041\u007f""#) == .string("éé中A\u{7F}"))
    for bad in ["\\u00:0", "\\u00/0", "\\u00`1", "\\u00@1", "\\u00G1", "\\u00g1", "\\u00 1"] {
        #expect(throws: JSONError.self, "\(bad)") { try JSONParser.parse("\"\(bad)\"") }
    }
}
