// AdminHeaders: topic administration and name-server requests — UPDATE_AND_CREATE_TOPIC (17),
// GET_ROUTEINFO_BY_TOPIC (105), REGISTER_BROKER (103) with its response, UNREGISTER_BROKER (104)
// (spec §2.1, §2.16, §6).

import ApusMessage

public struct CreateTopicRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    public var defaultTopic: String?
    /// Absent: 16.
    public var readQueueNums: Int32
    /// Absent: 16.
    public var writeQueueNums: Int32
    /// Permission bits; absent: read | write.
    public var perm: Int32
    public var topicFilterType: String
    public var topicSysFlag: Int32
    public var order: Bool

    public static let defaultQueueNums: Int32 = 16

    public init(topic: String, defaultTopic: String? = nil, readQueueNums: Int32 = defaultQueueNums,
                writeQueueNums: Int32 = defaultQueueNums, perm: Int32 = Permission.readWrite,
                topicFilterType: String = "SINGLE_TAG", topicSysFlag: Int32 = 0, order: Bool = false) {
        self.topic = topic
        self.defaultTopic = defaultTopic
        self.readQueueNums = readQueueNums
        self.writeQueueNums = writeQueueNums
        self.perm = perm
        self.topicFilterType = topicFilterType
        self.topicSysFlag = topicSysFlag
        self.order = order
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        defaultTopic = r.optionalString(FieldName.defaultTopic)
        readQueueNums = try r.optionalInt32(FieldName.readQueueNums) ?? Self.defaultQueueNums
        writeQueueNums = try r.optionalInt32(FieldName.writeQueueNums) ?? Self.defaultQueueNums
        perm = try r.optionalInt32(FieldName.perm) ?? Permission.readWrite
        topicFilterType = r.optionalString(FieldName.topicFilterType) ?? "SINGLE_TAG"
        topicSysFlag = try r.optionalInt32(FieldName.topicSysFlag) ?? 0
        order = r.bool(FieldName.order) ?? false
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 8)
        w.put(FieldName.topic, topic)
        w.put(FieldName.defaultTopic, defaultTopic)
        w.put(FieldName.readQueueNums, readQueueNums)
        w.put(FieldName.writeQueueNums, writeQueueNums)
        w.put(FieldName.perm, perm)
        w.put(FieldName.topicFilterType, topicFilterType)
        w.put(FieldName.topicSysFlag, topicSysFlag)
        w.put(FieldName.order, order)
        return w.fields
    }
}

public struct GetRouteInfoRequestHeader: RemotingHeader, Equatable {
    public var topic: String
    /// Newer Java clients only.
    public var acceptStandardJsonOnly: Bool?

    public init(topic: String, acceptStandardJsonOnly: Bool? = nil) {
        self.topic = topic
        self.acceptStandardJsonOnly = acceptStandardJsonOnly
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        topic = try r.string(FieldName.topic)
        acceptStandardJsonOnly = r.bool(FieldName.acceptStandardJsonOnly)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.topic, topic)
        w.put(FieldName.acceptStandardJsonOnly, acceptStandardJsonOnly)
        return w.fields
    }
}

public struct RegisterBrokerRequestHeader: RemotingHeader, Equatable {
    public var brokerName: String
    public var brokerAddr: String
    /// Absent: "DefaultCluster".
    public var clusterName: String
    public var haServerAddr: String
    /// 0 = master.
    public var brokerId: Int64
    public var compressed: Bool
    public var bodyCrc32: Int32

    public static let defaultClusterName = "DefaultCluster"

    public init(brokerName: String, brokerAddr: String, clusterName: String, haServerAddr: String = "", brokerId: Int64,
                compressed: Bool = false, bodyCrc32: Int32 = 0) {
        self.brokerName = brokerName
        self.brokerAddr = brokerAddr
        self.clusterName = clusterName
        self.haServerAddr = haServerAddr
        self.brokerId = brokerId
        self.compressed = compressed
        self.bodyCrc32 = bodyCrc32
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        brokerName = try r.string(FieldName.brokerName)
        brokerAddr = try r.string(FieldName.brokerAddr)
        clusterName = r.optionalString(FieldName.clusterName) ?? Self.defaultClusterName
        haServerAddr = r.optionalString(FieldName.haServerAddr) ?? ""
        brokerId = try r.optionalInt64(FieldName.brokerId) ?? 0
        compressed = r.bool(FieldName.compressed) ?? false
        bodyCrc32 = try r.optionalInt32(FieldName.bodyCrc32) ?? 0
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 7)
        w.put(FieldName.brokerName, brokerName)
        w.put(FieldName.brokerAddr, brokerAddr)
        w.put(FieldName.clusterName, clusterName)
        w.put(FieldName.haServerAddr, haServerAddr)
        w.put(FieldName.brokerId, brokerId)
        w.put(FieldName.compressed, compressed)
        w.put(FieldName.bodyCrc32, bodyCrc32)
        return w.fields
    }
}

public struct RegisterBrokerResponseHeader: RemotingHeader, Equatable {
    public var haServerAddr: String
    public var masterAddr: String

    public init(haServerAddr: String = "", masterAddr: String = "") {
        self.haServerAddr = haServerAddr
        self.masterAddr = masterAddr
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        haServerAddr = r.optionalString(FieldName.haServerAddr) ?? ""
        masterAddr = r.optionalString(FieldName.masterAddr) ?? ""
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 2)
        w.put(FieldName.haServerAddr, haServerAddr)
        w.put(FieldName.masterAddr, masterAddr)
        return w.fields
    }
}

public struct UnregisterBrokerRequestHeader: RemotingHeader, Equatable {
    public var brokerName: String
    public var brokerAddr: String
    public var clusterName: String
    public var brokerId: Int64

    public init(brokerName: String, brokerAddr: String, clusterName: String, brokerId: Int64) {
        self.brokerName = brokerName
        self.brokerAddr = brokerAddr
        self.clusterName = clusterName
        self.brokerId = brokerId
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        brokerName = try r.string(FieldName.brokerName)
        brokerAddr = try r.string(FieldName.brokerAddr)
        clusterName = r.optionalString(FieldName.clusterName) ?? RegisterBrokerRequestHeader.defaultClusterName
        brokerId = try r.optionalInt64(FieldName.brokerId) ?? 0
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 4)
        w.put(FieldName.brokerName, brokerName)
        w.put(FieldName.brokerAddr, brokerAddr)
        w.put(FieldName.clusterName, clusterName)
        w.put(FieldName.brokerId, brokerId)
        return w.fields
    }
}
