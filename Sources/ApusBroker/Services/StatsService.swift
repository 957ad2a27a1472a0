// StatsService: the broker's statistics (RocketMQ's BrokerStatsManager items, admin.md §8.3) recorded by the send,
// consume and retry services and read by AdminService (VIEW_BROKER_STATS_DATA, consume TPS, runtime figures).

import ApusGroups
import ApusMessage
import Synchronization

final class StatsService: Sendable {
    private let table: Mutex<StatsTable>
    /// The key of the broker-wide items (BROKER_PUT_NUMS, BROKER_GET_NUMS).
    let clusterName: String

    init(clusterName: String) {
        self.clusterName = clusterName
        table = Mutex(StatsTable(brokerKey: clusterName))
    }

    /// Messages stored: per topic (count and bytes) and broker-wide. `messages` are (topic, stored bytes) pairs.
    func recordPut(_ messages: some Sequence<(topic: String, bytes: Int)>, now: Int64) {
        // A put rarely spans more than a topic or two: a list, not a dictionary; and the first topic apart, so that
        // a put to one topic allocates no list.
        var first: (topic: String, count: Int64, bytes: Int64)?
        var others: [(topic: String, count: Int64, bytes: Int64)] = []
        for m in messages {
            if first == nil {
                first = (m.topic, 1, Int64(m.bytes))
            } else if first!.topic == m.topic {
                first!.count += 1
                first!.bytes += Int64(m.bytes)
            } else if let i = others.firstIndex(where: { $0.topic == m.topic }) {
                others[i].count += 1
                others[i].bytes += Int64(m.bytes)
            } else {
                others.append((m.topic, 1, Int64(m.bytes)))
            }
        }
        guard let first else { return }
        table.withLock { table in
            var total: (count: Int64, bytes: Int64) = (0, 0)
            func add(_ figures: (topic: String, count: Int64, bytes: Int64)) {
                table.add((StatsName.topicPutNums, StatsName.topicPutSize), key: figures.topic,
                          values: (figures.count, figures.bytes), now: now)
                total.count += figures.count
                total.bytes += figures.bytes
            }
            add(first)
            for figures in others { add(figures) }
            table.add(.putNums, value: total.count, now: now)
            table.add(.putSize, value: total.bytes, now: now)
        }
    }

    /// A pull answered: messages and bytes delivered to `group` from `topic` (count 0: a miss).
    func recordGet(topic: String, group: String, count: Int, bytes: Int, now: Int64) {
        table.withLock { table in
            guard count > 0 else {
                table.add(.pullMiss, value: 1, now: now)
                return
            }
            table.add((StatsName.groupGetNums, StatsName.groupGetSize), key: table.pairKey(topic, group),
                      values: (Int64(count), Int64(bytes)), now: now)
            table.add(.getNums, value: Int64(count), now: now)
            table.add(.pullFound, value: 1, now: now)
        }
    }

    /// A message sent back by `group` and stored into `topic` (its retry or dead-letter topic).
    func recordSendBack(topic: String, group: String, now: Int64) {
        table.withLock { table in
            table.add(StatsName.sendBackPutNums, key: table.pairKey(topic, group), value: 1, now: now)
        }
    }

    func snapshot(_ name: String, key: String, windowMillis: Int64, now: Int64) -> StatsSnapshot? {
        table.withLock { $0.snapshot(name, key: key, windowMillis: windowMillis, now: now) }
    }

    /// TPS of a broker-wide item over 10 s, 60 s and 600 s, as the runtime info prints it (`12.5 11.9 10.0`).
    func tpsTriple(_ name: String, now: Int64) -> String {
        table.withLock { table in
            [10_000, 60_000, 600_000].map { window -> String in
                "\(table.snapshot(name, key: clusterName, windowMillis: Int64(window), now: now)?.tps ?? 0)"
            }.joined(separator: " ")
        }
    }

    func total(_ name: String) -> Int64 { table.withLock { $0.total(name, key: clusterName) } }

    func dailyTotals(_ name: String, now: Int64) -> (yesterdayMorning: Int64, todayMorning: Int64, now: Int64) {
        table.withLock { $0.dailyTotals(name, key: clusterName, now: now) }
    }

    /// Ages every item (called every 10 s).
    func tick(now: Int64) {
        table.withLock { $0.tick(now: now) }
    }
}
