// SubscriptionInconsistency: how the members of one consumer group disagree (seed "Subscription consistency").

import ApusMessage

/// One way in which members of a group differ, with every value seen and who holds it.
public struct SubscriptionInconsistency: Sendable, Equatable, CustomStringConvertible {
    public enum Aspect: Sendable, Equatable {
        /// Members set different MessageModels (the effective model is then broadcasting for all).
        case messageModel
        /// Members consume differently (pull vs push).
        case consumeType
        /// Members subscribe different sets of topics (`%RETRY%` topics excluded: they follow the model).
        case topics
        /// Members subscribe one topic with different tag filters.
        case expression(topic: String)
        /// Members consume orderly and concurrently (not in heartbeats: `apus admin` finds it through 307).
        case consumeOrder
        /// Members reach the broker through different protocols (remoting TCP vs HTTP). Hook for the HTTP API: once
        /// its members join the table with a protocol, `inconsistencies(of:)` reports this aspect like the others.
        case `protocol`

        /// The wire name (203's `apusSubscriptionVerdict`).
        public var name: String {
            switch self {
            case .messageModel: "messageModel"
            case .consumeType: "consumeType"
            case .topics: "topics"
            case .expression: "expression"
            case .consumeOrder: "consumeOrder"
            case .protocol: "protocol"
            }
        }
    }

    /// One value (a model, a consume type, a comma-separated topic list or a canonical filter) and its holders.
    public struct Variant: Sendable, Equatable {
        public var value: String
        public var clientIds: [String]

        public init(value: String, clientIds: [String]) {
            self.value = value
            self.clientIds = clientIds
        }
    }

    public var aspect: Aspect
    /// At least two variants, sorted by value; client ids sorted byte-wise.
    public var variants: [Variant]

    public init(aspect: Aspect, variants: [Variant]) {
        self.aspect = aspect
        self.variants = variants
    }

    public var description: String {
        let what: String
        switch aspect {
        case .messageModel: what = "message model"
        case .consumeType: what = "consume type"
        case .topics: what = "topics"
        case .expression(let topic): what = "expression of \(topic)"
        case .consumeOrder: what = "consume order"
        case .protocol: what = "protocol"
        }
        return "\(what) differs: " + variants.map { "\($0.value) by \($0.clientIds.joined(separator: ","))" }
            .joined(separator: "; ")
    }
}

extension ConsumerGroupTable {
    /// Members of one group whose message models, consume types, topic sets or tag filters differ → one report per
    /// differing aspect; with `httpClients` (the group's HTTP consumers, by the name the HTTP service gives them),
    /// a group consumed over both remoting TCP and HTTP is also reported (`.protocol`). Empty when the group is
    /// consistent or unknown.
    public func inconsistencies(of group: String, httpClients: [String] = []) -> [SubscriptionInconsistency] {
        let members = self.members(of: group)
        var reports: [SubscriptionInconsistency] = []
        // valueOf(i): the value member i holds for this aspect, nil if the aspect does not apply to it.
        func report(_ aspect: SubscriptionInconsistency.Aspect, _ valueOf: (Int) -> String?) {
            var holders: [String: [String]] = [:]
            for i in members.indices { if let v = valueOf(i) { holders[v, default: []].append(members[i].clientId) } }
            if holders.count > 1 {
                reports.append(.init(aspect: aspect, variants: holders.keys.sorted().map { .init(value: $0, clientIds: holders[$0]!) }))
            }
        }
        report(.messageModel) { members[$0].messageModel.rawValue }
        report(.consumeType) { members[$0].consumeType.rawValue }
        let filters = members.map { Self.filters($0.subscriptions).filter { !TopicNames.isRetry($0.key) } }
        report(.topics) { filters[$0].keys.sorted().joined(separator: ",") }
        for topic in Set(filters.flatMap(\.keys)).sorted() {
            report(.expression(topic: topic)) { filters[$0][topic] }
        }
        if !members.isEmpty, !httpClients.isEmpty {
            reports.append(.init(aspect: .protocol, variants: [
                .init(value: "http", clientIds: httpClients.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }),
                .init(value: "remoting", clientIds: members.map(\.clientId)),
            ]))
        }
        return reports
    }
}
