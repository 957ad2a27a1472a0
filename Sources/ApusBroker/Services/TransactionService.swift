// TransactionService: transactional messages for both protocols (RocketMQ 4.x semantics) over ONE half-message
// store: prepared sends become half messages, END_TRANSACTION / HTTP commit and rollback resolve them, and a check
// loop asks remoting producers (CHECK_TRANSACTION_STATE, 39) about unresolved ones or gives them up. The decisions
// are TransactionTable's (ApusGroups); this service writes and reads the records they are rebuilt from.
//
// On-disk format: everything is commit-log records (so SYNC_FLUSH, recovery and kill -9 treat them like any
// message), in two system topics, each with one queue (0):
//   RMQ_SYS_TRANS_HALF_TOPIC  one record per half message, as RocketMQ 4.9.8 stores it: the producer's record with
//                             topic/queue replaced, REAL_TOPIC / REAL_QID properties added, the sysflag's transaction
//                             bits cleared (so it has a consume-queue entry here and nowhere else). The entry's queue
//                             offset is the `tranStateTableOffset` clients echo back.
//   RMQ_SYS_TRANS_OP_HALF_TOPIC  the op log: one record per event of a half; body = the half's queue offset in
//                             decimal ASCII (as RocketMQ's op records), TAGS says which event:
//                               "d"  resolved; APUS_TRAN_OP = commit | rollback | discard (never offered again)
//                               "c"  a check was sent (remoting) or the half was popped (HTTP);
//                                    APUS_TRAN_CHECKS = checks so far, APUS_TRAN_NEXT = next due time (epoch ms)
// A commit appends the real message and its "d" op in one put, the real message first; so after a crash between
// them the half is checked again and may be committed twice (at-least-once), and a rollback ("d" only) is never
// delivered. On start the half queue is read from its first retained entry and the op queue is replayed over it;
// retention keeps every commit-log segment from the oldest unresolved half (`retentionFloor`).

import ApusGroups
import ApusMessage
import ApusStore
import Logging
import NIOCore
import Synchronization

/// A CHECK_TRANSACTION_STATE to send: the half (as the table sees it after this check) and the message as the
/// producer should see it (real topic and queue).
struct TransactionCheck: Sendable {
    var half: HalfMessage
    var message: StoredMessage
    var uniqueKey: String?
}

/// How an END_TRANSACTION / HTTP commit or rollback ended.
enum TransactionOutcome: Sendable, Equatable {
    case committed(PutResult)
    case rolledBack(PutResult)
    /// Nothing to do: no such unresolved half (already resolved, discarded or never stored).
    case unknown(String)
    case failed(String)

    static func == (a: TransactionOutcome, b: TransactionOutcome) -> Bool {
        switch (a, b) {
        case (.committed, .committed), (.rolledBack, .rolledBack): return true
        case let (.unknown(x), .unknown(y)), let (.failed(x), .failed(y)): return x == y
        default: return false
        }
    }

    var putResult: PutResult? {
        switch self {
        case let .committed(r), let .rolledBack(r): return r
        default: return nil
        }
    }
}

final class TransactionService: Sendable {
    static let halfTopic = TopicNames.transactionHalf
    static let opTopic = TopicNames.transactionOpHalf
    static let removeTag = "d"
    static let checkTag = "c"
    static let opProperty = "APUS_TRAN_OP"
    static let checksProperty = "APUS_TRAN_CHECKS"
    static let nextProperty = "APUS_TRAN_NEXT"
    /// Check passes are at least this far apart.
    static let tickMillis: Int64 = 200

    private struct State: Sendable {
        var table: TransactionTable
        /// The half queue is filed into `table` up to here.
        var filed: Int64
    }

    let rules: TransactionRules
    private let store: MessageStore
    private let schedule: ScheduleService
    private let storeHost: HostAddress
    private let logger: Logger
    private let state: Mutex<State>
    private let loop = TickLoop(label: "apus-transactions", minimumMillis: tickMillis)
    /// Sends a check to a live connection of the producer group; false when the group has none.
    private let checker = Mutex<(@Sendable (_ producerGroup: String, _ check: TransactionCheck) -> Bool)?>(nil)

