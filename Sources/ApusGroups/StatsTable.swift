// StatsTable: the broker's statistics items as RocketMQ's BrokerStatsManager keeps them (admin.md §8.3) — a running
// total and count of increments per (name, key), sampled every 10 s for the last 10 minutes, every 10 min for the
// last hour and hourly for the last day — and the figures the admin codes read from them: sum, TPS and average per
// increment over the last minute, hour or day (VIEW_BROKER_STATS_DATA), TPS over 10 s / 60 s / 600 s and the
// counters at the last two midnights (GET_BROKER_RUNTIME_INFO). Pure state; the broker owns the lock and the clock.

import ApusMessage

/// Java's stats item names.
public enum StatsName {
    public static let topicPutNums = "TOPIC_PUT_NUMS"
    public static let topicPutSize = "TOPIC_PUT_SIZE"
    public static let groupGetNums = "GROUP_GET_NUMS"
    public static let groupGetSize = "GROUP_GET_SIZE"
    public static let sendBackPutNums = "SNDBCK_PUT_NUMS"
    public static let brokerPutNums = "BROKER_PUT_NUMS"
    public static let brokerGetNums = "BROKER_GET_NUMS"
    /// Apus's own: pulls that found messages / found none (runtime `getFoundTps`, `getMissTps`); key: the cluster name.
    public static let pullFound = "APUS_PULL_FOUND"
    public static let pullMiss = "APUS_PULL_MISS"
    /// Apus's own: bytes stored by the broker; key: the cluster name.
    public static let brokerPutSize = "APUS_BROKER_PUT_SIZE"
}

/// One window's figures: `sum` = increase of the total, `tps` = sum per second of the window's real duration,
/// `avgpt` = sum ÷ number of increments (0 when none).
public struct StatsSnapshot: Sendable, Equatable {
    public var sum: Int64
    public var tps: Double
    public var avgpt: Double

    public init(sum: Int64, tps: Double, avgpt: Double) {
        self.sum = sum
        self.tps = tps
        self.avgpt = avgpt
    }
}

public struct StatsTable: Sendable {
    struct Sample {
        var time: Int64
        var value: Int64
        var times: Int64
    }

    struct Ring {
        let interval: Int64
        let capacity: Int
        var samples: [Sample] = []

        /// Takes a sample when the last one is at least `interval` old.
        mutating func sample(_ s: Sample) {
            if let last = samples.last, s.time - last.time < interval { return }
            samples.append(s)
            if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        }

        /// When the next sample is taken (the first call from then on takes it).
        var due: Int64 { samples.last.map { $0.time + interval } ?? .min }

        /// The oldest sample no older than `window`, else the newest there is.
        func base(now: Int64, window: Int64) -> Sample? {
            samples.first { now - $0.time <= window } ?? samples.last
        }
    }

    struct Item {
        var value: Int64 = 0
        var times: Int64 = 0
        var seconds: Ring
        var minutes: Ring
        var hours: Ring
        /// Totals at the last two UTC midnights seen.
        var todayMorning: Int64 = 0
        var yesterdayMorning: Int64 = 0
        var day: Int64
        /// The earliest time a ring or the day takes a sample again: an update before it only adds (every send burst
        /// and every pull updates some).
        var nextSample: Int64 = .min

        init(now: Int64) {
            seconds = Ring(interval: 10_000, capacity: 61)
            minutes = Ring(interval: 600_000, capacity: 7)
            hours = Ring(interval: 3_600_000, capacity: 25)
            day = now / 86_400_000
            sample(now: now)
        }

        mutating func add(_ amount: Int64, now: Int64) {
            value += amount
            times += 1
            if now >= nextSample { sample(now: now) }
        }

        mutating func sample(now: Int64) {
            let today = now / 86_400_000
            if today != day {
                yesterdayMorning = today - day == 1 ? todayMorning : value
                todayMorning = value
                day = today
            }
            let s = Sample(time: now, value: value, times: times)
            seconds.sample(s)
            minutes.sample(s)
            hours.sample(s)
            nextSample = min(seconds.due, minutes.due, hours.due, (day + 1) * 86_400_000)
        }

        func snapshot(now: Int64, window: Int64) -> StatsSnapshot {
            let ring = window <= 600_000 ? seconds : window <= 3_600_000 ? minutes : hours
            guard let base = ring.base(now: now, window: window) else { return StatsSnapshot(sum: 0, tps: 0, avgpt: 0) }
            let sum = value - base.value
            let times = self.times - base.times
            let millis = now - base.time
            return StatsSnapshot(sum: sum, tps: millis > 0 ? Double(sum) * 1000 / Double(millis) : 0,
                                 avgpt: times > 0 ? Double(sum) / Double(times) : 0)
        }
    }

    /// An item's name and key, hashed together (no string built per update).
    struct ItemID: Hashable {
        var name: String
        var key: String
    }

    /// The broker-wide items, keyed by `brokerKey` (the cluster name). A send burst updates two of them and every pull
    /// one or two, so they live in a fixed array: an update in the dictionary hashes its name and key (about 900
    /// instructions). Read through the same names and key as every other item.
    public enum BrokerItem: Int, CaseIterable, Sendable {
        case putNums, putSize, getNums, pullFound, pullMiss

