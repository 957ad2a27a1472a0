// Live connections: the Sendable connection handle, request/response correlation by opaque, and the
// pipeline pieces (frame writer, error logging) shared by RemotingServer and RemotingClient.

import ApusMessage
import Dispatch
import Logging
import NIOCore
import Synchronization

public enum RemotingError: Error, Sendable, Equatable {
    /// No response arrived within the request's timeout.
    case timeout
    /// The connection closed before the response arrived (or the request could not be written).
    case connectionClosed
}

/// Requests in flight, keyed by opaque; one table per server (so a response to a broker-initiated request
/// is matched on whatever connection it arrives, spec §1.1) or per client.
final class PendingResponses: Sendable {
    /// Who waits for a response: a future's promise, or a callback (no future to allocate and chain: the pipelining
    /// producer's path). A callback runs where the response is read or the timeout sweep runs: for a client, on its
    /// connection's event loop.
    enum Completion: Sendable {
        case promise(EventLoopPromise<RemotingCommand>)
        case callback(@Sendable (Result<RemotingCommand, Error>) -> Void)

        func callAsFunction(_ result: Result<RemotingCommand, Error>) {
            switch self {
            case let .promise(promise): promise.completeWith(result)
            case let .callback(callback): callback(result)
            }
        }
    }

    private struct Entry: Sendable {
        let completion: Completion
        let connectionID: UInt64
    }

    private struct State {
        var entries = OpaqueTable<Entry>()
        var sweeper: RepeatedTask?
    }

    /// Timeouts are enforced by one sweep every `sweepInterval`, not by a timer per request: a pipelining client has
    /// thousands in flight, and a scheduled task per request costs more than the request itself. A request fails
    /// with `timeout` between its timeout and two intervals after it.
    static let sweepInterval = TimeAmount.milliseconds(100)

    private let state = Mutex(State())
    private let lastOpaque = Atomic<Int32>(0)

    /// A fresh non-negative opaque.
    func nextOpaque() -> Int32 {
        lastOpaque.wrappingAdd(1, ordering: .relaxed).newValue & Int32.max
    }

    /// Sweeps that must run before a request with `timeout` has surely waited that long: the first comes anywhere
    /// within one interval of registering.
    static func sweepsToLive(_ timeout: TimeAmount) -> UInt64 {
        let interval = sweepInterval.nanoseconds
        return UInt64(max(0, (timeout.nanoseconds + interval - 1) / interval)) + 1
    }

    func register(opaque: Int32, connectionID: UInt64, eventLoop: EventLoop, timeout: TimeAmount, _ completion: Completion) {
        let sweeps = Self.sweepsToLive(timeout)
        let startSweeper = state.withLock { state -> Bool in
            state.entries.insert(opaque, Entry(completion: completion, connectionID: connectionID), sweepsToLive: sweeps)
            return state.sweeper == nil
        }
        if startSweeper {
            let task = eventLoop.scheduleRepeatedTask(initialDelay: Self.sweepInterval, delay: Self.sweepInterval) { task in
                self.sweep(task)
            }
            let duplicate = state.withLock { state -> Bool in
                guard state.sweeper == nil else { return true }
                state.sweeper = task
                return false
            }
            if duplicate { task.cancel() }
        }
    }

    private func sweep(_ task: RepeatedTask) {
        let expired = state.withLock { state -> [Entry] in
            let late = state.entries.sweep()
            if state.entries.isEmpty {
                task.cancel()
                state.sweeper = nil
            }
            return late
        }
        for entry in expired { entry.completion(.failure(RemotingError.timeout)) }
    }

    /// Completes the request the response answers; returns false when nobody waits for it.
    @discardableResult
    func complete(_ response: RemotingCommand) -> Bool {
        guard let entry = state.withLock({ $0.entries.remove(response.opaque) }) else { return false }
        entry.completion(.success(response))
        return true
    }

    func fail(opaque: Int32, _ error: Error) {
        guard let entry = state.withLock({ $0.entries.remove(opaque) }) else { return }
        entry.completion(.failure(error))
    }

    func failAll(connectionID: UInt64) {
        let failed = state.withLock { $0.entries.removeAll { $0.connectionID == connectionID } }
        for entry in failed { entry.completion(.failure(RemotingError.connectionClosed)) }
    }

