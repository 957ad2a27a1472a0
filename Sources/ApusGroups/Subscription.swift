// Subscription: one topic of one consumer and its tag filter (spec §5.10), built from a heartbeat entry.

import ApusMessage

/// A consumer's subscription to one topic. The tag hash set is always computed here from the tags,
/// never taken from the client's `codeSet` (C++ 1.2.3 sends `atoi(tag)` there, spec §3.2).
public struct Subscription: Sendable, Equatable {
    public var topic: String
    /// The expression as the client sent it, e.g. `"TagA || TagB"` or `"*"`.
    public var expression: String
    /// The expression split on `||`, each tag trimmed, empty tags dropped; empty for `*`.
    public var tags: [String]
    /// Java `hashCode` of each tag: what a consume-queue entry's tags code is compared against.
    public var tagCodes: Set<Int32>
    public var subVersion: Int64

    /// True for `*` or an expression without tags: every message matches.
    public var matchesAll: Bool { tags.isEmpty }

    public init(topic: String, expression: String, subVersion: Int64) {
        self.topic = topic
        self.expression = expression
        self.subVersion = subVersion
        let trimmed = Subscription.trim(expression)
        tags = trimmed == "*" ? [] : trimmed.split(separator: "||", omittingEmptySubsequences: false)
            .map { Subscription.trim(String($0)) }.filter { !$0.isEmpty }
        tagCodes = Set(tags.map { TagsCode.javaHash($0) })
    }

    /// Whether a consume-queue entry with this tags code passes the filter (by hash only; collisions pass).
    public func matches(tagsCode: Int64) -> Bool {
        matchesAll || Self.codes(tagCodes, contain: tagsCode)
    }

    /// The tag codes a message must carry, nil when every message matches: a store read's filter, taken out of the
    /// subscription without copying it (`matches(tagsCode:filter:)`).
    public var tagCodeFilter: Set<Int32>? { matchesAll ? nil : tagCodes }

    public static func matches(tagsCode: Int64, filter: Set<Int32>?) -> Bool {
        filter.map { codes($0, contain: tagsCode) } ?? true
    }

    private static func codes(_ codes: Set<Int32>, contain tagsCode: Int64) -> Bool {
        codes.contains(Int32(truncatingIfNeeded: tagsCode))
    }

    /// The filter in a canonical form (sorted distinct tags, or `*`), so `"B||A"` and `"A || B"` compare equal.
    var normalizedExpression: String {
        matchesAll ? "*" : Set(tags).sorted().joined(separator: " || ")
    }

    /// Without leading and trailing whitespace (any Unicode whitespace, as Java's `trim` and more). Every pull carries
    /// its expression, so the usual case — both ends ASCII and not blank, as `*` or `TagA` — returns at once: walking
    /// Characters from both ends was a tenth of the broker's CPU at 2,000 pulls a second.
    static func trim(_ s: String) -> String {
        func isPlain(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return byte < 0x80 && byte != UInt8(ascii: " ") && !(0x09...0x0D).contains(byte)
        }
        // An ASCII scalar that is not whitespace neither starts nor ends a whitespace Character.
        if isPlain(s.utf8.first), isPlain(s.utf8.last) { return s }
        return String(s.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
