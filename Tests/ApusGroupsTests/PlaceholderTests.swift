import Testing

@Test func placeholder_ApusGroupsTests() { #expect(Bool(true)) }
