import Testing

@Test func placeholder_ApusMessageTests() { #expect(Bool(true)) }
