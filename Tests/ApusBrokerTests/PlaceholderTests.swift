import Testing

@Test func placeholder_ApusBrokerTests() { #expect(Bool(true)) }