    init(rules: TransactionRules, store: MessageStore, schedule: ScheduleService, storeHost: HostAddress, logger: Logger) {
        self.rules = rules
        self.store = store
        self.schedule = schedule
        self.storeHost = storeHost
        self.logger = logger
        state = Mutex(State(table: TransactionTable(rules: rules), filed: store.minOffset(topic: Self.halfTopic, queueId: 0)))
        recover()
    }

    func setChecker(_ checker: @escaping @Sendable (_ producerGroup: String, _ check: TransactionCheck) -> Bool) {
        self.checker.withLock { $0 = checker }
    }

    // MARK: Half messages

    /// Whether a send is a prepared transactional message (sysflag TRANSACTION_PREPARED_TYPE or TRAN_MSG=true).
    static func isPrepared(sysFlag: Int32, _ digest: PropertyDigest) -> Bool {
        sysFlag & MessageSysFlag.transactionMask == MessageSysFlag.transactionPrepared || digest.transactionPrepared
    }

    /// The form a prepared message is stored in: the half topic, real topic and queue as properties, transaction bits
    /// cleared.
    static func half(_ message: MessageToStore) -> MessageToStore {
        var copy = message
        MessagePropertyCodec.append(MessageProperty.realTopic, message.topic, to: &copy.properties)
        MessagePropertyCodec.append(MessageProperty.realQueueId, String(message.queueId), to: &copy.properties)
        copy.topic = halfTopic
        copy.queueId = 0
        copy.sysFlag = message.sysFlag & ~MessageSysFlag.transactionMask
        return copy
    }

    /// The table's view of a stored half record.
    private func halfMessage(_ stored: StoredMessage) -> HalfMessage {
        let props = stored.properties
        let topic = MessagePropertyCodec.value(of: MessageProperty.realTopic, in: props) ?? stored.topic
        let group = MessagePropertyCodec.value(of: MessageProperty.producerGroup, in: props) ?? ""
        let httpSeconds = MessagePropertyCodec.value(of: MessageProperty.transactionCheckImmunityTime, in: props).flatMap { Int64($0) }
        let origin: HalfOrigin = group.isEmpty && httpSeconds != nil ? .http : .remoting
        var immunity = rules.timeoutMillis
        if let seconds = MessagePropertyCodec.value(of: MessageProperty.checkImmunityTimeInSeconds, in: props).flatMap({ Int64($0) }) {
            immunity = max(0, seconds) * 1000
        } else if let httpSeconds {
            immunity = max(0, httpSeconds) * 1000
        }
        return HalfMessage(queueOffset: stored.queueOffset, commitLogOffset: stored.physicalOffset, topic: topic,
                           producerGroup: group, origin: origin, storeTimestamp: stored.storeTimestamp, immunityMillis: immunity)
    }

    /// Reads half records stored since the last call into the table.
    private func file(_ state: inout State) {
        while store.maxOffset(topic: Self.halfTopic, queueId: 0) > state.filed {
            let result = store.getMessages(topic: Self.halfTopic, queueId: 0, offset: state.filed, maxCount: 256,
                                           maxBytes: 8 << 20, filter: { _ in true })
            if let body = result.body {
                for stored in StoredMessageCodec.decodeAll(body) { state.table.add(halfMessage(stored)) }
            }
            guard result.nextBeginOffset > state.filed else { break }
            state.filed = result.nextBeginOffset
        }
    }