    /// Sends `command` as a correlated request and returns its response future. A failed write closes the channel,
    /// which fails every request pending on it (`failAll`).
    func request(_ command: RemotingCommand, on writer: CommandWriter, connectionID: UInt64, timeout: TimeAmount,
                 flush: Bool) -> EventLoopFuture<RemotingCommand> {
        let promise = writer.channel.eventLoop.makePromise(of: RemotingCommand.self)
        request(command, on: writer, connectionID: connectionID, timeout: timeout, flush: flush, .promise(promise))
        return promise.futureResult
    }

    /// Sends `command` as a correlated request; `completion` gets its response or error.
    func request(_ command: RemotingCommand, on writer: CommandWriter, connectionID: UInt64, timeout: TimeAmount,
                 flush: Bool, _ completion: Completion) {
        guard let opaque = begin(on: writer.channel, connectionID: connectionID, timeout: timeout, completion) else { return }
        var command = command
        command.opaque = opaque
        command.flag &= ~(RemotingCommand.responseFlag | RemotingCommand.onewayFlag)
        writer.write(command, flush: flush)
    }

    /// A fresh opaque registered for `completion`, whose request the caller writes next; nil (and `completion` failed)
    /// when the channel is closed.
    func begin(on channel: Channel, connectionID: UInt64, timeout: TimeAmount, _ completion: Completion) -> Int32? {
        guard channel.isActive else {
            if channel.eventLoop.inEventLoop {
                completion(.failure(RemotingError.connectionClosed))
            } else {
                channel.eventLoop.execute { completion(.failure(RemotingError.connectionClosed)) }
            }
            return nil
        }
        let opaque = nextOpaque()
        register(opaque: opaque, connectionID: connectionID, eventLoop: channel.eventLoop, timeout: timeout, completion)
        return opaque
    }

    func sendOneway(_ command: RemotingCommand, on writer: CommandWriter) {
        var command = command
        command.opaque = nextOpaque()
        command.flag = (command.flag & ~RemotingCommand.responseFlag) | RemotingCommand.onewayFlag
        writer.write(command, flush: true)
    }
}

private let connectionIDs = Atomic<UInt64>(0)

/// A live connection as seen by a server-side processor. Sendable handle; safe to use from any thread.
public final class RemotingConnection: Sendable, Hashable {
    /// Unique per process.
    public let id: UInt64
    /// IPv4 peer; nil if the peer is not IPv4.
    public let remoteAddress: HostAddress?
    let channel: Channel
    let pending: PendingResponses
    private let writer: CommandWriter
    private let readStart = Atomic<UInt64>(0)

    init(channel: Channel, pending: PendingResponses, frameWriter: RemotingFrameWriter) {
        self.id = connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue
        self.channel = channel
        self.pending = pending
        self.remoteAddress = HostAddress(channel.remoteAddress)
        self.writer = CommandWriter(channel: channel, frameWriter: NIOLoopBound(frameWriter, eventLoop: channel.eventLoop))
    }

    /// The channel's loop, as the frame writer holds it: `channel.eventLoop` is a protocol getter that retains and
    /// releases it, on every answer that asks whether it runs there.
    public var eventLoop: EventLoop { writer.frameWriter.eventLoop }

    /// When the server read the bytes now being processed (`DispatchTime` nanoseconds, one clock read per socket read):
    /// the arrival of every request frame they hold, which a processor times its answers from.
    public var readStarted: UInt64 { readStart.load(ordering: .relaxed) }

    /// Called on the event loop as a socket read's frames are handed over.
    func readBegins() { readStart.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }

    /// Queues `command` without flushing; hops to the event loop if needed.
    public func write(_ command: RemotingCommand) { writer.write(command, flush: false) }
    public func writeAndFlush(_ command: RemotingCommand) { writer.write(command, flush: true) }

    /// Queues `RemotingCommand.response(to: address, code: code, remark: remark, header: header, body: body)` without
    /// flushing; on the event loop it is encoded straight into the outgoing burst, without the command.
    public func writeResponse<Header: DirectHeader>(to address: RemotingCommand.ResponseAddress, code: ResponseCode,
                                                    remark: String? = nil, header: Header, body: ByteBuffer? = nil) {
        if eventLoop.inEventLoop {
            writer.frameWriter.value.appendResponse(to: address, code: code, remark: remark, header: header, body: body)
        } else {
            writer.write(.response(to: address, code: code, remark: remark, header: header, body: body), flush: false)
        }
    }
    public func flush() { channel.flush() }

