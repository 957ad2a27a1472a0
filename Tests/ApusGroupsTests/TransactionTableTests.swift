// TransactionTable: when halves are checked, given up, popped over HTTP, and which receipt handles resolve them —
// all with an explicit clock.

import ApusGroups
import Testing

private let rules = TransactionRules(timeoutMillis: 6_000, checkIntervalMillis: 60_000, checkMax: 2)

private func remoting(_ offset: Int64, at t: Int64, immunity: Int64 = 6_000) -> HalfMessage {
    HalfMessage(queueOffset: offset, commitLogOffset: 1000 + offset, topic: "T", producerGroup: "PG", origin: .remoting,
                storeTimestamp: t, immunityMillis: immunity)
}

private func http(_ offset: Int64, topic: String = "NS%T", at t: Int64, checkSeconds: Int64 = 10) -> HalfMessage {
    HalfMessage(queueOffset: offset, commitLogOffset: 1000 + offset, topic: topic, producerGroup: "", origin: .http,
                storeTimestamp: t, immunityMillis: checkSeconds * 1000)
}

/// Applies the actions as TransactionService records them.
private func run(_ table: inout TransactionTable, now: Int64) -> [TransactionAction] {
    let actions = table.due(now: now)
    for action in actions {
        switch action {
        case let .check(h): table.recordCheck(queueOffset: h.queueOffset, checks: h.checks, next: h.nextCheck)
        case let .discard(h): table.resolve(queueOffset: h.queueOffset)
        }
    }
    return actions
}

@Test func aRemotingHalfIsCheckedAfterTheTimeoutThenEveryIntervalThenDiscarded() {
    var table = TransactionTable(rules: rules)
    table.add(remoting(0, at: 0))
    #expect(run(&table, now: 5_999).isEmpty, "not before transactionTimeOut")
    let first = run(&table, now: 6_000)
    #expect(first.count == 1)
    guard case let .check(h)? = first.first else { Issue.record("expected a check"); return }
    #expect(h.checks == 1 && h.nextCheck == 66_000)
    #expect(run(&table, now: 65_999).isEmpty, "not before transactionCheckInterval")
    guard case .check(let h2)? = run(&table, now: 66_000).first else { Issue.record("expected a second check"); return }
    #expect(h2.checks == 2)
    guard case .discard? = run(&table, now: 126_000).first else { Issue.record("expected a discard after checkMax"); return }
    #expect(table.count == 0)
}

@Test func checkImmunityTimeReplacesTheTimeoutAndResolvedHalvesAreNeverChecked() {
    var table = TransactionTable(rules: rules)
    table.add(remoting(0, at: 0, immunity: 30_000))
    table.add(remoting(1, at: 0))
    table.resolve(queueOffset: 1)
    #expect(run(&table, now: 29_999).isEmpty)
    #expect(run(&table, now: 30_000).count == 1)
    #expect(table.half(commitLogOffset: 1000)?.queueOffset == 0 && table.half(commitLogOffset: 1001) == nil)
}

@Test func httpHalvesArePoppedNotCheckedWithANewHandleEachTime() {
    var table = TransactionTable(rules: rules)
    table.add(http(0, at: 0))
    table.add(http(1, topic: "NS%Other", at: 0))
    #expect(run(&table, now: 20_000).isEmpty, "HTTP halves wait for trans=pop")
    #expect(table.pop(topic: "NS%T", max: 16, now: 9_999).isEmpty, "not before __TransCheckT")
    let popped = table.pop(topic: "NS%T", max: 16, now: 10_000)
    #expect(popped.map(\.queueOffset) == [0], "only the topic's halves")
    #expect(popped[0].checks == 1 && popped[0].nextCheck == 20_000, "ConsumedTimes 1, invisible ~10 s")
    table.recordCheck(queueOffset: 0, checks: 1, next: 20_000)
    #expect(table.pop(topic: "NS%T", max: 16, now: 19_999).isEmpty, "invisible until NextConsumeTime")
    #expect(table.nextPoppable(topic: "NS%T") == 20_000)
    let again = table.pop(topic: "NS%T", max: 16, now: 20_000)
    #expect(again[0].checks == 2, "ConsumedTimes + 1")
    #expect(TransactionTable.handle(of: again[0]) != TransactionTable.handle(of: popped[0]))
}

