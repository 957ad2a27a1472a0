// TopicRegistry: topic configs as the broker uses them — system topics, auto-creation through TBW102, retry/DLQ topics.

import ApusMessage
import ApusStore
import Logging

final class TopicRegistry: Sendable {
    let table: TopicConfigTable
    private let config: BrokerConfig
    /// `autoCreateTopicEnable` and `defaultTopicQueueNums` as they stand now (UPDATE_BROKER_CONFIG).
    private let settings: RuntimeSettings
    private let logger: Logger
    /// Called after a topic is created or changed, so the name server learns it at once.
    private let onChange: @Sendable () -> Void
    /// Called after a send, heartbeat or send-back created a topic, so its queues' files can be made off the loop.
    private let onCreate: @Sendable (TopicConfig) -> Void

    init(table: TopicConfigTable, config: BrokerConfig, settings: RuntimeSettings, logger: Logger,
         onChange: @escaping @Sendable () -> Void, onCreate: @escaping @Sendable (TopicConfig) -> Void = { _ in }) throws {
        self.table = table
        self.config = config
        self.settings = settings
        self.logger = logger
        self.onChange = onChange
        self.onCreate = onCreate
        try createSystemTopics()
    }

    private func createSystemTopics() throws {
        var system: [TopicConfig] = [
            TopicConfig(topicName: TopicNames.selfTest, readQueueNums: 1, writeQueueNums: 1, perm: Permission.read | Permission.write),
            TopicConfig(topicName: TopicNames.offsetMovedEvent, readQueueNums: 1, writeQueueNums: 1, perm: Permission.read | Permission.write),
            TopicConfig(topicName: config.brokerClusterName, readQueueNums: 16, writeQueueNums: 16,
                        perm: Permission.inherit | Permission.read | Permission.write),
            TopicConfig(topicName: config.brokerName, readQueueNums: 1, writeQueueNums: 1,
                        perm: Permission.inherit | Permission.read | Permission.write),
        ]
        if config.autoCreateTopicEnable {
            system.append(TopicConfig(topicName: TopicNames.autoCreateTemplate, readQueueNums: config.defaultTopicQueueNums,
                                      writeQueueNums: config.defaultTopicQueueNums,
                                      perm: Permission.inherit | Permission.read | Permission.write))
        } else if table.get(TopicNames.autoCreateTemplate) != nil {
            try table.remove(TopicNames.autoCreateTemplate)
        }
        for topic in system where table.get(topic.topicName) == nil {
            try table.put(topic)
        }
    }

    func get(_ topic: String) -> TopicConfig? { table.get(topic) }
    func readTarget(_ topic: String) -> (topicName: String, limits: TopicLimits)? { table.readTarget(topic) }
    func sendTarget(utf8 topic: UnsafeBufferPointer<UInt8>) -> (topicName: String, limits: TopicLimits)? {
        table.sendTarget(utf8: topic)
    }

    /// The config to send to `topic`, auto-creating it from `defaultTopic` (normally TBW102) when allowed.
    /// As RocketMQ: a new topic gets the sender's `defaultTopicQueueNums` queues (the broker's when it sends none),
    /// at most as many as the template has.
    func configForSend(topic: String, defaultTopic: String?, queueNums: Int32? = nil) -> TopicConfig? {
        if let existing = table.get(topic) { return existing }
        if TopicNames.isRetry(topic) {
            return create(TopicConfig(topicName: topic, readQueueNums: 1, writeQueueNums: 1, perm: Permission.read | Permission.write))
        }
        guard settings.autoCreateTopicEnable, let template = table.get(defaultTopic ?? TopicNames.autoCreateTemplate),
              Permission.isInherited(template.perm) else { return nil }
        let requested = queueNums.flatMap { $0 > 0 ? $0 : nil } ?? settings.defaultTopicQueueNums
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

    /// Admin deletion: the config is gone (persisted before returning) and the name server hears of it at once.
    /// Returns false when the topic did not exist.
    @discardableResult
    func delete(_ topic: String) throws -> Bool {
        guard try table.remove(topic) else { return false }
        logger.info("topic deleted", metadata: ["topic": "\(topic)"])
        onChange()
        return true
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
        onCreate(topic)
        return table.get(topic.topicName) ?? topic
    }
}
