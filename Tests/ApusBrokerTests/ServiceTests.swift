// The broker's services driven directly, without sockets: sends and their stored properties, delay levels and
// timers through the schedule, retries and dead letters, broadcasting without retry, group-name validation, locks,
// pull sizes.

@testable import ApusBroker
import ApusClient
import ApusGroups
import ApusMessage
@testable import ApusStore
import NIOCore
import Foundation
import Synchronization
import Testing

private let t0: Int64 = 1_800_000_000_000

private func props(_ m: StoredMessage) -> [String: String] { m.propertyMap }

@Test func storedPropertiesDropWaitAndCarryTheCluster() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    try h.send(topic: "Plain", now: t0)
    let stored = try #require(h.messages(topic: "Plain").first)
    #expect(props(stored)["WAIT"] == nil)
    #expect(props(stored)["CLUSTER"] == "DefaultCluster")
    #expect(props(stored)["TAGS"] == "TagA")
}

@Test func autoCreatedTopicTakesTheSendersQueueCountCappedByTBW102() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    try h.send(topic: "Four", now: t0, queueNums: 4)
    try h.send(topic: "Many", now: t0, queueNums: 64)
    #expect(h.broker.topics.get("Four")?.writeQueueNums == 4)
    #expect(h.broker.topics.get("Many")?.writeQueueNums == 8, "capped by TBW102's defaultTopicQueueNums")
}

@Test func batchElementsWithAndWithoutTrailingSeparatorKeepTheirTags() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    // Java 4.9 ends an element's properties without 0x02; the C++ client with it.
    let java = MessageBatchElement(body: Array("j".utf8), properties: "TAGS\u{1}TagE\u{2}UNIQ_KEY\u{1}J1")
    let cpp = MessageBatchElement(body: Array("c".utf8), properties: "TAGS\u{1}TagE\u{2}UNIQ_KEY\u{1}C1\u{2}")
    let prepared = try h.broker.send.prepare(SendRequest(
        topic: "Batch", defaultTopic: "TBW102", queueId: 0, bornTimestamp: t0, properties: "WAIT\u{1}true",
        batch: true, body: ByteBuffer(bytes: MessageBatchCodec.encode([java, cpp])), bornHost: ServiceHarness.bornHost), now: t0)
    #expect(h.broker.send.append(prepared).status == .ok)
    let stored = h.messages(topic: "Batch")
    #expect(stored.map { props($0)["TAGS"] } == ["TagE", "TagE"])
    #expect(stored.map { props($0)["UNIQ_KEY"] } == ["J1", "C1"])
    #expect(stored.allSatisfy { props($0)["WAIT"] == nil && props($0)["CLUSTER"] == "DefaultCluster" })
    #expect(stored.allSatisfy { $0.reconsumeTimes == 0 })
    let tagE = TagsCode.of("TagE")
    let filtered = h.broker.store.getMessages(topic: "Batch", queueId: 0, offset: 0, maxCount: 10, maxBytes: 1 << 20,
                                              filter: { $0 == tagE })
    #expect(filtered.messageCount == 2, "tag filtering sees TagE")
}

@Test func delayLevelIsHeldUntilDueThenDeliveredIntact() throws {
    let h = try ServiceHarness { $0.messageDelayLevels = [1_000, 5_000, 10_000] }
    defer { h.stop() }
    try h.send(topic: "Later", body: "d", properties: [("DELAY", "3"), ("KEYS", "k1"), ("color", "blue")], now: t0)
    try h.send(topic: "Later", body: "now", now: t0)
    #expect(h.messages(topic: "Later").map { String(buffer: $0.body) } == ["now"], "the delayed one waits")
    #expect(h.messages(topic: ScheduleService.topic, queueId: 2).count == 1, "stored under its level's queue")
    #expect(h.broker.schedule.tick(now: t0 + 9_999) == t0 + 10_000, "the service next looks when the message is due")
    #expect(h.messages(topic: "Later").count == 1)
    h.broker.schedule.tick(now: t0 + 10_000)
    let delivered = try #require(h.messages(topic: "Later").last)
    #expect(String(buffer: delivered.body) == "d")
    #expect(props(delivered)["UNIQ_KEY"] == "ID-d")
    #expect(props(delivered)["KEYS"] == "k1")
    #expect(props(delivered)["color"] == "blue")
    #expect(props(delivered)["REAL_TOPIC"] == "Later")
    #expect(props(delivered)[ScheduleService.dueProperty] == nil)
    #expect(props(delivered)["DELAY"] == "3" && props(delivered)["WAIT"] == "true", "as RocketMQ 4.9 delivers it")
    #expect(h.broker.schedule.tick(now: t0 + 20_000) == .max, "then nothing is waiting")
    #expect(h.messages(topic: "Later").count == 2, "delivered once")
}

