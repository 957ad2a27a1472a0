// End-to-end consumption semantics (an auto-created topic has the 4 queues the Swift
// producer asks for, as RocketMQ's rule gives) through the Swift client: clustering shares, broadcasting fans out, mixed groups
// broadcast for all, offsets survive a consumer restart.

import ApusBroker
import ApusClient
import ApusGroups
import ApusMessage
import NIOCore
import Synchronization
import Testing

/// Collects message bodies per consumer.
final class Received: Sendable {
    private let state = Mutex<[Int: [String]]>([:])

    func add(_ messages: [StoredMessage], consumer: Int) {
        state.withLock { $0[consumer, default: []] += messages.map { String(buffer: $0.body) } }
    }

    func bodies(_ consumer: Int) -> [String] { state.withLock { $0[consumer] ?? [] } }
    var all: [String] { state.withLock { $0.values.flatMap { $0 } } }
}

/// Sends `bodies` in order from one producer (consecutive sends go to consecutive queues).
private func produce(_ harness: BrokerHarness, topic: String, _ bodies: [String], tags: String? = nil) async throws {
    let instance = try harness.client("producer-\(topic)")
    let producer = Producer(group: "pg", instance: instance)
    for body in bodies {
        _ = try await producer.send(OutgoingMessage(topic: topic, body: ByteBuffer(string: body), tags: tags))
    }
    await instance.shutdown()
    try await waitFor("the route of \(topic)") { harness.nameServer.route(topic: topic) != nil }
}

private func startConsumer(_ harness: BrokerHarness, group: String, topic: String, expression: String = "*", model: MessageModel,
                           index: Int, into received: Received) async throws -> (PushConsumer, ClientInstance) {
    let instance = try harness.client("c\(index)-\(group)")
    let consumer = PushConsumer(group: group, instance: instance, messageModel: model)
    consumer.subscribe(topic: topic, expression: expression)
    try await consumer.start { messages, _ in received.add(messages, consumer: index) }
    return (consumer, instance)
}

private func stop(_ consumers: [(PushConsumer, ClientInstance)]) async {
    for (consumer, instance) in consumers {
        await consumer.shutdown()
        await instance.shutdown()
    }
}

@Test func clusteringConsumersShareMessagesExactlyOnce() async throws {
    let harness = try await BrokerHarness()
    let topic = "ClusterShare"
    try await produce(harness, topic: topic, ["warm"])
    let received = Received()
    var consumers: [(PushConsumer, ClientInstance)] = []
    for i in 0..<2 {
        consumers.append(try await startConsumer(harness, group: "G1", topic: topic, model: .clustering, index: i, into: received))
    }
    let started = consumers
    try await waitFor("each consumer to own half the queues") {
        started.allSatisfy { $0.0.assignedQueues.filter { $0.topic == topic }.count == 2 }
    }
    let bodies = (0..<100).map { "m\($0)" }
    try await produce(harness, topic: topic, bodies)
    try await waitFor("all 100 messages") { Set(received.all).isSuperset(of: bodies) }
    let measured = received.all.filter { $0 != "warm" }
    #expect(measured.count == 100, "no duplicates")
    #expect(received.bodies(0).count > 0 && received.bodies(1).count > 0)
    await stop(consumers)
    await harness.stop()
}

@Test func broadcastingConsumersEachGetEverything() async throws {
    let harness = try await BrokerHarness()
    let topic = "Fanout"
    try await produce(harness, topic: topic, ["warm"])
    let received = Received()
    var consumers: [(PushConsumer, ClientInstance)] = []
    for i in 0..<2 {
        consumers.append(try await startConsumer(harness, group: "GB", topic: topic, model: .broadcasting, index: i, into: received))
    }
    let started = consumers
    try await waitFor("every consumer to own every queue") {
        started.allSatisfy { $0.0.assignedQueues.count == 4 }
    }
    let bodies = (0..<50).map { "b\($0)" }
    try await produce(harness, topic: topic, bodies)
    try await waitFor("both consumers to get all 50") {
        Set(received.bodies(0)).isSuperset(of: bodies) && Set(received.bodies(1)).isSuperset(of: bodies)
    }
    await stop(consumers)
    await harness.stop()
}

