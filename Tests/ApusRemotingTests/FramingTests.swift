// Tests for the in-handler framing (RemotingCommandDecoder driven by NIOSingleStepByteToMessageProcessor, as the
// connection handlers do): frames split at every byte, byte-by-byte reads, several frames per read, errors; and the
// same input through NIO's ByteToMessageDecoderVerifier.

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

private func framing(maxFrameLength: Int = 1 << 20) -> NIOSingleStepByteToMessageProcessor<RemotingCommandDecoder> {
    NIOSingleStepByteToMessageProcessor(RemotingCommandDecoder(maxFrameLength: maxFrameLength))
}

@Test func framesSplitAtEveryByteDecodeOnceEach() throws {
    let all = twoFrames()
    for cut in 1..<all.readableBytes {
        let frames = framing()
        var seen: [RemotingCommand] = []
        try frames.process(buffer: all.getSlice(at: 0, length: cut)!) { seen.append($0) }
        try frames.process(buffer: all.getSlice(at: cut, length: all.readableBytes - cut)!) { seen.append($0) }
        #expect(seen.map(\.opaque) == [1, 2], "cut at \(cut)")
        #expect(seen.first?.extFields["topic"] == "T")
        #expect(seen.first?.body.map { String(buffer: $0) } == "hello")
        #expect(frames.unprocessedBytes == 0)
    }
}

@Test func byteByByteFeedingDecodesBothFrames() throws {
    let all = twoFrames()
    let frames = framing()
    var opaques: [Int32] = []
    for i in 0..<all.readableBytes {
        try frames.process(buffer: all.getSlice(at: i, length: 1)!) { opaques.append($0.opaque) }
    }
    #expect(opaques == [1, 2])
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
    let frames = framing(maxFrameLength: 1024)
    var huge = ByteBuffer()
    huge.writeInteger(UInt32(20 << 20))
    #expect(throws: RemotingDecodingError.frameTooLarge(20 << 20)) {
        try frames.process(buffer: huge) { _ in }
    }
}