@Test func timersDeliverAtTheirTimePastTimesAtOnceAndTooFarIsRefused() throws {
    let h = try ServiceHarness { $0.timerMaxDelaySec = 3_600 }
    defer { h.stop() }
    try h.send(topic: "Timer", body: "at", properties: [("__STARTDELIVERTIME", String(t0 + 3_000))], now: t0)
    try h.send(topic: "Timer", body: "sec", properties: [("TIMER_DELAY_SEC", "2")], now: t0)
    try h.send(topic: "Timer", body: "past", properties: [("__STARTDELIVERTIME", String(t0 - 5_000))], now: t0)
    #expect(h.messages(topic: "Timer").map { String(buffer: $0.body) } == ["past"])
    h.broker.schedule.tick(now: t0 + 2_000)
    #expect(h.messages(topic: "Timer").map { String(buffer: $0.body) } == ["past", "sec"])
    h.broker.schedule.tick(now: t0 + 3_000)
    #expect(h.messages(topic: "Timer").map { String(buffer: $0.body) } == ["past", "sec", "at"])
    #expect(throws: ServiceError.self) {
        try h.send(topic: "Timer", body: "far", properties: [("__STARTDELIVERTIME", String(t0 + 7_200_000))], now: t0)
    }
    #expect(throws: ServiceError.self) {
        try h.send(topic: "Timer", body: "nan", properties: [("TIMER_DELAY_MS", "soon")], now: t0)
    }
}

@Test func scheduledMessagesSurviveARestartWithoutLossOrRepeat() throws {
    let first = try ServiceHarness { $0.messageDelayLevels = [1_000, 60_000] }
    for i in 0..<50 {
        try first.send(topic: "Survive", body: "m\(i)", properties: [("DELAY", i % 2 == 0 ? "1" : "2")], now: t0)
    }
    first.broker.schedule.tick(now: t0 + 1_000)   // files everything, delivers the level-1 half
    #expect(first.messages(topic: "Survive").count == 25)
    first.stop(removingData: false)

    let second = try ServiceHarness(dataDir: first.dataDir) { $0.messageDelayLevels = [1_000, 60_000] }
    defer { second.stop() }
    second.broker.schedule.tick(now: t0 + 59_999)
    #expect(second.messages(topic: "Survive").count == 25, "nothing early, nothing repeated")
    second.broker.schedule.tick(now: t0 + 60_000)
    let bodies = second.messages(topic: "Survive").map { String(buffer: $0.body) }
    #expect(Set(bodies) == Set((0..<50).map { "m\($0)" }) && bodies.count == 50)
}

@Test func scheduledMessagesNotYetFiledAreRecoveredFromTheLog() throws {
    // A crash right after the append: nothing was filed into the index; the schedule topic's queue still has it.
    let first = try ServiceHarness { $0.messageDelayLevels = [1_000] }
    try first.send(topic: "Crash", body: "x", properties: [("DELAY", "1")], now: t0)
    first.broker.store.shutdown()
    let second = try ServiceHarness(dataDir: first.dataDir) { $0.messageDelayLevels = [1_000] }
    defer { second.stop() }
    second.broker.schedule.tick(now: t0 + 1_000)
    second.broker.schedule.tick(now: t0 + 1_002)
    #expect(second.messages(topic: "Crash").count == 1)
}

/// The record as delivered in `topic`'s queue 0 at `index`.
private func delivered(_ h: ServiceHarness, _ topic: String, _ index: Int) throws -> StoredMessage {
    let all = h.messages(topic: topic)
    return try #require(index < all.count ? all[index] : nil)
}

