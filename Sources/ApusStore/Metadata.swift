// Broker metadata persisted as JSON under <root>/config: topics, consumer offsets, subscription groups; AtomicFile
// and PersistentState, which writes a table's snapshots outside the table's lock.
import ApusMessage
import Dispatch
import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file replacement that survives a crash at any point: write `<path>.tmp`, fsync, rename over `path`,
/// fsync the directory. A reader sees the old or the new content, never a mix.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.errno("open", temporary) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            guard n > 0 else { close(fd); throw StoreError.errno("write", temporary) }
            written += n
        }
        guard fsync(fd) == 0 else { close(fd); throw StoreError.errno("fsync", temporary) }
        close(fd)
        guard rename(temporary, path) == 0 else { throw StoreError.errno("rename", temporary) }
        let slash = path.lastIndex(of: "/")
        syncDirectory(slash.map { String(path[..<$0]) }.flatMap { $0.isEmpty ? "/" : $0 } ?? ".")
    }

    public static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}

private let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return encoder
}()

private func encodeJSON<T: Encodable>(_ value: T) throws -> [UInt8] { [UInt8](try encoder.encode(value)) }

private func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
    guard let bytes = AtomicFile.read(path) else { return nil }
    return try JSONDecoder().decode(type, from: Data(bytes))
}

private func ensureParent(of path: String) throws {
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try makeDirectories(String(path[..<slash])) }
}

/// How a metadata change reaches disk. Either way the change is visible in memory when the call returns.
public enum MetadataPersistence: Sendable {
    /// Queued on the table's serial background writer: the caller never waits on disk (event-loop callers).
    case background
    /// Durable before the call returns, or the call throws (admin callers that answer only once it is on disk). After a
    /// failed write the change stays in memory; the next synchronous call, `persistNow` or background write retries it.
    case synchronous
}

/// A table's state whose every change bumps `version`.
protocol VersionedState: Sendable {
    var version: Int64 { get }
    mutating func bumpVersion()
}

/// A file carrying RocketMQ's `dataVersion`, whose counter is the version.
protocol DataVersioned: VersionedState {
    var dataVersion: DataVersion { get set }
}

extension DataVersioned {
    var version: Int64 { dataVersion.counter }
    mutating func bumpVersion() { dataVersion.bump() }
}

/// A metadata table's in-memory state and the persistence of its snapshots, the one place the tables' locking lives.
///
/// Changes are applied under `state`'s lock and are visible at once; each bumps the state's version. Writing never
/// holds that lock: under `writeLock` (held across one file write, which serializes writes) the latest snapshot is
/// taken, encoded and written, and the version on disk recorded. A write is skipped when its snapshot is not newer
/// than what is on disk, so an older snapshot never replaces a newer one.
final class PersistentState<Value: VersionedState>: Sendable {
    private struct Guarded {
        var value: Value
        /// A background write is queued and has not taken its snapshot yet.
        var writeQueued = false
    }

    private let state: Mutex<Guarded>
    /// The version on disk.
    private let writeLock: Mutex<Int64>
    private let path: String
    private let encode: @Sendable (Value) throws -> [UInt8]
    private let write: @Sendable ([UInt8], String) throws -> Void
    private let writer: DispatchQueue
    private let logger: Logger

    /// `value` is what `path` holds (or the empty state when there is no file).
    init(_ value: Value, path: String, logger: Logger, encode: @escaping @Sendable (Value) throws -> [UInt8],
         write: @escaping @Sendable ([UInt8], String) throws -> Void) {
        state = Mutex(Guarded(value: value))
        writeLock = Mutex(value.version)
        self.path = path
        self.encode = encode
        self.write = write
        self.logger = logger
        writer = DispatchQueue(label: "apus.metadata-writer")
    }

    func read<R>(_ body: (Value) -> R) -> R { state.withLock { body($0.value) } }

    /// Applies `change` (which returns whether it changed anything, and a result), bumping the version if it did,
    /// and with `queueWrite` queues a background write of it. Never waits on disk.
    func apply<R>(queueWrite: Bool, _ change: (inout Value) -> (changed: Bool, result: R)) -> R {
        let (result, enqueue): (R, Bool) = state.withLock { guarded in
            let (changed, result) = change(&guarded.value)
            guard changed else { return (result, false) }
            guarded.value.bumpVersion()
            guard queueWrite, !guarded.writeQueued else { return (result, false) }
            guarded.writeQueued = true
            return (result, true)
        }
        if enqueue { enqueueWrite() }
        return result
    }