    /// Rebuilds the table: every retained half, then the op log replayed over them.
    private func recover() {
        state.withLock { state in
            file(&state)
            var next = store.minOffset(topic: Self.opTopic, queueId: 0)
            while store.maxOffset(topic: Self.opTopic, queueId: 0) > next {
                let result = store.getMessages(topic: Self.opTopic, queueId: 0, offset: next, maxCount: 512,
                                               maxBytes: 8 << 20, filter: { _ in true })
                if let body = result.body {
                    for op in StoredMessageCodec.decodeAll(body) { Self.apply(op, to: &state.table) }
                }
                guard result.nextBeginOffset > next else { break }
                next = result.nextBeginOffset
            }
            if state.table.count > 0 {
                logger.info("unresolved transactional half messages", metadata: ["count": "\(state.table.count)"])
            }
        }
    }

    private static func apply(_ op: StoredMessage, to table: inout TransactionTable) {
        guard let offset = Int64(String(buffer: op.body)) else { return }
        switch MessagePropertyCodec.value(of: MessageProperty.tags, in: op.properties) {
        case removeTag?:
            table.resolve(queueOffset: offset)
        case checkTag?:
            let checks = MessagePropertyCodec.value(of: checksProperty, in: op.properties).flatMap { Int32($0) } ?? 0
            let next = MessagePropertyCodec.value(of: nextProperty, in: op.properties).flatMap { Int64($0) } ?? 0
            table.recordCheck(queueOffset: offset, checks: checks, next: next)
        default:
            break
        }
    }

    private func opRecord(_ half: HalfMessage, tag: String, _ properties: [(String, String)], now: Int64) -> MessageToStore {
        MessageToStore(
            topic: Self.opTopic, queueId: 0, body: ByteBuffer(string: String(half.queueOffset)),
            properties: MessagePropertyCodec.encode([(MessageProperty.tags, tag)] + properties), bornTimestamp: now,
            bornHost: storeHost, storeHost: storeHost, tagsCode: TagsCode.of(tag))
    }

    /// The lowest commit-log offset of an unresolved half (retention keeps everything from there).
    func retentionFloor() -> Int64? {
        state.withLock { $0.table.halves.values.lazy.map(\.commitLogOffset).min() }
    }

    var unresolvedCount: Int { state.withLock { $0.table.count } }

    // MARK: Resolution

    /// END_TRANSACTION (37): the half at `tranStateTableOffset` / `commitLogOffset`, sent by `producerGroup`.
    func end(producerGroup: String, tranStateTableOffset: Int64, commitLogOffset: Int64, commit: Bool,
             now: Int64) -> TransactionOutcome {
        let half: HalfMessage? = state.withLock { state in
            file(&state)
            if let h = state.table.half(commitLogOffset: commitLogOffset) { return h }
            return state.table.half(queueOffset: tranStateTableOffset).flatMap { $0.commitLogOffset == commitLogOffset ? $0 : nil }
        }
        guard let half else {
            return .unknown("no unresolved half message at commit-log offset \(commitLogOffset) (already resolved or never stored)")
        }
        if !half.producerGroup.isEmpty, half.producerGroup != producerGroup {
            return .unknown("the half message belongs to producer group \(half.producerGroup), not \(producerGroup)")
        }
        return resolve(half, commit: commit, now: now)
    }

    /// HTTP commit / rollback (§6.6) by a publish or pop receipt handle on `topic` (instance-scoped).
    func end(topic: String, handle: String, commit: Bool, now: Int64) -> Result<TransactionOutcome, HalfHandleError> {
        let checked: Result<HalfMessage, HalfHandleError> = state.withLock { state in
            file(&state)
            return state.table.validate(handle: handle, topic: topic, now: now)
        }
        switch checked {
        case let .failure(error): return .failure(error)
        case let .success(half): return .success(resolve(half, commit: commit, now: now))
        }
    }

