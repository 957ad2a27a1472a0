// BenchRunner: the W1–W4 workloads (shared/bench/README.md) — pipelined producers, consumer groups, fan-out, latency.

import ApusClient
import ApusGroups
import ApusMessage
import ApusRemoting
import ArgumentParser
import CLinux
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Body layout: seq (8 bytes BE), kind (1 byte: M measured, W warm-up), publish time (8 bytes BE, monotonic ns), filler.
enum BenchBody {
    static let header = 17

    /// `sentAt` defaults to now; a caller that has just read the clock passes its reading.
    static func make(seq: Int, kind: UInt8, size: Int, allocator: ByteBufferAllocator, sentAt: UInt64 = monotonicNanos()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: max(size, header))
        fill(&buffer, seq: seq, kind: kind, size: size, sentAt: sentAt)
        return buffer
    }

    /// Rewrites `buffer` as the body of message `seq`: in place when nothing else holds it (a producer's send copies
    /// the body into its frame, so the next message can reuse the buffer as the shared harness's producers reuse theirs).
    static func fill(_ buffer: inout ByteBuffer, seq: Int, kind: UInt8, size: Int, sentAt: UInt64) {
        buffer.clear()
        buffer.writeInteger(UInt64(seq))
        buffer.writeInteger(kind)
        buffer.writeInteger(sentAt)
        buffer.writeRepeatingByte(UInt8(ascii: "a") + UInt8(seq % 26), count: max(0, size - header))
    }

    static func parse(_ body: ByteBuffer) -> (seq: Int, kind: UInt8, sentAt: UInt64)? {
        guard body.readableBytes >= header, let seq = body.getInteger(at: body.readerIndex, as: UInt64.self),
              let kind = body.getInteger(at: body.readerIndex + 8, as: UInt8.self),
              let sent = body.getInteger(at: body.readerIndex + 9, as: UInt64.self) else { return nil }
        return (Int(seq), kind, sent)
    }
}

/// Sends `count` messages with at most `window` unacknowledged, all on the connection's event loop.
final class PipelinedSender: @unchecked Sendable {
    private let producer: Producer
    private let route: TopicRoute
    private let connection: RemotingClient
    private let topic: String
    private let count: Int
    private let window: Int
    private let size: Int
    private let batch: Int
    private let refill: Int
    private let allocator = ByteBufferAllocator()
    /// The body of single sends, rewritten for each (the send copies it into the outgoing frame).
    private var body: ByteBuffer
    private var sent = 0
    private var finished = 0
    private var inflight = 0
    private(set) var failed = 0
    private(set) var latencies: [UInt64] = []
    private let done: EventLoopPromise<Void>
    private(set) var startedAt: UInt64 = 0
    private(set) var endedAt: UInt64 = 0
    /// Adds properties to message `seq` (single sends only).
    private let properties: (@Sendable (Int) -> [String: String])?

    init(producer: Producer, route: TopicRoute, connection: RemotingClient, topic: String, count: Int, window: Int,
         size: Int, batch: Int, properties: (@Sendable (Int) -> [String: String])? = nil) {
        self.properties = properties
        self.producer = producer
        self.route = route
        self.connection = connection
        self.topic = topic
        self.count = count
        self.window = max(1, window)
        self.size = size
        self.batch = max(1, batch)
        self.refill = max(1, min(64, self.window / 4))
        self.body = allocator.buffer(capacity: max(size, BenchBody.header))
        self.done = connection.eventLoop.makePromise()
        latencies.reserveCapacity(count / self.batch + 1)
    }

    func run() async throws {
        connection.eventLoop.execute {
            self.startedAt = monotonicNanos()
            self.pump()
        }
        try await done.futureResult.get()
    }

