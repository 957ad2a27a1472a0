// MetricsCollector: a broker's MetricsSnapshot as Prometheus text, with rocketmq-exporter's metric names and labels
// (admin.md §13.3) so its Grafana dashboards and alert rules work unchanged, plus Apus's own `apus_*` families.
// Each scrape builds a fresh swift-prometheus registry from a fresh snapshot: every value is the current one and
// series of deleted topics or groups disappear at once (the exporter keeps them up to 60 s).

import ApusBroker
import ApusGroups
import Foundation
import Prometheus
import Synchronization

/// One labelled gauge value from an extra provider (e.g. `apus_alert_firing{rule,group,topic}` from an alert
/// evaluator).
public struct LabelledGauge: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
    public var help: String

    public init(name: String, labels: [String: String], value: Double, help: String = "") {
        self.name = name
        self.labels = labels
        self.value = value
        self.help = help
    }
}

public final class MetricsCollector: Sendable {
    public typealias Provider = @Sendable () -> [LabelledGauge]

    private let snapshot: @Sendable () -> MetricsSnapshot
    private let providers: Mutex<[Provider]>

    public init(snapshot: @escaping @Sendable () -> MetricsSnapshot, providers: [Provider] = []) {
        self.snapshot = snapshot
        self.providers = Mutex(providers)
    }

    /// The broker's snapshot, plus `apus_alert_firing{rule,group,topic}` from its accumulation alerts.
    public convenience init(broker: Broker, providers: [Provider] = []) {
        self.init(snapshot: { broker.metricsSnapshot() }, providers: [Self.alertFiring(broker)] + providers)
    }

    /// 1 while an alert fires, 0 while it is inactive or pending (AlertService.firingGauges).
    static func alertFiring(_ broker: Broker) -> Provider {
        {
            broker.alertFiringGauges().map { sample in
                LabelledGauge(name: "apus_alert_firing", labels: Dictionary(sample.labels, uniquingKeysWith: { a, _ in a }),
                              value: sample.value, help: "1 while an accumulation alert fires, 0 while inactive or pending")
            }
        }
    }

    /// Adds a source of extra gauges, called on every scrape (the alert evaluator's hook:
    /// `collector.addProvider { evaluator.firingGauges() }`).
    public func addProvider(_ provider: @escaping Provider) {
        providers.withLock { $0.append(provider) }
    }

    /// The exposition text of one scrape.
    public func scrape() -> String {
        Self.render(snapshot(), extra: providers.withLock { $0 }.flatMap { $0() })
    }

    static let runtimeGauges: [(suffix: String, key: String)] = [
        ("msg_put_total_today_now", "msgPutTotalTodayNow"), ("msg_gettotal_today_now", "msgGetTotalTodayNow"),
        ("msg_puttotal_todaymorning", "msgPutTotalTodayMorning"), ("msg_gettotal_todaymorning", "msgGetTotalTodayMorning"),
        ("msg_puttotal_yesterdaymorning", "msgPutTotalYesterdayMorning"),
        ("msg_gettotal_yesterdaymorning", "msgGetTotalYesterdayMorning"),
        ("dispatch_behind_bytes", "dispatchBehindBytes"), ("dispatch_maxbuffer", "dispatchMaxBuffer"),
        ("put_message_size_total", "putMessageSizeTotal"), ("put_message_average_size", "putMessageAverageSize"),
        ("putmessage_times_total", "putMessageTimesTotal"), ("putmessage_entire_time_max", "putMessageEntireTimeMax"),
        ("getmessage_entire_time_max", "getMessageEntireTimeMax"), ("pagecache_lock_time_mills", "pageCacheLockTimeMills"),
        ("earliest_message_timestamp", "earliestMessageTimeStamp"),
        ("start_accept_sendrequest_time", "startAcceptSendRequestTimeStamp"),
        ("remain_transientstore_buffer_numbs", "remainTransientStoreBufferNumbs"),
        ("commitlog_disk_ratio", "commitLogDiskRatio"), ("consumequeue_disk_ratio", "consumeQueueDiskRatio"),
        ("commitlog_maxoffset", "commitLogMaxOffset"), ("commitlog_minoffset", "commitLogMinOffset"),
        ("put_latency_99", "putLatency99"), ("put_latency_999", "putLatency999"),
        ("send_threadpool_queue_size", "sendThreadPoolQueueSize"),
        ("send_threadpoolqueue_capacity", "sendThreadPoolQueueCapacity"),
        ("send_threadpoolqueue_headwait_timemills", "sendThreadPoolQueueHeadWaitTimeMills"),
        ("pull_threadpoolqueue_size", "pullThreadPoolQueueSize"),
        ("pull_threadpoolqueue_capacity", "pullThreadPoolQueueCapacity"),
        ("pull_threadpoolqueue_headwait_timemills", "pullThreadPoolQueueHeadWaitTimeMills"),
        ("query_threadpoolqueue_size", "queryThreadPoolQueueSize"),
        ("query_threadpool_queue_capacity", "queryThreadPoolQueueCapacity"),
        ("query_threadpoolqueue_headwait_timemills", "queryThreadPoolQueueHeadWaitTimeMills"),
    ]