@Test func everyMembershipChangePokesTheNotificationLoop() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    let pokes = Atomic<Int>(0)
    h.broker.groups.onMembershipChange { pokes.add(1, ordering: .relaxed) }
    try h.broker.groups.heartbeat([ConsumerHeartbeat(group: "G", clientId: "c1", subscriptions: [])], connection: 1, now: t0)
    #expect(pokes.load(ordering: .relaxed) == 1, "a heartbeat")
    #expect(h.broker.groups.dueNotifications(now: t0).next == t0 + 200, "the loop learns when the join is due")
    h.broker.groups.unregister(group: "G", clientId: "c1", connection: 1, now: t0 + 1)
    h.broker.groups.connectionClosed(2, now: t0 + 2)
    _ = h.broker.groups.expire(now: t0 + 3)
    #expect(pokes.load(ordering: .relaxed) == 4, "an unregistration, a closed connection, an expiry pass")
}

@Test func failedMessageIsRetriedWithGrowingReconsumeTimesThenDeadLettered() throws {
    let h = try ServiceHarness { $0.messageDelayLevels = [1_000, 2_000, 3_000, 4_000] }
    defer { h.stop() }
    try h.send(topic: "Work", body: "job", properties: [("KEYS", "k")], now: t0)
    try h.broker.groups.heartbeat([ConsumerHeartbeat(group: "G", clientId: "c1", subscriptions: [])], connection: 1, now: t0)
    var current = try delivered(h, "Work", 0)
    var now = t0
    var seen: [Int32] = [current.reconsumeTimes]
    for attempt in 0..<16 {
        let outcome = try h.broker.retry.sendBack(SendBackRequest(group: "G", commitLogOffset: current.physicalOffset,
                                                                  connection: 1), now: now)
        // Level 3 + reconsumeTimes, capped at the table's last level.
        let level = min(3 + attempt, 4)
        #expect(outcome == .retried(dueMillis: now + Int64(level) * 1_000, reconsumeTimes: Int32(attempt + 1)))
        h.broker.schedule.tick(now: now + Int64(level) * 1_000 - 1)
        #expect(h.messages(topic: "%RETRY%G").count == attempt, "not before its delay")
        now += Int64(level) * 1_000
        h.broker.schedule.tick(now: now)
        current = try delivered(h, "%RETRY%G", attempt)
        seen.append(current.reconsumeTimes)
        #expect(String(buffer: current.body) == "job")
        #expect(props(current)["UNIQ_KEY"] == "ID-job" && props(current)["KEYS"] == "k")
        #expect(props(current)["RETRY_TOPIC"] == "Work")
        #expect(props(current)["REAL_TOPIC"] == "%RETRY%G" && props(current)["WAIT"] == "false")
    }
    #expect(seen == Array(0...16), "17 deliveries, reconsumeTimes 0…16")
    #expect(try h.broker.retry.sendBack(SendBackRequest(group: "G", commitLogOffset: current.physicalOffset, connection: 1),
                                        now: now) == .deadLettered)
    let dead = try delivered(h, "%DLQ%G", 0)
    #expect(String(buffer: dead.body) == "job")
    #expect(props(dead)["UNIQ_KEY"] == "ID-job" && props(dead)["KEYS"] == "k" && props(dead)["RETRY_TOPIC"] == "Work")
    #expect(h.broker.topics.get("%DLQ%G")?.perm == Permission.read | Permission.write)
}

@Test func negativeDelayLevelGoesStraightToTheDeadLetterQueue() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    try h.send(topic: "Ordered", now: t0)
    let message = try delivered(h, "Ordered", 0)
    #expect(try h.broker.retry.sendBack(SendBackRequest(group: "GO", commitLogOffset: message.physicalOffset, delayLevel: -1),
                                        now: t0) == .deadLettered)
    #expect(h.messages(topic: "%DLQ%GO").count == 1)
}

@Test func broadcastingFailuresAreAcknowledgedNotRetried() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    try h.send(topic: "Fan", now: t0)
    try h.broker.groups.heartbeat([ConsumerHeartbeat(group: "GB", clientId: "b1", messageModel: .broadcasting, subscriptions: [])],
                                  connection: 7, now: t0)
    let message = try delivered(h, "Fan", 0)
    #expect(try h.broker.retry.sendBack(SendBackRequest(group: "GB", commitLogOffset: message.physicalOffset, connection: 7),
                                        now: t0) == .notRetried)
    #expect(h.broker.retry.broadcastingFailureCount == 1)
    h.broker.schedule.tick(now: t0 + 10_000_000)
    #expect(h.messages(topic: "%RETRY%GB").isEmpty)
}

