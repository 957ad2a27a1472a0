// apus bench --protocol http: the ApsaraMQ HTTP workloads against a running broker's HTTP port — publish throughput
// over many keep-alive connections, and consume+ack by a 2-consumer group draining a backlog — on a small NIOHTTP1
// client with persistent connections (one request in flight per connection), signing each request when given an
// account.

import ApusHTTP
import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

struct HTTPBenchResponse: Sendable {
    var status: Int
    var body: ByteBuffer
}

enum HTTPBenchError: Error, CustomStringConvertible {
    case closed
    case unexpected(String)

    var description: String {
        switch self {
        case .closed: "the HTTP connection closed"
        case let .unexpected(text): text
        }
    }
}

/// Matches responses to requests in order on one keep-alive connection. Event-loop confined.
private final class HTTPBenchHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting: [EventLoopPromise<HTTPBenchResponse>] = []
    private var status = 0
    private var body = ByteBuffer()
    private var context: ChannelHandlerContext?
    private var closed = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func send(_ head: HTTPRequestHead, body: ByteBuffer?, promise: EventLoopPromise<HTTPBenchResponse>) {
        guard let context, !closed else { return promise.fail(HTTPBenchError.closed) }
        waiting.append(promise)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            status = Int(head.status.code)
            body.clear()
        case var .body(part):
            body.writeBuffer(&part)
        case .end:
            guard !waiting.isEmpty else { return }
            waiting.removeFirst().succeed(HTTPBenchResponse(status: status, body: body))
            body = ByteBuffer()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        let all = waiting
        waiting.removeAll()
        all.forEach { $0.fail(HTTPBenchError.closed) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

/// One persistent HTTP/1.1 connection.
final class HTTPBenchConnection: Sendable {
    private let channel: Channel
    private let handler: NIOLoopBound<HTTPBenchHandler>
    private let host: String
    /// The account that signs each request (http-api §5); nil: an unsigned placeholder `Authorization`.
    private let account: HTTPBenchAccount?

    private init(channel: Channel, handler: NIOLoopBound<HTTPBenchHandler>, host: String, account: HTTPBenchAccount?) {
        self.channel = channel
        self.handler = handler
        self.host = host
        self.account = account
    }

    static func connect(host: String, port: Int, group: EventLoopGroup, account: HTTPBenchAccount?) async throws
        -> HTTPBenchConnection
    {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPBenchHandler())
                }
            }
            .connect(host: host, port: port).get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: HTTPBenchHandler.self), eventLoop: channel.eventLoop)
        }.get()
        return HTTPBenchConnection(channel: channel, handler: handler, host: "\(host):\(port)", account: account)
    }

    func request(_ method: HTTPMethod, _ uri: String, body: ByteBuffer? = nil) async throws -> HTTPBenchResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers.add(name: "host", value: host)
        head.headers.add(name: "connection", value: "keep-alive")
        head.headers.add(name: "x-mq-version", value: "2015-06-06")
        head.headers.add(name: "date", value: "Thu, 01 Jan 2026 00:00:00 GMT")
        if let body {
            head.headers.add(name: "content-type", value: "text/xml;charset=UTF-8")
            head.headers.add(name: "content-length", value: String(body.readableBytes))
        } else {
            head.headers.add(name: "content-length", value: "0")
        }
        if let account {
            let text = MQSignature.stringToSign(method: method.rawValue, target: uri,
                                                headers: head.headers.map { ($0.name, $0.value) })
            head.headers.add(name: "Authorization", value: "MQ \(account.accessKey):\(account.signer.sign(Array(text.utf8)))")
        } else {
            head.headers.add(name: "Authorization", value: "MQ bench:bench")
        }
        let promise = channel.eventLoop.makePromise(of: HTTPBenchResponse.self)
        let handler = self.handler
        let sendHead = head
        channel.eventLoop.execute { handler.value.send(sendHead, body: body, promise: promise) }
        return try await promise.futureResult.get()
    }

    func close() async { try? await channel.close() }
}

/// Text bodies for the HTTP workloads: "M<seq>:<filler>" (W for warm-up), padded to the body size.
enum HTTPBenchBody {
    static func make(seq: Int, kind: Character, size: Int) -> String {
        let head = "\(kind)\(seq):"
        return head + String(repeating: Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(seq % 26))),
                             count: max(0, size - head.utf8.count))
    }

    static func publishXML(seq: Int, kind: Character, size: Int) -> ByteBuffer {
        ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Message xmlns=\"http://mq.aliyuncs.com/doc/v1/\">"
            + "<MessageBody>\(make(seq: seq, kind: kind, size: size))</MessageBody><MessageTag>bench</MessageTag></Message>")
    }

    /// The measured sequence number of a body, nil for warm-up or foreign bodies.
    static func seq(of body: Substring) -> Int? {
        guard body.first == "M", let colon = body.firstIndex(of: ":") else { return nil }
        return Int(body[body.index(after: body.startIndex)..<colon])
    }
}