    /// Writes requests until the window is full, then flushes once. One clock reading serves the whole burst: its
    /// requests leave together at the flush, so each latency is measured from no later than its request was sent. So
    /// does one completion: a closure made per send was an allocation per message.
    private func pump() {
        guard inflight < window, sent < count else { return }
        let t0 = monotonicNanos()
        let completion: @Sendable (Result<RemotingCommand, Error>) -> Void = { result in
            if case let .success(response) = result {
                self.completed(1, since: t0, ok: response.code == ResponseCode.success.rawValue)
            } else {
                self.completed(1, since: t0, ok: false)
            }
        }
        while inflight < window, sent < count {
            let n = min(batch, count - sent)
            let first = sent
            sent += n
            inflight += 1
            if batch == 1 {
                BenchBody.fill(&body, seq: first, kind: UInt8(ascii: "M"), size: size, sentAt: t0)
                let message = OutgoingMessage(topic: topic, body: body, properties: properties?(first) ?? [:])
                producer.sendRaw(message, route: route, connection: connection, flush: false, completion: completion)
            } else {
                let messages = (first..<first + n).map {
                    OutgoingMessage(topic: topic, body: BenchBody.make(seq: $0, kind: UInt8(ascii: "M"), size: size, allocator: allocator,
                                                                       sentAt: t0))
                }
                producer.sendBatch(messages, route: route, connection: connection, flush: false).whenComplete { result in
                    if case .success = result { self.completed(n, since: t0, ok: true) } else { self.completed(n, since: t0, ok: false) }
                }
            }
        }
        connection.flush()
    }

    /// A request of `n` messages was answered (on the connection's event loop).
    private func completed(_ n: Int, since t0: UInt64, ok: Bool) {
        inflight -= 1
        finished += n
        latencies.append(monotonicNanos() - t0)
        if !ok { failed += n }
        if finished == count {
            endedAt = monotonicNanos()
            done.succeed(())
        } else if window - inflight >= refill || sent + inflight >= count {
            pump()
        }
    }
}

/// What the consumers of one workload received.
final class ReceiveTracker: Sendable {
    private struct State {
        var seen: [UInt8]
        var unique = 0
        var duplicates = 0
        var perConsumer: [Int]
        var warmups: [Int]
        var firstAt: UInt64 = 0
        var completeAt: UInt64 = 0
        /// Each measured message as received (W4), in arrival order.
        var arrivals: [Arrival] = []
        /// Listener calls that carried a measured message: one per pull answer, so `unique / batches` is the
        /// messages a pull brought (a consumer that keeps up with the producer pulls few at a time).
        var batches = 0
    }

    private let state: Mutex<State>
    let expected: Int
    let consumers: Int
    let broadcast: Bool

    /// `broadcast`: every consumer must see every message (seen counts per consumer).
    init(expected: Int, consumers: Int, broadcast: Bool) {
        self.expected = expected
        self.consumers = consumers
        self.broadcast = broadcast
        state = Mutex(State(seen: [UInt8](repeating: 0, count: expected * (broadcast ? consumers : 1)),
                            perConsumer: [Int](repeating: 0, count: consumers), warmups: [Int](repeating: 0, count: consumers)))
    }

    func record(_ messages: [StoredMessage], consumer: Int, measureLatency: Bool) {
        let now = monotonicNanos()
        state.withLock { s in
            let before = s.unique
            defer { if s.unique > before { s.batches += 1 } }
            // By index: `for message in messages` copied each message (a retain and a release of its body, topic and
            // properties), 4% of the bench client's CPU in W3.
            for i in messages.indices {
                guard let body = BenchBody.parse(messages[i].body) else { continue }
                if body.kind != UInt8(ascii: "M") {
                    s.warmups[consumer] += 1
                    continue
                }
                guard body.seq < expected else { continue }
                if s.firstAt == 0 { s.firstAt = now }
                let slot = broadcast ? consumer * expected + body.seq : body.seq
                if s.seen[slot] != 0 {
                    s.duplicates += 1
                    continue
                }
                s.seen[slot] = 1
                s.unique += 1
                s.perConsumer[consumer] += 1
                if measureLatency { s.arrivals.append(Arrival(seq: body.seq, latency: now &- body.sentAt, at: now)) }
                if s.unique == expected * (broadcast ? consumers : 1) { s.completeAt = now }
            }
        }
    }

    var complete: Bool { state.withLock { $0.completeAt != 0 } }
    var allWarmedUp: Bool { state.withLock { $0.warmups.allSatisfy { $0 > 0 } } }
    var summary: (unique: Int, duplicates: Int, split: [Int], firstAt: UInt64, completeAt: UInt64, arrivals: [Arrival],
                  batches: Int) {
        state.withLock { ($0.unique, $0.duplicates, $0.perConsumer, $0.firstAt, $0.completeAt, $0.arrivals, $0.batches) }
    }
}

/// A measured message as the consumer received it: its sequence number, its publish-to-receive latency and when it
/// arrived (`CLOCK_MONOTONIC`, ns: the clock of a scheduler trace taken with `perf record -k CLOCK_MONOTONIC`).
struct Arrival: Sendable {
    var seq: Int
    var latency: UInt64
    var at: UInt64

