// PushConsumer: subscribes topics for a group, keeps itself registered (heartbeats), rebalances queues on the broker's
// consumer list (clustering) or takes every queue (broadcasting), long-polls each queue and commits offsets.

import ApusGroups
import ApusMessage
import ApusRemoting
import Logging
import NIOCore
import Synchronization

public final class PushConsumer: Sendable {
    public typealias Handler = @Sendable (_ messages: [StoredMessage], _ queue: MessageQueue) -> Void

    public let group: String
    public let messageModel: MessageModel
    public let instance: ClientInstance
    private let maxMsgNums: Int32
    private let state = Mutex(State())
    /// Rebalances, heartbeats, offset commits and reconnects started in the background: `shutdown` waits for them, so
    /// that none is still connecting when the client instance shuts its event loops down.
    private let background = BackgroundTasks()

    /// A queue this consumer pulls. Its fields change only under the consumer's lock (`state`). A pull's answer reaches
    /// it through the pull's callback: looking the queue up hashed its topic and broker name, three times a pull.
    private final class Assignment: @unchecked Sendable {
        let queue: MessageQueue
        let address: String
        var offset: Int64
        /// The queue's pull header for its current subscription, made at its first pull (and again after `subscribe`).
        var template: PullFrameTemplate?
        /// The queue was taken away (rebalance, shutdown): its pulls stop.
        var revoked = false

        init(queue: MessageQueue, address: String, offset: Int64) {
            self.queue = queue
            self.address = address
            self.offset = offset
        }
    }

    /// What one pull needs, read under the lock.
    private struct NextPull {
        let offset: Int64
        let address: String
        let template: PullFrameTemplate
    }

    private struct State {
        var subscriptions: [String: String] = [:]
        var subVersion: Int64 = currentMillis()
        var assigned: [MessageQueue: Assignment] = [:]
        var handler: Handler?
        var stopped = false
        var timers: [RepeatedTask] = []
    }

    /// The most messages one pull asks for unless told otherwise (RocketMQ's `pullBatchSize`, 32 in the Java client).
    /// 64 halves the round trips of a consumer that lags; an Apus broker sends up to 64
    /// (`maxTransferCountOnMessageInMemory`), a RocketMQ broker 32.
    public static let defaultPullBatchSize: Int32 = 64

    public init(group: String, instance: ClientInstance, messageModel: MessageModel = .clustering,
                maxMsgNums: Int32 = defaultPullBatchSize) {
        self.group = group
        self.instance = instance
        self.messageModel = messageModel
        self.maxMsgNums = maxMsgNums
    }

    public func subscribe(topic: String, expression: String = "*") {
        state.withLock { state in
            state.subscriptions[topic] = expression
            for (queue, assignment) in state.assigned where queue.topic == topic { assignment.template = nil }
        }
    }

    /// Queues this consumer currently pulls.
    public var assignedQueues: [MessageQueue] { state.withLock { Array($0.assigned.keys) } }

    /// Registers with the brokers and starts consuming.
    public func start(_ handler: @escaping Handler) async throws {
        try await register(handler)
        await run()
    }

    /// Joins the group (routes, heartbeat) without pulling yet: starting several consumers with `register` first and
    /// `run` afterwards lets each see the full group on its first rebalance.
    public func register(_ handler: @escaping Handler) async throws {
        state.withLock { $0.handler = handler }
        if messageModel == .clustering { subscribe(topic: TopicNames.retry(group)) }
        instance.onBrokerRequest { [self] request, _ in
            if request.code == RequestCode.notifyConsumerIdsChanged.rawValue {
                background.run { await self.rebalance() }
            }
        }
        // The retry topic exists once the broker has seen a heartbeat; rebalance picks it up.
        for topic in state.withLock({ Array($0.subscriptions.keys) }) where !TopicNames.isRetry(topic) {
            _ = try await instance.route(topic)
        }
        await heartbeat()
    }

    /// Rebalances now and keeps rebalancing, heartbeating and committing offsets periodically.
    public func run() async {
        await rebalance()
        let loop = instance.group.next()
        let timers = [
            loop.scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { [self] _ in background.run { await self.rebalance() } },
            loop.scheduleRepeatedTask(initialDelay: .seconds(30), delay: .seconds(30)) { [self] _ in background.run { await self.heartbeat() } },
            loop.scheduleRepeatedTask(initialDelay: .seconds(5), delay: .seconds(5)) { [self] _ in background.run { await self.commitOffsets() } },
        ]
        state.withLock { $0.timers = timers }
    }

