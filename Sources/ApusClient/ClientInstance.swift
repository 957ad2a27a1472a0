// ClientInstance: what one Apus client process shares — its id, the name-server connection, one connection per
// broker address, and the topic routes it has learned.

import ApusMessage
import ApusRemoting
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

public enum ClientError: Error, CustomStringConvertible {
    case noRoute(String)
    case badAddress(String)
    case brokerError(code: Int32, remark: String)

    public var description: String {
        switch self {
        case let .noRoute(topic): return "no route for topic \(topic)"
        case let .badAddress(address): return "bad address \(address)"
        case let .brokerError(code, remark): return "broker answered code \(code): \(remark)"
        }
    }
}

/// The writable and readable queues of a topic, with the master address of each broker name.
public struct TopicRoute: Sendable {
    public var writeQueues: [MessageQueue]
    public var readQueues: [MessageQueue]
    public var brokerAddresses: [String: String]

    init(topic: String, data: TopicRouteData) {
        var masters: [String: String] = [:]
        for broker in data.brokerDatas {
            if let master = broker.brokerAddrs[0] { masters[broker.brokerName] = master }
        }
        brokerAddresses = masters
        writeQueues = []
        readQueues = []
        for queue in data.queueDatas.sorted(by: { $0.brokerName < $1.brokerName }) where masters[queue.brokerName] != nil {
            if Permission.isWritable(queue.perm) {
                writeQueues += (0..<queue.writeQueueNums).map { MessageQueue(topic: topic, brokerName: queue.brokerName, queueId: $0) }
            }
            if Permission.isReadable(queue.perm) {
                readQueues += (0..<queue.readQueueNums).map { MessageQueue(topic: topic, brokerName: queue.brokerName, queueId: $0) }
            }
        }
    }
}

public final class ClientInstance: Sendable {
    public let clientId: String
    public let group: EventLoopGroup
    let logger: Logger
    private let namesrv: (host: String, port: Int)
    private let state = Mutex<State>(State())
    private let requestHandler = Mutex<HandlerSlot>(HandlerSlot())

    /// A struct around the closure: a Mutex of a bare function type re-abstracts it (one more thunk) on every access.
    private struct HandlerSlot {
        var handler: (@Sendable (RemotingCommand, RemotingClient) -> Void)?
    }

    private struct State {
        var namesrvClient: RemotingClient?
        var brokers: [String: RemotingClient] = [:]
        var routes: [String: TopicRoute] = [:]
    }

    /// `namesrvAddr` is "host:port".
    public init(namesrvAddr: String, instanceName: String = "DEFAULT", group: EventLoopGroup, logger: Logger) throws {
        guard let colon = namesrvAddr.lastIndex(of: ":"), let port = Int(namesrvAddr[namesrvAddr.index(after: colon)...]) else {
            throw ClientError.badAddress(namesrvAddr)
        }
        namesrv = (String(namesrvAddr[..<colon]), port)
        clientId = "127.0.0.1@\(getpid())#\(instanceName)"
        self.group = group
        self.logger = logger
    }

    /// Handler for broker-initiated requests (NOTIFY_CONSUMER_IDS_CHANGED…).
    func onBrokerRequest(_ handler: @escaping @Sendable (RemotingCommand, RemotingClient) -> Void) {
        requestHandler.withLock { $0.handler = handler }
    }

    public func route(_ topic: String, refresh: Bool = false) async throws -> TopicRoute {
        if !refresh, let known = state.withLock({ $0.routes[topic] }) { return known }
        let client = try await namesrvClient()
        let response = try await client.request(.request(code: .getRouteinfoByTopic, header: GetRouteInfoRequestHeader(topic: topic)),
                                                timeout: .seconds(3))
        guard response.code == ResponseCode.success.rawValue, let body = response.body else { throw ClientError.noRoute(topic) }
        let route = TopicRoute(topic: topic, data: try TopicRouteData.decode(body))
        state.withLock { $0.routes[topic] = route }
        return route
    }