@Test func mixedGroupBroadcastsToEveryMember() async throws {
    let harness = try await BrokerHarness()
    let topic = "Mixed"
    try await produce(harness, topic: topic, ["warm"])
    let received = Received()
    var consumers: [(PushConsumer, ClientInstance)] = []
    consumers.append(try await startConsumer(harness, group: "GM", topic: topic, model: .clustering, index: 0, into: received))
    consumers.append(try await startConsumer(harness, group: "GM", topic: topic, model: .clustering, index: 1, into: received))
    consumers.append(try await startConsumer(harness, group: "GM", topic: topic, model: .broadcasting, index: 2, into: received))
    let all = consumers
    try await waitFor("the clustering members to take every queue") {
        all.allSatisfy { $0.0.assignedQueues.filter { $0.topic == topic }.count == 4 }
    }
    let bodies = (0..<40).map { "x\($0)" }
    try await produce(harness, topic: topic, bodies)
    try await waitFor("all three to get all 40") {
        (0..<3).allSatisfy { Set(received.bodies($0)).isSuperset(of: bodies) }
    }
    // The broadcasting member leaves: the group is clustering again and the two share.
    await stop([consumers.removeLast()])
    let remaining = consumers
    try await waitFor("the clustering members to split the queues again") {
        remaining.allSatisfy { $0.0.assignedQueues.filter { $0.topic == topic }.count == 2 }
    }
    await stop(consumers)
    await harness.stop()
}

@Test func restartedClusteringConsumerResumesFromCommittedOffset() async throws {
    let harness = try await BrokerHarness()
    let topic = "Resume"
    try await produce(harness, topic: topic, ["first"])
    let received = Received()
    let first = try await startConsumer(harness, group: "GR", topic: topic, model: .clustering, index: 0, into: received)
    try await waitFor("the first message") { received.bodies(0).contains("first") }
    await stop([first])  // commits its offsets on shutdown
    let whileDown = (0..<20).map { "d\($0)" }
    try await produce(harness, topic: topic, whileDown)
    let second = try await startConsumer(harness, group: "GR", topic: topic, model: .clustering, index: 1, into: received)
    try await waitFor("every message produced while it was down") { Set(received.bodies(1)).isSuperset(of: whileDown) }
    #expect(!received.bodies(1).contains("first"), "the committed message is not delivered again")
    await stop([second])
    await harness.stop()
}

/// A consumer that changes a subscribed topic's expression while it pulls: once each queue's parked pull (made with the
/// old expression) has been answered, its pulls filter by the new one.
@Test func aResubscribedConsumerPullsWithItsNewExpression() async throws {
    let harness = try await BrokerHarness()
    let topic = "Resubscribe"
    try await produce(harness, topic: topic, ["warm"])
    let received = Received()
    let consumer = try await startConsumer(harness, group: "GS", topic: topic, expression: "TagA", model: .clustering, index: 0,
                                           into: received)
    try await waitFor("the consumer to own every queue") { consumer.0.assignedQueues.filter { $0.topic == topic }.count == 4 }
    consumer.0.subscribe(topic: topic, expression: "TagB")
    // One TagA message per queue answers a pull parked with the old expression (or is skipped by one already made with
    // the new); the TagB message behind it in the same queue comes only through a pull with the new expression.
    try await produce(harness, topic: topic, (0..<4).map { "a\($0)" }, tags: "TagA")
    let first = (0..<4).map { "b\($0)" }
    try await produce(harness, topic: topic, first, tags: "TagB")
    try await waitFor("the messages of the new expression") { Set(received.bodies(0)).isSuperset(of: first) }
    // Every queue now pulls with the new expression: a later TagA message is filtered out, and the TagB message after
    // it in its queue shows it was passed.
    let skipped = (0..<4).map { "a-late\($0)" }, second = (0..<4).map { "b-late\($0)" }
    try await produce(harness, topic: topic, skipped, tags: "TagA")
    try await produce(harness, topic: topic, second, tags: "TagB")
    try await waitFor("the later messages of the new expression") { Set(received.bodies(0)).isSuperset(of: second) }
    #expect(Set(received.bodies(0)).isDisjoint(with: skipped), "TagA messages after the change are filtered out")
    await stop([consumer])
    await harness.stop()
}
