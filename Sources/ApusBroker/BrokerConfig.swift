// BrokerConfig: every broker setting, its RocketMQ key name, and parsing of RocketMQ-style key=value files.

import ApusStore

public struct BrokerConfig: Sendable {
    public var brokerName = "broker-a"
    public var brokerClusterName = "DefaultCluster"
    public var brokerId: Int64 = 0
    /// Advertised IPv4 address (RocketMQ `brokerIP1`); also the default bind address.
    public var brokerIP1 = "127.0.0.1"
    /// Address the broker binds; defaults to `brokerIP1`.
    public var bindAddress: String?
    public var listenPort = 10911
    /// Name servers, `host:port;host:port`.
    public var namesrvAddr = "127.0.0.1:9876"
    public var autoCreateTopicEnable = true
    public var autoCreateSubscriptionGroup = true
    public var defaultTopicQueueNums: Int32 = 8
    public var maxMessageSize = 4 * 1024 * 1024
    public var maxFrameLength = 16 * 1024 * 1024
    public var registerNameServerPeriodMillis: Int64 = 30_000
    public var clientChannelExpiryMillis: Int64 = 120_000
    public var flushConsumerOffsetIntervalMillis: Int64 = 5_000
    public var longPollingEnable = true
    /// Upper bound on how long a pull is held, whatever the client asks (the C++ client times out at 30 s).
    public var maxPullHoldMillis: Int64 = 25_000
    /// Event-loop threads for client connections (RocketMQ `serverSelectorThreads`); 0 = half the cores, at least 1.
    public var serverSelectorThreads = 0
    public var maxTransferCountOnMessageInMemory = 32
    public var maxTransferBytesOnMessageInMemory = 256 * 1024
    public var store: StoreConfig

    public init(storePathRootDir: String) {
        store = StoreConfig(rootDir: storePathRootDir)
    }

    /// Keys understood in a config file, with RocketMQ's names.
    public static let knownKeys: Set<String> = [
        "brokerName", "brokerClusterName", "brokerId", "brokerIP1", "listenPort", "namesrvAddr",
        "autoCreateTopicEnable", "autoCreateSubscriptionGroup", "defaultTopicQueueNums", "maxMessageSize",
        "registerNameServerPeriod", "longPollingEnable", "storePathRootDir", "mappedFileSizeCommitLog",
        "mapedFileSizeCommitLog", "mappedFileSizeConsumeQueue", "flushDiskType", "flushIntervalCommitLog",
        "syncFlushTimeout", "fileReservedTime", "maxTransferCountOnMessageInMemory",
        "maxTransferBytesOnMessageInMemory", "frameMaxLength", "brokerRole", "deleteWhen", "bindAddress", "serverSelectorThreads",
    ]

    public enum ConfigError: Error, CustomStringConvertible {
        case invalidValue(key: String, value: String)
        case malformedLine(Int, String)

        public var description: String {
            switch self {
            case let .invalidValue(key, value): return "invalid value '\(value)' for \(key)"
            case let .malformedLine(number, line): return "line \(number): expected key=value, got '\(line)'"
            }
        }
    }

    /// Parses `key=value` lines (`#`/`!` comments, blank lines ignored) like a Java properties file.
    public static func parseProperties(_ text: String) throws -> [(key: String, value: String)] {
        var result: [(String, String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw ConfigError.malformedLine(index + 1, String(line))
            }
            result.append((String(line[..<eq]).trimmingWhitespace(), String(line[line.index(after: eq)...]).trimmingWhitespace()))
        }
        return result
    }

    /// Applies settings; returns the keys that are not known (the caller reports them).
    public mutating func apply(_ settings: [(key: String, value: String)]) throws -> [String] {
        var unknown: [String] = []
        for (key, value) in settings {
            func int() throws -> Int {
                guard let v = Int(value) else { throw ConfigError.invalidValue(key: key, value: value) }
                return v
            }
            func bool() throws -> Bool {
                switch value.lowercased() {
                case "true": return true
                case "false": return false
                default: throw ConfigError.invalidValue(key: key, value: value)
                }
            }
            switch key {
            case "brokerName": brokerName = value
            case "brokerClusterName": brokerClusterName = value
            case "brokerId": brokerId = Int64(try int())
            case "brokerIP1": brokerIP1 = value
            case "bindAddress": bindAddress = value
            case "listenPort": listenPort = try int()
            case "namesrvAddr": namesrvAddr = value
            case "autoCreateTopicEnable": autoCreateTopicEnable = try bool()
            case "autoCreateSubscriptionGroup": autoCreateSubscriptionGroup = try bool()
            case "defaultTopicQueueNums": defaultTopicQueueNums = Int32(try int())
            case "maxMessageSize":
                maxMessageSize = try int()
                store.maxMessageSize = maxMessageSize
            case "frameMaxLength": maxFrameLength = try int()
            case "serverSelectorThreads": serverSelectorThreads = max(0, try int())
            case "registerNameServerPeriod": registerNameServerPeriodMillis = Int64(min(max(try int(), 10_000), 60_000))
            case "longPollingEnable": longPollingEnable = try bool()
            case "storePathRootDir": store.rootDir = value
            case "mappedFileSizeCommitLog", "mapedFileSizeCommitLog": store.mappedFileSizeCommitLog = try int()
            case "mappedFileSizeConsumeQueue": store.consumeQueueEntriesPerFile = max(1, try int() / 20)
            case "flushDiskType":
                guard let type = FlushDiskType(rawValue: value.uppercased()) else {
                    throw ConfigError.invalidValue(key: key, value: value)
                }
                store.flushDiskType = type
            case "flushIntervalCommitLog": store.flushIntervalMillis = try int()
            case "syncFlushTimeout": store.syncFlushTimeoutMillis = try int()
            case "fileReservedTime": store.fileReservedTimeHours = try int()
            case "maxTransferCountOnMessageInMemory": maxTransferCountOnMessageInMemory = try int()
            case "maxTransferBytesOnMessageInMemory": maxTransferBytesOnMessageInMemory = try int()
            case "brokerRole", "deleteWhen":
                break  // accepted for compatibility with existing broker.conf files; Apus runs a single master
            default: unknown.append(key)
            }
        }
        return unknown
    }

    /// `ip:port` that clients use to reach this broker and that is written as store host.
    public var advertisedAddress: String { "\(brokerIP1):\(listenPort)" }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
