// Tests for the in-handler framing (FrameReader driving RemotingCommandDecoder, as the connection handlers do): frames
// split at every byte and at every pair of cuts, byte-by-byte reads, several frames per read, errors; and the decoder
// alone through NIO's ByteToMessageDecoderVerifier.

@testable import ApusRemoting
import NIOCore
import NIOTestUtils
import Testing

private func twoFrames() -> ByteBuffer {
    var bytes = frame(json: #"{"code":10,"opaque":1,"flag":0,"extFields":{"topic":"T"}}"#, body: "hello")
    var second = frame(json: #"{"code":11,"opaque":2,"flag":0,"extFields":{}}"#)
    bytes.writeBuffer(&second)
    return bytes
}

private func framing(maxFrameLength: Int = 1 << 20) -> FrameReader {
    FrameReader(maxFrameLength: maxFrameLength)
}

private func slices(_ all: ByteBuffer, cuts: [Int]) -> [ByteBuffer] {
    let bounds = [0] + cuts + [all.readableBytes]
    return zip(bounds, bounds.dropFirst()).map { all.getSlice(at: all.readerIndex + $0, length: $1 - $0)! }
}

@Test func framesSplitAtEveryByteDecodeOnceEach() throws {
    let all = twoFrames()
    for cut in 1..<all.readableBytes {
        var frames = framing()
        var seen: [RemotingCommand] = []
        for piece in slices(all, cuts: [cut]) { try frames.process(piece) { seen.append($0) } }
        #expect(seen.map(\.opaque) == [1, 2], "cut at \(cut)")
        #expect(seen.first?.extFields["topic"] == "T")
        #expect(seen.first?.body.map { String(buffer: $0) } == "hello")
        #expect(frames.unprocessedBytes == 0)
    }
}

@Test func byteByByteFeedingDecodesBothFrames() throws {
    let all = twoFrames()
    var frames = framing()
    var opaques: [Int32] = []
    for i in 0..<all.readableBytes {
        try frames.process(all.getSlice(at: i, length: 1)!) { opaques.append($0.opaque) }
    }
    #expect(opaques == [1, 2])
    #expect(frames.unprocessedBytes == 0)
}

/// Three reads: every pair of cuts, so a frame is finished by a later read than the next, a length field arrives in
/// pieces, and one read both finishes a frame and starts the next.
@Test func framesSplitAtEveryPairOfCutsDecodeOnceEach() throws {
    let all = twoFrames()
    for first in 1..<all.readableBytes {
        for second in first..<all.readableBytes {
            var frames = framing()
            var seen: [RemotingCommand] = []
            for piece in slices(all, cuts: [first, second]) { try frames.process(piece) { seen.append($0) } }
            #expect(seen.map(\.opaque) == [1, 2], "cuts at \(first), \(second)")
            #expect(seen.first?.body.map { String(buffer: $0) } == "hello", "cuts at \(first), \(second)")
        }
    }
}

/// A frame longer than one read (a pull response) arrives over many reads, with the next frame's start in its last one.
@Test func frameLargerThanReadsIsAssembled() throws {
    let body = String((0..<100_000).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
    var all = frame(json: #"{"code":0,"opaque":5,"flag":1,"extFields":{}}"#, body: body)
    var next = frame(json: #"{"code":0,"opaque":6,"flag":1,"extFields":{}}"#, body: "tail")
    all.writeBuffer(&next)
    var frames = framing()
    var seen: [RemotingCommand] = []
    for piece in slices(all, cuts: Array(stride(from: 3, to: all.readableBytes, by: 8191))) {
        try frames.process(piece) { seen.append($0) }
    }
    #expect(seen.map(\.opaque) == [5, 6])
    #expect(seen.first?.body.map { String(buffer: $0) } == body)
    #expect(seen.last?.body.map { String(buffer: $0) } == "tail")
    #expect(frames.unprocessedBytes == 0)
}

/// A frame that is not finished stays unprocessed, with nothing decoded, until its last byte arrives.
@Test func unfinishedFrameWaitsForItsLastByte() throws {
    let one = frame(json: #"{"code":11,"opaque":2,"flag":0,"extFields":{}}"#)
    var frames = framing()
    var seen = 0
    try frames.process(one.getSlice(at: 0, length: one.readableBytes - 1)!) { _ in seen += 1 }
    #expect(seen == 0)
    #expect(frames.unprocessedBytes == one.readableBytes - 1)
    try frames.process(one.getSlice(at: one.readableBytes - 1, length: 1)!) { _ in seen += 1 }
    #expect(seen == 1)
    #expect(frames.unprocessedBytes == 0)
}

@Test func verifierFeedsEverySplitOfTwoFrames() throws {
    let all = twoFrames()
    var expectedFirst = RemotingCommand(code: 10, language: "", version: 0, opaque: 1, extFields: ["topic": "T"])
    expectedFirst.body = ByteBuffer(string: "hello")
    let expectedSecond = RemotingCommand(code: 11, language: "", version: 0, opaque: 2)
    try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(all, [expectedFirst, expectedSecond])],
                                                   decoderFactory: { RemotingCommandDecoder() })
}

@Test func oversizedFrameThrows() {
    var frames = framing(maxFrameLength: 1024)
    var huge = ByteBuffer()
    huge.writeInteger(UInt32(20 << 20))
    #expect(throws: RemotingDecodingError.frameTooLarge(20 << 20)) {
        try frames.process(huge) { _ in }
    }
}

/// A bad length field is refused as soon as its fourth byte arrives, whichever reads it came in.
@Test func badLengthSplitAcrossReadsThrows() throws {
    var huge = ByteBuffer()
    huge.writeInteger(UInt32(20 << 20))
    var tiny = ByteBuffer()
    tiny.writeInteger(UInt32(2))
    for (bytes, error) in [(huge, RemotingDecodingError.frameTooLarge(20 << 20)), (tiny, .frameTooSmall(2))] {
        for cut in 1..<4 {
            var frames = framing(maxFrameLength: 1024)
            try frames.process(bytes.getSlice(at: 0, length: cut)!) { _ in Issue.record("nothing to decode") }
            #expect(throws: error) {
                try frames.process(bytes.getSlice(at: cut, length: 4 - cut)!) { _ in }
            }
        }
    }
}
