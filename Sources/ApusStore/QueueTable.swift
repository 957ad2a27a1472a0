// QueueTable: the store's consume queues by topic and queue id (QueueKey), with the last few found.

import ApusMessage

/// One message queue: a topic and a queue id.
public struct QueueKey: Hashable, Sendable {
    public var topic: String
    public var queueId: Int32

    public init(topic: String, queueId: Int32) {
        self.topic = topic
        self.queueId = queueId
    }
}

/// The consume queues by topic and queue id, with the last few found: every append looks up its queue, and a pull
/// up to three times (its read, the long-poll's race check, the answer to its wake-up). Comparing a queue id, then a
/// topic's bytes, costs a fraction of hashing the topic (about 500 instructions a lookup).
struct QueueTable {
    private(set) var queues: [QueueKey: ConsumeQueue]
    /// Queues found lately; only queues of `queues`. Eight: a topic's queues, as many as the bench's topics and
    /// mqadmin's default have.
    private var recent = RecentList<ConsumeQueue>(capacity: 8)

    init(_ queues: [QueueKey: ConsumeQueue] = [:]) {
        self.queues = queues
    }

    mutating func find(topic: String, queueId: Int32) -> ConsumeQueue? {
        for i in recent.indices where recent[i].queueId == queueId && recent[i].topic == topic { return recent[i] }
        guard let queue = queues[QueueKey(topic: topic, queueId: queueId)] else { return nil }
        recent.remember(queue)
        return queue
    }

    mutating func insert(_ queue: ConsumeQueue) {
        queues[QueueKey(topic: queue.topic, queueId: queue.queueId)] = queue
        recent.remember(queue)
    }

    /// Removes and returns `topic`'s queues.
    mutating func removeQueues(of topic: String) -> [ConsumeQueue] {
        recent.removeAll { $0.topic == topic }
        return queues.keys.filter { $0.topic == topic }.compactMap { queues.removeValue(forKey: $0) }
    }
}