/// The text of every `<name>…</name>` element in `xml` (the bench's own bodies need no unescaping).
func xmlElements(_ name: String, in xml: String) -> [Substring] {
    let open = "<\(name)>", close = "</\(name)>"
    var out: [Substring] = []
    var rest = xml[...]
    while let start = rest.range(of: open), let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) {
        out.append(rest[start.upperBound..<end.lowerBound])
        rest = rest[end.upperBound...]
    }
    return out
}

struct HTTPBenchAccount: Sendable {
    var accessKey: String
    var signer: MQSigner
}

final class HTTPBenchCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// Which measured sequence numbers the consumers have received.
final class HTTPBenchSeen: Sendable {
    struct State {
        var bits: [UInt8]
        var unique = 0
        var duplicates = 0
        var firstAt: UInt64 = 0
        var doneAt: UInt64 = 0
    }

    let state: Mutex<State>

    init(count: Int) { state = Mutex(State(bits: [UInt8](repeating: 0, count: count))) }
}

struct HTTPBenchRunner: Sendable {
    let host: String
    let port: Int
    let connections: Int
    let consumers: Int
    let size: Int
    let count: Int
    let timeLimit: Int
    let brokerPid: Int32?
    let account: HTTPBenchAccount?
    let group: EventLoopGroup
    let prefix = "bench\(UInt32.random(in: 0...UInt32.max))"

    private func connect(_ n: Int) async throws -> [HTTPBenchConnection] {
        var out: [HTTPBenchConnection] = []
        for _ in 0..<n { out.append(try await HTTPBenchConnection.connect(host: host, port: port, group: group, account: account)) }
        return out
    }

    private func cpuText(_ start: Double?, messages: Int) -> String {
        guard let pid = brokerPid, let start, let end = ProcessStats.cpuTicks(pid), messages > 0 else { return "" }
        let seconds = (end - start) / Double(sysconf(Int32(_SC_CLK_TCK)))
        return String(format: "; broker CPU %.1f us/msg", seconds / Double(messages) * 1e6)
    }

    /// Publishes `count` messages over `connections` keep-alive connections, one request in flight each.
    private func publish(topic: String, count: Int, kind: Character, on conns: [HTTPBenchConnection])
        async throws -> (latencies: [UInt64], failed: Int, nanos: UInt64)
    {
        let next = HTTPBenchCounter()
        let start = monotonicNanos()
        let results = try await withThrowingTaskGroup(of: ([UInt64], Int).self) { tasks in
            for conn in conns {
                tasks.addTask {
                    var latencies: [UInt64] = []
                    var failed = 0
                    while true {
                        let seq = next.value.add(1, ordering: .relaxed).oldValue
                        if seq >= count { break }
                        let t0 = monotonicNanos()
                        let response = try await conn.request(.POST, "/topics/\(topic)/messages",
                                                              body: HTTPBenchBody.publishXML(seq: seq, kind: kind, size: size))
                        latencies.append(monotonicNanos() - t0)
                        if response.status != 201 {
                            failed += 1
                            if failed == 1 {
                                FileHandle.standardError.write(Data("publish answered \(response.status): \(String(buffer: response.body))\n".utf8))
                            }
                        }
                    }
                    return (latencies, failed)
                }
            }
            return try await tasks.reduce(into: ([UInt64](), 0)) { $0.0 += $1.0; $0.1 += $1.1 }
        }
        return (results.0, results.1, monotonicNanos() - start)
    }

    private func rate(_ n: Int, _ nanos: UInt64) -> String {
        let seconds = Double(nanos) / 1e9
        let r = Double(n) / seconds
        return String(format: "%@ msg/s, %.1f MB/s (%d in %.2f s)", grouped(r), r * Double(size) / 1e6, n, seconds)
    }

