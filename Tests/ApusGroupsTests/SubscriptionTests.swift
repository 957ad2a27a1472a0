// Tests of Subscription parsing and tag-hash matching (spec §4.7, §5.10).
import ApusMessage
import Testing
@testable import ApusGroups

/// Java's hashCode through the String entry point (an ASCII fast path), checked against the UTF-16 walk every time.
private func javaHashCode(_ s: String) -> Int32 {
    let hash = TagsCode.javaHash(s)
    #expect(hash == TagsCode.javaHash(s.utf16), "\(s)")
    return hash
}

@Test func javaHashCodeMatchesJava() {
    #expect(javaHashCode("TagA") == 2_598_919)
    #expect(javaHashCode("*") == 42)
    #expect(javaHashCode("") == 0)
    #expect(javaHashCode("é") == 233)                      // one UTF-16 unit, not two UTF-8 bytes
    #expect(javaHashCode("😀") == 31 * 0xD83D + 0xDE00)    // surrogate pair
    #expect(javaHashCode("polygenelubricants") == Int32.min)   // wraps around
    #expect(javaHashCode("TagA-é") == 31 &* javaHashCode("TagA-") &+ 233)  // ASCII prefix, then a non-ASCII tail
}

@Test func asciiHashFourBytesAStepMatchesTheOneByOneHash() {
    var generator = SystemRandomNumberGenerator()
    for length in 0...41 {
        for seed: Int32 in [0, 35, -1, Int32.max, 123_456_789] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...0x7F, using: &generator) }
            let hash = bytes.withUnsafeBufferPointer { TagsCode.asciiHash($0, seed: seed) }
            #expect(hash == TagsCode.javaHash(bytes.map(UInt16.init), seed: seed), "length \(length), seed \(seed)")
            // One byte that is not ASCII anywhere, in the four-byte steps or the tail: no ASCII hash.
            for at in 0..<length {
                var other = bytes
                other[at] |= 0x80
                #expect(other.withUnsafeBufferPointer { TagsCode.asciiHash($0, seed: seed) } == nil, "length \(length), at \(at)")
            }
        }
    }
}

@Test func expressionIsSplitTrimmedAndHashed() {
    let s = Subscription(topic: "T", expression: " TagA ||TagB|| ||", subVersion: 3)
    #expect(s.tags == ["TagA", "TagB"])
    #expect(s.tagCodes == [javaHashCode("TagA"), javaHashCode("TagB")])
    #expect(!s.matchesAll)
    #expect(s.matches(tagsCode: 2_598_919))
    #expect(!s.matches(tagsCode: 0))                       // untagged message
    #expect(!s.matches(tagsCode: Int64(javaHashCode("TagC"))))
}

@Test func starOrEmptyMatchesEverything() {
    for e in ["*", "", " * "] {
        let s = Subscription(topic: "T", expression: e, subVersion: 0)
        #expect(s.matchesAll && s.tags.isEmpty && s.tagCodes.isEmpty)
        #expect(s.matches(tagsCode: 12345) && s.matches(tagsCode: 0))
    }
}

@Test func negativeHashesMatchSignExtendedTagsCodes() {
    let tag = "polygenelubricants"                          // hashCode is negative
    let s = Subscription(topic: "T", expression: tag, subVersion: 0)
    #expect(s.matches(tagsCode: Int64(javaHashCode(tag))))  // consume queue stores it sign-extended
    #expect(s.matches(tagsCode: Int64(UInt32(bitPattern: javaHashCode(tag)))))  // compared as Int32
}

/// The ASCII fast path of `trim` must agree with the Character walk: blanks of every kind at either end go, inner ones
/// stay, and an end that is not ASCII always takes the general path.
@Test func trimAgreesWithTheCharacterWalk() {
    func walk(_ s: String) -> String {
        String(s.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
    let cases = ["*", "TagA", " TagA", "TagA ", "\tA\n", "A B", "", " ", "\r\n", "\u{3000}TagA\u{3000}", "é", " é ",
                 "A\u{301}", "\u{301}A", "A\u{00A0}", "\u{0085}A", "A\u{2028}", "x\u{200B}", "||", " a || b "]
    for s in cases {
        #expect(Subscription.trim(s) == walk(s), "\(s.debugDescription)")
    }
}
