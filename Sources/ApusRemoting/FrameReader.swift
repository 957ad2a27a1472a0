// FrameReader: cuts a connection's received bytes into frames and decodes them (RemotingCommandDecoder), copying
// only a frame that one read leaves unfinished; the remoting connections' read sizes.
import NIOCore

/// The connection handlers' framing. A frame that lies wholly inside one read is decoded from that read's buffer, its
/// body a slice of it. The start of a frame cut off by the end of a read is copied into a buffer of its own, and the
/// next reads add only that frame's missing bytes to it.
///
/// NIO's `NIOSingleStepByteToMessageProcessor` keeps the unfinished bytes in the read's buffer instead and appends the
/// whole next read to it, so under load (most reads end inside a frame) it copied nearly every byte received once
/// more, and compacting a buffer whose earlier frames' bodies were still referenced copied its storage again: 3% of
/// the broker's CPU in W1, with many small frames per read, and of the consumer's in W3, with pull responses larger
/// than a read.
public struct FrameReader {
    private var decoder: RemotingCommandDecoder
    /// The received bytes of a frame that a read left unfinished (with at least its length field once that is known).
    private var partial: ByteBuffer?

    /// A buffer for an unfinished frame starts with room for the whole frame up to this size, so that completing it
    /// does not reallocate; a larger frame's buffer grows as its bytes arrive (a length field alone reserves nothing
    /// beyond this).
    static let reserveLimit = 1 << 20

    public init(maxFrameLength: Int) {
        decoder = RemotingCommandDecoder(maxFrameLength: maxFrameLength)
    }

    /// Bytes received but not yet decoded (those of an unfinished frame).
    public var unprocessedBytes: Int { partial?.readableBytes ?? 0 }

    /// Decodes every frame `received` completes or contains, in order, and keeps the rest. Throws the decoder's error
    /// for a malformed frame (the caller closes the connection); `handle`'s errors pass through.
    public mutating func process(_ received: ByteBuffer, _ handle: (RemotingCommand) throws -> Void) throws {
        var input = received
        if partial != nil {
            guard let command = try finishPartial(from: &input) else { return }
            try handle(command)
        }
        while let command = try decoder.decode(buffer: &input) {
            try handle(command)
        }
        if input.readableBytes > 0 {
            partial = Self.startPartial(with: input)
        }
    }

    /// Moves the bytes the unfinished frame still needs from `input` into it; the frame once it is complete.
    private mutating func finishPartial(from input: inout ByteBuffer) throws -> RemotingCommand? {
        guard var frame = partial else { return nil }
        partial = nil
        if frame.readableBytes < 4 {
            frame.writeImmutableBuffer(input.readSlice(length: min(4 - frame.readableBytes, input.readableBytes))!)
            guard frame.readableBytes == 4 else {
                partial = frame
                return nil
            }
        }
        // The length field is complete: the decoder checks it (and throws for a bad one) before more is collected.
        if let command = try decoder.decode(buffer: &frame) { return command }
        let frameLength = 4 + Int(frame.getInteger(at: frame.readerIndex, as: UInt32.self)!)
        frame.writeImmutableBuffer(input.readSlice(length: min(frameLength - frame.readableBytes, input.readableBytes))!)
        guard let command = try decoder.decode(buffer: &frame) else {
            partial = frame
            return nil
        }
        return command
    }

    /// A buffer of its own for the unfinished frame at the start of `rest`, sized for the frame when its length is known.
    private static func startPartial(with rest: ByteBuffer) -> ByteBuffer {
        var capacity = rest.readableBytes
        if let length = rest.getInteger(at: rest.readerIndex, as: UInt32.self) {
            capacity = max(capacity, min(4 + Int(length), reserveLimit))
        }
        var frame = ByteBufferAllocator().buffer(capacity: capacity)
        frame.writeImmutableBuffer(rest)
        return frame
    }
}

extension AdaptiveRecvByteBufferAllocator {
    /// Reads of remoting connections, broker and client: up to 256 KiB while reads fill their buffer, shrinking again
    /// when they do not (SwiftNIO's default stops at 64 KiB). A producer's read burst then carries about 136 sends
    /// instead of 49, and the broker's per-burst work (the read, the append's `pwrite`, the acks' `sendmsg`, the loop's
    /// `epoll_wait`) is shared by more of them: broker CPU per W1 message −11%, W1 +12% (round 50). A consumer reads a
    /// 64-message pull answer (about 70 KiB) in one read more often, so fewer answers are copied whole into a buffer of
    /// their own (the bench client's W3 instructions per delivery 5,065 → 4,236). SwiftNIO's read pool keeps a buffer
    /// for each read of a wake-up (`maxMessagesPerRead`) for the connection's life: the broker reads once per wake-up
    /// (`RemotingServer`), so a connection holds at most 256 KiB as before; a client connection up to four. 1 MiB reads
    /// measured no faster and held more.
    static let remoting = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024)
}
