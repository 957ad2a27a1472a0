// Tests that the frame writer's bursts written straight to the socket reach the peer whole and in order: while the
// socket takes them, when it takes only part (the rest through SwiftNIO, and later bursts behind it), and after.

@testable import ApusRemoting
import Glibc
import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing

/// The accepted channel and its frame writer.
private final class Accepted: Sendable {
    let value = Mutex<(Channel, NIOLoopBound<RemotingFrameWriter>)?>(nil)
}

/// A server channel with only the frame writer, and a plain blocking socket connected to it that reads when told.
private final class WriterOnLoopback: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let accepted = Accepted()
    let listener: Channel
    let fd: CInt

    init() async throws {
        let accepted = accepted
        listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let writer = RemotingFrameWriter()
                    try channel.pipeline.syncOperations.addHandler(writer)
                    let bound = NIOLoopBound(writer, eventLoop: channel.eventLoop)
                    accepted.value.withLock { $0 = (channel, bound) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        // A small receive buffer: the server's bursts fill the socket after some hundreds of KiB.
        var size: CInt = 64 * 1024
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(listener.localAddress!.port!)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(status == 0)
        #expect(try await eventually { accepted.value.withLock { $0 != nil } })
    }

    /// Runs `body` on the server channel's event loop.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (Channel, RemotingFrameWriter) -> T) async throws -> T {
        let (channel, writer) = try #require(accepted.value.withLock { $0 })
        return try await channel.eventLoop.submit { body(channel, writer.value) }.get()
    }

    /// What the test's socket has read and not yet decoded.
    private let received = Mutex<(bytes: ByteBuffer, decoder: RemotingCommandDecoder)>((ByteBuffer(), RemotingCommandDecoder()))

    /// Reads at least `count` more bytes (a read that waits more than 10 s fails).
    func receive(atLeast count: Int) throws {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var total = 0
        while total < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw IOError(errnoCode: errno, reason: "recv") }
            _ = received.withLock { $0.bytes.writeBytes(chunk[0..<n]) }
            total += n
        }
    }

    /// Decodes `count` frames from what was read, reading more as needed.
    func readFrames(_ count: Int) throws -> [RemotingCommand] {
        var frames: [RemotingCommand] = []
        while true {
            try received.withLock { state in
                while frames.count < count, let frame = try state.decoder.decode(buffer: &state.bytes) { frames.append(frame) }
            }
            if frames.count == count { return frames }
            try receive(atLeast: 1)
        }
    }

    func close() async throws {
        Glibc.close(fd)
        try await listener.close()
        try await group.shutdownGracefully()
    }
}

/// Frame `n`: every fifth carries a body too large to copy into the burst (kept as its own buffer), the others a small
/// one; each body's bytes are its number's.
private func frame(_ n: Int) -> RemotingCommand {
    let size = n % 5 == 0 ? 6000 + n % 7 * 1000 : 100 + n % 300
    return RemotingCommand(code: 0, opaque: Int32(n), flag: 1,
                           body: ByteBuffer(repeating: UInt8(truncatingIfNeeded: n), count: size))
}

private func expectInOrder(_ frames: [RemotingCommand], from first: Int) {
    for (index, command) in frames.enumerated() {
        let n = first + index
        #expect(command.opaque == Int32(n))
        #expect(command.body == frame(n).body, "frame \(n)'s body")
    }
}

@Test func burstsWrittenStraightToTheSocketArriveWholeAndInOrderThroughAFullSocket() async throws {
    let loopback = try await WriterOnLoopback()

    // Bursts of ten frames while the peer reads: each written straight to the socket.
    let firstDirect = try await loopback.onLoop { channel, writer in
        for n in 0..<10 { writer.append(frame(n)) }
        channel.flush()
        return writer.directFlushes
    }
    #expect(firstDirect == 1)
    expectInOrder(try loopback.readFrames(10), from: 0)

    // Bursts of ten while the peer does not read, until the socket takes only part of one: the rest goes through
    // SwiftNIO. Then the peer makes room while SwiftNIO still holds that rest (its loop is busy here): the bursts after
    // it must follow it through SwiftNIO, not overtake it through the room.
    let (sent, direct, throughSwiftNIO) = try await loopback.onLoop { channel, writer in
        var n = 10
        func burst() {
            for _ in 0..<10 {
                writer.append(frame(n))
                n += 1
            }
            channel.flush()
        }
        while writer.swiftNIOFlushes == 0 { burst() }
        try? loopback.receive(atLeast: 256 * 1024)
        for _ in 0..<20 { burst() }
        return (n, writer.directFlushes, writer.swiftNIOFlushes)
    }
    #expect(direct > 1)
    #expect(throughSwiftNIO == 21)
    expectInOrder(try loopback.readFrames(sent - 10), from: 10)

    // Once SwiftNIO has written it all, a burst goes straight to the socket again.
    let deadline = ContinuousClock.now + .seconds(5)
    while try await loopback.onLoop({ _, writer in writer.flushesPendingInSwiftNIO > 0 }), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(5))
    }
    let directAfter = try await loopback.onLoop { channel, writer in
        for n in sent..<sent + 10 { writer.append(frame(n)) }
        channel.flush()
        return writer.directFlushes
    }
    #expect(directAfter == direct + 1)
    expectInOrder(try loopback.readFrames(10), from: sent)
    try await loopback.close()
}

@Test func aFrameWrittenWithAPromiseFollowsTheBurstBeforeIt() async throws {
    let loopback = try await WriterOnLoopback()
    let written = try await loopback.onLoop { channel, writer -> EventLoopFuture<Void> in
        for n in 0..<5 { writer.append(frame(n)) }
        // Through the pipeline with a promise: SwiftNIO's path, after the five frames the burst holds.
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.write(frame(5), promise: promise)
        writer.append(frame(6))
        channel.flush()
        return promise.futureResult
    }
    try await written.get()
    expectInOrder(try loopback.readFrames(7), from: 0)
    #expect(try await loopback.onLoop { _, writer in writer.directFlushes } == 0)
    try await loopback.close()
}

@Test func onlyAConnectedSocketsOwnDescriptorIsFound() async throws {
    let loopback = try await WriterOnLoopback()
    let found = try await loopback.onLoop { channel, _ in SocketDescriptor.find(channel) }
    let descriptor = try #require(found)
    // The descriptor's peer is the test's socket.
    var peer = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) } }
    var mine = sockaddr_in()
    length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &mine) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(loopback.fd, $0, &length) } }
    #expect(peer.sin_port == mine.sin_port)
    // A listening socket has no peer, and an embedded channel no socket.
    #expect(SocketDescriptor.find(loopback.listener) == nil)
    let embedded = EmbeddedChannel()
    try await embedded.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
    #expect(SocketDescriptor.find(embedded) == nil)
    try await loopback.close()
}
