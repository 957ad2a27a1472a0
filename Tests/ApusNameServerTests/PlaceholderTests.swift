import Testing

@Test func placeholder_ApusNameServerTests() { #expect(Bool(true)) }