    /// `apply`, then persists as asked; `.synchronous` also waits for earlier changes that are not on disk yet.
    func update<R>(_ persistence: MetadataPersistence, _ change: (inout Value) -> (changed: Bool, result: R)) throws -> R {
        let result = apply(queueWrite: persistence == .background, change)
        if persistence == .synchronous { try persistNow() }
        return result
    }

    /// Persists what is not on disk yet: `.synchronous` now (returns once durable), `.background` on the writer.
    func persist(_ persistence: MetadataPersistence) throws {
        switch persistence {
        case .synchronous:
            try persistNow()
        case .background:
            let enqueue = state.withLock { guarded in
                defer { guarded.writeQueued = true }
                return !guarded.writeQueued
            }
            if enqueue { enqueueWrite() }
        }
    }

    private func enqueueWrite() {
        writer.async { [self] in
            do { try persistNow() } catch {
                logger.error("metadata write failed; the next change or persist retries", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    /// Writes the latest state unless the file already holds it (or a newer one); returns once it is on disk.
    func persistNow() throws {
        try writeLock.withLock { written in
            let snapshot = state.withLock { guarded in
                guarded.writeQueued = false
                return guarded.value
            }
            guard snapshot.version > written else { return }
            try write(try encode(snapshot), path)
            written = snapshot.version
        }
    }
}

public struct TopicConfig: Codable, Sendable, Equatable {
    public var topicName: String
    public var readQueueNums: Int32
    public var writeQueueNums: Int32
    public var perm: Int32
    public var topicFilterType: String = "SINGLE_TAG"
    public var topicSysFlag: Int32 = 0
    public var order: Bool = false

    public init(topicName: String, readQueueNums: Int32, writeQueueNums: Int32, perm: Int32,
                topicFilterType: String = "SINGLE_TAG", topicSysFlag: Int32 = 0, order: Bool = false) {
        self.topicName = topicName
        self.readQueueNums = readQueueNums
        self.writeQueueNums = writeQueueNums
        self.perm = perm
        self.topicFilterType = topicFilterType
        self.topicSysFlag = topicSysFlag
        self.order = order
    }
}

/// What limits a topic's sends and pulls: its permission and queue counts.
public struct TopicLimits: Sendable {
    public var perm: Int32
    public var readQueueNums: Int32
    public var writeQueueNums: Int32

    public init(_ config: borrowing TopicConfig) {
        perm = config.perm
        readQueueNums = config.readQueueNums
        writeQueueNums = config.writeQueueNums
    }
}

public struct DataVersion: Codable, Sendable, Equatable {
    public var counter: Int64
    public var timestamp: Int64

    public init(counter: Int64, timestamp: Int64) {
        self.counter = counter
        self.timestamp = timestamp
    }

    mutating func bump() {
        counter += 1
        timestamp = currentMillis()
    }
}

/// The value a table's lookup found last, with the table's count of changes taken before it was read: the topic and
/// subscription-group tables, which every send or pull asks about one name, compare that name with the last one
/// instead of hashing it. A change is counted the moment it is made (`changed`, under the table's lock, before any
/// write to disk), so it outdates every earlier read. The value is read in place under the lock: an optional
/// unwrapped there was copied whole (a retain and a release of each of its strings per send).
final class LastFound<Value: Sendable>: Sendable {
    private let changes = Atomic<UInt64>(0)
    /// `UInt64.max` (never reached by `changes`): nothing found yet.
    private let last: Mutex<(changes: UInt64, value: Value)>

    init(placeholder: Value) { last = Mutex((UInt64.max, placeholder)) }

    func changed() { changes.add(1, ordering: .releasing) }

    /// The count to read the table under: taken before the table, so a change made meanwhile outdates the read.
    var count: UInt64 { changes.load(ordering: .acquiring) }

    /// `hit` of the value found last, if nothing changed since `count` was taken; nil otherwise or when `hit` is.
    func hit<R>(since count: UInt64, _ hit: (Value) -> R?) -> R? {
        last.withLock { $0.changes == count ? hit($0.value) : nil }
    }

    func remember(_ value: Value, readSince count: UInt64) { last.withLock { $0 = (count, value) } }
}

/// `<root>/config/topics.json`: `{"dataVersion":{"counter":N,"timestamp":ms},"topicConfigTable":{"name":{TopicConfig}}}`.
public final class TopicConfigTable: Sendable {
    private struct File: Codable, DataVersioned {
        var topicConfigTable: [String: TopicConfig]
        var dataVersion: DataVersion
    }

    private let state: PersistentState<File>
    /// The last config found: every send and pull looks its topic up, and comparing one name costs a fraction of
    /// hashing it.
    private let last = LastFound(placeholder: TopicConfig(topicName: "", readQueueNums: 0, writeQueueNums: 0, perm: 0))

    public convenience init(path: String, logger: Logger = Logger(label: "apus.store.metadata")) throws {
        try self.init(path: path, logger: logger, write: AtomicFile.write)
    }

    /// `write` replaces the file's content (tests slow it down or watch it).
    init(path: String, logger: Logger, write: @escaping @Sendable ([UInt8], String) throws -> Void) throws {
        try ensureParent(of: path)
        let file = try readJSON(File.self, from: path) ?? File(topicConfigTable: [:], dataVersion: DataVersion(counter: 0, timestamp: 0))
        state = PersistentState(file, path: path, logger: logger, encode: encodeJSON, write: write)
    }

    public func get(_ topic: String) -> TopicConfig? {
        let count = last.count
        if let hit = topic.withContiguousUTF8({ lastFound($0, since: count) { $0 } }) { return hit }
        guard let config = state.read({ $0.topicConfigTable[topic] }) else { return nil }
        last.remember(config, readSince: count)
        return config
    }

    /// What a pull needs of a topic: the table's own name string and the permission and queue counts, without copying
    /// the config out. The pull reads on with that name, so that the queue and parked-pull lookups after it find equal
    /// names by identity instead of comparing their bytes (a pull's topic is made from its header).
    public func readTarget(_ topic: String) -> (topicName: String, limits: TopicLimits)? {
        topic.withContiguousUTF8 { lastFound($0, since: last.count) { ($0.topicName, TopicLimits($0)) } }
            ?? get(topic).map { ($0.topicName, TopicLimits($0)) }
    }

    /// What a send needs of a topic given as its UTF-8 bytes (a send header's, read in place): the table's own name
    /// string and the permission and queue counts. The last config found is matched by its bytes, without making a
    /// string of them (a string is made only to look up another), and only the name is copied out.
    public func sendTarget(utf8 topic: UnsafeBufferPointer<UInt8>) -> (topicName: String, limits: TopicLimits)? {
        lastFound(topic, since: last.count) { ($0.topicName, TopicLimits($0)) }
            ?? get(String(decoding: topic, as: UTF8.self)).map { ($0.topicName, TopicLimits($0)) }
    }

    /// `take` of the last config found, when it is `topic`'s (matched by its bytes) and nothing changed since `count`.
    @inline(__always)
    private func lastFound<R>(_ topic: UnsafeBufferPointer<UInt8>, since count: UInt64, _ take: (TopicConfig) -> R) -> R? {
        last.hit(since: count) { $0.topicName.hasSameUTF8(as: topic) ? take($0) : nil }
    }

    public func all() -> [TopicConfig] { state.read { $0.topicConfigTable.values.sorted { $0.topicName < $1.topicName } } }

    /// Stores `config` (visible at once) and persists it as asked; returns true if it changed anything.
    @discardableResult
    public func put(_ config: TopicConfig, persistence: MetadataPersistence = .synchronous) throws -> Bool {
        try state.update(persistence) { file in
            guard file.topicConfigTable[config.topicName] != config else { return (false, false) }
            file.topicConfigTable[config.topicName] = config
            last.changed()  // under the table's lock, before any write to disk
            return (true, true)
        }
    }

    /// Removes `topic` (visible at once) and persists it as asked; returns true if it existed.
    @discardableResult
    public func remove(_ topic: String, persistence: MetadataPersistence = .synchronous) throws -> Bool {
        try state.update(persistence) { file in
            let removed = file.topicConfigTable.removeValue(forKey: topic) != nil
            if removed { last.changed() }
            return (removed, removed)
        }
    }

    /// Returns once every change made so far is on disk (e.g. at shutdown, after `.background` changes).
    public func persistNow() throws { try state.persist(.synchronous) }

    public var dataVersion: DataVersion { state.read { $0.dataVersion } }
}

/// `<root>/config/consumerOffset.json`, RocketMQ's shape: `{"offsetTable":{"topic@group":{"0":12,"1":5}}}`.
/// Commits only change memory; `persist` writes.
public final class ConsumerOffsetTable: Sendable {
    private struct File: Codable {
        var offsetTable: [String: [String: Int64]]
    }

    private struct Offsets: VersionedState {
        private(set) var offsets: [String: [Int32: Int64]]
        /// In memory only: counts commits, so persist writes only after a change.
        var version: Int64 = 0
        /// Entries committed to lately, by their places in `offsets`: a consumer commits its topic and group with
        /// every pull, and comparing them costs a fraction of making the `topic@group` key and hashing it. Emptied when
        /// an entry is added or removed (which may move the others).
        private var recent = RecentList<Place>(capacity: 4)
        private struct Place {
            let group: String
            let topic: String
            let index: Dictionary<String, [Int32: Int64]>.Index
        }

        init(offsets: [String: [Int32: Int64]]) { self.offsets = offsets }

        mutating func bumpVersion() { version += 1 }

        /// `body` on the queue offsets of `group` and `topic`, in place; an empty entry is made for them first if
        /// there is none.
        mutating func withQueues<R>(group: String, topic: String, _ body: (inout [Int32: Int64]) -> R) -> R {
            for i in recent.indices where recent[i].topic == topic && recent[i].group == group {
                return body(&offsets.values[recent[i].index])
            }
            let key = ConsumerOffsetTable.key(group, topic)
            let index: Dictionary<String, [Int32: Int64]>.Index
            if let found = offsets.index(forKey: key) {
                index = found
            } else {
                offsets[key] = [:]
                recent.removeAll()
                index = offsets.index(forKey: key)!
            }
            recent.remember(Place(group: group, topic: topic, index: index))
            return body(&offsets.values[index])
        }

        mutating func remove(_ keys: [String]) {
            guard !keys.isEmpty else { return }
            recent.removeAll()
            for key in keys { offsets[key] = nil }
        }
    }

    private let state: PersistentState<Offsets>

    public convenience init(path: String, logger: Logger = Logger(label: "apus.store.metadata")) throws {
        try self.init(path: path, logger: logger, write: AtomicFile.write)
    }

    /// `write` replaces the file's content (tests slow it down or watch it).
    init(path: String, logger: Logger, write: @escaping @Sendable ([UInt8], String) throws -> Void) throws {
        try ensureParent(of: path)
        var offsets: [String: [Int32: Int64]] = [:]
        for (key, queues) in try readJSON(File.self, from: path)?.offsetTable ?? [:] {
            offsets[key] = Dictionary(uniqueKeysWithValues: queues.compactMap { id, offset in Int32(id).map { ($0, offset) } })
        }
        state = PersistentState(Offsets(offsets: offsets), path: path, logger: logger, encode: { value in
            try encodeJSON(File(offsetTable: value.offsets.mapValues { queues in
                Dictionary(uniqueKeysWithValues: queues.map { (String($0.key), $0.value) })
            }))
        }, write: write)
    }

    fileprivate static func key(_ group: String, _ topic: String) -> String { TopicNames.pairKey(topic, group) }

    /// Every pull commits: the group's queue offsets are found by comparison while they repeat, and changed in place.
    public func commit(group: String, topic: String, queueId: Int32, offset: Int64) {
        func update(_ queues: inout [Int32: Int64]) -> Bool {
            guard queues[queueId] != offset else { return false }
            queues[queueId] = offset
            return true
        }
        state.apply(queueWrite: false) { state in (state.withQueues(group: group, topic: topic, update), ()) }
    }

    public func query(group: String, topic: String, queueId: Int32) -> Int64? {
        state.read { $0.offsets[Self.key(group, topic)]?[queueId] }
    }

    public func offsets(group: String, topic: String) -> [Int32: Int64] {
        state.read { $0.offsets[Self.key(group, topic)] ?? [:] }
    }

    /// Topics for which `group` (exactly, not its per-client keys) has committed offsets, sorted.
    public func topics(ofGroup group: String) -> [String] {
        let suffix = "@" + group
        return state.read { state in
            state.offsets.keys.compactMap { key -> String? in
                guard key.hasSuffix(suffix) else { return nil }
                let topic = String(key.dropLast(suffix.count))
                return topic.isEmpty ? nil : topic
            }.sorted()
        }
    }

    /// Groups with committed offsets for `topic` (per-client keys `group@clientId` count for their group), sorted.
    public func groups(ofTopic topic: String) -> [String] {
        let prefix = topic + "@"
        return state.read { state in
            Set(state.offsets.keys.compactMap { key -> String? in
                guard key.hasPrefix(prefix) else { return nil }
                let owner = key.dropFirst(prefix.count)
                let group = owner.split(separator: "@", maxSplits: 1).first.map(String.init) ?? ""
                return group.isEmpty ? nil : group
            }).sorted()
        }
    }

    /// Removes every committed offset of `group` (also its per-client `group@clientId` keys); true if any existed.
    @discardableResult
    public func removeGroup(_ group: String) -> Bool {
        state.apply(queueWrite: false) { state in
            let keys = state.offsets.keys.filter { key in
                guard let at = key.firstIndex(of: "@") else { return false }
                let owner = key[key.index(after: at)...]
                return owner == group || owner.hasPrefix(group + "@")
            }
            state.remove(keys)
            return (!keys.isEmpty, !keys.isEmpty)
        }
    }

    /// Writes the table if anything was committed since the last write: `.synchronous` returns once it is on disk,
    /// `.background` queues the write.
    public func persist(_ persistence: MetadataPersistence = .synchronous) throws {
        try state.persist(persistence)
    }
}

public struct SubscriptionGroupConfig: Codable, Sendable, Equatable {
    public var groupName: String
    public var consumeEnable = true
    public var consumeFromMinEnable = true
    public var consumeBroadcastEnable = true
    public var retryQueueNums: Int32 = 1
    public var retryMaxTimes: Int32 = 16
    public var brokerId: Int64 = 0
    public var whichBrokerWhenConsumeSlowly: Int64 = 1
    public var notifyConsumerIdsChangedEnable = true

    public init(groupName: String, consumeEnable: Bool = true, consumeFromMinEnable: Bool = true, consumeBroadcastEnable: Bool = true,
                retryQueueNums: Int32 = 1, retryMaxTimes: Int32 = 16, brokerId: Int64 = 0, whichBrokerWhenConsumeSlowly: Int64 = 1,
                notifyConsumerIdsChangedEnable: Bool = true) {
        self.groupName = groupName
        self.consumeEnable = consumeEnable
        self.consumeFromMinEnable = consumeFromMinEnable
        self.consumeBroadcastEnable = consumeBroadcastEnable
        self.retryQueueNums = retryQueueNums
        self.retryMaxTimes = retryMaxTimes
        self.brokerId = brokerId
        self.whichBrokerWhenConsumeSlowly = whichBrokerWhenConsumeSlowly
        self.notifyConsumerIdsChangedEnable = notifyConsumerIdsChangedEnable
    }
}

extension SubscriptionGroupConfig {
    private enum CodingKeys: String, CodingKey {
        case groupName, consumeEnable, consumeFromMinEnable, consumeBroadcastEnable, retryQueueNums, retryMaxTimes, brokerId,
             whichBrokerWhenConsumeSlowly, notifyConsumerIdsChangedEnable
    }

    /// Fields missing from older files take their defaults (an absent groupName is filled from the table key).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SubscriptionGroupConfig(groupName: "")
        self.init(groupName: try c.decodeIfPresent(String.self, forKey: .groupName) ?? d.groupName,
                  consumeEnable: try c.decodeIfPresent(Bool.self, forKey: .consumeEnable) ?? d.consumeEnable,
                  consumeFromMinEnable: try c.decodeIfPresent(Bool.self, forKey: .consumeFromMinEnable) ?? d.consumeFromMinEnable,
                  consumeBroadcastEnable: try c.decodeIfPresent(Bool.self, forKey: .consumeBroadcastEnable) ?? d.consumeBroadcastEnable,
                  retryQueueNums: try c.decodeIfPresent(Int32.self, forKey: .retryQueueNums) ?? d.retryQueueNums,
                  retryMaxTimes: try c.decodeIfPresent(Int32.self, forKey: .retryMaxTimes) ?? d.retryMaxTimes,
                  brokerId: try c.decodeIfPresent(Int64.self, forKey: .brokerId) ?? d.brokerId,
                  whichBrokerWhenConsumeSlowly: try c.decodeIfPresent(Int64.self, forKey: .whichBrokerWhenConsumeSlowly)
                      ?? d.whichBrokerWhenConsumeSlowly,
                  notifyConsumerIdsChangedEnable: try c.decodeIfPresent(Bool.self, forKey: .notifyConsumerIdsChangedEnable)
                      ?? d.notifyConsumerIdsChangedEnable)
    }
}

/// `<root>/config/subscriptionGroup.json`: `{"dataVersion":{...},"subscriptionGroupTable":{"group":{SubscriptionGroupConfig}}}`.
public final class SubscriptionGroupTable: Sendable {
    private struct File: Codable, DataVersioned {
        var subscriptionGroupTable: [String: SubscriptionGroupConfig]
        var dataVersion: DataVersion
    }

    private let state: PersistentState<File>
    /// The last group whose consumption switches were read (nil: it has no config): every pull reads them.
    private let last = LastFound<(group: String, switches: ConsumeSwitches?)>(placeholder: ("", nil))

    /// A group's `consumeEnable` and `consumeBroadcastEnable`.
    public struct ConsumeSwitches: Sendable, Equatable {
        public var consumeEnable: Bool
        public var consumeBroadcastEnable: Bool
    }

    public convenience init(path: String, logger: Logger = Logger(label: "apus.store.metadata")) throws {
        try self.init(path: path, logger: logger, write: AtomicFile.write)
    }

    /// `write` replaces the file's content (tests slow it down or watch it).
    init(path: String, logger: Logger, write: @escaping @Sendable ([UInt8], String) throws -> Void) throws {
        try ensureParent(of: path)
        var file = try readJSON(File.self, from: path)
            ?? File(subscriptionGroupTable: [:], dataVersion: DataVersion(counter: 0, timestamp: 0))
        for (name, config) in file.subscriptionGroupTable where config.groupName.isEmpty {
            file.subscriptionGroupTable[name]?.groupName = name
        }
        state = PersistentState(file, path: path, logger: logger, encode: encodeJSON, write: write)
    }

    public func get(_ group: String) -> SubscriptionGroupConfig? { state.read { $0.subscriptionGroupTable[group] } }

    /// The group's consumption switches; nil when it has no config.
    public func consumeSwitches(_ group: String) -> ConsumeSwitches? {
        let count = last.count
        if let hit = last.hit(since: count, { $0.group == group ? .some($0.switches) : nil }) { return hit }
        let switches = state.read { file in
            file.subscriptionGroupTable[group].map {
                ConsumeSwitches(consumeEnable: $0.consumeEnable, consumeBroadcastEnable: $0.consumeBroadcastEnable)
            }
        }
        last.remember((group, switches), readSince: count)
        return switches
    }

    /// The group's config, creating the default one (visible at once, persisted as asked) if it does not exist yet.
    @discardableResult
    public func getOrCreate(_ group: String, persistence: MetadataPersistence = .synchronous) throws -> SubscriptionGroupConfig {
        try state.update(persistence) { file in
            if let config = file.subscriptionGroupTable[group] { return (false, config) }
            let config = SubscriptionGroupConfig(groupName: group)
            file.subscriptionGroupTable[group] = config
            last.changed()  // under the table's lock, before any write to disk
            return (true, config)
        }
    }

    /// Stores `config` (an admin create or update; visible at once) and persists it as asked; returns true if it
    /// changed anything.
    @discardableResult
    public func put(_ config: SubscriptionGroupConfig, persistence: MetadataPersistence = .synchronous) throws -> Bool {
        try state.update(persistence) { file in
            guard file.subscriptionGroupTable[config.groupName] != config else { return (false, false) }
            file.subscriptionGroupTable[config.groupName] = config
            last.changed()
            return (true, true)
        }
    }

    /// Removes the group's config (an admin delete); true if it existed.
    @discardableResult
    public func remove(_ group: String, persistence: MetadataPersistence = .synchronous) throws -> Bool {
        try state.update(persistence) { file in
            let removed = file.subscriptionGroupTable.removeValue(forKey: group) != nil
            if removed { last.changed() }
            return (removed, removed)
        }
    }

    public func all() -> [SubscriptionGroupConfig] {
        state.read { $0.subscriptionGroupTable.values.sorted { $0.groupName < $1.groupName } }
    }

    /// Returns once every change made so far is on disk (e.g. at shutdown, after `.background` changes).
    public func persistNow() throws { try state.persist(.synchronous) }

    public var dataVersion: DataVersion { state.read { $0.dataVersion } }
}