    /// Calls `body` with a writer for several responses, as `writeResponse` writes them: the loop is asked about, and the
    /// frame writer and its place in the pipeline looked up, once for all of them instead of once per response (a
    /// retain and a release of each per answer).
    public func writingResponses(_ body: (borrowing ResponseWriter) -> Void) {
        if eventLoop.inEventLoop {
            let frameWriter = writer.frameWriter.value
            body(ResponseWriter(connection: self, onLoop: true, direct: frameWriter.context.map { (frameWriter, $0) }))
        } else {
            body(ResponseWriter(connection: self, onLoop: false, direct: nil))
        }
    }

    /// Runs `body` on the connection's event loop: now if called there, else as one task.
    public func onEventLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    /// Broker→client request with opaque correlation; the response future fails on timeout or close.
    public func request(_ command: RemotingCommand, timeout: TimeAmount) -> EventLoopFuture<RemotingCommand> {
        pending.request(command, on: writer, connectionID: id, timeout: timeout, flush: true)
    }

    /// Flag bit 1 set, fresh opaque, no correlation.
    public func sendOneway(_ command: RemotingCommand) { pending.sendOneway(command, on: writer) }

    public func close() { channel.close(promise: nil) }

    public static func == (lhs: RemotingConnection, rhs: RemotingConnection) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

extension HostAddress {
    /// The IPv4 address and port of a socket address; nil for IPv6 and Unix sockets. Read from the `sockaddr_in`:
    /// through its text (`ipAddress`, then parsed) it took 12,000 instructions, once per HTTP publish.
    public init?(_ address: SocketAddress?) {
        guard case .v4(let v4)? = address else { return nil }
        self.init(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr), port: Int32(UInt16(bigEndian: v4.address.sin_port)))
    }
}

/// Opaques of one-way requests received on a connection, so that no response to them is ever written (spec §1.5:
/// the Java client logs every response to a one-way UPDATE_CONSUMER_OFFSET). Bounded: the oldest of `capacity`
/// entries is forgotten first; a two-way request reusing an opaque clears it.
struct OnewayOpaques {
    static let capacity = 1024
    private var members: Set<Int32> = []
    private var order: [Int32] = []
    private var next = 0

    var isEmpty: Bool { members.isEmpty }

    func contains(_ opaque: Int32) -> Bool { members.contains(opaque) }

    mutating func insert(_ opaque: Int32) {
        guard members.insert(opaque).inserted else { return }
        if order.count < Self.capacity {
            order.append(opaque)
        } else {
            members.remove(order[next])
            order[next] = opaque
            next = (next + 1) % Self.capacity
        }
    }

    mutating func remove(_ opaque: Int32) {
        members.remove(opaque)
    }
}

/// Writes responses on one connection for `RemotingConnection.writingResponses`.
public struct ResponseWriter: ~Copyable {
    private let connection: RemotingConnection
    /// On the event loop: the frame writer and its context (none once the handler is removed: nothing is written),
    /// held for the writer's lifetime and called through `Unmanaged`, so that a response costs no retain of either.
    private let direct: (writer: RemotingFrameWriter, context: ChannelHandlerContext)?
    private let unmanaged: (writer: Unmanaged<RemotingFrameWriter>, context: Unmanaged<ChannelHandlerContext>)?
    private let onLoop: Bool

    fileprivate init(connection: RemotingConnection, onLoop: Bool,
                     direct: (writer: RemotingFrameWriter, context: ChannelHandlerContext)?) {
        self.connection = connection
        self.onLoop = onLoop
        self.direct = direct
        unmanaged = direct.map { (Unmanaged.passUnretained($0.writer), Unmanaged.passUnretained($0.context)) }
    }

