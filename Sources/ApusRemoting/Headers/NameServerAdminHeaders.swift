// NameServerAdminHeaders: headers of the name server's admin codes (admin.md §3.3, §3.6, §3.7) — KV config
// (100, 101, 102, 219), GET_TOPICS_BY_CLUSTER (224), WIPE/ADD_WRITE_PERM_OF_BROKER (205, 327) and their answers.

import ApusMessage

/// PUT_KV_CONFIG (100), GET_KV_CONFIG (101), DELETE_KV_CONFIG (102), GET_KVLIST_BY_NAMESPACE (219, `key` unused).
/// Decoding never fails: the name server answers a missing field itself (`namespace or key is null`).
public struct KVConfigRequestHeader: RemotingHeader, Equatable {
    public var namespace: String?
    public var key: String?
    public var value: String?

    public init(namespace: String?, key: String? = nil, value: String? = nil) {
        self.namespace = namespace
        self.key = key
        self.value = value
    }

    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        namespace = r.optionalString(FieldName.namespace).flatMap { $0.isEmpty ? nil : $0 }
        key = r.optionalString(FieldName.key).flatMap { $0.isEmpty ? nil : $0 }
        value = r.optionalString(FieldName.value)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 3)
        w.put(FieldName.namespace, namespace)
        w.put(FieldName.key, key)
        w.put(FieldName.value, value)
        return w.fields
    }
}

/// GET_KV_CONFIG (101) answer: the value as ext field `value`.
public struct KVConfigValueHeader: RemotingHeader, Equatable {
    public var value: String

    public init(value: String) { self.value = value }

    public init(extFields: ExtFields) throws(HeaderError) {
        value = HeaderReader(extFields).optionalString(FieldName.value) ?? ""
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.value, value)
        return w.fields
    }
}

/// GET_TOPICS_BY_CLUSTER (224).
public struct TopicsByClusterRequestHeader: RemotingHeader, Equatable {
    public var cluster: String

    public init(cluster: String) { self.cluster = cluster }

    public init(extFields: ExtFields) throws(HeaderError) {
        cluster = try HeaderReader(extFields).string(FieldName.cluster)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.cluster, cluster)
        return w.fields
    }
}

/// WIPE_WRITE_PERM_OF_BROKER (205), ADD_WRITE_PERM_OF_BROKER (327).
public struct BrokerNameRequestHeader: RemotingHeader, Equatable {
    public var brokerName: String

    public init(brokerName: String) { self.brokerName = brokerName }

    public init(extFields: ExtFields) throws(HeaderError) {
        brokerName = try HeaderReader(extFields).string(FieldName.brokerName)
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(FieldName.brokerName, brokerName)
        return w.fields
    }
}

/// The answers of 205 (`wipeTopicCount`) and 327 (`addTopicCount`): the number of topics touched (required by the tools).
public struct WritePermCountHeader: RemotingHeader, Equatable {
    public enum Kind: Sendable { case wipe, add }

    public var kind: Kind
    public var count: Int32

    public init(kind: Kind, count: Int32) {
        self.kind = kind
        self.count = count
    }

    /// Reads whichever of the two keys is present.
    public init(extFields: ExtFields) throws(HeaderError) {
        let r = HeaderReader(extFields)
        if let wipe = try r.optionalInt32(FieldName.wipeTopicCount) {
            (kind, count) = (.wipe, wipe)
        } else {
            (kind, count) = (.add, try r.int32(FieldName.addTopicCount))
        }
    }

    public func extFields() -> ExtFields {
        var w = HeaderWriter(capacity: 1)
        w.put(kind == .wipe ? FieldName.wipeTopicCount : FieldName.addTopicCount, count)
        return w.fields
    }
}
