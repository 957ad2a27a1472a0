// TopicAdminProcessor: UPDATE_AND_CREATE_TOPIC (17) — creates or changes a topic's queue counts and permission.

import ApusMessage
import ApusRemoting
import ApusStore

final class TopicAdminProcessor: Sendable {
    private let topics: TopicRegistry

    init(topics: TopicRegistry) {
        self.topics = topics
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        let header: CreateTopicRequestHeader
        do { header = try request.decodeHeader() } catch {
            return .response(to: request, code: .systemError, remark: "\(error)")
        }
        let topic = header.topic
        guard TopicNames.isValidTopicName(topic) else {
            return .response(to: request, code: .systemError, remark: "the topic name is missing or illegal")
        }
        let read = header.readQueueNums
        let write = header.writeQueueNums
        guard read > 0, write > 0, read <= 1024, write <= 1024 else {
            return .response(to: request, code: .systemError, remark: "queue numbers must be within 1...1024")
        }
        let config = TopicConfig(topicName: topic, readQueueNums: read, writeQueueNums: write,
                                 perm: header.perm, topicFilterType: header.topicFilterType,
                                 topicSysFlag: header.topicSysFlag, order: header.order)
        do {
            try topics.update(config)
        } catch {
            return .response(to: request, code: .systemError, remark: "cannot persist topic \(topic): \(error)")
        }
        return .response(to: request, code: .success)
    }
}
