// Tests of QueueLockTable: exclusive order-queue locks with renewal and 60 s expiry (spec §2.14).
import Testing
import ApusMessage
import ApusGroups

private let q0 = MessageQueue(topic: "T", brokerName: "b", queueId: 0)
private let q1 = MessageQueue(topic: "T", brokerName: "b", queueId: 1)

@Test func lockIsExclusivePerGroupAndQueue() {
    var t = QueueLockTable()
    #expect(t.lock(group: "G", queues: [q0], clientId: "A", now: 0) == [q0])
    #expect(t.lock(group: "G", queues: [q0, q1, q1], clientId: "B", now: 1) == [q1])
    #expect(t.holder(group: "G", queue: q0, now: 2) == "A")
    #expect(t.holder(group: "G", queue: q1, now: 2) == "B")
    #expect(t.lock(group: "H", queues: [q0], clientId: "B", now: 3) == [q0])     // other group, own lock
}

@Test func holderRenewsAndLockExpiresAfterSixtySeconds() {
    var t = QueueLockTable()
    _ = t.lock(group: "G", queues: [q0], clientId: "A", now: 0)
    #expect(t.lock(group: "G", queues: [q0], clientId: "A", now: 20_000) == [q0])  // renewal
    #expect(t.lock(group: "G", queues: [q0], clientId: "B", now: 80_000) == [])     // exactly 60 s: still A's
    #expect(t.holder(group: "G", queue: q0, now: 80_000) == "A")
    #expect(t.holder(group: "G", queue: q0, now: 80_001) == nil)
    #expect(t.lock(group: "G", queues: [q0], clientId: "B", now: 80_001) == [q0])
    #expect(t.holder(group: "G", queue: q0, now: 80_001) == "B")
}

@Test func onlyTheHolderUnlocks() {
    var t = QueueLockTable()
    _ = t.lock(group: "G", queues: [q0, q1], clientId: "A", now: 0)
    t.unlock(group: "G", queues: [q0, q1], clientId: "B")
    #expect(t.holder(group: "G", queue: q0, now: 1) == "A")
    t.unlock(group: "G", queues: [q0], clientId: "A")
    #expect(t.holder(group: "G", queue: q0, now: 1) == nil)
    #expect(t.holder(group: "G", queue: q1, now: 1) == "A")
    #expect(t.lock(group: "G", queues: [q0], clientId: "B", now: 2) == [q0])
}