    /// Commit: the real message and the op in one put; rollback: the op only. Serialised with the check loop by the
    /// table: a half resolved meanwhile is not resolved twice.
    private func resolve(_ half: HalfMessage, commit: Bool, now: Int64) -> TransactionOutcome {
        guard let stored = store.message(atCommitLogOffset: half.commitLogOffset), stored.topic == Self.halfTopic else {
            return .failed("the half message at commit-log offset \(half.commitLogOffset) is no longer in the commit log")
        }
        var records: [MessageToStore] = []
        if commit { records.append(realMessage(stored, now: now)) }
        records.append(opRecord(half, tag: Self.removeTag, [(Self.opProperty, commit ? "commit" : "rollback")], now: now))
        return state.withLock { state in
            guard state.table.half(queueOffset: half.queueOffset) != nil else {
                return .unknown("the half message was resolved meanwhile")
            }
            let result = store.putMessages(&records)
            guard result.status == .ok else { return .failed("\(result.status)") }
            state.table.resolve(queueOffset: half.queueOffset)
            return commit ? .committed(result) : .rolledBack(result)
        }
    }

    /// The committed message as RocketMQ 4.9.8 stores it: real topic and queue, REAL_TOPIC / REAL_QID / TRAN_MSG
    /// removed, sysflag TRANSACTION_COMMIT_TYPE, preparedTransactionOffset = the half's commit-log offset; a delay or
    /// timer it carries is honoured from the commit on.
    private func realMessage(_ stored: StoredMessage, now: Int64) -> MessageToStore {
        var properties = stored.properties
        let topic = MessagePropertyCodec.value(of: MessageProperty.realTopic, in: properties) ?? stored.topic
        let queueId = MessagePropertyCodec.value(of: MessageProperty.realQueueId, in: properties).flatMap { Int32($0) } ?? 0
        MessagePropertyCodec.remove(MessageProperty.realTopic, from: &properties)
        MessagePropertyCodec.remove(MessageProperty.realQueueId, from: &properties)
        MessagePropertyCodec.remove(MessageProperty.transactionPrepared, from: &properties)
        var message = MessageToStore(
            topic: topic, queueId: queueId, flag: stored.flag, body: stored.body, properties: properties,
            sysFlag: (stored.sysFlag & ~MessageSysFlag.transactionMask) | MessageSysFlag.transactionCommit,
            bornTimestamp: stored.bornTimestamp, bornHost: stored.bornHost, storeHost: storeHost,
            reconsumeTimes: stored.reconsumeTimes, preparedTransactionOffset: stored.physicalOffset,
            tagsCode: TagsCode.of(MessagePropertyCodec.value(of: MessageProperty.tags, in: properties)))
        if DeliveryTime.mayApply(to: properties),
           case let .at(due, level) = schedule.rules.outcome(now: now, lookup: { MessagePropertyCodec.value(of: $0, in: properties) }) {
            message = schedule.scheduled(message, due: due, delayLevel: level)
        }
        return message
    }

    // MARK: HTTP pops

    /// `trans=pop` (§6.5): up to `max` due HTTP halves of `topic`, each recorded as a new delivery (op "c") before it
    /// is returned, with its stored record.
    func pop(topic: String, max: Int, now: Int64) -> [(half: HalfMessage, message: StoredMessage)] {
        state.withLock { state in
            file(&state)
            let popped = state.table.pop(topic: topic, max: max, now: now)
            guard !popped.isEmpty else { return [] }
            var out: [(HalfMessage, StoredMessage)] = []
            var ops: [MessageToStore] = []
            for half in popped {
                guard let stored = store.message(atCommitLogOffset: half.commitLogOffset) else { continue }
                out.append((half, stored))
                ops.append(opRecord(half, tag: Self.checkTag, [(Self.checksProperty, String(half.checks)),
                                                               (Self.nextProperty, String(half.nextCheck))], now: now))
            }
            guard !ops.isEmpty, store.putMessages(&ops).status == .ok else { return [] }
            for (half, _) in out { state.table.recordCheck(queueOffset: half.queueOffset, checks: half.checks, next: half.nextCheck) }
            return out
        }
    }

    /// When the next half of `topic` becomes poppable (nil: none waiting).
    func nextPoppable(topic: String) -> Int64? {
        state.withLock { state in
            file(&state)
            return state.table.nextPoppable(topic: topic)
        }
    }

