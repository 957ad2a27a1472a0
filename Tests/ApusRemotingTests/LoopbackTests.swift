// Loopback tests: RemotingServer + RemotingClient on port 0 (correlation, server→client requests, timeouts, garbage).

import ApusRemoting
import Dispatch
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Echoes every request's ext fields back; ignores code 30 (to exercise timeouts); remembers connections.
final class EchoProcessor: RemotingRequestProcessor {
    let connections = Mutex<[RemotingConnection]>([])
    let closed = Atomic<Int>(0)

    func process(_ request: RemotingCommand, on connection: RemotingConnection) {
        if request.code == RequestCode.getMaxOffset.rawValue { return }
        connection.write(.response(to: request, code: .success, extFields: request.extFields, body: request.body))
    }

    func readComplete(on connection: RemotingConnection) {}
    func connectionActive(_ connection: RemotingConnection) { connections.withLock { $0.append(connection) } }
    func connectionClosed(_ connection: RemotingConnection) { closed.add(1, ordering: .relaxed) }
}

/// Polls `condition` until it holds or the deadline passes.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

struct Loopback {
    let group: MultiThreadedEventLoopGroup
    let processor = EchoProcessor()
    let server: RemotingServer
    let logger = Logger(label: "test")

    init() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        server = RemotingServer(host: "127.0.0.1", port: 0, group: group, processor: processor, logger: logger)
        try await server.start()
    }

    var port: Int { server.localPort! }

    func client(onRequest: (@Sendable (RemotingCommand, RemotingClient) -> Void)? = nil) async throws -> RemotingClient {
        try await RemotingClient.connect(host: "127.0.0.1", port: port, group: group, logger: logger, onRequest: onRequest)
    }

    func shutdown() async throws {
        await server.closeAll()
        await server.stopAccepting()
        try await group.shutdownGracefully()
    }
}

@Test func pipelinedRequestsAreMatchedByOpaque() async throws {
    let loop = try await Loopback()
    let client = try await loop.client()
    var futures: [EventLoopFuture<RemotingCommand>] = []
    for i in 0..<2000 {
        let body = i % 3 == 0 ? ByteBuffer(repeating: UInt8(i % 251), count: 5000) : nil
        futures.append(client.requestNoFlush(.request(code: .sendMessage, extFields: ["i": "\(i)"], body: body), timeout: .seconds(10)))
    }
    client.flush()
    for (i, future) in futures.enumerated() {
        let response = try await future.get()
        #expect(response.isResponse && response.responseCode == .success)
        #expect(response.extFields["i"] == "\(i)")
        #expect(response.body?.readableBytes == (i % 3 == 0 ? 5000 : nil))
    }
    let single = try await client.request(.request(code: .heartBeat, extFields: ["x": "y"]), timeout: .seconds(5))
    #expect(single.extFields["x"] == "y")
    #expect(loop.processor.connections.withLock { $0.first?.remoteAddress?.ipString } == "127.0.0.1")
    await client.close()
    try await loop.shutdown()
}

/// Requests written from response callbacks (a consumer's next pulls) are flushed at the end of the read burst that
/// ran the callbacks: chains of them, from futures and callbacks, each get their answer.
@Test func requestsWrittenFromResponseCallbacksAreFlushedAfterTheReadBurst() async throws {
    let loop = try await Loopback()
    let client = try await loop.client()
    let answered = Atomic<Int>(0)
    @Sendable func chain(_ step: Int, of length: Int, done: EventLoopPromise<Void>) {
        client.request(.request(code: .heartBeat, extFields: ["step": "\(step)"]), timeout: .seconds(10), flush: true) { result in
            guard case let .success(response) = result, response.extFields["step"] == "\(step)" else {
                done.fail(RemotingError.connectionClosed)
                return
            }
            answered.add(1, ordering: .relaxed)
            if step + 1 < length { chain(step + 1, of: length, done: done) } else { done.succeed(()) }
        }
    }
    let chains = (0..<4).map { _ in client.eventLoop.makePromise(of: Void.self) }
    for promise in chains { chain(0, of: 50, done: promise) }
    let viaFuture = client.request(.request(code: .heartBeat), timeout: .seconds(10)).flatMap { _ in
        client.request(.request(code: .heartBeat, extFields: ["second": "yes"]), timeout: .seconds(10))
    }
    for promise in chains { try await promise.futureResult.get() }
    #expect(answered.load(ordering: .relaxed) == 200)
    #expect(try await viaFuture.get().extFields["second"] == "yes")
    await client.close()
    try await loop.shutdown()
}

