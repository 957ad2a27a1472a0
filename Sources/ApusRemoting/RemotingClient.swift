// RemotingClient: one TCP connection to a remoting server; requests multiplexed and matched by opaque.

import ApusMessage
import Logging
import NIOCore
import NIOPosix
import Synchronization

public final class RemotingClient: Sendable {
    let channel: Channel
    let pending: PendingResponses
    private let writer: CommandWriter

    private init(channel: Channel, pending: PendingResponses, writer: CommandWriter) {
        self.channel = channel
        self.pending = pending
        self.writer = writer
    }

    /// Connects (3 s timeout, TCP_NODELAY). `onRequest` receives server-initiated requests on the event loop.
    public static func connect(host: String, port: Int, group: EventLoopGroup, logger: Logger,
                               onRequest: (@Sendable (RemotingCommand, RemotingClient) -> Void)? = nil) async throws -> RemotingClient {
        let pending = PendingResponses()
        let clientRef = Mutex<RemotingClient?>(nil)
        let deliver: @Sendable (RemotingCommand) -> Void = { command in
            guard let onRequest, let client = clientRef.withLock({ $0 }) else {
                logger.debug("dropping server request", metadata: ["code": "\(command.code)"])
                return
            }
            onRequest(command, client)
        }
        let commandWriter = Mutex<CommandWriter?>(nil)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator.remoting)
            .connectTimeout(.seconds(3))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let writer = RemotingFrameWriter()
                    let bound = CommandWriter(channel: channel, frameWriter: NIOLoopBound(writer, eventLoop: channel.eventLoop))
                    commandWriter.withLock { $0 = bound }
                    try channel.pipeline.syncOperations.addHandlers(
                        writer, ClientConnectionHandler(pending: pending, writer: writer, logger: logger, deliver: deliver))
                }
            }
            .connect(host: host, port: port).get()
        guard let writer = commandWriter.withLock({ $0 }) else { throw RemotingError.connectionClosed }
        let client = RemotingClient(channel: channel, pending: pending, writer: writer)
        clientRef.withLock { $0 = client }
        return client
    }

    /// Sends `command` with a fresh opaque and flushes; fails with `RemotingError.timeout` or `.connectionClosed`.
    public func request(_ command: RemotingCommand, timeout: TimeAmount) -> EventLoopFuture<RemotingCommand> {
        pending.request(command, on: writer, connectionID: 0, timeout: timeout, flush: true)
    }

    public func request(_ command: RemotingCommand, timeout: TimeAmount) async throws -> RemotingCommand {
        try await pending.request(command, on: writer, connectionID: 0, timeout: timeout, flush: true).get()
    }

    /// Flag bit 1 set, fresh opaque, no response expected.
    public func sendOneway(_ command: RemotingCommand) { pending.sendOneway(command, on: writer) }

    /// Answers a server-initiated request (build it with `RemotingCommand.response(to:...)`).
    public func respond(_ response: RemotingCommand) { writer.write(response, flush: true) }

    /// Pipelining for load generation: write without flushing, then `flush()` once.
    public func requestNoFlush(_ command: RemotingCommand, timeout: TimeAmount) -> EventLoopFuture<RemotingCommand> {
        pending.request(command, on: writer, connectionID: 0, timeout: timeout, flush: false)
    }

    /// Pipelining with a callback instead of a future (one allocation less per request): `completion` runs on the
    /// connection's event loop with the response, or `RemotingError.timeout` / `.connectionClosed`.
    public func request(_ command: RemotingCommand, timeout: TimeAmount, flush: Bool,
                        completion: @escaping @Sendable (Result<RemotingCommand, Error>) -> Void) {
        pending.request(command, on: writer, connectionID: 0, timeout: timeout, flush: flush, .callback(completion))
    }

    /// A SEND_MESSAGE_V2 request written from `template` (the same frame as `template.command(...)`), with a callback
    /// as `request(_:timeout:flush:completion:)`. On the connection's event loop it is encoded straight into the
    /// outgoing burst; from elsewhere it goes as an ordinary command.
    public func send(_ template: SendFrameTemplate, queueId: Int32, bornTimestamp: Int64, properties: String, body: ByteBuffer,
                     timeout: TimeAmount, flush: Bool, completion: @escaping @Sendable (Result<RemotingCommand, Error>) -> Void) {
        properties.withContiguousUTF8 {
            send(template, queueId: queueId, bornTimestamp: bornTimestamp, properties: UnsafeRawBufferPointer($0), body: body,
                 timeout: timeout, flush: flush, .callback(completion))
        }
    }

    /// `send(_:queueId:bornTimestamp:properties:body:timeout:flush:completion:)` with a future.
    public func send(_ template: SendFrameTemplate, queueId: Int32, bornTimestamp: Int64, properties: String, body: ByteBuffer,
                     timeout: TimeAmount, flush: Bool) -> EventLoopFuture<RemotingCommand> {
        return properties.withContiguousUTF8 {
            send(template, queueId: queueId, bornTimestamp: bornTimestamp, properties: UnsafeRawBufferPointer($0), body: body,
                 timeout: timeout, flush: flush)
        }
    }

    /// The same sends with the properties' UTF-8 bytes, which the producer builds on the stack (no string per send).
    package func send(_ template: SendFrameTemplate, queueId: Int32, bornTimestamp: Int64, properties: UnsafeRawBufferPointer,
                      body: ByteBuffer, timeout: TimeAmount, flush: Bool,
                      completion: @escaping @Sendable (Result<RemotingCommand, Error>) -> Void) {
        send(template, queueId: queueId, bornTimestamp: bornTimestamp, properties: properties, body: body, timeout: timeout,
             flush: flush, .callback(completion))
    }

    package func send(_ template: SendFrameTemplate, queueId: Int32, bornTimestamp: Int64, properties: UnsafeRawBufferPointer,
                      body: ByteBuffer, timeout: TimeAmount, flush: Bool) -> EventLoopFuture<RemotingCommand> {
        let promise = channel.eventLoop.makePromise(of: RemotingCommand.self)
        send(template, queueId: queueId, bornTimestamp: bornTimestamp, properties: properties, body: body, timeout: timeout,
             flush: flush, .promise(promise))
        return promise.futureResult
    }

    /// A PULL_MESSAGE request written from `template` (the same frame as `template.command(...)`), with a callback as
    /// `request(_:timeout:flush:completion:)`; flushed (on the event loop, at the end of the read burst whose answer asked
    /// for it). On the connection's event loop it is encoded straight into the outgoing burst; from elsewhere it goes as
    /// an ordinary command.
    public func pull(_ template: PullFrameTemplate, queueOffset: Int64, sysFlag: PullSysFlag, commitOffset: Int64,
                     timeout: TimeAmount, completion: @escaping @Sendable (Result<RemotingCommand, Error>) -> Void) {
        request(body: nil, timeout: timeout, flush: true, .callback(completion)) {
            template.command(queueOffset: queueOffset, sysFlag: sysFlag, commitOffset: commitOffset)
        } writeHeader: { out, _, opaque in
            template.write(opaque: opaque, queueOffset: queueOffset, sysFlag: sysFlag, commitOffset: commitOffset, to: &out)
        }
    }

    private func send(_ template: SendFrameTemplate, queueId: Int32, bornTimestamp: Int64, properties: UnsafeRawBufferPointer,
                      body: ByteBuffer, timeout: TimeAmount, flush: Bool, _ completion: PendingResponses.Completion) {
        request(body: body, timeout: timeout, flush: flush, completion) {
            template.command(queueId: queueId, bornTimestamp: bornTimestamp,
                             properties: String(decoding: properties, as: UTF8.self), body: body)
        } writeHeader: { out, bodyLength, opaque in
            template.writeHeader(opaque: opaque, queueId: queueId, bornTimestamp: bornTimestamp, properties: properties,
                                 bodyLength: bodyLength, to: &out)
        }
    }

    /// A request written from a template: on the connection's event loop its prefix and header go straight into the
    /// outgoing burst with a fresh opaque (`writeHeader(out, bodyLength, opaque)`), `body` after them; from elsewhere
    /// `command()` goes through the pipeline as an ordinary command.
    private func request(body: ByteBuffer?, timeout: TimeAmount, flush: Bool, _ completion: PendingResponses.Completion,
                         command: () -> RemotingCommand,
                         writeHeader: (inout ByteBuffer, _ bodyLength: Int, _ opaque: Int32) -> Void) {
        guard channel.eventLoop.inEventLoop else {
            pending.request(command(), on: writer, connectionID: 0, timeout: timeout, flush: flush, completion)
            return
        }
        guard let opaque = pending.begin(on: channel, connectionID: 0, timeout: timeout, completion) else { return }
        let frameWriter = writer.frameWriter.value
        frameWriter.appendRequest(body: body) { writeHeader(&$0, $1, opaque) }
        if flush { frameWriter.flushSoon(channel) }
    }

    public func flush() { channel.flush() }

    public var isActive: Bool { channel.isActive }
    public var eventLoop: EventLoop { channel.eventLoop }

    public func close() async { try? await channel.close() }
}

