// SubscriptionGroupBodies: subscription-group configs as the admin tools send and read them (200, 201).

import ApusMessage
import NIOCore

// MARK: - Subscription groups (200, 201)

/// A SubscriptionGroupConfig as the admin tools send and read it (admin.md §1.4). Absent keys take Java's defaults.
public struct SubscriptionGroupConfigWire: RemotingBody, Equatable {
    public var groupName: String
    public var consumeEnable: Bool
    public var consumeFromMinEnable: Bool
    public var consumeBroadcastEnable: Bool
    public var retryQueueNums: Int32
    public var retryMaxTimes: Int32
    public var brokerId: Int64
    public var whichBrokerWhenConsumeSlowly: Int64
    public var notifyConsumerIdsChangedEnable: Bool

    public init(groupName: String, consumeEnable: Bool = true, consumeFromMinEnable: Bool = true,
                consumeBroadcastEnable: Bool = true, retryQueueNums: Int32 = 1, retryMaxTimes: Int32 = 16, brokerId: Int64 = 0,
                whichBrokerWhenConsumeSlowly: Int64 = 1, notifyConsumerIdsChangedEnable: Bool = true) {
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

    public init(json: JSONValue) throws {
        guard case .object = json else { throw JSONError.unexpectedType("SubscriptionGroupConfig is not an object") }
        self.init(groupName: json.text("groupName"), consumeEnable: json.flag("consumeEnable", true),
                  consumeFromMinEnable: json.flag("consumeFromMinEnable", true),
                  consumeBroadcastEnable: json.flag("consumeBroadcastEnable", true),
                  retryQueueNums: json["retryQueueNums"]?.int32Value ?? 1, retryMaxTimes: json["retryMaxTimes"]?.int32Value ?? 16,
                  brokerId: json["brokerId"]?.int64Value ?? 0,
                  whichBrokerWhenConsumeSlowly: json["whichBrokerWhenConsumeSlowly"]?.int64Value ?? 1,
                  notifyConsumerIdsChangedEnable: json.flag("notifyConsumerIdsChangedEnable", true))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.number("brokerId", brokerId)
        w.bool("consumeBroadcastEnable", consumeBroadcastEnable)
        w.bool("consumeEnable", consumeEnable)
        w.bool("consumeFromMinEnable", consumeFromMinEnable)
        w.string("groupName", groupName)
        w.bool("notifyConsumerIdsChangedEnable", notifyConsumerIdsChangedEnable)
        w.number("retryMaxTimes", retryMaxTimes)
        w.number("retryQueueNums", retryQueueNums)
        w.number("whichBrokerWhenConsumeSlowly", whichBrokerWhenConsumeSlowly)
        w.endObject()
    }
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) answer.
public struct SubscriptionGroupWrapper: RemotingBody, Equatable {
    public var subscriptionGroupTable: [String: SubscriptionGroupConfigWire]
    public var dataVersion: DataVersionWire

    public init(subscriptionGroupTable: [String: SubscriptionGroupConfigWire], dataVersion: DataVersionWire) {
        self.subscriptionGroupTable = subscriptionGroupTable
        self.dataVersion = dataVersion
    }

    public init(json: JSONValue) throws {
        var table: [String: SubscriptionGroupConfigWire] = [:]
        for (name, config) in json["subscriptionGroupTable"]?.objectValue ?? [] {
            var wire = try SubscriptionGroupConfigWire(json: config)
            if wire.groupName.isEmpty { wire.groupName = name }
            table[name] = wire
        }
        self.init(subscriptionGroupTable: table, dataVersion: ApusRemoting.dataVersion(json))
    }

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.dataVersion(dataVersion)
        w.key("subscriptionGroupTable")
        w.beginObject()
        for name in subscriptionGroupTable.keys.sorted() {
            w.key(name)
            subscriptionGroupTable[name]!.write(to: &w)
        }
        w.endObject()
        w.endObject()
    }
}