@Test func handlesResolveOnlyTheirOwnCurrentDelivery() {
    var table = TransactionTable(rules: rules)
    table.add(http(0, at: 0))
    let publish = TransactionTable.handle(of: table.half(queueOffset: 0)!).text
    if case .success = table.validate(handle: publish, topic: "NS%T", now: 9_999) {} else { Issue.record("publish handle valid") }
    #expect(table.validate(handle: publish, topic: "NS%T", now: 10_000) == .failure(.expired("the receipt handle has expired (its NextConsumeTime has passed)")))
    guard case .invalid = table.validate(handle: publish, topic: "NS%Other", now: 1).failureValue else {
        Issue.record("another topic's path refuses the handle"); return
    }
    guard case .invalid = table.validate(handle: "garbage", topic: "NS%T", now: 1).failureValue else {
        Issue.record("a malformed handle is invalid"); return
    }
    let popped = table.pop(topic: "NS%T", max: 1, now: 10_000)[0]
    table.recordCheck(queueOffset: 0, checks: popped.checks, next: popped.nextCheck)
    let pop = TransactionTable.handle(of: popped).text
    if case .success = table.validate(handle: pop, topic: "NS%T", now: 15_000) {} else { Issue.record("pop handle valid") }
    guard case .expired = table.validate(handle: publish, topic: "NS%T", now: 15_000).failureValue else {
        Issue.record("the publish handle is replaced by the pop's"); return
    }
    table.resolve(queueOffset: 0)
    guard case .invalid = table.validate(handle: pop, topic: "NS%T", now: 15_000).failureValue else {
        Issue.record("a resolved half's handle is invalid"); return
    }
    #expect(HalfReceiptHandle(pop) == HalfReceiptHandle(queueOffset: 0, delivery: 1, expiry: 20_000, topic: "NS%T"))
}

@Test func halfReceiptHandlesReadBackAndRefuseAnythingElse() {
    let handle = HalfReceiptHandle(queueOffset: 0x7fff_ffff_ffff_ffff, delivery: .max, expiry: 1_700_000_000_000, topic: "T")
    #expect(HalfReceiptHandle(handle.text) == handle)
    #expect(HalfReceiptHandle(queueOffset: 26, delivery: 0, expiry: 0, topic: "T").text.hasPrefix("T1a-0-0-"))
    for bad in ["", "T", "T1-2-3", "T1-2-3-4-5", "t1-2-3-4", "T1-2-3-", "T-1-2-3-4", "T8000000000000000-0-0-0", "T0-80000000-0-0",
                "T0-0-0-100000000", "T0-0-0-" + String(repeating: "0", count: 80)] {
        #expect(HalfReceiptHandle(bad) == nil, "\(bad)")
    }
}

@Test func theNextDueTimeIsTheEarliestCheckOrEndOfLife() {
    var table = TransactionTable(rules: rules)
    #expect(table.nextDue == nil, "nothing unresolved: nothing to wake for")
    table.add(http(1, at: 0))
    #expect(table.nextDue == 86_400_000, "an HTTP half is only discarded, after a day")
    table.add(remoting(0, at: 1_000))
    #expect(table.nextDue == 7_000, "a remoting half's first check")
    _ = run(&table, now: 7_000)
    #expect(table.nextDue == 67_000, "then its next check")
    table.resolve(queueOffset: 0)
    #expect(table.nextDue == 86_400_000)
}

@Test func httpHalvesAreDiscardedAfterADay() {
    var table = TransactionTable(rules: rules)
    table.add(http(0, at: 0))
    #expect(run(&table, now: 86_399_999).isEmpty)
    guard case .discard? = run(&table, now: 86_400_000).first else { Issue.record("a day-old HTTP half is discarded"); return }
}

extension Result {
    var failureValue: Failure? {
        if case let .failure(e) = self { return e }
        return nil
    }
}
