// AlertNotifier: delivery of accumulation alerts. Payloads in Alertmanager's shapes — the webhook receiver format
// (version "4") for `webhook:` and the `/api/v2/alerts` postable alerts for `alertmanager:` — so any receiver built for
// Alertmanager works. Each destination is an `AlertSink`: a bounded queue drained by one task with retries and
// exponential backoff, over one shared AsyncHTTPClient; nothing here ever blocks the broker (submit only enqueues).

import ApusGroups
import ApusRemoting
import AsyncHTTPClient
import DequeModule
import Glibc
import Logging
import NIOCore
import Synchronization

/// Delivery figures of one destination (apus admin alertList, logs).
struct AlertDeliveryCounters: Sendable, Equatable {
    /// Requests the receiver accepted (2xx).
    var delivered = 0
    /// Attempts that failed and were retried.
    var retried = 0
    /// Requests given up after the last attempt, or refused with a 4xx.
    var failed = 0
    /// Requests dropped because the queue was full (the oldest goes).
    var dropped = 0
}

/// One destination URL: a bounded FIFO, one draining task, retries with backoff.
final class AlertSink: Sendable {
    let kind: String
    let url: String
    private let client: HTTPClient
    private let logger: Logger
    private let capacity: Int
    private let maxAttempts: Int
    private let initialBackoff: Duration
    private let timeout: TimeAmount

    private struct State {
        var queue = Deque<ByteBuffer>()
        var worker: Task<Void, Never>?
        var counters = AlertDeliveryCounters()
        var closed = false
    }

    private let state = Mutex(State())

    init(kind: String, url: String, client: HTTPClient, logger: Logger, capacity: Int = 1000, maxAttempts: Int = 5,
         initialBackoff: Duration = .milliseconds(500), timeout: TimeAmount = .seconds(5)) {
        self.kind = kind
        self.url = url
        self.client = client
        self.logger = logger
        self.capacity = capacity
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.timeout = timeout
    }

    var counters: AlertDeliveryCounters { state.withLock { $0.counters } }

    /// Queues a JSON body for POSTing; returns at once.
    func submit(_ body: ByteBuffer) {
        let dropped: Bool = state.withLock { state in
            guard !state.closed else { return false }
            var dropped = false
            if state.queue.count >= capacity {
                state.queue.removeFirst()
                state.counters.dropped += 1
                dropped = true
            }
            state.queue.append(body)
            if state.worker == nil {
                state.worker = Task { [self] in await drain() }
            }
            return dropped
        }
        if dropped {
            logger.warning("alert delivery queue full; dropped the oldest notification", metadata: ["to": "\(kind) \(url)"])
        }
    }

    /// Stops delivering; what is still queued is dropped.
    func close() async {
        let worker: Task<Void, Never>? = state.withLock { state in
            state.closed = true
            state.counters.dropped += state.queue.count
            state.queue.removeAll()
            return state.worker
        }
        worker?.cancel()
        await worker?.value
    }

    private func drain() async {
        while true {
            let next: ByteBuffer? = state.withLock { state in
                guard !state.closed, let body = state.queue.popFirst() else {
                    state.worker = nil
                    return nil
                }
                return body
            }
            guard let next else { return }
            await deliver(next)
        }
    }

    private func deliver(_ body: ByteBuffer) async {
        var backoff = initialBackoff
        for attempt in 1...maxAttempts {
            let problem: String
            var permanent = false
            do {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "apus")
                request.body = .bytes(body)
                let response = try await client.execute(request, timeout: timeout)
                let answer = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) {
                    state.withLock { $0.counters.delivered += 1 }
                    return
                }
                let text = answer.map { String(buffer: $0).prefix(200) } ?? ""
                problem = "HTTP \(response.status.code)" + (text.isEmpty ? "" : ": \(text)")
                // A 4xx other than 408/429 will not succeed by trying again.
                permanent = (400..<500).contains(response.status.code) && ![408, 429].contains(response.status.code)
            } catch {
                problem = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
            }
            if Task.isCancelled { return }
            if permanent || attempt == maxAttempts {
                state.withLock { $0.counters.failed += 1 }
                logger.error("alert delivery failed", metadata: [
                    "to": "\(kind) \(url)", "attempts": "\(attempt)", "error": "\(problem)",
                ])
                return
            }
            state.withLock { $0.counters.retried += 1 }
            logger.warning("alert delivery failed; retrying", metadata: [
                "to": "\(kind) \(url)", "attempt": "\(attempt)", "retryIn": "\(backoff)", "error": "\(problem)",
            ])
            do { try await Task.sleep(for: backoff) } catch { return }
            backoff = min(backoff * 2, .seconds(30))
        }
    }
}

