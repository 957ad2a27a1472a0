// TransactionTable: the unresolved transactional half messages and the decisions about them (RocketMQ 4.x
// semantics, shared by remoting and HTTP): when a half is due for a state check, when it is given up, the HTTP
// half-message pops (new receipt handle, ConsumedTimes + 1, invisible for ~10 s) and receipt-handle validation.
// Pure: no IO, no clock (every call takes `now`); TransactionService owns the durable records it is rebuilt from.

/// Where a half message came from: decides how it is checked.
public enum HalfOrigin: String, Sendable, Equatable {
    /// A remoting producer: CHECK_TRANSACTION_STATE (39) goes to a connection of its producer group.
    case remoting
    /// The HTTP API (`__TransCheckT`): offered to `trans=pop`.
    case http
}

public struct HalfMessage: Sendable, Equatable {
    /// Offset in RMQ_SYS_TRANS_HALF_TOPIC queue 0 (RocketMQ's `tranStateTableOffset`).
    public var queueOffset: Int64
    public var commitLogOffset: Int64
    /// The real topic (instance-scoped for HTTP).
    public var topic: String
    /// The producer group (PGROUP); empty for HTTP halves.
    public var producerGroup: String
    public var origin: HalfOrigin
    public var storeTimestamp: Int64
    /// When the first check (or pop) was due: `storeTimestamp` + the immunity time.
    public var firstCheckAt: Int64
    /// Checks sent (remoting) or pops (HTTP) so far.
    public var checks: Int32
    /// When the next check is due; for HTTP also the expiry of the newest receipt handle.
    public var nextCheck: Int64

    public init(queueOffset: Int64, commitLogOffset: Int64, topic: String, producerGroup: String, origin: HalfOrigin,
                storeTimestamp: Int64, immunityMillis: Int64) {
        self.queueOffset = queueOffset
        self.commitLogOffset = commitLogOffset
        self.topic = topic
        self.producerGroup = producerGroup
        self.origin = origin
        self.storeTimestamp = storeTimestamp
        firstCheckAt = storeTimestamp + max(0, immunityMillis)
        checks = 0
        nextCheck = firstCheckAt
    }
}

/// The broker's transaction settings (BrokerConfig keys), in milliseconds.
public struct TransactionRules: Sendable, Equatable {
    /// `transactionTimeOut`: a remoting half without CHECK_IMMUNITY_TIME_IN_SECONDS is first checked this long after
    /// it was stored.
    public var timeoutMillis: Int64
    /// `transactionCheckInterval`: time between two checks of one half.
    public var checkIntervalMillis: Int64
    /// `transactionCheckMax`: checks of one remoting half before it is discarded.
    public var checkMax: Int32
    /// HTTP: invisibility of a popped half (http-api §10.6: about 10 s).
    public var httpPopInvisibleMillis: Int64 = 10_000
    /// HTTP: an unresolved half is offered for a day, then rolled back (http-api §10.6 item 4).
    public var httpMaxAgeMillis: Int64 = 86_400_000

    public init(timeoutMillis: Int64 = 6_000, checkIntervalMillis: Int64 = 60_000, checkMax: Int32 = 15) {
        self.timeoutMillis = timeoutMillis
        self.checkIntervalMillis = checkIntervalMillis
        self.checkMax = checkMax
    }
}

/// What the check loop must do for one due half.
public enum TransactionAction: Sendable, Equatable {
    /// Send CHECK_TRANSACTION_STATE (the `checks`-th) and record it; the next is due at `nextCheck`.
    case check(HalfMessage)
    /// Give up: the half is discarded (never delivered), logged.
    case discard(HalfMessage)
}

/// Why an HTTP receipt handle cannot commit or roll back.
public enum HalfHandleError: Error, Sendable, Equatable {
    /// Malformed, for another topic, or for a half that is resolved or unknown (`ReceiptHandleError`).
    case invalid(String)
    /// Was valid but its time has passed, or a newer pop replaced it (`MessageNotExist`).
    case expired(String)
}

/// An HTTP receipt handle of a half message: `T` + hex fields `queueOffset-delivery-expiry-topicHash`. The delivery
/// number is the half's check count when the handle was made (0: the publish's handle); expiry in epoch ms.
public struct HalfReceiptHandle: Sendable, Equatable {
    public var queueOffset: Int64
    public var delivery: Int32
    public var expiry: Int64
    public var topicHash: UInt32

    public init(queueOffset: Int64, delivery: Int32, expiry: Int64, topic: String) {
        self.queueOffset = queueOffset
        self.delivery = delivery
        self.expiry = expiry
        topicHash = Self.hash(topic)
    }

    public var text: String {
        HandleText.make(prefix: "T", [UInt64(bitPattern: queueOffset), UInt64(UInt32(bitPattern: delivery)),
                                      UInt64(bitPattern: expiry), UInt64(topicHash)], uppercase: false)
    }

    public init?(_ text: String) {
        guard let n = HandleText.parse(text, prefix: "T", count: 4, maxBytes: 81),
              n[0] <= UInt64(Int64.max), n[1] <= UInt64(Int32.max), n[3] <= UInt64(UInt32.max) else { return nil }
        queueOffset = Int64(n[0])
        delivery = Int32(n[1])
        expiry = Int64(bitPattern: n[2])
        topicHash = UInt32(n[3])
    }