    /// The open connection to `address`, if there is one (no suspension).
    func connectedBroker(_ address: String) -> RemotingClient? {
        state.withLock { $0.brokers[address] }.flatMap { $0.isActive ? $0 : nil }
    }

    public func broker(_ address: String) async throws -> RemotingClient {
        if let existing = state.withLock({ $0.brokers[address] }), existing.isActive { return existing }
        guard let host = HostAddress(address) else { throw ClientError.badAddress(address) }
        let handler = requestHandler.withLock { $0.handler }
        let client = try await RemotingClient.connect(host: host.ipString, port: Int(host.port), group: group, logger: logger,
                                                      onRequest: { request, client in handler?(request, client) })
        state.withLock { $0.brokers[address] = client }
        return client
    }

    var brokerAddresses: [String] { state.withLock { Array(Set($0.routes.values.flatMap(\.brokerAddresses.values))) } }

    private func namesrvClient() async throws -> RemotingClient {
        if let existing = state.withLock({ $0.namesrvClient }), existing.isActive { return existing }
        let client = try await RemotingClient.connect(host: namesrv.host, port: namesrv.port, group: group, logger: logger)
        state.withLock { $0.namesrvClient = client }
        return client
    }

    public func shutdown() async {
        let clients = state.withLock { state -> [RemotingClient] in
            defer { state.brokers.removeAll(); state.namesrvClient = nil }
            return Array(state.brokers.values) + (state.namesrvClient.map { [$0] } ?? [])
        }
        for client in clients { await client.close() }
    }
}

/// Client message ids (UNIQ_KEY): 32 upper-case hex digits, the process's 16 (its pid and a random number) and a
/// counter's 16.
final class UniqueKeyGenerator: Sendable {
    /// The process's 16 digits, as `write` stores them.
    private let prefix: (UInt64, UInt64)
    private let counter = Atomic<UInt64>(0)

    init() {
        let seed = UInt64(getpid()) << 32 | UInt64(UInt32.random(in: 0...UInt32.max))
        prefix = (Self.hexDigits(UInt32(truncatingIfNeeded: seed >> 32)), Self.hexDigits(UInt32(truncatingIfNeeded: seed)))
    }

    func next() -> String {
        String(unsafeUninitializedCapacity: 32) { write(into: UnsafeMutableRawBufferPointer($0)) }
    }

    /// The next key's 32 bytes, lent to `body` from the stack (no string made).
    func withNext<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: 32, alignment: 1) { out in
            try body(UnsafeRawBufferPointer(rebasing: out[..<write(into: out)]))
        }
    }

    /// Four word stores: the prefix's digits are made once, the counter's eight at a time (a digit at a time, with the
    /// prefix's made again, was 230 instructions of the Swift producer's 9,000 per message).
    private func write(into out: UnsafeMutableRawBufferPointer) -> Int {
        precondition(out.count >= 32)
        let n = counter.add(1, ordering: .relaxed).newValue
        out.storeBytes(of: prefix.0, toByteOffset: 0, as: UInt64.self)
        out.storeBytes(of: prefix.1, toByteOffset: 8, as: UInt64.self)
        out.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: n >> 32)), toByteOffset: 16, as: UInt64.self)
        out.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: n)), toByteOffset: 24, as: UInt64.self)
        return 32
    }

    /// The eight upper-case hex digits of `value`, most significant first in memory when the word is stored.
    static func hexDigits(_ value: UInt32) -> UInt64 {
        // One nibble per byte, the least significant in the lowest byte.
        var x = UInt64(value)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        x = (x | x << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // '0' + nibble, and 7 more (to 'A') where the nibble is 10 or more: nibble + 6 carries into bit 4 just then.
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        let ascii = x &+ 0x3030_3030_3030_3030 &+ letters &* 7
        return ascii.byteSwapped.littleEndian
    }
}
