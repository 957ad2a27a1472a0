// Tests of ConsumerGroupTable: membership, effective model, consumer lists, offset owner, retries, notifications.
import Testing
@testable import ApusGroups

private let group = "GID"

private func hb(_ client: String, _ model: MessageModel = .clustering, topics: [String: String] = ["T": "*"],
                version: Int64 = 1, group: String = group) -> ConsumerHeartbeat {
    var subs = topics.map { Subscription(topic: $0.key, expression: $0.value, subVersion: version) }
    if model == .clustering { subs.append(Subscription(topic: "%RETRY%\(group)", expression: "*", subVersion: version)) }
    return ConsumerHeartbeat(group: group, clientId: client, messageModel: model, subscriptions: subs)
}

/// A table with members A, B, C (clustering) on connections 1, 2, 3 whose join notification was already sent.
private func threeMembers() -> ConsumerGroupTable {
    var t = ConsumerGroupTable()
    for (i, c) in ["A", "B", "C"].enumerated() { t.heartbeat(hb(c), connection: ConnectionID(i + 1), now: 0) }
    _ = t.dueNotifications(now: 1_000)
    return t
}

@Test func unsetModelIsClustering() {
    let h = ConsumerHeartbeat(group: group, clientId: "A", subscriptions: [])
    #expect(h.messageModel == .clustering)
    #expect(MessageModel(ordinal: 0) == .broadcasting)
    #expect(MessageModel(ordinal: 1) == .clustering)
    #expect(ConsumeType(ordinal: 1) == .consumePassively)
    var t = ConsumerGroupTable()
    t.heartbeat(h, connection: 1, now: 0)
    #expect(t.effectiveModel(of: group) == .clustering)
}