    /// As `RemotingConnection.writeResponse`.
    public func write<Header: DirectHeader>(to address: RemotingCommand.ResponseAddress, code: ResponseCode,
                                            remark: String? = nil, header: Header, body: ByteBuffer? = nil) {
        if let unmanaged {
            unmanaged.writer._withUnsafeGuaranteedRef { writer in
                unmanaged.context._withUnsafeGuaranteedRef { context in
                    writer.appendResponse(to: address, code: code, remark: remark, header: header, body: body, context: context)
                }
            }
        } else if !onLoop {
            connection.write(.response(to: address, code: code, remark: remark, header: header, body: body))
        }
    }
}

/// Encodes outbound commands. Small frames written without a promise are coalesced into one buffer until the next
/// flush (one allocation and one iovec per burst instead of per frame); a large body is kept as its own buffer
/// instead of being copied. A response to a one-way request is dropped here, whoever wrote it.
///
/// A flush writes the burst straight to the socket (`SocketDescriptor`) while SwiftNIO holds nothing of this channel's;
/// what the socket does not take, and every burst after it until SwiftNIO has written it all, goes through SwiftNIO.
final class RemotingFrameWriter: ChannelOutboundHandler {
    typealias OutboundIn = RemotingCommand
    typealias OutboundOut = ByteBuffer

    private static let copyBodyLimit = 4096
    private static let coalesceLimit = 256 * 1024
    private var pending: ByteBuffer?
    private(set) var context: ChannelHandlerContext?
    /// While a client connection handles a read burst, flushes asked for by requests written from its callbacks (a
    /// consumer's next pulls) wait for the burst's end: one write for all of them (`endReadBurst`).
    private var readBurst = false
    private var flushDeferred = false
    /// Frames passed down the pipeline since the last flush. Every write on the channel passes through this handler
    /// (it is next to the head), so with none and nothing pending a flush has nothing to do: a read burst that
    /// answers nothing (a pull parked until a message arrives, one per W4 message) skips the channel's flush path.
    private var unflushed = false
    /// Buffers of the burst before `pending`: each large body and the buffer that preceded it, in order.
    private var spilled: [ByteBuffer] = []
    private var socket = Socket.unknown
    /// SwiftNIO flushes not yet written out; while any is, a burst must follow them through SwiftNIO.
    private(set) var flushesPendingInSwiftNIO = 0
    private var oneway = OnewayOpaques()
    /// Bursts written straight to the socket, and flushes through SwiftNIO (diagnostics and tests).
    private(set) var directFlushes = 0
    private(set) var swiftNIOFlushes = 0
    /// Responses to one-way requests that were dropped (diagnostics and tests).
    private(set) var droppedOnewayResponses = 0

    private enum Socket {
        /// Not looked for yet (the channel is not active yet).
        case unknown
        case descriptor(CInt)
        /// Not a socket this writer can reach (an embedded channel, another transport): SwiftNIO's path only.
        case unreachable
    }