@Test func serverToClientRequestIsAnsweredByTheClient() async throws {
    let loop = try await Loopback()
    let client = try await loop.client { request, client in
        client.respond(.response(to: request, code: .success, extFields: ["group": request.extFields["consumerGroup"] ?? ""]))
    }
    #expect(try await eventually { loop.processor.connections.withLock { !$0.isEmpty } })
    let connection = loop.processor.connections.withLock { $0[0] }
    let response = try await connection.request(
        .request(code: .getConsumerRunningInfo, extFields: ["consumerGroup": "G1"]), timeout: .seconds(5)).get()
    #expect(response.extFields["group"] == "G1")
    #expect(response.responseCode == .success)
    await client.close()
    try await loop.shutdown()
}

@Test func unansweredRequestTimesOutAndCloseFailsPending() async throws {
    let loop = try await Loopback()
    let client = try await loop.client()
    await #expect(throws: RemotingError.timeout) {
        try await client.request(.request(code: .getMaxOffset), timeout: .milliseconds(100))
    }
    let pending: EventLoopFuture<RemotingCommand> = client.request(.request(code: .getMaxOffset), timeout: .seconds(30))
    await loop.server.closeAll()
    await #expect(throws: RemotingError.connectionClosed) { try await pending.get() }
    #expect(try await eventually { !client.isActive })
    await #expect(throws: RemotingError.connectionClosed) {
        try await client.request(.request(code: .heartBeat), timeout: .seconds(1))
    }
    try await loop.shutdown()
}

/// The callback form of a request: each callback gets its own response once, on the connection's event loop; a
/// request nobody answers gets `.timeout`, one pending at a close `.connectionClosed`, one on a closed connection too.
@Test func callbackRequestsGetTheirResponseTimeoutOrClose() async throws {
    let loop = try await Loopback()
    let client = try await loop.client()
    let results = Mutex<[Int: [(onLoop: Bool, result: Result<RemotingCommand, Error>)]]>([:])
    for i in 0..<500 {
        client.request(.request(code: .sendMessage, extFields: ["i": "\(i)"]), timeout: .seconds(10), flush: i == 499) { result in
            let onLoop = client.eventLoop.inEventLoop
            results.withLock { $0[i, default: []].append((onLoop, result)) }
        }
    }
    #expect(try await eventually { results.withLock { $0.count } == 500 })
    results.withLock { results in
        for (i, calls) in results {
            #expect(calls.count == 1 && calls[0].onLoop, "\(i)")
            #expect((try? calls[0].result.get())?.extFields["i"] == "\(i)")
        }
    }

    func outcome(_ request: RemotingCommand, timeout: TimeAmount, then: () async -> Void = {}) async throws -> Error? {
        let slot = Mutex<Result<RemotingCommand, Error>?>(nil)
        client.request(request, timeout: timeout, flush: true) { result in slot.withLock { $0 = result } }
        await then()
        #expect(try await eventually { slot.withLock { $0 != nil } })
        return slot.withLock { result -> Error? in
            guard case let .failure(error)? = result else { return nil }
            return error
        }
    }
    #expect(try await outcome(.request(code: .getMaxOffset), timeout: .milliseconds(100)) as? RemotingError == .timeout)
    #expect(try await outcome(.request(code: .getMaxOffset), timeout: .seconds(30)) { await loop.server.closeAll() }
        as? RemotingError == .connectionClosed)
    #expect(try await eventually { !client.isActive })
    #expect(try await outcome(.request(code: .heartBeat), timeout: .seconds(1)) as? RemotingError == .connectionClosed)
    try await loop.shutdown()
}

