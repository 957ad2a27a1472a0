// SocketDescriptor: a SwiftNIO socket channel's descriptor, found and checked against the channel's addresses, and a
// burst of buffers written to it with one sendmsg(2) — the frame writer's way around SwiftNIO's pending-writes path.
//
// Why: a flush through SwiftNIO (the pipeline's write and flush, its pending-writes bookkeeping and state checks around
// the `writev`) costs about 5,000 instructions per burst on both ends of a connection, most of a W4 message's
// per-event cost outside the kernel (round 46, bench/results/20261206-46). With nothing queued in SwiftNIO, a burst
// written straight to the socket keeps the byte order SwiftNIO would have kept; whatever the socket does not take is
// handed to SwiftNIO, which waits for writability and reports errors as before.

import Glibc
import NIOCore

enum SocketDescriptor {
    /// The descriptor of `channel`'s connected TCP socket, or nil. SwiftNIO does not publish it: its socket channels
    /// describe themselves as `SocketChannel { BaseSocket { fd=N }, ... }`. The number is used only if that descriptor's
    /// own local and peer addresses are the channel's, so a different description (another channel type, a SwiftNIO
    /// that changed the text) leaves the channel on SwiftNIO's path.
    static func find(_ channel: Channel) -> CInt? {
        guard let local = channel.localAddress, let remote = channel.remoteAddress else { return nil }
        let text = String(describing: channel).utf8
        guard let marker = text.firstRange(of: "BaseSocket { fd=".utf8) else { return nil }
        let digits = text[marker.upperBound...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard let number = CInt(String(decoding: digits, as: UTF8.self)),
              address(of: number, peer: false, is: local), address(of: number, peer: true, is: remote) else { return nil }
        return number
    }

    /// Whether `fd`'s local (or peer) address is `expected`: family, port and address bytes.
    private static func address(of fd: CInt, peer: Bool, is expected: SocketAddress) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard status == 0 else { return false }
        switch expected {
        case let .v4(address):
            guard Int32(storage.ss_family) == AF_INET else { return false }
            let found = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in.self) }
            return found.sin_port == address.address.sin_port && found.sin_addr.s_addr == address.address.sin_addr.s_addr
        case let .v6(address):
            guard Int32(storage.ss_family) == AF_INET6 else { return false }
            let found = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
            return found.sin6_port == address.address.sin6_port
                && withUnsafeBytes(of: found.sin6_addr) { a in withUnsafeBytes(of: address.address.sin6_addr) { a.elementsEqual($0) } }
        case .unixDomainSocket:
            return false
        }
    }

    /// Writes `buffers`' readable bytes, in order, with one non-blocking `sendmsg` (no SIGPIPE): the number of bytes
    /// the socket took (0 when it would block), or nil on an error, which SwiftNIO then meets and handles itself.
    static func send(_ fd: CInt, _ buffers: [ByteBuffer]) -> Int? {
        let count = min(buffers.count, 64)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            func fill(_ index: Int) -> Int? {
                guard index < count else {
                    var message = msghdr()
                    message.msg_iov = vectors.baseAddress
                    message.msg_iovlen = count
                    return written(sendmsg(fd, &message, CInt(MSG_NOSIGNAL | MSG_DONTWAIT)))
                }
                return buffers[index].withUnsafeReadableBytes {
                    vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
                    return fill(index + 1)
                }
            }
            return fill(0)
        }
    }

    /// One buffer's readable bytes with one non-blocking `send` (no SIGPIPE); as `send(_:_:)`.
    static func send(_ fd: CInt, _ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { written(Glibc.send(fd, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL | MSG_DONTWAIT))) }
    }

    private static func written(_ result: Int) -> Int? {
        if result >= 0 { return result }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : nil
    }
}
