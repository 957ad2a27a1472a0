// Tests of HTTPConsumption: HTTP API visibility timeouts, receipt handles, ConsumedTimes, DLQ, orderly partitions and
// progress (http-api §10.3, §10.5).
import Testing
import ApusGroups
import Foundation

private let settings = HTTPConsumptionSettings(invisibleMillis: 300_000, orderlyInvisibleMillis: 60_000, maxReconsumeTimes: 2)

private func key(_ q: Int32, _ o: Int64) -> HTTPMessageKey { HTTPMessageKey(queueId: q, queueOffset: o) }

/// A state with messages 0..<n of queue 0 read (all with the sharding key `shard(offset)`).
private func state(_ n: Int64, shard: (Int64) -> String = { _ in "" }) -> HTTPConsumption {
    var s = HTTPConsumption(group: "G", topic: "T")
    s.advanceCursor(queueId: 0, to: 0)
    for o in 0..<n { s.track(queueId: 0, queueOffset: o, shardingKey: shard(o)) }
    return s
}

@Test func deliveryHidesTheMessageUntilNextConsumeTime() throws {
    var s = state(1)
    let d = s.deliver(key(0, 0), now: 1_000, orderly: false, settings: settings)!
    #expect(d.nextConsumeTime == 301_000 && d.firstConsumeTime == 1_000 && d.consumedTimes == 1)
    #expect(s.candidates(now: 300_999, orderly: false, batchStart: s.nextDelivery).isEmpty)
    #expect(s.deliver(key(0, 0), now: 2_000, orderly: false, settings: settings) == nil)   // held by one consumer
    #expect(s.candidates(now: 301_000, orderly: false, batchStart: s.nextDelivery) == [key(0, 0)])
    #expect(s.nextVisibility(after: 1_000) == 301_000)
}

@Test func redeliveryCountsAndKeepsFirstConsumeTimeWithANewHandle() throws {
    var s = state(1)
    let first = s.deliver(key(0, 0), now: 1_000, orderly: false, settings: settings)!
    let second = s.deliver(key(0, 0), now: 301_000, orderly: false, settings: settings)!
    #expect(second.consumedTimes == 2 && second.firstConsumeTime == 1_000 && second.nextConsumeTime == 601_000)
    #expect(first.receiptHandle != second.receiptHandle)
    #expect(s.ack(first.receiptHandle, now: 301_001) == .invalid)          // stale: redelivered since
    #expect(s.ack(second.receiptHandle, now: 301_001) == .acked)
    #expect(s.ack(second.receiptHandle, now: 301_002) == .invalid)         // single use
    #expect(s.entries.isEmpty)
}

@Test func ackAfterNextConsumeTimeFailsAndTheMessageComesBack() throws {
    var s = state(1)
    let d = s.deliver(key(0, 0), now: 0, orderly: false, settings: settings)!
    #expect(s.ack(d.receiptHandle, now: 300_000) == .expired)
    #expect(HTTPAckResult.expired.errorCode == "MessageNotExist")
    #expect(s.candidates(now: 300_000, orderly: false, batchStart: s.nextDelivery) == [key(0, 0)])
}

@Test func unknownMalformedAndForeignHandlesAreInvalid() throws {
    var s = state(1)
    let d = s.deliver(key(0, 0), now: 0, orderly: false, settings: settings)!
    #expect(s.ack("", now: 1) == .invalid)
    #expect(s.ack("garbage", now: 1) == .invalid)
    #expect(s.ack("A1-1-2-3-4-5", now: 1) == .invalid)
    #expect(HTTPAckResult.invalid.errorCode == "ReceiptHandleError")
    var other = HTTPConsumption(group: "H", topic: "T")
    other.track(queueId: 0, queueOffset: 0, shardingKey: "")
    _ = other.deliver(key(0, 0), now: 0, orderly: false, settings: settings)
    #expect(other.ack(d.receiptHandle, now: 1) == .invalid)               // another group's handle
    let parsed = try #require(HTTPReceiptHandle(parsing: d.receiptHandle))
    #expect(parsed.key == key(0, 0) && parsed.expiry == d.nextConsumeTime && parsed.text == d.receiptHandle)
    #expect(s.ack(d.receiptHandle, now: 1) == .acked)
}

