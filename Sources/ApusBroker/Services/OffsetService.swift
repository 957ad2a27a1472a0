// OffsetService: consumer progress of clustering groups, stored on the broker — query with RocketMQ's rules for a
// group seen for the first time, and commit. A clustering member of an effectively broadcasting group keeps its own
// offsets (`group@clientId`), so it never moves the group's.

import ApusGroups
import ApusMessage
import ApusStore

final class OffsetService: Sendable {
    enum Query: Equatable {
        case offset(Int64)
        /// Nothing stored and the queue no longer starts at 0: the client applies its consume-from-where.
        case notFound
    }

    private let table: ConsumerOffsetTable
    private let groups: GroupService
    private let store: MessageStore

    init(table: ConsumerOffsetTable, groups: GroupService, store: MessageStore) {
        self.table = table
        self.groups = groups
        self.store = store
    }

    /// The table key for the member on `connection` (nil: the group itself) and the group's shared key.
    private func keys(group: String, connection: ConnectionID?) -> (own: String, shared: String) {
        switch groups.offsetOwner(group: group, connection: connection) {
        case .group: return (group, group)
        case let .client(clientId): return (TopicNames.pairKey(group, clientId), group)
        }
    }

    /// Spec §2.8: the stored offset; else 0 while the queue still starts at 0 (a new group reads a young queue from
    /// the beginning, as Apache RocketMQ does); else not found.
    func query(group: String, topic: String, queueId: Int32, connection: ConnectionID?) throws(ServiceError) -> Query {
        try GroupService.validate(group: group)
        let keys = keys(group: group, connection: connection)
        let stored = table.query(group: keys.own, topic: topic, queueId: queueId)
            ?? (keys.own != keys.shared ? table.query(group: keys.shared, topic: topic, queueId: queueId) : nil)
        if let stored, stored >= 0 { return .offset(stored) }
        if store.minOffset(topic: topic, queueId: queueId) <= 0 { return .offset(0) }
        return .notFound
    }

    /// Records the group's progress; an illegal group name stores nothing.
    func commit(group: String, topic: String, queueId: Int32, offset: Int64, connection: ConnectionID?) throws(ServiceError) {
        try GroupService.validate(group: group)
        commit(validGroup: group, topic: topic, queueId: queueId, offset: offset, connection: connection)
    }

    /// `commit` for a group whose name the caller has checked (a pull checks it first).
    func commit(validGroup group: String, topic: String, queueId: Int32, offset: Int64, connection: ConnectionID?) {
        table.commit(group: keys(group: group, connection: connection).own, topic: topic, queueId: queueId, offset: offset)
    }

    func persist() throws {
        try table.persist()
    }
}