    /// FNV-1a over the topic's UTF-8: a handle is refused on another topic's path.
    static func hash(_ topic: String) -> UInt32 { HandleText.hash(topic) }
}

public struct TransactionTable: Sendable {
    public let rules: TransactionRules
    public private(set) var halves: [Int64: HalfMessage] = [:]
    private var byCommitLogOffset: [Int64: Int64] = [:]

    public init(rules: TransactionRules) {
        self.rules = rules
    }

    public var count: Int { halves.count }

    /// A half message was stored (or found again on recovery).
    public mutating func add(_ half: HalfMessage) {
        halves[half.queueOffset] = half
        byCommitLogOffset[half.commitLogOffset] = half.queueOffset
    }

    public func half(queueOffset: Int64) -> HalfMessage? { halves[queueOffset] }

    public func half(commitLogOffset: Int64) -> HalfMessage? { byCommitLogOffset[commitLogOffset].flatMap { halves[$0] } }

    /// Committed, rolled back or discarded: forgotten.
    @discardableResult
    public mutating func resolve(queueOffset: Int64) -> HalfMessage? {
        guard let half = halves.removeValue(forKey: queueOffset) else { return nil }
        byCommitLogOffset[half.commitLogOffset] = nil
        return half
    }

    /// A check (or pop) was recorded: `checks` so far, the next one due at `next`.
    public mutating func recordCheck(queueOffset: Int64, checks: Int32, next: Int64) {
        guard var half = halves[queueOffset] else { return }
        half.checks = checks
        half.nextCheck = next
        halves[queueOffset] = half
    }

    /// The halves due now and what to do with each (the caller records the outcome: `recordCheck` or `resolve`).
    /// Remoting halves are checked every `checkInterval` up to `checkMax` times, then discarded; HTTP halves are not
    /// checked here (they wait for `trans=pop`) but are discarded once older than `httpMaxAge`.
    public func due(now: Int64) -> [TransactionAction] {
        var actions: [TransactionAction] = []
        // One pass over the unresolved halves; only the due ones are sorted (oldest first).
        for half in halves.values.filter({ $0.nextCheck <= now }).sorted(by: { $0.queueOffset < $1.queueOffset }) {
            switch half.origin {
            case .remoting:
                if half.checks >= rules.checkMax {
                    actions.append(.discard(half))
                } else {
                    var next = half
                    next.checks += 1
                    next.nextCheck = now + rules.checkIntervalMillis
                    actions.append(.check(next))
                }
            case .http:
                if now - half.storeTimestamp >= rules.httpMaxAgeMillis { actions.append(.discard(half)) }
            }
        }
        return actions
    }

    /// The earliest time `due(now:)` has something to do (nil: no half is unresolved): a remoting half's next check,
    /// an HTTP half's end of life.
    public var nextDue: Int64? {
        halves.values.lazy.map { half in
            half.origin == .remoting ? half.nextCheck : max(half.nextCheck, half.storeTimestamp + self.rules.httpMaxAgeMillis)
        }.min()
    }

    /// The earliest time anything of `topic` becomes poppable (long polls sleep until then); nil: none.
    public func nextPoppable(topic: String) -> Int64? {
        halves.values.lazy.filter { $0.origin == .http && $0.topic == topic }.map(\.nextCheck).min()
    }

    /// `trans=pop` on `topic`: up to `max` HTTP halves whose check time has come, each with a new delivery number and
    /// invisible for `httpPopInvisibleMillis`. The caller records each returned half (`recordCheck`) durably.
    public func pop(topic: String, max: Int, now: Int64) -> [HalfMessage] {
        var popped: [HalfMessage] = []
        let due = halves.values.filter {
            $0.origin == .http && $0.topic == topic && $0.nextCheck <= now && now - $0.storeTimestamp < rules.httpMaxAgeMillis
        }
        for half in due.sorted(by: { $0.queueOffset < $1.queueOffset }) {
            guard popped.count < max else { break }
            var next = half
            next.checks += 1
            next.nextCheck = now + rules.httpPopInvisibleMillis
            popped.append(next)
        }
        return popped
    }

    /// The handle for the half's current delivery.
    public static func handle(of half: HalfMessage) -> HalfReceiptHandle {
        HalfReceiptHandle(queueOffset: half.queueOffset, delivery: half.checks, expiry: half.nextCheck, topic: half.topic)
    }

    /// Which half an HTTP commit / rollback on `topic` with `handleText` resolves.
    public func validate(handle handleText: String, topic: String, now: Int64) -> Result<HalfMessage, HalfHandleError> {
        guard let handle = HalfReceiptHandle(handleText), handle.topicHash == HalfReceiptHandle.hash(topic) else {
            return .failure(.invalid("the receipt handle is not a half-message handle of this topic"))
        }
        guard let half = halves[handle.queueOffset], half.origin == .http, half.topic == topic else {
            return .failure(.invalid("the half message is already committed, rolled back or unknown"))
        }
        guard handle.delivery <= half.checks else { return .failure(.invalid("the receipt handle was never issued")) }
        guard handle.delivery == half.checks, now < half.nextCheck, now < handle.expiry else {
            return .failure(.expired("the receipt handle has expired (its NextConsumeTime has passed)"))
        }
        return .success(half)
    }
}