    /// The `--latency-dump` file: one line per message in arrival order, `seq latency_ns arrival_ns`.
    static func write(_ arrivals: [Arrival], to path: String) throws {
        let text = arrivals.map { "\($0.seq) \($0.latency) \($0.at)\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

struct BenchRunner: Sendable {
    let options: Bench
    let group: EventLoopGroup
    let logger: Logger
    let prefix = "bench\(UInt32.random(in: 0...UInt32.max))"

    func makeInstance(_ name: String) throws -> ClientInstance {
        try ClientInstance(namesrvAddr: options.namesrv, instanceName: name, group: group, logger: logger)
    }

    /// Creates the topic with the requested queue count on the broker serving TBW102 and waits for its route.
    func createTopic(_ topic: String, instance: ClientInstance) async throws -> (Producer, TopicRoute, RemotingClient) {
        let producer = Producer(group: "\(prefix)_pg", instance: instance, timeout: .seconds(30),
                                serializeType: options.serialize.type)
        let defaultRoute = try await producer.prepare(topic: topic)
        guard let address = defaultRoute.brokerAddresses.values.first else { throw ClientError.noRoute(topic) }
        let connection = try await instance.broker(address)
        let response = try await connection.request(.request(code: .updateAndCreateTopic, header: CreateTopicRequestHeader(
            topic: topic, defaultTopic: TopicNames.autoCreateTemplate, readQueueNums: options.queues,
            writeQueueNums: options.queues)), timeout: .seconds(5))
        guard response.code == ResponseCode.success.rawValue else {
            throw ClientError.brokerError(code: response.code, remark: response.remark ?? "")
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let route = try? await producer.prepare(topic: topic)
            if let route, route.writeQueues.count == Int(options.queues) { return (producer, route, connection) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ClientError.noRoute(topic)
    }

    private func produce(_ topic: String, count: Int) async throws -> PipelinedSender {
        let instance = try makeInstance("\(prefix)-p-\(topic)")
        let (producer, route, connection) = try await createTopic(topic, instance: instance)
        let sender = PipelinedSender(producer: producer, route: route, connection: connection, topic: topic, count: count,
                                     window: options.window, size: options.size, batch: options.batch)
        try await sender.run()
        await instance.shutdown()
        return sender
    }

    private func rateText(_ count: Int, _ nanos: UInt64) -> String {
        let seconds = Double(nanos) / 1e9
        let rate = Double(count) / seconds
        return String(format: "%@ msg/s, %.1f MB/s (%d in %.2f s)", grouped(rate), rate * Double(options.size) / 1e6, count, seconds)
    }

    func w1() async throws -> String {
        let topic = "\(prefix)_w1"
        if options.producers <= 1 {
            let sender = try await produce(topic, count: options.count)
            let ack = Percentiles(sender.latencies)
            return rateText(options.count, sender.endedAt - sender.startedAt)
                + ", window \(options.window), batch \(options.batch), failed \(sender.failed); ack latency \(ack.text)"
        }
        let start = monotonicNanos()
        let perProducer = options.count / options.producers
        let failed = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for i in 0..<options.producers {
                tasks.addTask { try await produce("\(topic)", count: perProducer).failed + 0 * i }
            }
            return try await tasks.reduce(0, +)
        }
        return rateText(perProducer * options.producers, monotonicNanos() - start)
            + ", \(options.producers) producers, window \(options.window) each, failed \(failed)"
    }

    private func startConsumers(_ count: Int, topic: String, groups: [String], tracker: ReceiveTracker,
                                measureLatency: Bool) async throws -> [(PushConsumer, ClientInstance)] {
        var started: [(PushConsumer, ClientInstance)] = []
        for i in 0..<count {
            let instance = try makeInstance("\(prefix)-c\(i)")
            let consumer = PushConsumer(group: groups[i % groups.count], instance: instance, messageModel: .clustering,
                                        maxMsgNums: options.pullBatch)
            consumer.subscribe(topic: topic)
            try await consumer.register { messages, _ in tracker.record(messages, consumer: i, measureLatency: measureLatency) }
            started.append((consumer, instance))
        }
        for (consumer, _) in started { await consumer.run() }
        return started
    }

    func stop(_ consumers: [(PushConsumer, ClientInstance)]) async {
        for (consumer, instance) in consumers {
            await consumer.shutdown()
            await instance.shutdown()
        }
    }

    func waitUntil(_ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(TimeInterval(options.timeLimit))
        while !condition() {
            if Date() > deadline { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// W2: preload N, then `consumers` consumers of one group drain it; exactly once in total.
    func w2() async throws -> String {
        let topic = "\(prefix)_w2"
        let preload = try await produce(topic, count: options.count)
        let tracker = ReceiveTracker(expected: options.count, consumers: options.consumers, broadcast: false)
        let consumers = try await startConsumers(options.consumers, topic: topic, groups: ["\(prefix)_w2_cg"], tracker: tracker,
                                                 measureLatency: false)
        let finished = try await waitUntil { tracker.complete }
        try await Task.sleep(for: .milliseconds(300))  // grace period to catch late duplicates
        await stop(consumers)
        let s = tracker.summary
        let status = finished ? "" : " INCOMPLETE"
        return rateText(s.unique, (finished ? s.completeAt : monotonicNanos()) - s.firstAt)
            + ", \(options.consumers) consumers split \(s.split.map(String.init).joined(separator: "/")), duplicates \(s.duplicates), missing \(options.count - s.unique)\(status)"
            + "; preload " + rateText(options.count, preload.endedAt - preload.startedAt)
    }

    /// Sends warm-up messages until every consumer has one, so that all subscriptions are live.
    private func warmUp(_ topic: String, tracker: ReceiveTracker, producer: Producer, route: TopicRoute) async throws {
        var seq = 0
        while !tracker.allWarmedUp {
            for queue in route.writeQueues {
                let body = BenchBody.make(seq: seq, kind: UInt8(ascii: "W"), size: options.size, allocator: ByteBufferAllocator())
                _ = try await producer.send(OutgoingMessage(topic: topic, body: body), route: route,
                                            connection: try await producer.instance.broker(route.brokerAddresses[queue.brokerName]!),
                                            queue: queue).get()
                seq += 1
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// W3: `fanout` groups of one consumer each receive every message.
    func w3() async throws -> String {
        let topic = "\(prefix)_w3"
        let instance = try makeInstance("\(prefix)-p3")
        let (producer, route, connection) = try await createTopic(topic, instance: instance)
        let tracker = ReceiveTracker(expected: options.count3, consumers: options.fanout, broadcast: true)
        let consumers = try await startConsumers(options.fanout, topic: topic,
                                                 groups: (0..<options.fanout).map { "\(prefix)_w3_cg\($0)" },
                                                 tracker: tracker, measureLatency: false)
        try await warmUp(topic, tracker: tracker, producer: producer, route: route)
        let sender = PipelinedSender(producer: producer, route: route, connection: connection, topic: topic,
                                     count: options.count3, window: options.window, size: options.size, batch: options.batch)
        try await sender.run()
        let finished = try await waitUntil { tracker.complete }
        await stop(consumers)
        await instance.shutdown()
        let s = tracker.summary
        let elapsed = Double((finished ? s.completeAt : monotonicNanos()) - sender.startedAt) / 1e9
        let deliveries = Double(s.unique) / elapsed
        return String(format: "%@ deliveries/s, %.1f MB/s (%dx%d; got %@, duplicates %d%@); producer %@ msg/s; %.1f per pull",
                      grouped(deliveries), deliveries * Double(options.size) / 1e6, options.fanout, options.count3,
                      s.split.map(String.init).joined(separator: "/"), s.duplicates, finished ? "" : " INCOMPLETE",
                      grouped(Double(options.count3) / (Double(sender.endedAt - sender.startedAt) / 1e9)),
                      Double(s.unique) / Double(max(1, s.batches)))
    }

    /// W4: paced producer, one consumer; publish-to-receive latency.
    func w4() async throws -> String {
        let topic = "\(prefix)_w4"
        let total = options.rate * options.duration
        let instance = try makeInstance("\(prefix)-p4")
        let (producer, route, connection) = try await createTopic(topic, instance: instance)
        let tracker = ReceiveTracker(expected: total, consumers: 1, broadcast: false)
        let consumers = try await startConsumers(1, topic: topic, groups: ["\(prefix)_w4_cg"], tracker: tracker, measureLatency: true)
        try await warmUp(topic, tracker: tracker, producer: producer, route: route)
        let pacer = PacedSender(producer: producer, route: route, connection: connection, topic: topic, total: total,
                                rate: options.rate, size: options.size)
        try await pacer.run()
        let finished = try await waitUntil { tracker.complete }
        await stop(consumers)
        await instance.shutdown()
        let s = tracker.summary
        if let path = options.latencyDump { try Arrival.write(s.arrivals, to: path) }
        return "\(Percentiles(s.arrivals.map(\.latency)).text), \(s.unique)/\(total) received @\(options.rate)/s\(finished ? "" : " INCOMPLETE")"
            + String(format: ", producer lag p99 %.1f us", Percentiles(pacer.lags).p99)
    }
}

/// Publishes at a fixed rate against an absolute schedule, on the connection's event loop: message `n` is due at
/// `start + n × interval`, as the shared harness sleeps until each due time. The clock is a periodic timerfd read as
/// a channel on the same loop, armed once: the kernel re-arms it when it fires, before the send, where a NIO
/// scheduled task re-armed NIO's timer (a `timerfd_settime`, a trip to the host on this guest) after every send, on
/// the vCPU that carries the message to the consumer. (An earlier 250 µs polling task woke the client 4,000 times a
/// second on top of the sends: about a sixth of its CPU in W4.)
final class PacedSender: @unchecked Sendable {
    private let producer: Producer
    private let route: TopicRoute
    private let connection: RemotingClient
    private let topic: String
    private let total: Int
    private let interval: UInt64
    private let size: Int
    /// The body of each message, rewritten in place for the next (the send copies it into its frame), as the shared
    /// harness's producers reuse theirs: a fresh buffer was an allocation between the timestamp and the send.
    private var body: ByteBuffer
    private var sent = 0
    private var acked = 0
    private var start: UInt64 = 0
    private let done: EventLoopPromise<Void>
    /// How late each message was sent against its due time, ns (the shared harness's `sched_lag`): a stall of the
    /// client itself, which the latency (timed from the send) does not include.
    private(set) var lags: [UInt64] = []

    init(producer: Producer, route: TopicRoute, connection: RemotingClient, topic: String, total: Int, rate: Int, size: Int) {
        self.producer = producer
        self.route = route
        self.connection = connection
        self.topic = topic
        self.total = total
        self.interval = 1_000_000_000 / UInt64(max(1, rate))
        self.size = size
        body = ByteBufferAllocator().buffer(capacity: max(size, BenchBody.header))
        done = connection.eventLoop.makePromise()
        lags.reserveCapacity(total)
    }

    func run() async throws {
        let fd = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "timerfd_create") }
        let clock: Channel
        do {
            clock = try await NIOPipeBootstrap(group: connection.eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Tick(self)) }
                }
                .takingOwnershipOfDescriptor(input: fd).get()
        } catch {
            close(fd)
            throw error
        }
        connection.eventLoop.execute {
            self.start = monotonicNanos()
            let period = timespec(tv_sec: Int(self.interval / 1_000_000_000), tv_nsec: Int(self.interval % 1_000_000_000))
            var spec = itimerspec(it_interval: period, it_value: period)
            if timerfd_settime(fd, 0, &spec, nil) != 0 {
                self.done.fail(IOError(errnoCode: errno, reason: "timerfd_settime"))
                return
            }
            self.tick()
        }
        defer { clock.close(promise: nil) }
        try await done.futureResult.get()
    }

    /// Each read of the timerfd (its expiry count) is one tick.
    private final class Tick: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let sender: PacedSender
        init(_ sender: PacedSender) { self.sender = sender }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { sender.tick() }
    }

    private func due(_ n: Int) -> UInt64 { start + UInt64(n) * interval }

    fileprivate func tick() {
        let now = monotonicNanos()
        while sent < total && due(sent) <= now {
            lags.append(now - due(sent))
            BenchBody.fill(&body, seq: sent, kind: UInt8(ascii: "M"), size: size, sentAt: monotonicNanos())
            // The raw exchange, as W1's: no future is made before the write (the latency is timed from the body).
            producer.sendRaw(OutgoingMessage(topic: topic, body: body), route: route, connection: connection, flush: false) { _ in
                self.acked += 1
                if self.acked == self.total { self.done.succeed(()) }
            }
            sent += 1
        }
        connection.flush()
    }
}

func grouped(_ value: Double) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.maximumFractionDigits = 0
    return formatter.string(from: NSNumber(value: value)) ?? String(Int(value))
}
