// The Swift producer's message keys (UNIQ_KEY): 32 upper-case hex digits, the process's 16 then a counter's 16.

@testable import ApusClient
import Testing

@Test func uniqueKeysAreThePrefixThenTheCounterInUpperCaseHex() throws {
    let keys = UniqueKeyGenerator()
    let first = keys.next(), second = keys.next()
    for key in [first, second] {
        #expect(key.utf8.count == 32)
        #expect(key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) }, "\(key)")
    }
    #expect(first.prefix(16) == second.prefix(16))
    #expect(UInt64(first.suffix(16), radix: 16) == 1)
    #expect(UInt64(second.suffix(16), radix: 16) == 2)
    let lent = keys.withNext { String(decoding: $0, as: UTF8.self) }
    #expect(lent.prefix(16) == first.prefix(16) && UInt64(lent.suffix(16), radix: 16) == 3)
}

@Test func eightHexDigitsAreWrittenMostSignificantFirst() {
    for value: UInt32 in [0, 9, 10, 15, 16, 0x0123_ABCD, 0x9A9A_9A9A, 0xFEDC_BA98, .max] {
        let word = UniqueKeyGenerator.hexDigits(value)
        let text = withUnsafeBytes(of: word) { String(decoding: $0, as: UTF8.self) }
        let expected = String(value, radix: 16, uppercase: true)
        #expect(text == String(repeating: "0", count: 8 - expected.count) + expected)
    }
}
