// MessageQueue: the (topic, brokerName, queueId) triple RocketMQ clients use to name one queue.

public struct MessageQueue: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var brokerName: String
    public var queueId: Int32

    public init(topic: String, brokerName: String, queueId: Int32) {
        self.topic = topic
        self.brokerName = brokerName
        self.queueId = queueId
    }

    /// Byte-wise order on (topic, brokerName, queueId), the order clients sort queues in.
    public static func < (lhs: MessageQueue, rhs: MessageQueue) -> Bool {
        if lhs.topic != rhs.topic { return Array(lhs.topic.utf8).lexicographicallyPrecedes(rhs.topic.utf8) }
        if lhs.brokerName != rhs.brokerName { return Array(lhs.brokerName.utf8).lexicographicallyPrecedes(rhs.brokerName.utf8) }
        return lhs.queueId < rhs.queueId
    }

    public var description: String { "\(topic)@\(brokerName)#\(queueId)" }
}