private final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var frames = FrameReader(maxFrameLength: 16 * 1024 * 1024)

    private let pending: PendingResponses
    private let writer: RemotingFrameWriter
    private let logger: Logger
    private let deliver: @Sendable (RemotingCommand) -> Void

    init(pending: PendingResponses, writer: RemotingFrameWriter, logger: Logger,
         deliver: @escaping @Sendable (RemotingCommand) -> Void) {
        self.pending = pending
        self.writer = writer
        self.logger = logger
        self.deliver = deliver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard context.channel.isActive else { return }
        writer.beginReadBurst()
        do {
            try frames.process(unwrapInboundIn(data)) { command in
                if command.isResponse {
                    if !pending.complete(command) {
                        logger.debug("dropping unmatched response", metadata: ["opaque": "\(command.opaque)"])
                    }
                } else {
                    writer.requestReceived(command)
                    deliver(command)
                }
            }
        } catch {
            closeOnError(error, context: context, logger: logger, limiter: clientLogLimiter)
        }
    }

    /// Requests written by the burst's response callbacks go out in one write.
    func channelReadComplete(context: ChannelHandlerContext) {
        writer.endReadBurst()
        context.fireChannelReadComplete()
        LoopSlice.look()
    }

    func channelInactive(context: ChannelHandlerContext) {
        writer.endReadBurst()
        pending.failAll(connectionID: 0)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        closeOnError(error, context: context, logger: logger, limiter: clientLogLimiter)
    }
}
