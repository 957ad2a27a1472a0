// Tests of LogRateLimit / LogRateLimiter with an injected clock: N lines per key per window, the suppressed count
// reported when the window reopens, keys independent per peer, bounded key table.

@testable import ApusRemoting
import Logging
import NIOCore
import Synchronization
import Testing

private let second: UInt64 = 1_000_000_000

@Test func allowsNPerWindowThenReportsSuppressedCount() {
    var limit = LogRateLimit(linesPerInterval: 2, intervalNanos: 60 * second)
    #expect(limit.admit("bad-frame|1.2.3.4", now: 0) == .log(suppressed: 0))
    #expect(limit.admit("bad-frame|1.2.3.4", now: 1 * second) == .log(suppressed: 0))
    for t in 2..<7 { #expect(limit.admit("bad-frame|1.2.3.4", now: UInt64(t) * second) == .suppress) }
    // Another peer has its own budget.
    #expect(limit.admit("bad-frame|5.6.7.8", now: 3 * second) == .log(suppressed: 0))
    // The window reopens 60 s after its first line: one line carries the count.
    #expect(limit.admit("bad-frame|1.2.3.4", now: 60 * second) == .log(suppressed: 5))
    #expect(limit.admit("bad-frame|1.2.3.4", now: 61 * second) == .log(suppressed: 0))
    #expect(limit.admit("bad-frame|1.2.3.4", now: 62 * second) == .suppress)
    #expect(limit.admit("bad-frame|1.2.3.4", now: 500 * second) == .log(suppressed: 1))
}

@Test func keyTableIsBounded() {
    var limit = LogRateLimit(linesPerInterval: 1, intervalNanos: 10 * second, maxKeys: 3)
    for i in 0..<3 { _ = limit.admit("k\(i)", now: 0) }
    _ = limit.admit("k3", now: 1 * second)
    #expect(limit.trackedKeys == 1)
    for i in 4..<6 { _ = limit.admit("k\(i)", now: 20 * second) }
    _ = limit.admit("k6", now: 25 * second)
    #expect(limit.trackedKeys == 3)
}

private final class Lines: Sendable {
    let lines = Mutex<[(String, Logger.Metadata)]>([])
}

private struct CapturingHandler: LogHandler {
    let store: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.lines.withLock { $0.append(("\(event.message)", event.metadata ?? [:])) }
    }
}

@Test func limiterLogsThroughLoggerWithInjectedClock() {
    let store = Lines()
    let handler = CapturingHandler(store: store)
    let logger = Logger(label: "test") { _ in handler }
    let now = Atomic<UInt64>(0)
    let limiter = LogRateLimiter(linesPerInterval: 3, interval: .seconds(10), clock: { now.load(ordering: .relaxed) })
    for _ in 0..<10 {
        limiter.warning(logger, key: "oversized-frame", peer: "10.0.0.9", "closing connection", metadata: ["reason": "big"])
    }
    #expect(store.lines.withLock { $0.count } == 3)
    now.store(10 * second, ordering: .relaxed)
    limiter.warning(logger, key: "oversized-frame", peer: "10.0.0.9", "closing connection")
    let all = store.lines.withLock { $0 }
    #expect(all.count == 4)
    #expect(all[0].1["peer"] == "10.0.0.9" && all[0].1["reason"] == "big" && all[0].1["suppressed"] == nil)
    #expect(all[3].1["suppressed"] == "7")
    // Below the logger's level nothing is counted.
    limiter.log(logger, level: .debug, key: "noise", peer: nil, "debug line")
    #expect(store.lines.withLock { $0.count } == 4)
}
