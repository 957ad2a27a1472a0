// Broker metadata persisted as JSON under <root>/config: topics, consumer offsets, subscription groups.
import Foundation
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

private func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    try AtomicFile.write([UInt8](try encoder.encode(value)), to: path)
}

/// A metadata file whose every change bumps its data version.
private protocol VersionedFile: Codable {
    var dataVersion: DataVersion { get set }
}

/// Applies `change` to a copy, bumps the version and writes it; memory changes only once the file is written.
private func commit<F: VersionedFile>(_ file: inout F, to path: String, _ change: (inout F) -> Void) throws {
    var next = file
    change(&next)
    next.dataVersion.bump()
    try writeJSON(next, to: path)
    file = next
}

private func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
    guard let bytes = AtomicFile.read(path) else { return nil }
    return try JSONDecoder().decode(type, from: Data(bytes))
}

private func ensureParent(of path: String) throws {
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try makeDirectories(String(path[..<slash])) }
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

public struct DataVersion: Codable, Sendable, Equatable {
    public var counter: Int64
    public var timestamp: Int64

    public init(counter: Int64, timestamp: Int64) {
        self.counter = counter
        self.timestamp = timestamp
    }

    mutating func bump() {
        counter += 1
        timestamp = Int64(Date().timeIntervalSince1970 * 1000)
    }
}

/// `<root>/config/topics.json`: `{"dataVersion":{"counter":N,"timestamp":ms},"topicConfigTable":{"name":{TopicConfig}}}`.
public final class TopicConfigTable: Sendable {
    private struct File: VersionedFile {
        var topicConfigTable: [String: TopicConfig]
        var dataVersion: DataVersion
    }

    private let path: String
    private let state: Mutex<File>

    public init(path: String) throws {
        try ensureParent(of: path)
        self.path = path
        state = Mutex(try readJSON(File.self, from: path) ?? File(topicConfigTable: [:], dataVersion: DataVersion(counter: 0, timestamp: 0)))
    }

    public func get(_ topic: String) -> TopicConfig? { state.withLock { $0.topicConfigTable[topic] } }

    public func all() -> [TopicConfig] { state.withLock { $0.topicConfigTable.values.sorted { $0.topicName < $1.topicName } } }

    /// Stores `config` and persists; returns true if it changed anything.
    @discardableResult
    public func put(_ config: TopicConfig) throws -> Bool {
        try state.withLock { file in
            guard file.topicConfigTable[config.topicName] != config else { return false }
            try commit(&file, to: path) { $0.topicConfigTable[config.topicName] = config }
            return true
        }
    }

    public func remove(_ topic: String) throws {
        try state.withLock { file in
            guard file.topicConfigTable[topic] != nil else { return }
            try commit(&file, to: path) { $0.topicConfigTable[topic] = nil }
        }
    }

    public var dataVersion: DataVersion { state.withLock { $0.dataVersion } }
}

/// `<root>/config/consumerOffset.json`, RocketMQ's shape: `{"offsetTable":{"topic@group":{"0":12,"1":5}}}`.
public final class ConsumerOffsetTable: Sendable {
    private struct File: Codable {
        var offsetTable: [String: [String: Int64]]
    }

    private struct State {
        var offsets: [String: [Int32: Int64]]
        var dirty = false
    }

    private let path: String
    private let state: Mutex<State>
    private let persistLock = Mutex<Void>(())

    public init(path: String) throws {
        try ensureParent(of: path)
        self.path = path
        var offsets: [String: [Int32: Int64]] = [:]
        for (key, queues) in try readJSON(File.self, from: path)?.offsetTable ?? [:] {
            offsets[key] = Dictionary(uniqueKeysWithValues: queues.compactMap { id, offset in Int32(id).map { ($0, offset) } })
        }
        state = Mutex(State(offsets: offsets))
    }

    private static func key(_ group: String, _ topic: String) -> String { topic + "@" + group }

    public func commit(group: String, topic: String, queueId: Int32, offset: Int64) {
        state.withLock { state in
            let key = Self.key(group, topic)
            guard state.offsets[key]?[queueId] != offset else { return }
            state.offsets[key, default: [:]][queueId] = offset
            state.dirty = true
        }
    }

    public func query(group: String, topic: String, queueId: Int32) -> Int64? {
        state.withLock { $0.offsets[Self.key(group, topic)]?[queueId] }
    }

    public func offsets(group: String, topic: String) -> [Int32: Int64] {
        state.withLock { $0.offsets[Self.key(group, topic)] ?? [:] }
    }

    /// Writes the table if anything was committed since the last persist.
    public func persist() throws {
        try persistLock.withLock { _ in
            let snapshot: [String: [Int32: Int64]]? = state.withLock { state in
                guard state.dirty else { return nil }
                state.dirty = false
                return state.offsets
            }
            guard let snapshot else { return }
            let file = File(offsetTable: snapshot.mapValues { queues in
                Dictionary(uniqueKeysWithValues: queues.map { (String($0.key), $0.value) })
            })
            do {
                try writeJSON(file, to: path)
            } catch {
                state.withLock { $0.dirty = true }
                throw error
            }
        }
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

/// `<root>/config/subscriptionGroup.json`: `{"dataVersion":{...},"subscriptionGroupTable":{"group":{SubscriptionGroupConfig}}}`.
public final class SubscriptionGroupTable: Sendable {
    private struct File: VersionedFile {
        var subscriptionGroupTable: [String: SubscriptionGroupConfig]
        var dataVersion: DataVersion
    }

    private let path: String
    private let state: Mutex<File>

    public init(path: String) throws {
        try ensureParent(of: path)
        self.path = path
        state = Mutex(try readJSON(File.self, from: path)
            ?? File(subscriptionGroupTable: [:], dataVersion: DataVersion(counter: 0, timestamp: 0)))
    }

    public func get(_ group: String) -> SubscriptionGroupConfig? { state.withLock { $0.subscriptionGroupTable[group] } }

    /// The group's config, creating (and persisting) the default one if it does not exist yet.
    @discardableResult
    public func getOrCreate(_ group: String) throws -> SubscriptionGroupConfig {
        try state.withLock { file in
            if let config = file.subscriptionGroupTable[group] { return config }
            let config = SubscriptionGroupConfig(groupName: group)
            try commit(&file, to: path) { $0.subscriptionGroupTable[group] = config }
            return config
        }
    }

    public func all() -> [SubscriptionGroupConfig] {
        state.withLock { $0.subscriptionGroupTable.values.sorted { $0.groupName < $1.groupName } }
    }
}