    /// The HTTP publish handle of the half just stored at `record` (valid until its check time).
    func publishHandle(queueOffset: Int64, topic: String, storeTimestamp: Int64, checkSeconds: Int64) -> String {
        HalfReceiptHandle(queueOffset: queueOffset, delivery: 0, expiry: storeTimestamp + checkSeconds * 1000, topic: topic).text
    }

    // MARK: Check loop

    func start() { loop.start { [self] now in tick(now: now) } }

    /// A half message was stored: file it and plan its check.
    func poke() { loop.poke() }

    func shutdown() { loop.stop() }

    /// One pass: file new halves; send a check for each due remoting half (recorded first, so a crash never checks
    /// more often than recorded), discard those past `transactionCheckMax` (or HTTP halves past a day). Tests call it
    /// directly with their clock. Returns when the next pass is due.
    @discardableResult
    func tick(now: Int64) -> Int64 {
        let (checks, next): ([TransactionCheck], Int64) = state.withLock { state in
            file(&state)
            let checks = checkDue(&state, now: now)
            return (checks, state.table.nextDue ?? .max)
        }
        send(checks)
        return next
    }

    /// Records a check for each due remoting half and discards the expired ones; returns the checks to send.
    private func checkDue(_ state: inout State, now: Int64) -> [TransactionCheck] {
        let actions = state.table.due(now: now)
        guard !actions.isEmpty else { return [] }
        var ops: [MessageToStore] = []
        var checks: [TransactionCheck] = []
        var discarded: [HalfMessage] = []
        for action in actions {
            switch action {
            case let .check(half):
                ops.append(opRecord(half, tag: Self.checkTag, [(Self.checksProperty, String(half.checks)),
                                                               (Self.nextProperty, String(half.nextCheck))], now: now))
                if let stored = store.message(atCommitLogOffset: half.commitLogOffset) {
                    checks.append(TransactionCheck(half: half, message: Self.producerView(stored),
                                                   uniqueKey: MessagePropertyCodec.value(of: MessageProperty.uniqueKey,
                                                                                         in: stored.properties)))
                }
            case let .discard(half):
                ops.append(opRecord(half, tag: Self.removeTag, [(Self.opProperty, "discard")], now: now))
                discarded.append(half)
            }
        }
        guard store.putMessages(&ops).status == .ok else {
            logger.error("cannot record transaction checks; will retry")
            return []
        }
        for action in actions {
            switch action {
            case let .check(half): state.table.recordCheck(queueOffset: half.queueOffset, checks: half.checks, next: half.nextCheck)
            case let .discard(half): state.table.resolve(queueOffset: half.queueOffset)
            }
        }
        for half in discarded {
            logger.warning("transactional half message unresolved after its last check; discarded", metadata: [
                "topic": "\(half.topic)", "producerGroup": "\(half.producerGroup)", "checks": "\(half.checks)",
                "commitLogOffset": "\(half.commitLogOffset)",
            ])
        }
        return checks
    }

    /// Sends each check to a live connection of its producer group.
    private func send(_ checks: [TransactionCheck]) {
        guard !checks.isEmpty else { return }
        let send = checker.withLock { $0 }
        for check in checks {
            let sent = send?(check.half.producerGroup, check) ?? false
            if !sent {
                logger.debug("no producer connection to check a half message", metadata: [
                    "producerGroup": "\(check.half.producerGroup)", "checks": "\(check.half.checks)",
                ])
            }
        }
    }

    /// The half as its producer sent it (real topic and queue), for the check's body.
    static func producerView(_ stored: StoredMessage) -> StoredMessage {
        var message = stored
        message.topic = MessagePropertyCodec.value(of: MessageProperty.realTopic, in: stored.properties) ?? stored.topic
        message.queueId = MessagePropertyCodec.value(of: MessageProperty.realQueueId, in: stored.properties).flatMap { Int32($0) } ?? 0
        return message
    }
}