@Test func clusteringMembersEachSeeAllThree() {
    let t = threeMembers()
    for conn: ConnectionID in [1, 2, 3] { #expect(t.consumerList(group: group, askingConnection: conn) == ["A", "B", "C"]) }
    #expect(t.consumerList(group: group, askingConnection: 99) == ["A", "B", "C"])   // unknown asker
    #expect(t.consumerList(group: "other", askingConnection: 1) == [])
    #expect(t.offsetOwner(group: group, connection: 1) == .group)
    #expect(t.retriesFailures(group: group, connection: 1))
}

@Test func fourthMemberJoiningGivesOneNotificationAfterTheDelay() {
    var t = threeMembers()
    #expect(t.nextNotification == nil, "nothing changed since the last notification: nothing to wake for")
    t.heartbeat(hb("D"), connection: 4, now: 10_000)
    t.heartbeat(hb("D"), connection: 4, now: 10_050)
    t.heartbeat(hb("A"), connection: 1, now: 10_100)
    #expect(t.nextNotification == 10_200, "the broker looks again when the change is due")
    #expect(t.dueNotifications(now: 10_199) == [])
    #expect(t.dueNotifications(now: 10_200) == [GroupNotification(group: group, connections: [1, 2, 3, 4])])
    #expect(t.nextNotification == nil)
    #expect(t.dueNotifications(now: 20_000) == [])
    #expect(t.consumerList(group: group, askingConnection: 1) == ["A", "B", "C", "D"])
}

@Test func repeatedIdenticalHeartbeatsDoNotNotify() {
    var t = threeMembers()
    t.heartbeat(hb("A"), connection: 1, now: 30_000)
    t.heartbeat(hb("B", version: 2), connection: 2, now: 30_000)        // newer subVersion, same filter
    t.heartbeat(hb("C", topics: ["T": " * "]), connection: 3, now: 30_000)
    #expect(t.dueNotifications(now: 60_000) == [])
}

@Test func subscriptionChangesNotify() {
    var t = threeMembers()
    t.heartbeat(hb("A", topics: ["T": "TagA"]), connection: 1, now: 1_000)              // expression changed
    #expect(t.dueNotifications(now: 2_000).map(\.group) == [group])
    t.heartbeat(hb("A", topics: ["T": "TagA", "U": "*"]), connection: 1, now: 3_000)    // topic added
    #expect(t.dueNotifications(now: 4_000).map(\.group) == [group])
    t.heartbeat(hb("A", topics: ["U": "*"]), connection: 1, now: 5_000)                 // topic removed
    #expect(t.dueNotifications(now: 6_000) == [GroupNotification(group: group, connections: [1, 2, 3])])
    t.heartbeat(hb("A", topics: ["U": "*"], version: 9), connection: 1, now: 7_000)
    #expect(t.dueNotifications(now: 8_000) == [])
}

@Test func memberLeavingByUnregisterNotifiesTheRest() {
    var t = threeMembers()
    t.unregister(group: group, clientId: "B", connection: 2, now: 5_000)
    #expect(t.consumerList(group: group, askingConnection: 1) == ["A", "C"])
    #expect(t.dueNotifications(now: 5_200) == [GroupNotification(group: group, connections: [1, 3])])
}

@Test func memberLeavingByConnectionCloseNotifiesTheRest() {
    var t = threeMembers()
    t.connectionClosed(3, now: 5_000)
    #expect(t.clientId(of: 3) == nil)
    #expect(t.dueNotifications(now: 5_200) == [GroupNotification(group: group, connections: [1, 2])])
}

@Test func silentMemberExpiresAndTheRestAreNotified() {
    var t = threeMembers()
    t.heartbeat(hb("A"), connection: 1, now: 100_000)
    t.heartbeat(hb("B"), connection: 2, now: 100_000)
    #expect(t.expire(now: 120_000) == [])                  // C's last heartbeat is exactly 120 s old
    #expect(t.expire(now: 120_001) == [3])
    #expect(t.consumerList(group: group, askingConnection: 1) == ["A", "B"])
    #expect(t.dueNotifications(now: 120_201) == [GroupNotification(group: group, connections: [1, 2])])
}

@Test func lastMemberGoneRemovesTheGroup() {
    var t = ConsumerGroupTable()
    t.heartbeat(hb("A"), connection: 1, now: 0)
    t.connectionClosed(1, now: 10)
    #expect(t.groups() == [])
    #expect(t.effectiveModel(of: group) == nil)
    #expect(t.consumerList(group: group, askingConnection: 1) == [])
    #expect(t.members(of: group) == [])
    #expect(t.dueNotifications(now: 1_000) == [])
}

@Test func oneBroadcastingMemberMakesTheGroupBroadcastingForAll() {
    // given members A (clustering) and B (broadcasting), when B heartbeats,
    // then the effective model is broadcasting and A's consumer list is [A]
    var t = ConsumerGroupTable()
    t.heartbeat(hb("A"), connection: 1, now: 0)
    _ = t.dueNotifications(now: 1_000)
    t.heartbeat(hb("B", .broadcasting), connection: 2, now: 2_000)
    #expect(t.effectiveModel(of: group) == .broadcasting)
    #expect(t.consumerList(group: group, askingConnection: 1) == ["A"])
    #expect(t.consumerList(group: group, askingConnection: 2) == ["B"])
    #expect(t.offsetOwner(group: group, connection: 1) == .client("A"))
    #expect(t.offsetOwner(group: group, connection: 2) == .group)
    #expect(!t.retriesFailures(group: group, connection: 1))
    #expect(!t.retriesFailures(group: group, connection: 2))
    #expect(t.dueNotifications(now: 2_200) == [GroupNotification(group: group, connections: [1, 2])])
}

@Test func memberSwitchingToBroadcastingNotifies() {
    var t = threeMembers()
    t.heartbeat(hb("A", .broadcasting), connection: 1, now: 5_000)      // same connection, same topics: model only
    #expect(t.effectiveModel(of: group) == .broadcasting)
    #expect(t.consumerList(group: group, askingConnection: 2) == ["B"])
    #expect(t.dueNotifications(now: 5_200).map(\.group) == [group])
}

@Test func broadcastingMemberLeavingRestoresClustering() {
    var t = threeMembers()
    t.heartbeat(hb("X", .broadcasting), connection: 9, now: 1_000)
    _ = t.dueNotifications(now: 2_000)
    t.unregister(group: group, clientId: "X", connection: 9, now: 3_000)
    #expect(t.effectiveModel(of: group) == .clustering)
    #expect(t.consumerList(group: group, askingConnection: 1) == ["A", "B", "C"])
    #expect(t.offsetOwner(group: group, connection: 1) == .group)
    #expect(t.retriesFailures(group: group, connection: 1))
    #expect(t.dueNotifications(now: 3_200) == [GroupNotification(group: group, connections: [1, 2, 3])])
}

@Test func broadcastingMembersAreNeverRetried() {
    var t = ConsumerGroupTable()
    t.heartbeat(hb("A", .broadcasting), connection: 1, now: 0)
    #expect(!t.retriesFailures(group: group, connection: 1))
    #expect(!t.retriesFailures(group: group, connection: 7))           // unknown connection, broadcasting group
    #expect(t.retriesFailures(group: "unknown", connection: 7))         // nothing known: default clustering
}

@Test func reconnectingClientIsStillOneMember() {
    var t = threeMembers()
    t.heartbeat(hb("A"), connection: 11, now: 5_000)                   // A reconnected
    #expect(t.members(of: group).count == 3)
    #expect(t.consumerList(group: group, askingConnection: 11) == ["A", "B", "C"])
    #expect(t.clientId(of: 11) == "A")
    #expect(t.dueNotifications(now: 5_200) == [GroupNotification(group: group, connections: [2, 3, 11])])
    t.connectionClosed(1, now: 6_000)                                   // the old connection goes away
    #expect(t.members(of: group).map(\.clientId) == ["A", "B", "C"])
    #expect(t.dueNotifications(now: 7_000) == [])
}

@Test func oneClientInSeveralGroups() {
    var t = ConsumerGroupTable()
    t.heartbeat(hb("A", group: "G1"), connection: 1, now: 0)
    t.heartbeat(hb("A", .broadcasting, group: "G2"), connection: 1, now: 0)
    t.heartbeat(hb("B", group: "G1"), connection: 2, now: 0)
    #expect(t.groups() == ["G1", "G2"])
    #expect(t.effectiveModel(of: "G1") == .clustering)
    #expect(t.consumerList(group: "G1", askingConnection: 1) == ["A", "B"])
    #expect(t.offsetOwner(group: "G1", connection: 1) == .group)
    _ = t.dueNotifications(now: 1_000)
    t.connectionClosed(1, now: 2_000)
    #expect(t.groups() == ["G1"])
    #expect(t.dueNotifications(now: 3_000) == [GroupNotification(group: "G1", connections: [2])])
}

@Test func groupSubscriptionIsTheLatestVersion() {
    var t = ConsumerGroupTable()
    t.heartbeat(hb("A", topics: ["T": "TagA"], version: 5), connection: 1, now: 0)
    t.heartbeat(hb("B", topics: ["T": "TagA || TagB"], version: 7), connection: 2, now: 0)
    #expect(t.subscription(group: group, topic: "T")?.tags == ["TagA", "TagB"])
    #expect(t.subscription(group: group, topic: "nope") == nil)
    #expect(t.members(of: group).map(\.lastHeartbeat) == [0, 0])
}

@Test func inconsistentMembersAreReportedNotMerged() {
    var t = ConsumerGroupTable()
    t.heartbeat(hb("A", topics: ["T": "TagA || TagB"]), connection: 1, now: 0)
    t.heartbeat(hb("B", topics: ["T": "TagB||TagA"]), connection: 2, now: 0)
    #expect(t.inconsistencies(of: group) == [])                          // same filter, written differently
    t.heartbeat(hb("C", topics: ["T": "TagC"]), connection: 3, now: 0)
    t.heartbeat(hb("D", .broadcasting, topics: ["T": "TagA || TagB"]), connection: 4, now: 0)
    t.heartbeat(hb("E", topics: ["T": "TagA||TagB", "U": "*"]), connection: 5, now: 0)
    let reports = t.inconsistencies(of: group)
    #expect(reports == [
        SubscriptionInconsistency(aspect: .messageModel, variants: [
            .init(value: "BROADCASTING", clientIds: ["D"]), .init(value: "CLUSTERING", clientIds: ["A", "B", "C", "E"])]),
        SubscriptionInconsistency(aspect: .topics, variants: [
            .init(value: "T", clientIds: ["A", "B", "C", "D"]), .init(value: "T,U", clientIds: ["E"])]),
        SubscriptionInconsistency(aspect: .expression(topic: "T"), variants: [
            .init(value: "TagA || TagB", clientIds: ["A", "B", "D", "E"]), .init(value: "TagC", clientIds: ["C"])]),
    ])
    #expect(reports[2].description == "expression of T differs: TagA || TagB by A,B,D,E; TagC by C")
    // each member keeps its own filter
    #expect(t.members(of: group).first { $0.clientId == "C" }?.subscriptions.first?.tags == ["TagC"])
}

@Test func groupConsumedOverTcpAndHttpIsReportedAsProtocolInconsistency() {
    var t = ConsumerGroupTable()
    t.heartbeat(hb("A"), connection: 1, now: 0)
    #expect(t.inconsistencies(of: group, httpClients: []) == [])
    #expect(ConsumerGroupTable().inconsistencies(of: group, httpClients: ["h1"]) == [])   // HTTP only: consistent
    #expect(t.inconsistencies(of: group, httpClients: ["h2", "h1"]) == [
        SubscriptionInconsistency(aspect: .protocol, variants: [
            .init(value: "http", clientIds: ["h1", "h2"]), .init(value: "remoting", clientIds: ["A"])]),
    ])
}
