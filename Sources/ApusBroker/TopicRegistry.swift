// TopicRegistry: topic configs as the broker uses them — system topics, auto-creation through TBW102, retry/DLQ topics.

import ApusStore
import Logging

final class TopicRegistry: Sendable {
    static let defaultTopic = "TBW102"
    static let selfTestTopic = "SELF_TEST_TOPIC"
    static let offsetMovedEvent = "OFFSET_MOVED_EVENT"
    /// Topics clients may not send to.
    static let notAllowedToSend: Set<String> = [
        "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC", selfTestTopic, offsetMovedEvent,
    ]

    let table: TopicConfigTable
    private let config: BrokerConfig
    private let logger: Logger
    /// Called after a topic is created or changed, so the name server learns it at once.
    private let onChange: @Sendable () -> Void

    init(table: TopicConfigTable, config: BrokerConfig, logger: Logger, onChange: @escaping @Sendable () -> Void) throws {
        self.table = table
        self.config = config
        self.logger = logger
        self.onChange = onChange
        try createSystemTopics()
    }

    private func createSystemTopics() throws {
        var system: [TopicConfig] = [
            TopicConfig(topicName: Self.selfTestTopic, readQueueNums: 1, writeQueueNums: 1, perm: Permission.read | Permission.write),
            TopicConfig(topicName: Self.offsetMovedEvent, readQueueNums: 1, writeQueueNums: 1, perm: Permission.read | Permission.write),
            TopicConfig(topicName: config.brokerClusterName, readQueueNums: 16, writeQueueNums: 16,
                        perm: Permission.inherit | Permission.read | Permission.write),
            TopicConfig(topicName: config.brokerName, readQueueNums: 1, writeQueueNums: 1,
                        perm: Permission.inherit | Permission.read | Permission.write),
        ]
        if config.autoCreateTopicEnable {
            system.append(TopicConfig(topicName: Self.defaultTopic, readQueueNums: config.defaultTopicQueueNums,
                                      writeQueueNums: config.defaultTopicQueueNums,
                                      perm: Permission.inherit | Permission.read | Permission.write))
        } else if table.get(Self.defaultTopic) != nil {
            try table.remove(Self.defaultTopic)
        }
        for topic in system where table.get(topic.topicName) == nil {
            try table.put(topic)
        }
    }

    func get(_ topic: String) -> TopicConfig? { table.get(topic) }

    /// The config to send to `topic`, auto-creating it from `defaultTopic` (normally TBW102) when allowed.
    /// As RocketMQ: a new topic gets the sender's `defaultTopicQueueNums` queues (the broker's when it sends none),
    /// at most as many as the template has.
    func configForSend(topic: String, defaultTopic: String?, queueNums: Int32? = nil) -> TopicConfig? {
        if let existing = table.get(topic) { return existing }
        if topic.hasPrefix(RetryTopics.retryPrefix) {
            return create(TopicConfig(topicName: topic, readQueueNums: 1, writeQueueNums: 1, perm: Permission.read | Permission.write))
        }
        guard config.autoCreateTopicEnable, let template = table.get(defaultTopic ?? Self.defaultTopic),
              template.perm & Permission.inherit != 0 else { return nil }
        let requested = queueNums.flatMap { $0 > 0 ? $0 : nil } ?? config.defaultTopicQueueNums
        let queues = min(requested, template.writeQueueNums)
        return create(TopicConfig(topicName: topic, readQueueNums: queues, writeQueueNums: queues,
                                  perm: template.perm & ~Permission.inherit, topicFilterType: template.topicFilterType))
    }

    /// `%RETRY%{group}` or `%DLQ%{group}`: one queue, read-write.
    @discardableResult
    func ensureSingleQueueTopic(_ topic: String) -> TopicConfig? {
        if let existing = table.get(topic) { return existing }
        return create(TopicConfig(topicName: topic, readQueueNums: 1, writeQueueNums: 1, perm: Permission.read | Permission.write))
    }

    /// Admin creation or change; the name server hears of it at once.
    func update(_ topic: TopicConfig) throws {
        if try table.put(topic) {
            logger.info("topic updated", metadata: ["topic": "\(topic.topicName)", "queues": "\(topic.writeQueueNums)"])
            onChange()
        }
    }

    /// Creation on a send, heartbeat or send-back path: visible at once, written to disk in the background.
    private func create(_ topic: TopicConfig) -> TopicConfig? {
        do {
            try table.put(topic, persistence: .background)
        } catch {
            logger.error("cannot persist new topic", metadata: ["topic": "\(topic.topicName)", "error": "\(error)"])
            return nil
        }
        logger.info("topic created", metadata: ["topic": "\(topic.topicName)", "queues": "\(topic.writeQueueNums)"])
        onChange()
        return table.get(topic.topicName) ?? topic
    }

    static let maxGroupNameLength = 255

    /// RocketMQ's rule: `^[%|a-zA-Z0-9_-]+$`, at most 127 bytes for a topic (255 for a group).
    static func isValidName(_ topic: String, maxLength: Int = 127) -> Bool {
        guard !topic.isEmpty, topic.utf8.count <= maxLength else { return false }
        return topic.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x25 || c == 0x7C || c == 0x5F || c == 0x2D
        }
    }
}

enum RetryTopics {
    static let retryPrefix = "%RETRY%"
    static let dlqPrefix = "%DLQ%"
    static func retry(_ group: String) -> String { retryPrefix + group }
    static func deadLetter(_ group: String) -> String { dlqPrefix + group }
}
