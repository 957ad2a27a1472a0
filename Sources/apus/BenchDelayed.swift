// apus bench's delay workload: timer messages due 1–10 s after they are sent, delivery lateness and the broker's
// resident memory while they wait.

import ApusClient
import ApusMessage
import Foundation
import NIOCore
import Synchronization

/// Lateness of each delivered timer message against its due time.
final class LatenessTracker: Sendable {
    private struct State {
        var seen: [Bool]
        var lateness: [Int64] = []
        var duplicates = 0
    }

    private let state: Mutex<State>
    let expected: Int

    init(expected: Int) {
        self.expected = expected
        state = Mutex(State(seen: [Bool](repeating: false, count: expected)))
    }

    func record(_ messages: [StoredMessage]) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        state.withLock { s in
            for message in messages {
                guard let body = BenchBody.parse(message.body), body.kind == UInt8(ascii: "M"), body.seq < expected,
                      let due = MessagePropertyCodec.value(of: "__STARTDELIVERTIME", in: message.properties).flatMap({ Int64($0) })
                else { continue }
                if s.seen[body.seq] {
                    s.duplicates += 1
                    continue
                }
                s.seen[body.seq] = true
                s.lateness.append(now - due)
            }
        }
    }

    var received: Int { state.withLock { $0.lateness.count } }
    var summary: (lateness: [Int64], duplicates: Int) { state.withLock { ($0.lateness, $0.duplicates) } }
}

extension BenchRunner {
    /// `delayCount` messages, message i due (i·7919 mod 9001) ms + 1 s after its send; one consumer.
    func delayed() async throws -> String {
        let topic = "\(prefix)_delay"
        let count = options.delayCount
        let instance = try makeInstance("\(prefix)-pd")
        let (producer, route, connection) = try await createTopic(topic, instance: instance)
        let tracker = LatenessTracker(expected: count)
        let consumerInstance = try makeInstance("\(prefix)-cd")
        let consumer = PushConsumer(group: "\(prefix)_delay_cg", instance: consumerInstance, messageModel: .clustering)
        consumer.subscribe(topic: topic)
        try await consumer.register { messages, _ in tracker.record(messages) }
        await consumer.run()
        func memory() -> (rss: Double?, anon: Double?) {
            (options.brokerPid.flatMap(ProcessStats.residentMegabytes), options.brokerPid.flatMap(ProcessStats.anonymousMegabytes))
        }
        let before = memory()
        let sender = PipelinedSender(producer: producer, route: route, connection: connection, topic: topic, count: count,
                                     window: options.window, size: options.size, batch: 1) { seq in
            let due = Int64(Date().timeIntervalSince1970 * 1000) + 1_000 + Int64(seq * 7919 % 9001)
            return ["__STARTDELIVERTIME": String(due)]
        }
        try await sender.run()
        let scheduled = memory()
        let finished = try await waitUntil { tracker.received == count }
        let after = memory()
        await stop([(consumer, consumerInstance)])
        await instance.shutdown()
        let s = tracker.summary
        let sorted = s.lateness.sorted()
        func at(_ q: Double) -> Int64 { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        let early = sorted.prefix { $0 < 0 }.count
        func mb(_ value: (rss: Double?, anon: Double?)) -> String {
            let rss = value.rss.map { String(format: "%.1f", $0) } ?? "?", anon = value.anon.map { String(format: "%.1f", $0) } ?? "?"
            return "\(rss) MB (anonymous \(anon) MB)"
        }
        return "\(s.lateness.count)/\(count) delivered\(finished ? "" : " INCOMPLETE"), lateness p50 \(at(0.5)) / p99 \(at(0.99)) / "
            + "max \(sorted.last ?? 0) ms, early \(early), duplicates \(s.duplicates), send failures \(sender.failed); "
            + "broker RSS \(mb(before)) before, \(mb(scheduled)) with all scheduled, \(mb(after)) after delivery"
    }
}
