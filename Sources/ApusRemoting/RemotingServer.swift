// RemotingServer: accepts remoting connections and hands request frames to a RemotingRequestProcessor.

import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A class: every request is handed to it, and a class existential is called without copying it (an opaque one was
/// copied and destroyed around each call, a retain and a release per request).
public protocol RemotingRequestProcessor: AnyObject, Sendable {
    /// Called on the connection's event loop for every request frame (responses are matched to `request` futures
    /// by the server and never reach the processor). Answer by `connection.write(...)` now or later.
    func process(_ request: RemotingCommand, on connection: RemotingConnection)
    /// Called after a batch of reads (channelReadComplete); the server flushes the connection right after it returns.
    func readComplete(on connection: RemotingConnection)
    func connectionActive(_ connection: RemotingConnection)
    func connectionClosed(_ connection: RemotingConnection)
}

public final class RemotingServer: Sendable {
    let host: String
    let port: Int
    let group: EventLoopGroup
    let processor: RemotingRequestProcessor
    let maxFrameLength: Int
    let logger: Logger
    /// Rate-limits the server's per-peer warnings; processors may log their own floods through it too.
    public let logLimiter: LogRateLimiter
    let pending = PendingResponses()
    private let state = Mutex<(listener: Channel?, connections: [UInt64: RemotingConnection])>((nil, [:]))

    public init(host: String, port: Int, group: EventLoopGroup, processor: RemotingRequestProcessor,
                maxFrameLength: Int = 16 << 20, logger: Logger, logLimiter: LogRateLimiter = LogRateLimiter()) {
        self.host = host
        self.port = port
        self.group = group
        self.processor = processor
        self.maxFrameLength = maxFrameLength
        self.logger = logger
        self.logLimiter = logLimiter
    }

    /// Binds the listening socket (SO_REUSEADDR; TCP_NODELAY on accepted connections).
    public func start() async throws {
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator.remoting)
            // One read of up to 256 KiB per wake-up (SwiftNIO's default is four, each then up to 64 KiB): as many bytes a
            // wake-up, and SwiftNIO's read pool keeps one buffer per read of a wake-up, so a connection holds at most
            // 256 KiB, as before. With four reads, no faster, and 6.4 MB of anonymous memory after W1 against 4.2.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let writer = RemotingFrameWriter()
                    try channel.pipeline.syncOperations.addHandlers(
                        writer, ServerConnectionHandler(server: self, writer: writer, maxFrameLength: maxFrameLength))
                }
            }
            .bind(host: host, port: port).get()
        state.withLock { $0.listener = listener }
        logger.info("remoting server listening", metadata: ["address": "\(listener.localAddress.map { "\($0)" } ?? "?")"])
    }

    /// The open connection with this id, if it is still open (the one registry of live connections).
    public func connection(_ id: UInt64) -> RemotingConnection? {
        state.withLock { $0.connections[id] }
    }

    /// The bound port (useful when started on port 0).
    public var localPort: Int? { state.withLock { $0.listener?.localAddress?.port } }

    /// Closes the listening socket only; open connections keep working.
    public func stopAccepting() async {
        let listener = state.withLock { $0.listener }
        try? await listener?.close()
    }

    /// Closes every open connection.
    public func closeAll() async {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections { try? await connection.channel.close() }
    }

    /// Open connections (for diagnostics and tests).
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    fileprivate func added(_ connection: RemotingConnection) {
        state.withLock { $0.connections[connection.id] = connection }
        processor.connectionActive(connection)
    }

    fileprivate func removed(_ connection: RemotingConnection) {
        state.withLock { $0.connections[connection.id] = nil }
        pending.failAll(connectionID: connection.id)
        processor.connectionClosed(connection)
    }
}

final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let server: RemotingServer
    private let processor: any RemotingRequestProcessor
    private let writer: RemotingFrameWriter
    private var frames: FrameReader
    private var connection: RemotingConnection?

    init(server: RemotingServer, writer: RemotingFrameWriter, maxFrameLength: Int) {
        self.server = server
        processor = server.processor
        self.writer = writer
        self.frames = FrameReader(maxFrameLength: maxFrameLength)
    }

    func channelActive(context: ChannelHandlerContext) {
        let connection = RemotingConnection(channel: context.channel, pending: server.pending, frameWriter: writer)
        self.connection = connection
        server.added(connection)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let connection { server.removed(connection) }
        connection = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard context.channel.isActive, let connection else { return }
        connection.readBegins()
        do {
            try frames.process(unwrapInboundIn(data)) { command in
                if command.isResponse {
                    responseReceived(command)
                } else {
                    writer.requestReceived(command)
                    processor.process(command, on: connection)
                }
            }
        } catch {
            closeOnError(error, context: context, logger: server.logger, limiter: server.logLimiter)
        }
    }

    /// A response to a request the server sent (a broker asking a client), matched to its waiter.
    private func responseReceived(_ response: RemotingCommand) {
        if !server.pending.complete(response) {
            server.logger.debug("dropping unmatched response", metadata: ["opaque": "\(response.opaque)"])
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let connection { processor.readComplete(on: connection) }
        context.flush()
        LoopSlice.look()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        closeOnError(error, context: context, logger: server.logger, limiter: server.logLimiter)
    }
}