    public func shutdown() async {
        let timers = state.withLock { state -> [RepeatedTask] in
            state.stopped = true
            return state.timers
        }
        timers.forEach { $0.cancel() }
        await background.stopAndWait()
        await commitOffsets()
        state.withLock { state in
            state.assigned.values.forEach { $0.revoked = true }
            state.assigned.removeAll()
        }
        for address in instance.brokerAddresses {
            guard let client = try? await instance.broker(address) else { continue }
            _ = try? await client.request(.request(code: .unregisterClient, header: UnregisterClientRequestHeader(
                clientID: instance.clientId, consumerGroup: group)), timeout: .seconds(3))
        }
    }

    func heartbeat() async {
        let subscriptions = state.withLock { state in
            state.subscriptions.map { topic, expression in
                SubscriptionDataWire(topic: topic, subString: expression, tagsSet: [], codeSet: [],
                                     subVersion: state.subVersion, expressionType: "TAG")
            }
        }
        let body = HeartbeatData(clientID: instance.clientId, producerDataSet: [], consumerDataSet: [
            ConsumerData(groupName: group, consumeType: .consumePassively,
                         messageModel: messageModel == .broadcasting ? .broadcasting : .clustering,
                         consumeFromWhere: 0, unitMode: false, subscriptionDataSet: subscriptions),
        ]).encode()
        for address in instance.brokerAddresses {
            do {
                let client = try await instance.broker(address)
                _ = try await client.request(.request(code: .heartBeat, body: body), timeout: .seconds(3))
            } catch {
                instance.logger.warning("heartbeat failed", metadata: ["broker": "\(address)", "error": "\(error)"])
            }
        }
    }

    /// Recomputes this consumer's queues and starts/stops pulling accordingly.
    func rebalance() async {
        let topics = state.withLock { $0.stopped ? [] : Array($0.subscriptions.keys) }
        var wanted: [MessageQueue: String] = [:]
        for topic in topics {
            guard let route = try? await instance.route(topic, refresh: true) else { continue }
            var queues = route.readQueues
            if messageModel == .clustering {
                guard let address = route.brokerAddresses.values.sorted().first,
                      let client = try? await instance.broker(address),
                      let response = try? await client.request(
                          .request(code: .getConsumerListByGroup, header: GetConsumerListByGroupRequestHeader(consumerGroup: group)),
                          timeout: .seconds(3)),
                      response.code == ResponseCode.success.rawValue, let body = response.body,
                      let list = try? ConsumerListBody.decode(body) else { continue }
                queues = QueueAllocation.averagely(queues: queues, consumers: list.consumerIdList, me: instance.clientId)
            }
            for queue in queues { wanted[queue] = route.brokerAddresses[queue.brokerName] }
        }
        let current = state.withLock { $0.assigned }
        let removed = current.keys.filter { wanted[$0] == nil }
        if !removed.isEmpty {
            await commitOffsets(only: Set(removed))
            state.withLock { state in removed.forEach { state.assigned.removeValue(forKey: $0)?.revoked = true } }
        }
        for (queue, address) in wanted where current[queue] == nil {
            guard let offset = await startOffset(queue, address: address) else { continue }
            let assignment = state.withLock { state -> Assignment? in
                guard !state.stopped, state.assigned[queue] == nil else { return nil }
                let assignment = Assignment(queue: queue, address: address, offset: offset)
                state.assigned[queue] = assignment
                return assignment
            }
            if let assignment { pull(assignment) }
        }
    }

    /// Clustering: the broker's committed offset, else the end of the queue; broadcasting: the end of the queue.
    private func startOffset(_ queue: MessageQueue, address: String) async -> Int64? {
        guard let client = try? await instance.broker(address) else { return nil }
        if messageModel == .clustering,
           let response = try? await client.request(.request(code: .queryConsumerOffset, header: QueryConsumerOffsetRequestHeader(
               consumerGroup: group, topic: queue.topic, queueId: queue.queueId)), timeout: .seconds(3)),
           response.code == ResponseCode.success.rawValue,
           let offset = try? response.decodeHeader(QueryConsumerOffsetResponseHeader.self).offset {
            return offset
        }
        if TopicNames.isRetry(queue.topic) { return 0 }
        guard let response = try? await client.request(.request(code: .getMaxOffset, header: GetMaxOffsetRequestHeader(
                  topic: queue.topic, queueId: queue.queueId)), timeout: .seconds(3)),
              response.code == ResponseCode.success.rawValue else { return nil }
        return try? response.decodeHeader(GetMaxOffsetResponseHeader.self).offset
    }