        public var name: String {
            switch self {
            case .putNums: StatsName.brokerPutNums
            case .putSize: StatsName.brokerPutSize
            case .getNums: StatsName.brokerGetNums
            case .pullFound: StatsName.pullFound
            case .pullMiss: StatsName.pullMiss
            }
        }
    }

    private var items: [ItemID: Item] = [:]
    /// Pairs of items updated together lately (a topic's put count and size, a group's get count and size), by their
    /// places in `items`: a send burst updates one pair and a pull that found messages another, and comparing the
    /// key first (a topic and a `topic@group` key differ in length) and then the names (the same literals) costs a
    /// fraction of hashing both strings twice. Emptied when an item is added (which may move the others).
    private var recent = RecentList<Pair>(capacity: 4)
    private struct Pair {
        let key: String
        let names: (String, String)
        let indices: (Dictionary<ItemID, Item>.Index, Dictionary<ItemID, Item>.Index)

        func matches(_ names: (String, String), _ key: String) -> Bool {
            self.key.utf8.count == key.utf8.count && self.key == key && self.names.0 == names.0 && self.names.1 == names.1
        }
    }
    /// The last `topic@group` key made for a group's get items (`pairKey`), reused while the pulls repeat the pair.
    private var lastPair: (topic: String, group: String, key: String)?
    private let brokerKey: String
    private var brokerItems = [Item?](repeating: nil, count: BrokerItem.allCases.count)

    public init(brokerKey: String = "") {
        self.brokerKey = brokerKey
    }

    private static func id(_ name: String, _ key: String) -> ItemID { ItemID(name: name, key: key) }

    /// The broker-wide item `name` and `key` name, if they name one.
    private func brokerItem(_ name: String, _ key: String) -> BrokerItem? {
        guard key.utf8.count == brokerKey.utf8.count, key == brokerKey else { return nil }
        return BrokerItem.allCases.first { $0.name == name }
    }

    private func item(_ name: String, _ key: String) -> Item? {
        if let broker = brokerItem(name, key) { return brokerItems[broker.rawValue] }
        return items[Self.id(name, key)]
    }

    /// Adds `value` to the item's total (one increment). Updated in place: one lookup, and the item's sample rings are
    /// not copied out and back.
    public mutating func add(_ name: String, key: String, value: Int64, now: Int64) {
        if let broker = brokerItem(name, key) { return add(broker, value: value, now: now) }
        let count = items.count
        items[Self.id(name, key), default: Item(now: now)].add(value, now: now)
        if items.count != count { recent.removeAll() }
    }

    /// Adds `values` to two items of one key, as every send burst (a topic's put count and size) and every pull that
    /// found messages (a group's get count and size) do: found again by comparison while they repeat (`recent`).
    public mutating func add(_ names: (String, String), key: String, values: (Int64, Int64), now: Int64) {
        for i in recent.indices where recent[i].matches(names, key) {
            let (first, second) = recent[i].indices
            items.values[first].add(values.0, now: now)
            items.values[second].add(values.1, now: now)
            return
        }
        add(names.0, key: key, value: values.0, now: now)
        add(names.1, key: key, value: values.1, now: now)
        guard let first = items.index(forKey: Self.id(names.0, key)), let second = items.index(forKey: Self.id(names.1, key))
        else { return }  // broker-wide items, kept apart
        recent.remember(Pair(key: key, names: names, indices: (first, second)))
    }

    /// `topic@group` (`TopicNames.pairKey`), the key of a group's get and send-back items: the same string as last
    /// time while the pair repeats, so that the items it names are found by comparing it with itself.
    public mutating func pairKey(_ topic: String, _ group: String) -> String {
        if let last = lastPair, last.topic == topic, last.group == group { return last.key }
        let key = TopicNames.pairKey(topic, group)
        lastPair = (topic, group, key)
        return key
    }

    /// Adds `value` to a broker-wide item's total (one increment), without a lookup.
    public mutating func add(_ item: BrokerItem, value: Int64, now: Int64) {
        if brokerItems[item.rawValue] == nil { brokerItems[item.rawValue] = Item(now: now) }
        brokerItems[item.rawValue]!.add(value, now: now)
    }

    public func exists(_ name: String, key: String) -> Bool { item(name, key) != nil }

    /// The item's figures over the last `windowMillis` (60 000, 3 600 000 or 86 400 000); nil for an unknown item.
    public func snapshot(_ name: String, key: String, windowMillis: Int64, now: Int64) -> StatsSnapshot? {
        item(name, key)?.snapshot(now: now, window: windowMillis)
    }

    /// The item's running total; 0 for an unknown item.
    public func total(_ name: String, key: String) -> Int64 { item(name, key)?.value ?? 0 }

    /// Totals at the previous two UTC midnights (yesterday morning, today morning) and now.
    public func dailyTotals(_ name: String, key: String, now: Int64) -> (yesterdayMorning: Int64, todayMorning: Int64, now: Int64) {
        guard var item = item(name, key) else { return (0, 0, 0) }
        item.sample(now: now)
        return (item.yesterdayMorning, item.todayMorning, item.value)
    }

    /// Samples every item (the broker calls this every 10 s, so quiet items still age).
    public mutating func tick(now: Int64) {
        for id in Array(items.keys) { items[id]!.sample(now: now) }
        for i in brokerItems.indices where brokerItems[i] != nil { brokerItems[i]!.sample(now: now) }
    }
}