    /// Called on the event loop for every request frame before it is processed.
    func requestReceived(_ request: RemotingCommand) {
        if request.isOneway {
            oneway.insert(request.opaque)
        } else if !oneway.isEmpty {
            oneway.remove(request.opaque)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        write(unwrapOutboundIn(data), context: context, promise: promise)
    }

    /// Encodes `command` into the pending burst without a trip through the pipeline (event loop only).
    func append(_ command: RemotingCommand) {
        guard let context else { return }
        write(command, context: context, promise: nil)
    }

    /// Encodes a response with a typed header into the pending burst (event loop only), with no command or boxed header:
    /// the frame `RemotingCommand.response(to:code:remark:header:body:)` would make.
    func appendResponse<Header: DirectHeader>(to address: RemotingCommand.ResponseAddress, code: ResponseCode,
                                              remark: String? = nil, header: Header, body: ByteBuffer? = nil) {
        guard let context else { return }
        appendResponse(to: address, code: code, remark: remark, header: header, body: body, context: context)
    }

    /// `appendResponse` with the handler's context, looked up once for several responses (`ResponseWriter`).
    func appendResponse<Header: DirectHeader>(to address: RemotingCommand.ResponseAddress, code: ResponseCode,
                                              remark: String?, header: Header, body: ByteBuffer?,
                                              context: ChannelHandlerContext) {
        guard !dropsResponse(to: address.opaque) else { return }
        write(body: body, context: context, promise: nil) { out, bodyLength in
            if header.writeResponse(code: code.rawValue, opaque: address.opaque, remark: remark, bodyLength: bodyLength,
                                    serializeType: address.serializeType, to: &out) {
                return
            }
            let prefix = HeaderCodec.Prefix(code: code.rawValue, language: RemotingCommand.defaultLanguage,
                                            version: RemotingCommand.defaultVersion, opaque: address.opaque,
                                            flag: RemotingCommand.responseFlag, remark: remark, serializeType: address.serializeType)
            HeaderCodec.writeHeader(prefix, bodyLength: bodyLength, to: &out) { header.forEachField($0) }
        }
    }

    /// Encodes a request whose prefix and header `writeHeader` writes (a send's or a pull's template, with a length word
    /// counting `bodyLength` body bytes) into the pending burst, `body` after it (event loop only): the clients' path.
    func appendRequest(body: ByteBuffer?, _ writeHeader: (inout ByteBuffer, _ bodyLength: Int) -> Void) {
        guard let context else { return }
        write(body: body, context: context, promise: nil, writeHeader: writeHeader)
    }

    private func write(_ command: RemotingCommand, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if command.isResponse, dropsResponse(to: command.opaque) {
            promise?.succeed(())
            return
        }
        write(body: command.body, context: context, promise: promise) { out, bodyLength in
            HeaderCodec.writeHeader(command, bodyLength: bodyLength, to: &out)
        }
    }

    /// True (and counted) for a response to a one-way request.
    private func dropsResponse(to opaque: Int32) -> Bool {
        guard !oneway.isEmpty, oneway.contains(opaque) else { return false }
        droppedOnewayResponses += 1
        return true
    }

    /// Writes one frame: `writeHeader` writes its prefix and header, whose length word counts `bodyLength` body bytes.
    @inline(__always)
    private func write(body: ByteBuffer?, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?,
                       writeHeader: (inout ByteBuffer, _ bodyLength: Int) -> Void) {
        let bodyLength = body?.readableBytes ?? 0
        let inline = bodyLength <= RemotingFrameWriter.copyBodyLimit
        let estimate = 512 + (inline ? bodyLength : 0)
        // Taken, not copied: a copy retained the burst's storage, and clearing `pending` released it.
        var out = pending.take() ?? context.channel.allocator.buffer(capacity: max(estimate, promise == nil ? 16 * 1024 : 0))
        writeHeader(&out, bodyLength)
        if let body, bodyLength > 0, inline { out.writeImmutableBuffer(body) }
        if promise == nil {
            if let body, bodyLength > 0, !inline {
                spilled.append(out)
                spilled.append(body)
            } else if out.readableBytes < RemotingFrameWriter.coalesceLimit {
                pending = out
            } else {
                spilled.append(out)
            }
            return
        }
        // Written with a promise: through SwiftNIO now, after what the burst holds.
        handToSwiftNIO(context)
        unflushed = true
        if let body, bodyLength > 0, !inline {
            context.write(wrapOutboundOut(out), promise: nil)
            context.write(wrapOutboundOut(body), promise: promise)
        } else {
            context.write(wrapOutboundOut(out), promise: promise)
        }
    }

    /// Passes the burst's spilled buffers to SwiftNIO, unflushed.
    private func handToSwiftNIO(_ context: ChannelHandlerContext) {
        guard !spilled.isEmpty else { return }
        for buffer in spilled { context.write(wrapOutboundOut(buffer), promise: nil) }
        spilled.removeAll(keepingCapacity: true)
        unflushed = true
    }

    func beginReadBurst() { readBurst = true }

    /// Flushes what the burst's callbacks wrote and asked to flush.
    func endReadBurst() {
        readBurst = false
        if flushDeferred, let context {
            flushDeferred = false
            context.channel.flush()
        }
    }

    /// A flush asked for on the event loop: done now, or at the end of the current read burst.
    func flushSoon(_ channel: Channel) {
        if readBurst {
            flushDeferred = true
        } else {
            channel.flush()
        }
    }

    func flush(context: ChannelHandlerContext) {
        flushDeferred = false
        if !unflushed, flushesPendingInSwiftNIO == 0, let fd = descriptor(context) {
            if spilled.isEmpty {
                guard let out = pending.take() else { return }
                guard let sent = SocketDescriptor.send(fd, out) else {
                    pending = out
                    return flushThroughSwiftNIO(context)
                }
                if sent == out.readableBytes {
                    directFlushes += 1
                    return
                }
                pending = out.getSlice(at: out.readerIndex + sent, length: out.readableBytes - sent)
            } else {
                if let out = pending.take() { spilled.append(out) }
                guard let sent = SocketDescriptor.send(fd, spilled) else { return flushThroughSwiftNIO(context) }
                dropFront(sent)
                if spilled.isEmpty {
                    directFlushes += 1
                    return
                }
            }
        }
        flushThroughSwiftNIO(context)
    }

    private func flushThroughSwiftNIO(_ context: ChannelHandlerContext) {
        if let out = pending.take() { spilled.append(out) }
        handToSwiftNIO(context)
        guard unflushed else { return }
        unflushed = false
        swiftNIOFlushes += 1
        if case .unreachable = socket {} else {
            // Counted until SwiftNIO has written all of it (an empty write's promise completes after those before it).
            let written = context.eventLoop.makePromise(of: Void.self)
            flushesPendingInSwiftNIO += 1
            written.futureResult.assumeIsolated().whenComplete { _ in self.flushesPendingInSwiftNIO -= 1 }
            context.write(wrapOutboundOut(ByteBuffer()), promise: written)
        }
        context.flush()
    }

    /// Drops the first `count` bytes of the spilled buffers (what a direct write took).
    private func dropFront(_ count: Int) {
        var left = count
        var whole = 0
        while whole < spilled.count, spilled[whole].readableBytes <= left {
            left -= spilled[whole].readableBytes
            whole += 1
        }
        spilled.removeFirst(whole)
        if left > 0 { spilled[0].moveReaderIndex(forwardBy: left) }
    }

    /// The channel's socket, looked for once it is active; nil while it is not (closed: its number may be reused).
    private func descriptor(_ context: ChannelHandlerContext) -> CInt? {
        guard context.channel.isActive else { return nil }
        switch socket {
        case let .descriptor(fd): return fd
        case .unreachable: return nil
        case .unknown:
            let found = SocketDescriptor.find(context.channel)
            socket = found.map { .descriptor($0) } ?? .unreachable
            return found
        }
    }
}

/// Writes commands on a channel: on its event loop straight into the frame writer's burst buffer, from elsewhere
/// through the pipeline (which hops to the loop).
struct CommandWriter: Sendable {
    let channel: Channel
    let frameWriter: NIOLoopBound<RemotingFrameWriter>

