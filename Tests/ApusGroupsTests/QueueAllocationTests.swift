// Tests of QueueAllocation.averagely against the client's formula (spec §8.5).
import Testing
import ApusMessage
import ApusGroups

private func queues(_ n: Int32) -> [MessageQueue] {
    (0..<n).reversed().map { MessageQueue(topic: "T", brokerName: "b", queueId: $0) }   // unsorted on purpose
}

@Test func eightQueuesOverThreeConsumers() {
    let all = queues(8), cids = ["c", "a", "b"]
    let ids = cids.sorted().map { QueueAllocation.averagely(queues: all, consumers: cids, me: $0).map(\.queueId) }
    #expect(ids == [[0, 1, 2], [3, 4, 5], [6, 7]])
}

@Test func moreConsumersThanQueues() {
    let sizes = ["a", "b", "c"].map { QueueAllocation.averagely(queues: queues(2), consumers: ["a", "b", "c"], me: $0).count }
    #expect(sizes == [1, 1, 0])
}

@Test func absentConsumerGetsNothingAndEveryQueueIsTakenOnce() {
    #expect(QueueAllocation.averagely(queues: queues(4), consumers: ["a"], me: "z") == [])
    #expect(QueueAllocation.averagely(queues: [], consumers: ["a"], me: "a") == [])
    let cids = (0..<5).map { "c\($0)" }
    let taken = cids.flatMap { QueueAllocation.averagely(queues: queues(13), consumers: cids, me: $0) }
    #expect(taken == queues(13).sorted())
}

@Test func broadcastingListOfSelfTakesEveryQueue() {
    #expect(QueueAllocation.averagely(queues: queues(4), consumers: ["a"], me: "a") == queues(4).sorted())
}