/// Alertmanager's JSON shapes for one alert change.
enum AlertPayloads {
    /// The alert's labels, sorted by name: `alertname` (the rule), `broker`, `group`, `topic`.
    static func labels(rule: AlertRule, topic: String, broker: String) -> [(String, String)] {
        [("alertname", rule.name), ("broker", broker), ("group", rule.group), ("topic", topic)]
    }

    static func annotations(rule: AlertRule, topic: String, diff: Int64, ageSeconds: Int64) -> [(String, String)] {
        var list = [("ageSeconds", String(ageSeconds)), ("diff", String(diff))]
        if let maxAge = rule.maxAgeSeconds { list.append(("maxAgeSeconds", String(maxAge))) }
        if let maxDiff = rule.maxDiff { list.append(("maxDiff", String(maxDiff))) }
        list.append(("summary", "consumer group \(rule.group) has \(diff) unconsumed messages on topic \(topic), "
            + "the oldest stored \(ageSeconds) s ago"))
        return list
    }

    /// The webhook receiver body (Alertmanager's `version: "4"` format) for one transition.
    static func webhook(_ t: AlertTransition, broker: String) -> ByteBuffer {
        let labels = labels(rule: t.rule, topic: t.topic, broker: broker)
        let annotations = annotations(rule: t.rule, topic: t.topic, diff: t.diff, ageSeconds: t.ageSeconds)
        let status = t.kind == .resolved ? "resolved" : "firing"
        var w = JSONWriter()
        w.beginObject()
        w.string("version", "4")
        w.string("groupKey", "{}:{alertname=\(quoted(t.rule.name))}")
        w.number("truncatedAlerts", 0)
        w.string("status", status)
        w.string("receiver", "apus")
        w.key("groupLabels")
        object(&w, [("alertname", t.rule.name)])
        w.key("commonLabels")
        object(&w, labels)
        w.key("commonAnnotations")
        object(&w, annotations)
        w.string("externalURL", "")
        w.key("alerts")
        w.beginArray()
        w.beginObject()
        w.string("status", status)
        w.key("labels")
        object(&w, labels)
        w.key("annotations")
        object(&w, annotations)
        w.string("startsAt", rfc3339(t.startsAt))
        w.string("endsAt", t.endsAt.map(rfc3339) ?? "0001-01-01T00:00:00Z")
        w.string("generatorURL", "")
        w.string("fingerprint", fingerprint(labels))
        w.endObject()
        w.endArray()
        w.endObject()
        return w.buffer
    }

    /// A `/api/v2/alerts` body: one postable alert. `endsAt` in the future keeps it firing that long unless re-sent;
    /// in the past (the resolution time) resolves it.
    static func alertmanager(rule: AlertRule, topic: String, diff: Int64, ageSeconds: Int64, startsAt: Int64, endsAt: Int64,
                             broker: String) -> ByteBuffer {
        var w = JSONWriter()
        w.beginArray()
        w.beginObject()
        w.key("labels")
        object(&w, labels(rule: rule, topic: topic, broker: broker))
        w.key("annotations")
        object(&w, annotations(rule: rule, topic: topic, diff: diff, ageSeconds: ageSeconds))
        w.string("startsAt", rfc3339(startsAt))
        w.string("endsAt", rfc3339(endsAt))
        w.endObject()
        w.endArray()
        return w.buffer
    }

    private static func object(_ w: inout JSONWriter, _ pairs: [(String, String)]) {
        w.beginObject()
        for (key, value) in pairs { w.string(key, value) }
        w.endObject()
    }

    private static func quoted(_ text: String) -> String {
        var w = JSONWriter()
        w.string(text)
        return w.text
    }

    /// FNV-1a over the sorted labels, 16 hex digits (Alertmanager's fingerprint is also a 64-bit label hash).
    static func fingerprint(_ labels: [(String, String)]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (key, value) in labels.sorted(by: { $0.0 < $1.0 }) {
            for byte in key.utf8 + [0xff] + value.utf8 + [0xff] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// `2026-12-01T00:39:04.123Z`.
    static func rfc3339(_ millis: Int64) -> String {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = Int(millis % 1000)
        let fraction = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
