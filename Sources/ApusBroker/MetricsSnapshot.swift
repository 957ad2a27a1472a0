// MetricsSnapshot: every figure the HTTP /metrics endpoint exports, computed in one pass from the broker's services
// the way rocketmq-exporter computes them from admin requests (admin.md §13): group lag from GET_CONSUME_STATS
// (AdminService.consumeStats), online consumers from GET_CONSUMER_CONNECTION_LIST, TPS from the stats items of
// VIEW_BROKER_STATS_DATA, runtime figures from GET_BROKER_RUNTIME_INFO. The HTTP layer only names and formats them.

import ApusGroups
import ApusMessage

public struct MetricsSnapshot: Sendable {
    /// A topic's queues summed (GET_TOPIC_STATS_INFO) and its put rates (TOPIC_PUT_NUMS / TOPIC_PUT_SIZE).
    public struct Topic: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case normal, retry, deadLetter }
        public var name: String
        public var kind: Kind
        /// Σ maxOffset over the topic's queues.
        public var maxOffsetSum: Int64
        public var putTps: Double
        public var putSizeTps: Double
    }

    /// A consumer group's online members (GET_CONSUMER_CONNECTION_LIST; empty when offline).
    public struct Group: Sendable, Equatable {
        public var name: String
        public var clientAddrs: [String]
        public var clientIds: [String]
        public var onlineConsumers: Int { clientIds.count }
        /// Clustering when unknown (offline), as the exporter assumes.
        public var messageModel: MessageModel
        /// Members that disagree: one per differing aspect (ConsumerGroupTable.inconsistencies).
        public var inconsistencies: Int
    }

    /// A (topic, group) pair as the exporter finds it through QUERY_TOPIC_CONSUME_BY_WHO.
    public struct Consumption: Sendable, Equatable {
        public var topic: String
        public var group: String
        /// Σ (brokerOffset − consumerOffset) over the queues GET_CONSUME_STATS returned; nil when it returned none.
        public var diff: Int64?
        /// Σ consumerOffset.
        public var consumerOffsetSum: Int64
        /// Max over the queues of now − store time of the message at the consumer offset (0 when caught up), ms.
        public var latencyMillis: Int64
        public var consumeTps: Double
        public var consumeSizeTps: Double
        /// Messages sent back under key topic@group in the last minute (SNDBCK_PUT_NUMS minute sum).
        public var sendBackNums: Int64
    }

    /// A broadcasting client's observed position on a queue against the queue's max offset.
    public struct ClientLag: Sendable, Equatable {
        public var group: String
        public var clientId: String
        public var topic: String
        public var queueId: Int32
        public var lag: Int64
    }

    public var clusterName: String
    public var brokerName: String
    /// The broker's advertised `ip:port` (the exporter's `brokerIP`).
    public var brokerAddress: String
    public var topics: [Topic]
    public var groups: [Group]
    public var consumptions: [Consumption]
    /// producer group → connections (GET_ALL_PRODUCER_INFO).
    public var producerCounts: [String: Int]
    /// BROKER_PUT_NUMS and BROKER_GET_NUMS minute TPS.
    public var brokerPutTps: Double
    public var brokerGetTps: Double
    /// GET_BROKER_RUNTIME_INFO's table.
    public var runtime: [String: String]
    public var retryTotal: Int
    public var deadLetterTotal: Int
    public var broadcastSendBackDropped: Int
    public var clientLags: [ClientLag]
    public var requestLatency: [RequestLatencySnapshot]
}

/// Rounds to 2 decimals, as the exporter does with TPS figures.
func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }

