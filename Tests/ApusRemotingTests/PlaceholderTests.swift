import Testing

@Test func placeholder_ApusRemotingTests() { #expect(Bool(true)) }