    static let runtimeTriples: [(prefix: String, key: String)] = [
        ("put_tps", "putTps"), ("getfound_tps", "getFoundTps"), ("getmiss_tps", "getMissTps"),
        ("gettotal_tps", "getTotalTps"), ("gettransfered_tps", "getTransferedTps"),
    ]

    /// `putMessageDistributeTime`'s 13 buckets, in order.
    static let distributeSuffixes = ["pmdt_0ms", "pmdt_0to10ms", "pmdt_10to50ms", "pmdt_50to100ms", "pmdt_100to200ms",
                                     "pmdt_200to500ms", "pmdt_500to1s", "pmdt_1to2s", "pmdt_2to3s", "pmdt_3to4s",
                                     "pmdt_4to5s", "pmdt_5to10s", "pmdt_10stomore"]

    static func render(_ s: MetricsSnapshot, extra: [LabelledGauge] = []) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ value: Int64, _ help: String) {
            registry.makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
                .increment(by: value)
        }
        func gauge(_ name: String, _ labels: [(String, String)], _ value: Double, _ help: String) {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
                .set(value)
        }
        let cluster = s.clusterName, broker = s.brokerName, address = s.brokerAddress

        // Consumer groups (admin.md §13.2).
        let groupsByName = Dictionary(s.groups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for c in s.consumptions {
            let online = groupsByName[c.group]?.onlineConsumers ?? 0
            if let diff = c.diff {
                let retry = c.topic.hasPrefix("%RETRY%")
                gauge(retry ? "rocketmq_group_retrydiff" : "rocketmq_group_diff",
                      [("group", c.group), ("topic", c.topic), ("countOfOnlineConsumers", String(online)), ("msgModel", "1")],
                      Double(diff), retry ? "Messages not yet consumed from the group's retry topic"
                          : "Messages not yet consumed by the group (max offset - consumer offset, summed over queues)")
                gauge("rocketmq_group_get_latency_by_storetime",
                      [("cluster", cluster), ("broker", broker), ("topic", c.topic), ("group", c.group)],
                      Double(c.latencyMillis), "Age (ms) of the oldest unconsumed message, by store time")
            }
            let tgLabels = [("cluster", cluster), ("broker", broker), ("topic", c.topic), ("group", c.group)]
            gauge("rocketmq_consumer_offset", tgLabels, Double(c.consumerOffsetSum), "Sum of the group's consumer offsets")
            gauge("rocketmq_consumer_tps", tgLabels, c.consumeTps, "Messages delivered to the group per second (last minute)")
            gauge("rocketmq_consumer_message_size", tgLabels, c.consumeSizeTps, "Bytes delivered to the group per second (last minute)")
            gauge("rocketmq_send_back_nums", tgLabels, Double(c.sendBackNums), "Messages sent back in the last minute")
        }
        for g in s.groups where g.onlineConsumers > 0 || s.consumptions.contains(where: { $0.group == g.name }) {
            gauge("rocketmq_group_count", [("caddr", g.clientAddrs.joined(separator: ",")),
                                            ("localaddr", g.clientIds.joined(separator: ",")), ("group", g.name)],
                  Double(g.onlineConsumers), "Online consumers of the group")
        }

        // Topics.
        for t in s.topics {
            switch t.kind {
            case .normal:
                let labels = [("cluster", cluster), ("broker", broker), ("topic", t.name)]
                gauge("rocketmq_producer_offset", labels, Double(t.maxOffsetSum), "Sum of the topic's queue max offsets")
                gauge("rocketmq_producer_tps", labels, t.putTps, "Messages stored per second (last minute)")
                gauge("rocketmq_producer_message_size", labels, t.putSizeTps, "Bytes stored per second (last minute)")
            case .retry:
                gauge("rocketmq_topic_retry_offset", [("cluster", cluster), ("broker", broker), ("topic", t.name)],
                      Double(t.maxOffsetSum), "Sum of the retry topic's queue max offsets")
            case .deadLetter:
                gauge("rocketmq_topic_dlq_offset",
                      [("cluster", cluster), ("broker", broker), ("group", String(t.name.dropFirst("%DLQ%".count)))],
                      Double(t.maxOffsetSum), "Sum of the dead-letter topic's queue max offsets")
            }
        }
        for (group, count) in s.producerCounts.sorted(by: { $0.key < $1.key }) {
            gauge("rocketmq_producer_count", [("cluster", cluster), ("broker", broker), ("group", group)], Double(count),
                  "Producer connections of the group")
        }

        // Broker.
        let brokerLabels = [("cluster", cluster), ("brokerIP", address), ("broker", broker)]
        gauge("rocketmq_broker_tps", brokerLabels, s.brokerPutTps, "Messages stored per second (last minute)")
        gauge("rocketmq_broker_qps", brokerLabels, s.brokerGetTps, "Messages delivered per second (last minute)")
        let runtimeLabels = [("cluster", cluster), ("brokerIP", address), ("brokerHost", ""),
                             ("des", s.runtime["brokerVersionDesc"] ?? ""), ("boottime", s.runtime["bootTimestamp"] ?? ""),
                             ("broker_version", s.runtime["brokerVersion"] ?? "")]
        func runtime(_ suffix: String, _ value: Double) {
            gauge("rocketmq_brokeruntime_" + suffix, runtimeLabels, value, "")
        }
        for (suffix, key) in runtimeGauges {
            if let text = s.runtime[key], let value = Double(text) { runtime(suffix, value) }
        }
        for (prefix, key) in runtimeTriples {
            let parts = (s.runtime[key] ?? "").split(separator: " ").compactMap { Double($0) }
            guard parts.count == 3 else { continue }
            for (window, value) in zip(["10", "60", "600"], parts) { runtime(prefix + window, value) }
        }
        if let text = s.runtime["putMessageDistributeTime"] {
            // "[<=0ms]:0 [0~10ms]:3 …"
            let counts = text.split(separator: " ").compactMap { $0.split(separator: ":").last.flatMap { Double($0) } }
            for (suffix, value) in zip(distributeSuffixes, counts) { runtime(suffix, value) }
        }
        if let value = s.runtime["remainHowManyDataToFlush"].flatMap(parseSize) { runtime("remain_howmanydata_toflush", value) }
        if let text = s.runtime["commitLogDirCapacity"] {
            // "Total : 50.0 GiB, Free : 20.1 GiB."
            let parts = text.split(separator: ",")
            if parts.count == 2 {
                let total = parts[0].split(separator: ":").last.flatMap { parseSize(String($0)) }
                let free = parts[1].split(separator: ":").last.flatMap {
                    parseSize(String($0).replacingOccurrences(of: ".", with: "", options: [.anchored, .backwards]))
                }
                if let total { runtime("commitlogdir_capacity_total", total) }
                if let free { runtime("commitlogdir_capacity_free", free) }
            }
        }

        // Apus's own.
        counter("apus_retry_total", Int64(s.retryTotal), "Messages stored back into a retry topic")
        counter("apus_dlq_total", Int64(s.deadLetterTotal), "Messages moved to a dead-letter topic")
        counter("apus_broadcast_sendback_dropped_total", Int64(s.broadcastSendBackDropped),
                "Broadcasting consumers' failures acknowledged without retry")
        for g in s.groups where g.onlineConsumers > 0 {
            gauge("apus_subscription_inconsistent", [("group", g.name)], Double(g.inconsistencies),
                  "Aspects in which the group's members subscribe differently (0: consistent)")
        }
        for l in s.clientLags {
            gauge("apus_broadcast_client_lag", [("group", l.group), ("client", l.clientId), ("topic", l.topic),
                                                ("queueId", String(l.queueId))],
                  Double(l.lag), "A broadcasting client's distance from the queue's max offset, by its last pull")
        }
        for g in extra {
            gauge(g.name, g.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, g.value, g.help)
        }
        return registry.emitToString() + renderLatency(s.requestLatency)
    }

    /// `apus_request_duration_seconds{code}`: the broker's own histograms, already cumulative.
    static func renderLatency(_ histograms: [RequestLatencySnapshot]) -> String {
        guard !histograms.isEmpty else { return "" }
        var text = "# HELP apus_request_duration_seconds Remoting request time per request code, from the socket read to the answer\n"
        text += "# TYPE apus_request_duration_seconds histogram\n"
        let bounds = RequestLatencyTable.bucketBounds
        for h in histograms {
            for (bound, count) in zip(bounds, h.cumulativeCounts) {
                text += "apus_request_duration_seconds_bucket{code=\"\(h.code)\",le=\"\(bound)\"} \(count)\n"
            }
            text += "apus_request_duration_seconds_bucket{code=\"\(h.code)\",le=\"+Inf\"} \(h.count)\n"
            text += "apus_request_duration_seconds_sum{code=\"\(h.code)\"} \(h.sumSeconds)\n"
            text += "apus_request_duration_seconds_count{code=\"\(h.code)\"} \(h.count)\n"
        }
        return text
    }

    /// Java's human-readable sizes back to bytes: "0 B", "12.5 KiB", "3.0 GiB".
    static func parseSize(_ text: String) -> Double? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ")
        guard parts.count == 2, let number = Double(parts[0]) else { return nil }
        let units = ["B": 1.0, "KiB": 1024.0, "MiB": 1048576.0, "GiB": 1073741824.0, "TiB": 1099511627776.0,
                     "PiB": 1125899906842624.0, "EiB": 1152921504606846976.0]
        guard let scale = units[String(parts[1])] else { return nil }
        return number * scale
    }
}