extension Broker {
    /// Every exported figure at `now` (ms). Cost grows with topics × groups × queues; meant for a scrape every
    /// few seconds, not for a hot path.
    public func metricsSnapshot(now: Int64 = currentMillis()) -> MetricsSnapshot {
        let topicConfigs = topics.table.all()
        var topicFigures: [MetricsSnapshot.Topic] = []
        var consumptions: [MetricsSnapshot.Consumption] = []
        var groupNames = Set<String>()
        for config in topicConfigs {
            let name = config.topicName
            let kind: MetricsSnapshot.Topic.Kind = TopicNames.isRetry(name) ? .retry
                : TopicNames.isDeadLetter(name) ? .deadLetter : .normal
            let queueStats = (try? admin.topicStats(topic: name)) ?? [:]
            let putTps = stats.snapshot(StatsName.topicPutNums, key: name, windowMillis: 60_000, now: now)?.tps ?? 0
            let putSize = stats.snapshot(StatsName.topicPutSize, key: name, windowMillis: 60_000, now: now)?.tps ?? 0
            topicFigures.append(.init(name: name, kind: kind, maxOffsetSum: queueStats.values.reduce(0) { $0 + $1.maxOffset },
                                      putTps: round2(putTps), putSizeTps: round2(putSize)))
            // The exporter skips dead-letter topics for consumer figures.
            guard kind != .deadLetter else { continue }
            for group in admin.groupsConsuming(topic: name) {
                groupNames.insert(group)
                consumptions.append(consumption(topic: name, group: group, now: now))
            }
        }
        let groupFigures: [MetricsSnapshot.Group] = groupNames.union(groups.state.withLock { $0.consumers.groups() }).sorted()
            .map { group in
                let view = try? admin.consumerConnections(group: group)
                let inconsistencies = groups.state.withLock { $0.inconsistencies(of: group).count }
                return .init(name: group, clientAddrs: view?.connections.map(\.clientAddr) ?? [],
                             clientIds: view?.connections.map(\.clientId) ?? [],
                             messageModel: view?.messageModel ?? .clustering, inconsistencies: inconsistencies)
            }
        let producers = admin.allProducers().mapValues(\.count)
        let cluster = config.brokerClusterName
        return MetricsSnapshot(
            clusterName: cluster, brokerName: config.brokerName, brokerAddress: config.advertisedAddress,
            topics: topicFigures, groups: groupFigures, consumptions: consumptions, producerCounts: producers,
            brokerPutTps: round2(stats.snapshot(StatsName.brokerPutNums, key: cluster, windowMillis: 60_000, now: now)?.tps ?? 0),
            brokerGetTps: round2(stats.snapshot(StatsName.brokerGetNums, key: cluster, windowMillis: 60_000, now: now)?.tps ?? 0),
            runtime: admin.runtimeInfo(now: now),
            retryTotal: retry.retriedCount, deadLetterTotal: retry.deadLetteredCount,
            broadcastSendBackDropped: retry.broadcastingFailureCount,
            clientLags: clientLags(), requestLatency: requestLatency.snapshot())
    }

    /// admin.md §13.2 for one (topic, group) pair.
    private func consumption(topic: String, group: String, now: Int64) -> MetricsSnapshot.Consumption {
        let progress = admin.consumeStats(group: group, topic: topic, now: now)
        let model = (try? admin.consumerConnections(group: group))?.messageModel ?? .clustering
        var diff: Int64 = 0, consumerOffsets: Int64 = 0, latency: Int64 = 0
        for (queue, figures) in progress.offsets {
            diff += figures.lag
            consumerOffsets += figures.consumerOffset
            guard model == .clustering, figures.brokerOffset > figures.consumerOffset else { continue }
            // The message at the consumer offset, or at the queue's first offset when that one is gone.
            let at = max(figures.consumerOffset, store.minOffset(topic: queue.topic, queueId: queue.queueId))
            if let stored = store.storeTime(topic: queue.topic, queueId: queue.queueId, offset: at) {
                latency = max(latency, now - stored)
            }
        }
        let key = TopicNames.pairKey(topic, group)
        let sizeTps = stats.snapshot(StatsName.groupGetSize, key: key, windowMillis: 60_000, now: now)?.tps ?? 0
        let sendBacks = stats.snapshot(StatsName.sendBackPutNums, key: key, windowMillis: 60_000, now: now)?.sum ?? 0
        return .init(topic: topic, group: group,
                     diff: progress.offsets.isEmpty || model != .clustering ? nil : diff,
                     consumerOffsetSum: consumerOffsets, latencyMillis: model == .clustering ? latency : 0,
                     consumeTps: round2(progress.consumeTps), consumeSizeTps: round2(sizeTps), sendBackNums: sendBacks)
    }

    /// Broadcasting clients' positions (ClientProgressTable) against each queue's max offset.
    private func clientLags() -> [MetricsSnapshot.ClientLag] {
        let positions: [(String, [ClientPosition])] = groups.state.withLock { state in
            state.consumers.groups().filter { state.consumers.effectiveModel(of: $0) == .broadcasting }
                .map { ($0, state.progress.positions(group: $0)) }
        }
        return positions.flatMap { group, list in
            list.map { p in
                .init(group: group, clientId: p.clientId, topic: p.topic, queueId: p.queueId,
                      lag: max(0, store.maxOffset(topic: p.topic, queueId: p.queueId) - p.nextOffset))
            }
        }
    }
}