    /// HTTP publish: `connections` keep-alive connections, `size`-byte bodies.
    func publishWorkload() async throws -> String {
        let topic = "\(prefix)_hp"
        let conns = try await connect(connections)
        _ = try await publish(topic: topic, count: connections, kind: "W", on: conns)  // creates the topic, warms up
        let cpu = brokerPid.flatMap(ProcessStats.cpuTicks)
        let result = try await publish(topic: topic, count: count, kind: "M", on: conns)
        let cpuText = cpuText(cpu, messages: count)
        for conn in conns { await conn.close() }
        return rate(count, result.nanos) + ", \(connections) connections, failed \(result.failed); latency "
            + Percentiles(result.latencies).text + cpuText
    }

    /// HTTP consume+ack: a backlog of `count` messages drained by `consumers` consumers of one group, 16 per GET, each
    /// batch acked with one DELETE.
    func consumeWorkload() async throws -> String {
        let topic = "\(prefix)_hc"
        let consumerGroup = "GID_\(prefix)_hc"
        let conns = try await connect(connections)
        let preload = try await publish(topic: topic, count: count, kind: "M", on: conns)
        for conn in conns { await conn.close() }
        let seen = HTTPBenchSeen(count: count)
        let cpu = brokerPid.flatMap(ProcessStats.cpuTicks)
        let deadline = monotonicNanos() + UInt64(timeLimit) * 1_000_000_000
        let consumerConns = try await connect(consumers)
        let results = try await withThrowingTaskGroup(of: (gets: [UInt64], deletes: [UInt64], split: Int, ackErrors: Int).self) { tasks in
            for conn in consumerConns {
                tasks.addTask {
                    var gets: [UInt64] = [], deletes: [UInt64] = []
                    var received = 0, ackErrors = 0
                    let uri = "/topics/\(topic)/messages?consumer=\(consumerGroup)&numOfMessages=16&waitseconds=1"
                    while monotonicNanos() < deadline, seen.state.withLock({ $0.doneAt == 0 }) {
                        let t0 = monotonicNanos()
                        let response = try await conn.request(.GET, uri)
                        gets.append(monotonicNanos() - t0)
                        if response.status == 404 { continue }  // MessageNotExist after the wait
                        guard response.status == 200 else {
                            throw HTTPBenchError.unexpected("consume answered \(response.status): \(String(buffer: response.body))")
                        }
                        let xml = String(buffer: response.body)
                        let handles = xmlElements("ReceiptHandle", in: xml)
                        let now = monotonicNanos()
                        seen.state.withLock { s in
                            for body in xmlElements("MessageBody", in: xml) {
                                guard let seq = HTTPBenchBody.seq(of: body), seq < count else { continue }
                                if s.firstAt == 0 { s.firstAt = t0 }
                                if s.bits[seq] != 0 { s.duplicates += 1; continue }
                                s.bits[seq] = 1
                                s.unique += 1
                                received += 1
                                if s.unique == count { s.doneAt = now }
                            }
                        }
                        guard !handles.isEmpty else { continue }
                        let ack = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ReceiptHandles xmlns=\"http://mq.aliyuncs.com/doc/v1/\">"
                            + handles.map { "<ReceiptHandle>\($0)</ReceiptHandle>" }.joined() + "</ReceiptHandles>"
                        let t1 = monotonicNanos()
                        let acked = try await conn.request(.DELETE, "/topics/\(topic)/messages?consumer=\(consumerGroup)",
                                                           body: ByteBuffer(string: ack))
                        deletes.append(monotonicNanos() - t1)
                        if acked.status != 204 { ackErrors += max(1, xmlElements("Error", in: String(buffer: acked.body)).count) }
                    }
                    return (gets, deletes, received, ackErrors)
                }
            }
            var all: [(gets: [UInt64], deletes: [UInt64], split: Int, ackErrors: Int)] = []
            for try await r in tasks { all.append(r) }
            return all
        }
        for conn in consumerConns { await conn.close() }
        let s = seen.state.withLock { ($0.unique, $0.duplicates, $0.firstAt, $0.doneAt) }
        let finished = s.3 != 0
        let elapsed = (finished ? s.3 : monotonicNanos()) - s.2
        let gets = Percentiles(results.flatMap(\.gets)), deletes = Percentiles(results.flatMap(\.deletes))
        return rate(s.0, elapsed)
            + ", \(consumers) consumers split \(results.map { String($0.split) }.joined(separator: "/")), duplicates \(s.1), missing \(count - s.0)"
            + ", ack errors \(results.reduce(0) { $0 + $1.ackErrors })\(finished ? "" : " INCOMPLETE")"
            + "; GET \(gets.text); DELETE \(deletes.text)" + cpuText(cpu, messages: s.0)
            + "; preload " + rate(count, preload.nanos)
    }
}