@Test func malformedGroupNamesCreateNothing() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for name in ["", "%RETRY%\u{1}", "bad group", String(repeating: "g", count: 256)] {
        #expect(throws: ServiceError.self) {
            try h.broker.groups.heartbeat([ConsumerHeartbeat(group: name, clientId: "c", subscriptions: [])], connection: 1, now: t0)
        }
        #expect(throws: ServiceError.self) {
            try h.broker.retry.sendBack(SendBackRequest(group: name, commitLogOffset: 0), now: t0)
        }
    }
    #expect(h.broker.topics.table.all().allSatisfy { TopicNames.isValidTopicOrGroupName($0.topicName) })
    #expect(h.broker.topics.get("%RETRY%") == nil)
}

@Test func orderLocksAreExclusiveAndGoWithTheConnection() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    let queues = (0..<4).map { MessageQueue(topic: "O", brokerName: "broker-a", queueId: Int32($0)) }
    #expect(h.broker.groups.lock(group: "GL", queues: queues, clientId: "a", connection: 1, now: t0) == queues)
    #expect(h.broker.groups.lock(group: "GL", queues: queues, clientId: "b", connection: 2, now: t0 + 1).isEmpty)
    h.broker.groups.connectionClosed(1, now: t0 + 2)
    #expect(h.broker.groups.lock(group: "GL", queues: queues, clientId: "b", connection: 2, now: t0 + 3) == queues,
            "released when the holder's connection closed, not after 60 s")
}

@Test func clientSideRetrySendsFollowTheSameScheduleAndLimit() throws {
    // Java's fallback when a send-back fails: the consumer re-sends the message to %RETRY%{group} itself with
    // reconsumeTimes + 1 and DELAY = 3 + reconsumeTimes. It must give the same delivery as a send-back.
    let h = try ServiceHarness { $0.messageDelayLevels = [1_000, 2_000, 3_000, 4_000] }
    defer { h.stop() }
    func resend(reconsumeTimes: Int32, level: Int) throws -> PutResult {
        let prepared = try h.broker.send.prepare(SendRequest(
            topic: "%RETRY%GJ", defaultTopic: "TBW102", queueId: 0, bornTimestamp: t0,
            properties: .string(MessagePropertyCodec.encode([("UNIQ_KEY", "ID-j"), ("RETRY_TOPIC", "Jobs"), ("DELAY", String(level))])),
            reconsumeTimes: reconsumeTimes, maxReconsumeTimes: 16, body: ByteBuffer(string: "j"),
            bornHost: ServiceHarness.bornHost), now: t0)
        return h.broker.send.append(prepared)
    }
    _ = try resend(reconsumeTimes: 1, level: 3)
    h.broker.schedule.tick(now: t0 + 2_999)
    #expect(h.messages(topic: "%RETRY%GJ").isEmpty, "held for its delay level")
    h.broker.schedule.tick(now: t0 + 3_000)
    let retried = try delivered(h, "%RETRY%GJ", 0)
    #expect(retried.reconsumeTimes == 1 && props(retried)["UNIQ_KEY"] == "ID-j")
    _ = try resend(reconsumeTimes: 16, level: 4)
    let dead = try delivered(h, "%DLQ%GJ", 0)
    #expect(dead.reconsumeTimes == 16 && props(dead)["RETRY_TOPIC"] == "Jobs", "past the limit: the dead-letter queue")
}

