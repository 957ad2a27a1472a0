// RuntimeSettings: the broker's settings as they stand now — the start-up BrokerConfig plus the changes made by
// UPDATE_BROKER_CONFIG (25) — what GET_BROKER_CONFIG (26) reports, and the few settings services read live.
// Live keys change behaviour at once; every other setting is fixed at start (it sizes files, threads, sockets or
// the schedule) and is refused at runtime. Changes are not written back: the operator's configuration file is only
// read.

import ApusStore
import Synchronization

final class RuntimeSettings: Sendable {
    /// Keys UPDATE_BROKER_CONFIG applies at once.
    static let liveKeys: Set<String> = [
        "autoCreateTopicEnable", "autoCreateSubscriptionGroup", "defaultTopicQueueNums", "longPollingEnable",
        "maxTransferCountOnMessageInMemory", "maxTransferBytesOnMessageInMemory",
    ]

    /// Java 4.9.8's black list (admin.md §0.2): refused with NO_PERMISSION.
    static let blackList: Set<String> = ["brokerConfigPath", "rocketmqHome", "configBlackList"]

    private struct State {
        var config: BrokerConfig
        var version: DataVersion
    }

    private let state: Mutex<State>
    private let autoCreateTopics: Atomic<Bool>
    private let autoCreateGroups: Atomic<Bool>
    private let queueNums: Atomic<Int32>
    private let longPolling: Atomic<Bool>
    private let transferCount: Atomic<Int>
    private let transferBytes: Atomic<Int>

    init(_ config: BrokerConfig, now: Int64) {
        state = Mutex(State(config: config, version: DataVersion(counter: 0, timestamp: now)))
        autoCreateTopics = Atomic(config.autoCreateTopicEnable)
        autoCreateGroups = Atomic(config.autoCreateSubscriptionGroup)
        queueNums = Atomic(config.defaultTopicQueueNums)
        longPolling = Atomic(config.longPollingEnable)
        transferCount = Atomic(config.maxTransferCountOnMessageInMemory)
        transferBytes = Atomic(config.maxTransferBytesOnMessageInMemory)
    }

    var autoCreateTopicEnable: Bool { autoCreateTopics.load(ordering: .relaxed) }
    var autoCreateSubscriptionGroup: Bool { autoCreateGroups.load(ordering: .relaxed) }
    var defaultTopicQueueNums: Int32 { queueNums.load(ordering: .relaxed) }
    var longPollingEnable: Bool { longPolling.load(ordering: .relaxed) }
    var maxTransferCountOnMessageInMemory: Int { transferCount.load(ordering: .relaxed) }
    var maxTransferBytesOnMessageInMemory: Int { transferBytes.load(ordering: .relaxed) }

    /// The settings now, with the data version of their last change.
    var current: (config: BrokerConfig, version: DataVersion) { state.withLock { ($0.config, $0.version) } }

    /// UPDATE_BROKER_CONFIG: black-listed keys → NO_PERMISSION; keys fixed at start → refused; unknown keys ignored
    /// (as Java ignores keys its configuration lacks); a bad value → refused. All or nothing. Returns the keys applied.
    @discardableResult
    func update(_ settings: [(key: String, value: String)], now: Int64) throws(ServiceError) -> [String] {
        guard !settings.contains(where: { Self.blackList.contains($0.key) }) else {
            throw ServiceError(.noPermission, "Can not update config in black list.")
        }
        let fixed = settings.map(\.key).filter { BrokerConfig.knownKeys.contains($0) && !Self.liveKeys.contains($0) }
        guard fixed.isEmpty else {
            throw ServiceError(.systemError, "\(fixed.joined(separator: ", ")) can only be changed in the broker's configuration "
                + "file (restart); live settings: \(Self.liveKeys.sorted().joined(separator: ", "))")
        }
        let live = settings.filter { Self.liveKeys.contains($0.key) }
        guard !live.isEmpty else { return [] }
        return try state.withLock { (state: inout State) throws(ServiceError) -> [String] in
            var changed = state.config
            do { _ = try changed.apply(live) } catch { throw ServiceError(.systemError, "\(error)") }
            guard changed.defaultTopicQueueNums > 0, changed.maxTransferCountOnMessageInMemory > 0,
                  changed.maxTransferBytesOnMessageInMemory > 0 else {
                throw ServiceError(.systemError, "queue numbers and transfer limits must be positive")
            }
            state.config = changed
            state.version = DataVersion(counter: state.version.counter + 1, timestamp: now)
            autoCreateTopics.store(changed.autoCreateTopicEnable, ordering: .relaxed)
            autoCreateGroups.store(changed.autoCreateSubscriptionGroup, ordering: .relaxed)
            queueNums.store(changed.defaultTopicQueueNums, ordering: .relaxed)
            longPolling.store(changed.longPollingEnable, ordering: .relaxed)
            transferCount.store(changed.maxTransferCountOnMessageInMemory, ordering: .relaxed)
            transferBytes.store(changed.maxTransferBytesOnMessageInMemory, ordering: .relaxed)
            return live.map(\.key)
        }
    }
}