@Test func garbageClosesOnlyThatConnection() async throws {
    let loop = try await Loopback()
    let good = try await loop.client()

    let raw = try await ClientBootstrap(group: loop.group).connect(host: "127.0.0.1", port: loop.port).get()
    var garbage = ByteBuffer()
    garbage.writeInteger(UInt32(12))
    garbage.writeInteger(UInt32(8))
    garbage.writeString("not json")
    try await raw.writeAndFlush(garbage)
    try await raw.closeFuture.get()  // the server closed it

    var tooLarge = ByteBuffer()
    tooLarge.writeBytes([0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    let raw2 = try await ClientBootstrap(group: loop.group).connect(host: "127.0.0.1", port: loop.port).get()
    try await raw2.writeAndFlush(tooLarge)
    try await raw2.closeFuture.get()

    let response = try await good.request(.request(code: .heartBeat, extFields: ["still": "alive"]), timeout: .seconds(5))
    #expect(response.extFields["still"] == "alive")
    let second = try await loop.client()
    #expect(try await second.request(.request(code: .heartBeat), timeout: .seconds(5)).responseCode == .success)
    #expect(try await eventually { loop.processor.closed.load(ordering: .relaxed) == 2 })
    await good.close()
    await second.close()
    try await loop.shutdown()
}

@Test func onewayCarriesFlagBitOne() async throws {
    final class Recorder: RemotingRequestProcessor {
        let flags = Mutex<[Int32]>([])
        func process(_ request: RemotingCommand, on connection: RemotingConnection) { flags.withLock { $0.append(request.flag) } }
        func readComplete(on connection: RemotingConnection) {}
        func connectionActive(_ connection: RemotingConnection) {}
        func connectionClosed(_ connection: RemotingConnection) {}
    }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let recorder = Recorder()
    let server = RemotingServer(host: "127.0.0.1", port: 0, group: group, processor: recorder, logger: Logger(label: "t"))
    try await server.start()
    let client = try await RemotingClient.connect(host: "127.0.0.1", port: server.localPort!, group: group, logger: Logger(label: "t"))
    client.sendOneway(.request(code: .updateConsumerOffset))
    #expect(try await eventually { recorder.flags.withLock { $0 == [2] } })
    await client.close()
    await server.stopAccepting()
    await server.closeAll()
    try await group.shutdownGracefully()
}

/// Answers through `writingResponses`: requests marked "off" from another thread, the others together when their read
/// is complete, on the loop.
private final class ResponseWriterProcessor: RemotingRequestProcessor {
    private let held = Mutex<[(RemotingCommand.ResponseAddress, Int64)]>([])

    private static func header(_ n: Int64) -> SendMessageResponseHeader {
        SendMessageResponseHeader(msgId: "id-\(n)", queueId: 1, queueOffset: n)
    }

    func process(_ request: RemotingCommand, on connection: RemotingConnection) {
        let n = Int64(request.extFields["n"] ?? "") ?? -1
        let address = request.responseAddress
        guard request.extFields["off"] == "1" else { return held.withLock { $0.append((address, n)) } }
        DispatchQueue.global().async {
            connection.writingResponses { out in out.write(to: address, code: .success, header: Self.header(n)) }
            connection.flush()
        }
    }

    func readComplete(on connection: RemotingConnection) {
        let answers = held.withLock { held in defer { held.removeAll() }; return held }
        connection.writingResponses { out in
            for (address, n) in answers { out.write(to: address, code: .success, header: Self.header(n)) }
        }
    }

    func connectionActive(_ connection: RemotingConnection) {}
    func connectionClosed(_ connection: RemotingConnection) {}
}

@Test func responsesWrittenTogetherReachTheirRequestsOnAndOffTheLoop() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let server = RemotingServer(host: "127.0.0.1", port: 0, group: group, processor: ResponseWriterProcessor(),
                                logger: Logger(label: "test"))
    try await server.start()
    let client = try await RemotingClient.connect(host: "127.0.0.1", port: server.localPort!, group: group,
                                                  logger: Logger(label: "test"))
    let futures = (0..<200).map { n in
        client.requestNoFlush(.request(code: .sendMessage, extFields: ["n": "\(n)", "off": n % 3 == 0 ? "1" : "0"]),
                              timeout: .seconds(10))
    }
    client.flush()
    for (n, future) in futures.enumerated() {
        let response = try await future.get()
        let header = try response.decodeHeader(SendMessageResponseHeader.self)
        #expect(response.responseCode == .success && header.queueOffset == Int64(n) && header.msgId == "id-\(n)")
    }
    await client.close()
    await server.closeAll()
    await server.stopAccepting()
    try await group.shutdownGracefully()
}
