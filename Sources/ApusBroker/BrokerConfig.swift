// BrokerConfig: every broker setting, its RocketMQ key name, and parsing of RocketMQ-style key=value files.

import ApusGroups
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
    /// Apus's HTTP port (`/metrics`), bound to the same address as the broker port.
    public var httpListenPort = 8080
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
    /// HTTP API consumption (http-api §10.3): how long a delivered message stays invisible before it is offered again,
    /// unordered and orderly (`trans=order`).
    public var httpConsumeInvisibleTimeSeconds: Int64 = 300
    public var httpConsumeOrderlyInvisibleTimeSeconds: Int64 = 60
    /// HTTP API long polls held at once (`httpMaxLongPolls`); a consume beyond it is answered at once (short poll).
    public var httpMaxLongPolls = 10_000
    /// Transactions (RocketMQ keys): first state check of a half message this long after it was stored (unless it
    /// carries CHECK_IMMUNITY_TIME_IN_SECONDS), then every `transactionCheckInterval`, at most `transactionCheckMax`
    /// times before it is discarded.
    public var transactionTimeOutMillis: Int64 = 6_000
    public var transactionCheckIntervalMillis: Int64 = 60_000
    public var transactionCheckMax: Int32 = 15
    /// Event-loop threads for client connections (RocketMQ `serverSelectorThreads`); 0 = half the cores, at least 1.
    public var serverSelectorThreads = 0
    /// The time slice each event loop asks the kernel for while it is mostly idle, µs (`LoopSlice`: Linux 6.12 and later
    /// let it run ahead of longer-slice threads when woken); a busy loop goes back to the kernel's default. 0: always
    /// the default.
    public var loopSliceMicros = 100
    public var loopSliceNanos: UInt64 { UInt64(loopSliceMicros) * 1000 }
    /// The most messages one pull answer carries (a client asks for its `pullBatchSize`, and gets at most this). 64, where
    /// RocketMQ's is 32: the Java and C++ clients ask for 32 unless told otherwise, and get exactly what they got; the
    /// Swift client asks for 64, and a fan-out to four groups delivered 19–27% more per second (bench/results/20261204-31).
    public var maxTransferCountOnMessageInMemory = 64
    public var maxTransferBytesOnMessageInMemory = 256 * 1024
    /// Delay of each level in ms (`messageDelayLevel`); element 0 is level 1. Retries use level 3 + reconsumeTimes.
    public var messageDelayLevels: [Int64] = try! DelayLevels.parse(DelayLevels.defaultSpec)
    /// The longest timer (`__STARTDELIVERTIME`, `TIMER_*`) accepted, in seconds; RocketMQ's default is 3 days.
    public var timerMaxDelaySec: Int64 = 3 * 24 * 3600
    /// YAML file of accumulation alert rules (`alertRulesFile`, README "Accumulation alerting"); nil: no alerting.
    public var alertRulesFile: String?
    /// HTTP API authentication (`aclEnable`): signatures and permissions are checked only when true.
    public var aclEnable = false
    /// RocketMQ plain_acl.yml with the HTTP API's accounts (`aclFile`).
    public var aclFile: String?
    /// One admin account without an ACL file (`accessKey` / `secretKey`).
    public var accessKey: String?
    public var secretKey: String?
    public var store: StoreConfig

    public init(storePathRootDir: String) {
        store = StoreConfig(rootDir: storePathRootDir)
    }

    /// Keys understood in a config file, with RocketMQ's names: exactly the keys `apply` has a setter for.
    public static var knownKeys: Set<String> { Set(setters.keys) }

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
            guard let setter = Self.setters[key] else {
                unknown.append(key)
                continue
            }
            try setter(&self, Value(key: key, text: value))
        }
        return unknown
    }

    /// One setting's text, read as the type its key needs.
    struct Value {
        var key: String
        var text: String

        func int() throws -> Int {
            guard let v = Int(text) else { throw ConfigError.invalidValue(key: key, value: text) }
            return v
        }

        func bool() throws -> Bool {
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw ConfigError.invalidValue(key: key, value: text)
            }
        }
    }

    private static let setters: [String: @Sendable (inout BrokerConfig, Value) throws -> Void] = [
        "brokerName": { $0.brokerName = $1.text },
        "brokerClusterName": { $0.brokerClusterName = $1.text },
        "brokerId": { $0.brokerId = Int64(try $1.int()) },
        "brokerIP1": { $0.brokerIP1 = $1.text },
        "bindAddress": { $0.bindAddress = $1.text },
        "listenPort": { $0.listenPort = try $1.int() },
        "httpListenPort": { $0.httpListenPort = try $1.int() },
        "namesrvAddr": { $0.namesrvAddr = $1.text },
        "autoCreateTopicEnable": { $0.autoCreateTopicEnable = try $1.bool() },
        "autoCreateSubscriptionGroup": { $0.autoCreateSubscriptionGroup = try $1.bool() },
        "defaultTopicQueueNums": { $0.defaultTopicQueueNums = Int32(try $1.int()) },
        "maxMessageSize": { config, value in
            config.maxMessageSize = try value.int()
            config.store.maxMessageSize = config.maxMessageSize
        },
        "frameMaxLength": { $0.maxFrameLength = try $1.int() },
        "serverSelectorThreads": { $0.serverSelectorThreads = max(0, try $1.int()) },
        "loopSliceMicros": { $0.loopSliceMicros = max(0, try $1.int()) },
        "registerNameServerPeriod": { $0.registerNameServerPeriodMillis = Int64(min(max(try $1.int(), 10_000), 60_000)) },
        "longPollingEnable": { $0.longPollingEnable = try $1.bool() },
        "httpConsumeInvisibleTimeSeconds": { $0.httpConsumeInvisibleTimeSeconds = Int64(max(1, try $1.int())) },
        "httpConsumeOrderlyInvisibleTimeSeconds": { $0.httpConsumeOrderlyInvisibleTimeSeconds = Int64(max(1, try $1.int())) },
        "httpMaxLongPolls": { $0.httpMaxLongPolls = max(0, try $1.int()) },
        "storePathRootDir": { $0.store.rootDir = $1.text },
        "mappedFileSizeCommitLog": { $0.store.mappedFileSizeCommitLog = try $1.int() },
        "mapedFileSizeCommitLog": { $0.store.mappedFileSizeCommitLog = try $1.int() },
        "mappedFileSizeConsumeQueue": { $0.store.consumeQueueEntriesPerFile = max(1, try $1.int() / 20) },
        "flushDiskType": { config, value in
            guard let type = FlushDiskType(rawValue: value.text.uppercased()) else {
                throw ConfigError.invalidValue(key: value.key, value: value.text)
            }
            config.store.flushDiskType = type
        },
        "flushIntervalCommitLog": { $0.store.flushIntervalMillis = try $1.int() },
        "syncFlushTimeout": { $0.store.syncFlushTimeoutMillis = try $1.int() },
        "fileReservedTime": { $0.store.fileReservedTimeHours = try $1.int() },
        "maxTransferCountOnMessageInMemory": { $0.maxTransferCountOnMessageInMemory = try $1.int() },
        "maxTransferBytesOnMessageInMemory": { $0.maxTransferBytesOnMessageInMemory = try $1.int() },
        "messageDelayLevel": { config, value in
            do { config.messageDelayLevels = try DelayLevels.parse(value.text) } catch {
                throw ConfigError.invalidValue(key: value.key, value: value.text)
            }
        },
        "timerMaxDelaySec": { config, value in
            let seconds = try value.int()
            guard seconds > 0 else { throw ConfigError.invalidValue(key: value.key, value: value.text) }
            config.timerMaxDelaySec = Int64(seconds)
        },
        "transactionTimeOut": { config, value in
            let ms = try value.int()
            guard ms >= 0 else { throw ConfigError.invalidValue(key: value.key, value: value.text) }
            config.transactionTimeOutMillis = Int64(ms)
        },
        "transactionCheckInterval": { config, value in
            let ms = try value.int()
            guard ms > 0 else { throw ConfigError.invalidValue(key: value.key, value: value.text) }
            config.transactionCheckIntervalMillis = Int64(ms)
        },
        "transactionCheckMax": { config, value in
            let times = try value.int()
            guard times >= 0, times <= Int(Int32.max) else { throw ConfigError.invalidValue(key: value.key, value: value.text) }
            config.transactionCheckMax = Int32(times)
        },
        "alertRulesFile": { $0.alertRulesFile = $1.text.isEmpty ? nil : $1.text },
        "aclEnable": { $0.aclEnable = try $1.bool() },
        "aclFile": { $0.aclFile = $1.text.isEmpty ? nil : $1.text },
        "accessKey": { $0.accessKey = $1.text.isEmpty ? nil : $1.text },
        "secretKey": { $0.secretKey = $1.text.isEmpty ? nil : $1.text },
        // Accepted for compatibility with existing broker.conf files; Apus runs a single master.
        "brokerRole": { _, _ in },
        "deleteWhen": { _, _ in },
    ]

    /// Every setting under its RocketMQ key with its current value, as GET_BROKER_CONFIG lists them (sorted by key).
    public var properties: [(key: String, value: String)] {
        var list: [(String, String)] = [
            ("brokerName", brokerName), ("brokerClusterName", brokerClusterName), ("brokerId", String(brokerId)),
            ("brokerIP1", brokerIP1), ("bindAddress", bindAddress ?? brokerIP1), ("listenPort", String(listenPort)),
            ("httpListenPort", String(httpListenPort)),
            ("namesrvAddr", namesrvAddr), ("autoCreateTopicEnable", String(autoCreateTopicEnable)),
            ("autoCreateSubscriptionGroup", String(autoCreateSubscriptionGroup)),
            ("defaultTopicQueueNums", String(defaultTopicQueueNums)), ("maxMessageSize", String(maxMessageSize)),
            ("frameMaxLength", String(maxFrameLength)), ("serverSelectorThreads", String(serverSelectorThreads)),
            ("loopSliceMicros", String(loopSliceMicros)),
            ("registerNameServerPeriod", String(registerNameServerPeriodMillis)), ("longPollingEnable", String(longPollingEnable)),
            ("httpConsumeInvisibleTimeSeconds", String(httpConsumeInvisibleTimeSeconds)),
            ("httpConsumeOrderlyInvisibleTimeSeconds", String(httpConsumeOrderlyInvisibleTimeSeconds)),
            ("httpMaxLongPolls", String(httpMaxLongPolls)),
            ("storePathRootDir", store.rootDir), ("mappedFileSizeCommitLog", String(store.mappedFileSizeCommitLog)),
            ("mappedFileSizeConsumeQueue", String(store.consumeQueueEntriesPerFile * 20)),
            ("flushDiskType", store.flushDiskType.rawValue), ("flushIntervalCommitLog", String(store.flushIntervalMillis)),
            ("syncFlushTimeout", String(store.syncFlushTimeoutMillis)), ("fileReservedTime", String(store.fileReservedTimeHours)),
            ("maxTransferCountOnMessageInMemory", String(maxTransferCountOnMessageInMemory)),
            ("maxTransferBytesOnMessageInMemory", String(maxTransferBytesOnMessageInMemory)),
            ("messageDelayLevel", DelayLevels.format(messageDelayLevels)), ("timerMaxDelaySec", String(timerMaxDelaySec)),
            ("transactionTimeOut", String(transactionTimeOutMillis)),
            ("transactionCheckInterval", String(transactionCheckIntervalMillis)),
            ("transactionCheckMax", String(transactionCheckMax)),
            ("brokerRole", "ASYNC_MASTER"), ("alertRulesFile", alertRulesFile ?? ""),
            ("aclEnable", String(aclEnable)), ("aclFile", aclFile ?? ""), ("accessKey", accessKey ?? ""),
        ]
        list.sort { $0.0 < $1.0 }
        return list
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