    private func pull(_ assignment: Assignment) {
        guard let next = state.withLock({ nextPull(&$0, assignment) }) else { return }
        send(next, assignment)
    }

    /// The next pull goes out at once on an open connection; only a (re)connect needs a task.
    private func send(_ next: NextPull, _ assignment: Assignment) {
        if let client = instance.connectedBroker(next.address) {
            send(next, on: client, assignment)
            return
        }
        background.run { [self] in
            guard let client = try? await instance.broker(next.address) else {
                retryLater(assignment)
                return
            }
            send(next, on: client, assignment)
        }
    }

    /// The queue's next pull while it is still assigned, from `offset` when given (the queue moves on to it); makes
    /// the queue's pull header if it has none. Under the lock.
    private func nextPull(_ state: inout State, _ assignment: Assignment, from offset: Int64? = nil) -> NextPull? {
        guard !assignment.revoked else { return nil }
        if let offset { assignment.offset = offset }
        let queue = assignment.queue
        let template = assignment.template ?? PullFrameTemplate(PullMessageRequestHeader(
            consumerGroup: group, topic: queue.topic, queueId: queue.queueId, queueOffset: 0, maxMsgNums: maxMsgNums,
            sysFlag: [], commitOffset: 0, subscription: state.subscriptions[queue.topic] ?? "*", subVersion: state.subVersion))
        assignment.template = template
        return NextPull(offset: assignment.offset, address: assignment.address, template: template)
    }

    /// Writes the pull from the queue's template (a binary header, as the producer's sends) with a callback, no future;
    /// on the connection's event loop, straight into its outgoing burst.
    private func send(_ next: NextPull, on client: RemotingClient, _ assignment: Assignment) {
        let commit = messageModel == .clustering && next.offset > 0
        let sysFlag: PullSysFlag = commit ? [.suspend, .subscription, .commitOffset] : [.suspend, .subscription]
        client.pull(next.template, queueOffset: next.offset, sysFlag: sysFlag, commitOffset: next.offset,
                    timeout: .seconds(30)) { [self] result in
            switch result {
            case let .success(response):
                handlePull(response, assignment, from: client)
            case .failure:
                retryLater(assignment)
            }
        }
    }

    /// `client`: the connection the answer came on, the queue's broker's.
    private func handlePull(_ response: RemotingCommand, _ assignment: Assignment, from client: RemotingClient) {
        guard let next = try? PullMessageResponseHeader(response: response).nextBeginOffset else {
            retryLater(assignment)
            return
        }
        switch ResponseCode(rawValue: response.code) {
        case .success:
            let messages = response.body.map { StoredMessageCodec.decodeAll($0, topic: assignment.queue.topic) } ?? []
            let handler = state.withLock { assignment.revoked ? nil : $0.handler }
            guard let handler else { return }
            if !messages.isEmpty { handler(messages, assignment.queue) }
        case .pullNotFound, .pullRetryImmediately, .pullOffsetMoved:
            break
        default:
            retryLater(assignment)
            return
        }
        // The offset moves on and the next pull is read in one lock section; it goes out on the same connection while
        // that is open (looking the broker's connection up by address hashed it, about 550 instructions a pull).
        if let following = state.withLock({ nextPull(&$0, assignment, from: next) }) {
            if client.isActive { send(following, on: client, assignment) } else { send(following, assignment) }
        }
    }

    private func retryLater(_ assignment: Assignment) {
        instance.group.next().scheduleTask(in: .milliseconds(100)) { [self] in pull(assignment) }
    }

    func commitOffsets(only: Set<MessageQueue>? = nil) async {
        guard messageModel == .clustering else { return }
        let offsets = state.withLock { state in
            state.assigned.values.filter { only?.contains($0.queue) ?? true }.map { ($0.queue, $0.address, $0.offset) }
        }
        for (queue, address, offset) in offsets {
            guard let client = try? await instance.broker(address) else { continue }
            client.sendOneway(.request(code: .updateConsumerOffset, header: UpdateConsumerOffsetRequestHeader(
                consumerGroup: group, topic: queue.topic, queueId: queue.queueId, commitOffset: offset)))
        }
    }
}