    func write(_ command: RemotingCommand, flush: Bool) {
        if frameWriter.eventLoop.inEventLoop {
            let writer = frameWriter.value
            writer.append(command)
            if flush { writer.flushSoon(channel) }
        } else if flush {
            channel.writeAndFlush(command, promise: nil)
        } else {
            channel.write(command, promise: nil)
        }
    }
}

/// Logs one line for a broken connection and closes it: a warning for malformed frames — rate-limited per kind and
/// peer host, so one misbehaving client reconnecting in a loop cannot flood the log — and debug for I/O errors
/// (resets, a peer leaving mid-frame).
func closeOnError(_ error: Error, context: ChannelHandlerContext, logger: Logger, limiter: LogRateLimiter) {
    let address = context.channel.remoteAddress
    let peer = address.map { "\($0)" } ?? "?"
    if let decoding = error as? RemotingDecodingError {
        limiter.warning(logger, key: decoding.logKind, peer: address?.ipAddress ?? peer, "closing connection after malformed input",
                        metadata: ["peer": "\(peer)", "reason": "\(error)"])
    } else {
        logger.debug("closing connection after error", metadata: ["peer": "\(peer)", "reason": "\(error)"])
    }
    context.close(promise: nil)
}

extension RemotingDecodingError {
    /// The rate-limiting key of its warning.
    var logKind: String {
        switch self {
        case .frameTooLarge: return "oversized-frame"
        case .unsupportedSerializeType: return "unknown-serialize-type"
        case .frameTooSmall, .headerLengthInvalid, .malformedHeader: return "bad-frame"
        }
    }
}

/// Shared by every RemotingClient of the process.
let clientLogLimiter = LogRateLimiter()
