// LogRateLimiter: flood control for repeated log lines of one kind from one peer. `LogRateLimit` is the pure state
// machine (time passed in); `LogRateLimiter` is the Sendable, clocked handle the remoting layer and the broker log
// through: `limiter.warning(logger, key: "bad-frame", peer: ip, "closing connection", metadata: [...])`.

import Logging
import NIOCore
import Synchronization

/// Up to `linesPerInterval` lines per key in each window of `intervalNanos`, counted from the key's first line; the
/// rest are counted, and the first line of the next window reports how many were suppressed.
public struct LogRateLimit: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Log it; `suppressed` lines of this key were dropped in its previous window.
        case log(suppressed: Int)
        case suppress
    }

    private struct Window {
        var start: UInt64
        var logged: Int
        var suppressed: Int
    }

    public let linesPerInterval: Int
    public let intervalNanos: UInt64
    /// Keys remembered at most; past it, windows that ended are forgotten (with any count they held), then all.
    public let maxKeys: Int
    private var windows: [String: Window] = [:]

    public init(linesPerInterval: Int, intervalNanos: UInt64, maxKeys: Int = 4096) {
        self.linesPerInterval = max(1, linesPerInterval)
        self.intervalNanos = intervalNanos
        self.maxKeys = max(1, maxKeys)
    }

    public var trackedKeys: Int { windows.count }

    public mutating func admit(_ key: String, now: UInt64) -> Decision {
        if var window = windows[key], now &- window.start < intervalNanos {
            if window.logged < linesPerInterval {
                window.logged += 1
                windows[key] = window
                return .log(suppressed: 0)
            }
            window.suppressed += 1
            windows[key] = window
            return .suppress
        }
        let suppressed = windows[key]?.suppressed ?? 0
        if windows[key] == nil, windows.count >= maxKeys { forgetEnded(now: now) }
        windows[key] = Window(start: now, logged: 1, suppressed: 0)
        return .log(suppressed: suppressed)
    }

    private mutating func forgetEnded(now: UInt64) {
        let interval = intervalNanos
        windows = windows.filter { now &- $0.value.start < interval }
        if windows.count >= maxKeys { windows.removeAll(keepingCapacity: true) }
    }
}

public final class LogRateLimiter: Sendable {
    private let state: Mutex<LogRateLimit>
    private let clock: @Sendable () -> UInt64

    /// `clock`: monotonic nanoseconds (tests inject their own).
    public init(linesPerInterval: Int = 10, interval: TimeAmount = .seconds(60), maxKeys: Int = 4096,
                clock: @escaping @Sendable () -> UInt64 = { NIODeadline.now().uptimeNanoseconds }) {
        state = Mutex(LogRateLimit(linesPerInterval: linesPerInterval, intervalNanos: UInt64(max(0, interval.nanoseconds)),
                                   maxKeys: maxKeys))
        self.clock = clock
    }

    /// The decision for one line of kind `key` from `peer` (nil: not tied to a peer).
    public func admit(key: String, peer: String?) -> LogRateLimit.Decision {
        let now = clock()
        let full = peer.map { key + "|" + $0 } ?? key
        return state.withLock { $0.admit(full, now: now) }
    }

    /// Logs at `level` unless this key/peer is over its budget; the line carries `peer` and, after a suppressed
    /// stretch, `suppressed` = the number of lines dropped.
    public func log(_ logger: Logger, level: Logger.Level, key: String, peer: String?, _ message: @autoclosure () -> Logger.Message,
                    metadata: @autoclosure () -> Logger.Metadata = [:], file: String = #fileID, function: String = #function,
                    line: UInt = #line) {
        guard logger.logLevel <= level else { return }
        guard case let .log(suppressed) = admit(key: key, peer: peer) else { return }
        var fields = metadata()
        if let peer, fields["peer"] == nil { fields["peer"] = "\(peer)" }
        if suppressed > 0 { fields["suppressed"] = "\(suppressed)" }
        logger.log(level: level, message(), metadata: fields, file: file, function: function, line: line)
    }

    public func warning(_ logger: Logger, key: String, peer: String?, _ message: @autoclosure () -> Logger.Message,
                        metadata: @autoclosure () -> Logger.Metadata = [:], file: String = #fileID, function: String = #function,
                        line: UInt = #line) {
        log(logger, level: .warning, key: key, peer: peer, message(), metadata: metadata(), file: file, function: function, line: line)
    }
}
