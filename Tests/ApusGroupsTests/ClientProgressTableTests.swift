// Tests of ClientProgressTable: per-client pull positions of a group.
import Testing
import ApusGroups

@Test func latestPullOfEachClientQueueIsKept() {
    var t = ClientProgressTable()
    t.recordPull(group: "G", clientId: "B", topic: "T", queueId: 1, nextOffset: 10, now: 1)
    t.recordPull(group: "G", clientId: "A", topic: "T", queueId: 1, nextOffset: 5, now: 2)
    t.recordPull(group: "G", clientId: "A", topic: "T", queueId: 0, nextOffset: 7, now: 3)
    t.recordPull(group: "G", clientId: "B", topic: "T", queueId: 1, nextOffset: 12, now: 4)
    t.recordPull(group: "H", clientId: "A", topic: "T", queueId: 0, nextOffset: 99, now: 5)
    #expect(t.positions(group: "G") == [
        ClientPosition(clientId: "A", topic: "T", queueId: 0, nextOffset: 7, lastPull: 3),
        ClientPosition(clientId: "A", topic: "T", queueId: 1, nextOffset: 5, lastPull: 2),
        ClientPosition(clientId: "B", topic: "T", queueId: 1, nextOffset: 12, lastPull: 4),
    ])
    t.forget(group: "G", clientId: "A")
    #expect(t.positions(group: "G").map(\.clientId) == ["B"])
    #expect(t.positions(group: "H").count == 1)
    t.forget(pulledBefore: 5)
    #expect(t.positions(group: "G") == [])
    #expect(t.positions(group: "H").count == 1)
}