@Test func receiptHandlesReadBackAndRefuseAnythingElse() throws {
    let extremes: [HTTPReceiptHandle] = [
        HTTPReceiptHandle(owner: 0, key: key(0, 0), delivery: 0, expiry: 0),
        HTTPReceiptHandle(owner: .max, key: HTTPMessageKey(queueId: .max, queueOffset: .max), delivery: .max, expiry: .max),
        HTTPReceiptHandle(owner: 0x1A2B, key: HTTPMessageKey(queueId: -1, queueOffset: -1), delivery: 16, expiry: .min),
    ]
    for handle in extremes { #expect(HTTPReceiptHandle(parsing: handle.text) == handle, "\(handle.text)") }
    // The owner is FNV-1a 32 of "group\0topic" (Python: the same loop over b"GID_a\x00T\xe4\xb8\xad").
    #expect(HTTPReceiptHandle.owner(group: "GID_a", topic: "T中") == 3_248_161_934)
    #expect(extremes[0].text == "A1-0-0-0-0-0")
    #expect(extremes[2].text == "A1-1A2B-FFFFFFFF-FFFFFFFFFFFFFFFF-10-8000000000000000")
    let parsed = try #require(HTTPReceiptHandle(parsing: "A1-00ff-1-a-0000000000000000010-5"), "leading zeros, either case")
    #expect(parsed == HTTPReceiptHandle(owner: 255, key: key(1, 10), delivery: 16, expiry: 5))
    for bad in ["", "A1", "A1-", "A1-1-2-3-4", "A1-1-2-3-4-5-6", "A1-1-2-3-4-", "A1--1-2-3-4", "a1-1-2-3-4-5", "B1-1-2-3-4-5",
                "A1-1-2-3-4-5 ", "A1-+1-2-3-4-5", "A1-1-2-3-4-G", "A1-100000000-2-3-4-5", "A1-1-100000000-3-4-5",
                "A1-1-2-10000000000000000-4-5", "A1-1-2-3-4-" + String(repeating: "0", count: 90) + "5"] {
        #expect(HTTPReceiptHandle(parsing: bad) == nil, "\(bad)")
    }
}

@Test func handlesAreUniqueAcrossMessagesAndDeliveries() {
    var s = state(3)
    var handles: Set<String> = []
    for t in 0..<3 {
        for o in 0..<3 { _ = s.deliver(key(0, Int64(o)), now: Int64(t) * 300_000, orderly: false, settings: settings).map { handles.insert($0.receiptHandle) } }
    }
    #expect(handles.count == 9)
}

@Test func deadLetteredAfterMaxReconsumeTimes() {
    var s = state(1)
    for t in 0..<3 { _ = s.deliver(key(0, 0), now: Int64(t) * 300_000, orderly: false, settings: settings) }
    #expect(s.entries[key(0, 0)]?.consumedTimes == 3)
    #expect(s.deadLetterDue(now: 899_999, settings: settings).isEmpty)    // the third delivery is still invisible
    #expect(s.deadLetterDue(now: 900_000, settings: settings) == [key(0, 0)])
    s.finish(key(0, 0))
    #expect(s.entries.isEmpty && s.progress(queueId: 0) == 1)
}

@Test func outOfOrderAcksAdvanceProgressOnlyOverAContiguousPrefix() throws {
    var s = state(3)
    let d = (0..<3).map { s.deliver(key(0, Int64($0)), now: 0, orderly: false, settings: settings)! }
    #expect(s.progress(queueId: 0) == 0)
    #expect(s.ack(d[2].receiptHandle, now: 1) == .acked)
    #expect(s.progress(queueId: 0) == 0)
    #expect(s.ack(d[1].receiptHandle, now: 1) == .acked)
    #expect(s.progress(queueId: 0) == 0)
    #expect(s.ack(d[0].receiptHandle, now: 1) == .acked)
    #expect(s.progress(queueId: 0) == 3)
    #expect(s.progress(queueId: 7) == nil)
}

@Test func orderlyPartitionIsBlockedWhileInFlightAndRedeliveredInOrder() throws {
    var s = state(4) { $0 < 3 ? "K1" : "K2" }
    var batch = s.nextDelivery
    #expect(s.candidates(now: 0, orderly: true, batchStart: batch) == [key(0, 0), key(0, 1), key(0, 2), key(0, 3)])
    let a = s.deliver(key(0, 0), now: 0, orderly: true, settings: settings)!
    let b = s.deliver(key(0, 1), now: 0, orderly: true, settings: settings)!   // same batch: allowed
    #expect(a.nextConsumeTime == 60_000)
    // Next batch: K1 is blocked (its messages are in flight), K2 is not.
    batch = s.nextDelivery
    #expect(s.isBlocked(queueId: 0, shardingKey: "K1", now: 1, batchStart: batch))
    #expect(s.candidates(now: 1, orderly: true, batchStart: batch) == [key(0, 3)])
    #expect(s.ack(b.receiptHandle, now: 2) == .acked)                    // partial ack: still blocked
    #expect(s.candidates(now: 2, orderly: true, batchStart: s.nextDelivery) == [key(0, 3)])
    // After NextConsumeTime the unacked one comes back first, then the rest of the partition.
    #expect(s.candidates(now: 60_000, orderly: true, batchStart: s.nextDelivery) == [key(0, 0), key(0, 2), key(0, 3)])
    #expect(s.ack(a.receiptHandle, now: 60_000) == .expired)
    // Unordered consumption of the same group is not held back by partitions.
    #expect(s.candidates(now: 1, orderly: false, batchStart: s.nextDelivery) == [key(0, 2), key(0, 3)])
}

@Test func stateRoundTripsThroughCodable() throws {
    var s = state(2) { "K\($0)" }
    _ = s.deliver(key(0, 1), now: 5, orderly: true, settings: settings)
    let data = try JSONEncoder().encode(s)
    let back = try JSONDecoder().decode(HTTPConsumption.self, from: data)
    #expect(back == s)
}
