// TopicAdminProcessor: UPDATE_AND_CREATE_TOPIC (17) — creates or changes a topic's queue counts and permission.

import ApusRemoting
import ApusStore

final class TopicAdminProcessor: Sendable {
    private let topics: TopicRegistry

    init(topics: TopicRegistry) {
        self.topics = topics
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) -> RemotingCommand {
        guard let topic = request.string("topic"), TopicRegistry.isValidName(topic) else {
            return .response(to: request, code: .systemError, remark: "the topic name is missing or illegal")
        }
        let read = request.int32("readQueueNums") ?? 16
        let write = request.int32("writeQueueNums") ?? 16
        guard read > 0, write > 0, read <= 1024, write <= 1024 else {
            return .response(to: request, code: .systemError, remark: "queue numbers must be within 1...1024")
        }
        let config = TopicConfig(topicName: topic, readQueueNums: read, writeQueueNums: write,
                                 perm: request.int32("perm") ?? (Permission.read | Permission.write),
                                 topicFilterType: request.string("topicFilterType") ?? "SINGLE_TAG",
                                 topicSysFlag: request.int32("topicSysFlag") ?? 0, order: request.bool("order") ?? false)
        do {
            try topics.update(config)
        } catch {
            return .response(to: request, code: .systemError, remark: "cannot persist topic \(topic): \(error)")
        }
        return .response(to: request, code: .success)
    }
}
