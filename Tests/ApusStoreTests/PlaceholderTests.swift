import Testing

@Test func placeholder_ApusStoreTests() { #expect(Bool(true)) }
