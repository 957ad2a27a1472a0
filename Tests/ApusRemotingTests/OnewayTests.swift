// Tests that a request with the one-way flag bit never gets a response on the wire, whoever answers it and when.

@testable import ApusRemoting
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// Answers every request at once, and keeps the connection so the test can answer again later.
private final class EagerProcessor: RemotingRequestProcessor {
    let connection = Mutex<RemotingConnection?>(nil)

    func process(_ request: RemotingCommand, on connection: RemotingConnection) {
        self.connection.withLock { $0 = connection }
        connection.write(.response(to: request, code: .success))
    }

    func readComplete(on connection: RemotingConnection) {}
    func connectionActive(_ connection: RemotingConnection) {}
    func connectionClosed(_ connection: RemotingConnection) {}
}

private func writtenOpaques(_ channel: EmbeddedChannel) throws -> [Int32] {
    var bytes = ByteBuffer()
    while var chunk = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&chunk) }
    var decoder = RemotingCommandDecoder()
    var opaques: [Int32] = []
    while let command = try decoder.decode(buffer: &bytes) {
        #expect(command.isResponse)
        opaques.append(command.opaque)
    }
    return opaques
}

@Test func responsesToOnewayRequestsNeverReachTheWire() throws {
    let loop = EmbeddedEventLoop()
    let processor = EagerProcessor()
    let server = RemotingServer(host: "127.0.0.1", port: 0, group: loop, processor: processor, logger: Logger(label: "test"))
    let channel = EmbeddedChannel(loop: loop)
    let writer = RemotingFrameWriter()
    try channel.pipeline.syncOperations.addHandlers(writer, ServerConnectionHandler(server: server, writer: writer, maxFrameLength: 1 << 20))
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()

    // UPDATE_CONSUMER_OFFSET one-way (Java), then a normal QUERY_CONSUMER_OFFSET.
    try channel.writeInbound(frame(json: #"{"code":15,"opaque":41,"flag":2,"extFields":{}}"#))
    try channel.writeInbound(frame(json: #"{"code":14,"opaque":42,"flag":0,"extFields":{}}"#))
    #expect(try writtenOpaques(channel) == [42])

    // A late answer to the one-way request, from the event loop or through the pipeline, is dropped too.
    let connection = try #require(processor.connection.withLock { $0 })
    let late = RemotingCommand(code: 0, opaque: 41, flag: 1)
    connection.writeAndFlush(late)
    channel.writeAndFlush(late, promise: nil)
    #expect(try writtenOpaques(channel) == [])
    #expect(writer.droppedOnewayResponses == 3)

    // A two-way request reusing the opaque is answered.
    try channel.writeInbound(frame(json: #"{"code":14,"opaque":41,"flag":0,"extFields":{}}"#))
    #expect(try writtenOpaques(channel) == [41])
    _ = try channel.finish()
}

@Test func onewayOpaquesAreBounded() {
    var set = OnewayOpaques()
    for opaque in 0..<Int32(OnewayOpaques.capacity + 10) { set.insert(opaque) }
    #expect(!set.contains(0) && !set.contains(9) && set.contains(10) && set.contains(Int32(OnewayOpaques.capacity + 9)))
    set.remove(10)
    #expect(!set.contains(10))
}
