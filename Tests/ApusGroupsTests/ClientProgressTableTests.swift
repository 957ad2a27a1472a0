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

@Test func positionsOfManyQueuesClientsAndGroupsRecordedInTurnMatchTheirLastPulls() {
    var t = ClientProgressTable()
    var expected: [String: [String: ClientPosition]] = [:]  // group → "client topic queue" → position
    var seed: UInt64 = 42
    func next(_ bound: Int) -> Int {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Int((seed >> 33) % UInt64(bound))
    }
    for now in Int64(1)...3_000 {
        if now % 700 == 0 {
            let group = "G\(next(3))", clientId = "C\(next(3))"
            t.forget(group: group, clientId: clientId)
            expected[group] = expected[group]?.filter { $0.value.clientId != clientId }
            continue
        }
        // A run of pulls over one consumer's queues, more than the table remembers, then another consumer's.
        let group = "G\(next(3))", clientId = "C\(next(3))", topic = "T\(next(2))", queueId = Int32(next(12))
        let offset = Int64(next(1_000))
        t.recordPull(group: group, clientId: clientId, topic: topic, queueId: queueId, nextOffset: offset, now: now)
        expected[group, default: [:]]["\(clientId) \(topic) \(queueId)"] =
            ClientPosition(clientId: clientId, topic: topic, queueId: queueId, nextOffset: offset, lastPull: now)
    }
    for g in 0..<3 {
        let group = "G\(g)"
        let want = (expected[group]?.values.map { $0 } ?? []).sorted {
            ($0.clientId, $0.topic, $0.queueId) < ($1.clientId, $1.topic, $1.queueId)
        }
        #expect(t.positions(group: group) == want)
    }
}
