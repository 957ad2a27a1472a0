// KVConfigTable: the name server's namespaced key/value settings (admin.md §3.6: PUT/GET/DELETE_KV_CONFIG,
// GET_KVLIST_BY_NAMESPACE), e.g. `ORDER_TOPIC_CONFIG` written by `mqadmin updateTopic -o true`. Pure state, in memory
// (the name server keeps no files; brokers and tools write it again after a restart).

public struct KVConfigTable: Sendable {
    private var namespaces: [String: [String: String]] = [:]

    public init() {}

    public mutating func put(namespace: String, key: String, value: String) {
        namespaces[namespace, default: [:]][key] = value
    }

    public func get(namespace: String, key: String) -> String? { namespaces[namespace]?[key] }

    public mutating func delete(namespace: String, key: String) {
        namespaces[namespace]?[key] = nil
        if namespaces[namespace]?.isEmpty == true { namespaces[namespace] = nil }
    }

    /// Every pair of the namespace; nil when it has none.
    public func list(namespace: String) -> [String: String]? {
        guard let table = namespaces[namespace], !table.isEmpty else { return nil }
        return table
    }
}
