// RecentList: the values remembered last, replaced oldest first.
import ApusMessage
import Testing

@Test func theOldestRememberedValueIsReplacedFirst() {
    var recent = RecentList<Int>(capacity: 3)
    for value in 1...3 { recent.remember(value) }
    #expect(Array(recent) == [1, 2, 3])
    recent.remember(4)
    recent.remember(5)
    #expect(Array(recent) == [4, 5, 3])
    recent.removeAll { $0 == 5 }
    #expect(Array(recent) == [4, 3])
    recent.remember(6)
    #expect(Array(recent) == [4, 3, 6])
    recent.remember(7)
    #expect(Array(recent) == [7, 3, 6], "after a removal the replacement starts again at the first")
    recent.removeAll()
    #expect(recent.isEmpty)
}
