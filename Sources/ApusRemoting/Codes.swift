// Request codes, response codes and serialize types of the RocketMQ remoting protocol (spec §1.2, §1.7, §2.0).

import ApusMessage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum RequestCode: Int32, Sendable {
    case sendMessage = 10, pullMessage = 11, queryMessage = 12
    case queryConsumerOffset = 14, updateConsumerOffset = 15, updateAndCreateTopic = 17
    case searchOffsetByTimestamp = 29, getMaxOffset = 30, getMinOffset = 31, getEarliestMsgStoretime = 32
    case viewMessageById = 33, heartBeat = 34, unregisterClient = 35, consumerSendMsgBack = 36
    case endTransaction = 37, getConsumerListByGroup = 38, checkTransactionState = 39
    case notifyConsumerIdsChanged = 40, lockBatchMQ = 41, unlockBatchMQ = 42
    case registerBroker = 103, unregisterBroker = 104, getRouteinfoByTopic = 105, getBrokerClusterInfo = 106
    case getAllTopicListFromNameserver = 206, resetConsumerClientOffset = 220, getConsumerStatusFromClient = 221
    case getConsumerRunningInfo = 307, consumeMessageDirectly = 309, sendMessageV2 = 310
    case sendBatchMessage = 320, queryDataVersion = 322
    // Admin (admin.md §2).
    case getAllTopicConfig = 21, updateBrokerConfig = 25, getBrokerConfig = 26, getBrokerRuntimeInfo = 28
    case updateAndCreateSubscriptionGroup = 200, getAllSubscriptionGroupConfig = 201, getTopicStatsInfo = 202
    case getConsumerConnectionList = 203, getProducerConnectionList = 204, deleteSubscriptionGroup = 207
    case getConsumeStats = 208, deleteTopicInBroker = 215, deleteTopicInNamesrv = 216, invokeBrokerToResetOffset = 222
    case queryTopicConsumeByWho = 300, getSystemTopicListFromNs = 304, getSystemTopicListFromBroker = 305
    case viewBrokerStatsData = 315, getAllProducerInfo = 328
    case putKVConfig = 100, getKVConfig = 101, deleteKVConfig = 102, wipeWritePermOfBroker = 205
    case getKVListByNamespace = 219, getTopicsByCluster = 224, addWritePermOfBroker = 327
    case cloneGroupOffset = 314, getBrokerConsumeStats = 317, queryConsumeTimeSpan = 303, queryConsumeQueue = 321
    case cleanExpiredConsumeQueue = 306, cleanUnusedTopic = 316, deleteExpiredCommitLog = 329
    // Apus's own codes (9000 and up, unused by RocketMQ): the accumulation-alert state for `apus admin alertList`.
    case apusGetAlertState = 9001
}

public enum ResponseCode: Int32, Sendable {
    case success = 0, systemError = 1, systemBusy = 2, requestCodeNotSupported = 3, transactionFailed = 4
    case flushDiskTimeout = 10, slaveNotAvailable = 11, flushSlaveTimeout = 12, messageIllegal = 13
    case serviceNotAvailable = 14, versionNotSupported = 15, noPermission = 16, topicNotExist = 17
    case topicExistAlready = 18, pullNotFound = 19, pullRetryImmediately = 20, pullOffsetMoved = 21
    case queryNotFound = 22, subscriptionParseFailed = 23, subscriptionNotExist = 24
    case subscriptionNotLatest = 25, subscriptionGroupNotExist = 26
    case filterDataNotExist = 27, filterDataNotLatest = 28
    case transactionShouldCommit = 200, transactionShouldRollback = 201, transactionStateUnknow = 202
    case transactionStateGroupWrong = 203, noBuyerId = 204, notInCurrentUnit = 205
    case consumerNotOnline = 206, consumeMsgTimeout = 207, noMessage = 208
    case updateAndCreateAclConfigFailed = 209, deleteAclConfigFailed = 210
    case updateGlobalWhiteAddrsConfigFailed = 211, flowControl = 215
}

/// High byte of the header-length word: how the header is serialized.
public enum SerializeType: UInt8, Sendable {
    case json = 0
    case rocketmq = 1
}

/// `LanguageCode` ordinals used by the binary (ROCKETMQ) header (spec §1.3).
enum LanguageCode {
    static let names = ["JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"]

    /// `ordinal(RemotingCommand.defaultLanguage)`.
    static let java: UInt8 = 0

    static func ordinal(_ name: String) -> UInt8 {
        UInt8(names.firstIndex(of: name) ?? 7)
    }

    static func name(_ ordinal: UInt8) -> String {
        Int(ordinal) < names.count ? names[Int(ordinal)] : "OTHER"
    }

    /// A JSON header's language as text: one of `names` when it is one (no string made per frame). Names are compared
    /// by length, then as bytes: the generic comparison of each name's UTF-8 view with the bytes cost about 270
    /// instructions per frame.
    static func name(_ bytes: UnsafeRawBufferPointer) -> String {
        for name in names where name.utf8.count == bytes.count
            && name.withContiguousUTF8({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
            return name
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
