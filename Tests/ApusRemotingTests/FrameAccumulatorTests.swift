// Tests for FrameAccumulator, the in-handler framing: frames split at every byte, several frames per read, errors.

@testable import ApusRemoting
import NIOCore
import Testing

private func twoFrames() -> ByteBuffer {
    var bytes = frame(json: #"{"code":10,"opaque":1,"flag":0,"extFields":{"topic":"T"}}"#, body: "hello")
    var second = frame(json: #"{"code":11,"opaque":2,"flag":0,"extFields":{}}"#)
    bytes.writeBuffer(&second)
    return bytes
}

@Test func framesSplitAtEveryByteDecodeOnceEach() throws {
    let all = twoFrames()
    for cut in 1..<all.readableBytes {
        var accumulator = FrameAccumulator(maxFrameLength: 1 << 20)
        var seen: [RemotingCommand] = []
        try accumulator.feed(all.getSlice(at: 0, length: cut)!) { seen.append($0) }
        try accumulator.feed(all.getSlice(at: cut, length: all.readableBytes - cut)!) { seen.append($0) }
        #expect(seen.map(\.opaque) == [1, 2], "cut at \(cut)")
        #expect(seen.first?.extFields["topic"] == "T")
        #expect(seen.first?.body.map { String(buffer: $0) } == "hello")
    }
}

@Test func byteByByteFeedingDecodesBothFrames() throws {
    let all = twoFrames()
    var accumulator = FrameAccumulator(maxFrameLength: 1 << 20)
    var opaques: [Int32] = []
    for i in 0..<all.readableBytes {
        try accumulator.feed(all.getSlice(at: i, length: 1)!) { opaques.append($0.opaque) }
    }
    #expect(opaques == [1, 2])
}

@Test func oversizedFrameThrows() {
    var accumulator = FrameAccumulator(maxFrameLength: 1024)
    var huge = ByteBuffer()
    huge.writeInteger(UInt32(20 << 20))
    #expect(throws: RemotingDecodingError.frameTooLarge(20 << 20)) {
        try accumulator.feed(huge) { _ in }
    }
}