@Test func retentionKeepsTheSegmentOfAnUndeliveredTimer() throws {
    let h = try ServiceHarness {
        $0.store.mappedFileSizeCommitLog = 64 << 10
        $0.store.fileReservedTimeHours = 1
    }
    defer { h.stop() }
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    try h.send(topic: "Far", body: "later", properties: [("__STARTDELIVERTIME", String(now + 7_200_000))], now: now)
    for i in 0..<150 { try h.send(topic: "Filler", body: String(repeating: "f", count: 1000) + "\(i)", now: now) }
    h.broker.schedule.tick(now: now)
    // Every segment but the newest is past retention; the first holds the timer.
    let segments = try FileManager.default.contentsOfDirectory(atPath: h.dataDir + "/commitlog").sorted()
    #expect(segments.count >= 3)
    var old = [timeval(tv_sec: 1_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000, tv_usec: 0)]
    for name in segments.dropLast() { #expect(utimes(h.dataDir + "/commitlog/" + name, &old) == 0) }
    h.broker.store.runRetention(now: now)
    #expect(h.broker.store.commitLogMinOffset == 0, "the segment of the undelivered timer stays")
    h.broker.schedule.tick(now: now + 7_200_000)
    #expect(h.messages(topic: "Far").map { String(buffer: $0.body) } == ["later"])
    // Delivered: retention may now take the old segments.
    h.broker.schedule.tick(now: now + 7_200_001)
    for name in segments.dropLast() { _ = utimes(h.dataDir + "/commitlog/" + name, &old) }
    h.broker.store.runRetention(now: now + 7_200_001)
    #expect(h.broker.store.commitLogMinOffset > 0)
}

@Test func aPullGetsWhatItAsksForUpToSixtyFourByDefault() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<100 { try h.send(topic: "Big", body: "m\(i)", now: t0, queueNums: 1) }
    func pull(asking count: Int32, from offset: Int64) throws -> PullOutcome {
        try h.broker.consume.pull(PullQuery(group: "BG", topic: "Big", queueId: 0, offset: offset, maxMessages: Int(count),
                                            filter: PullFilter(Subscription(topic: "Big", expression: "*", subVersion: 0))), now: t0)
    }
    // The Java and C++ clients ask for 32 (their pullBatchSize) and get 32, as from RocketMQ; the Swift client asks 64.
    #expect(try pull(asking: 32, from: 0).messageCount == 32)
    #expect(try pull(asking: PushConsumer.defaultPullBatchSize, from: 0).messageCount == 64)
    let capped = try pull(asking: 100, from: 0)
    #expect(capped.messageCount == 64 && capped.nextBeginOffset == 64, "maxTransferCountOnMessageInMemory caps it")
    #expect(try pull(asking: 100, from: 64).messageCount == 36)
}

@Test func aPullFiltersByItsOwnOrItsGroupsSubscriptionAndSeesTopicChangesAtOnce() throws {
    let h = try ServiceHarness()
    defer { h.stop() }
    for i in 0..<3 { try h.send(topic: "Filt", body: "m\(i)", now: t0, queueNums: 1) }  // tagged TagA
    func pull(_ group: String, expression: String?, subVersion: Int64? = nil, queueId: Int32 = 0) throws(ServiceError)
        -> PullOutcome {
        var query = PullQuery(group: group, topic: "Filt", queueId: queueId, offset: 0, maxMessages: 32)
        query.filter = expression.map { PullFilter(Subscription(topic: "Filt", expression: $0, subVersion: 0)) }
        query.subVersion = subVersion
        return try h.broker.consume.pull(query, now: t0)
    }
    func refusal(_ pull: () throws(ServiceError) -> PullOutcome) -> ServiceError.Kind? {
        do { _ = try pull() } catch { return error.kind }
        return nil
    }
    #expect(try pull("GF", expression: "TagA || TagC").messageCount == 3)
    #expect(try pull("GF", expression: "*").messageCount == 3)
    #expect(try pull("GF", expression: "TagB").status == .retryImmediately, "scanned, none matched")
    // Without a filter of its own, the group's registered subscription filters, if it is new enough.
    try h.broker.groups.heartbeat([ConsumerHeartbeat(group: "GR", clientId: "c1", subscriptions: [
        Subscription(topic: "Filt", expression: "TagB", subVersion: 5),
    ])], connection: 1, now: t0)
    #expect(try pull("GR", expression: nil, subVersion: 5).status == .retryImmediately)
    #expect(refusal { () throws(ServiceError) in try pull("GR", expression: nil, subVersion: 6) } == .subscriptionNotLatest)
    #expect(refusal { () throws(ServiceError) in try pull("GX", expression: nil, subVersion: 1) } == .subscriptionNotExist)
    // The topic's limits, read again after every change.
    #expect(refusal { () throws(ServiceError) in try pull("GF", expression: "*", queueId: 1) } == .systemError)
    var config = try #require(h.broker.topics.get("Filt"))
    config.perm = Permission.write
    try h.broker.topics.update(config)
    #expect(refusal { () throws(ServiceError) in try pull("GF", expression: "*") } == .noPermission)
    config.perm = Permission.read | Permission.write
    config.readQueueNums = 2
    try h.broker.topics.update(config)
    #expect(try pull("GF", expression: "*", queueId: 1).status == .noNewMessage)
}
