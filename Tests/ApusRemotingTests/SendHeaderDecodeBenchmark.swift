// Micro-benchmark (opt-in: APUS_BENCH=1, meant for `swift test -c release -Xswiftc -enable-testing`): the typed
// send-header decode vs the previous by-key decoder. (Framing is timed by `apus bench-parts`.)

import ApusMessage
@testable import ApusRemoting
import Foundation
import NIOCore
import Testing

private func sendFrames(_ count: Int) -> ByteBuffer {
    var all = ByteBuffer()
    let body = String(repeating: "x", count: 100)
    for i in 0..<count {
        var one = frame(json: cppSendHeader.replacingOccurrences(of: #""opaque":7"#, with: #""opaque":\#(i)"#), body: body)
        all.writeBuffer(&one)
    }
    return all
}

private func nanosPerItem(_ items: Int, _ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(items)
}

@Test(.enabled(if: ProcessInfo.processInfo.environment["APUS_BENCH"] == "1"))
func sendHeaderDecodeBenchmark() throws {
    var decoder = RemotingCommandDecoder()
    var one = sendFrames(1)
    let command = try #require(try decoder.decode(buffer: &one))
    let n = 200_000
    var typedRuns: [Double] = [], byKeyRuns: [Double] = []
    for _ in 0..<7 {
        typedRuns.append(try nanosPerItem(n) {
            var sum: Int64 = 0
            for _ in 0..<n { sum &+= try SendMessageRequestHeader(request: command).bornTimestamp }
            precondition(sum != 0)
        })
        byKeyRuns.append(try nanosPerItem(n) {
            var sum: Int64 = 0
            for _ in 0..<n { sum &+= try PreviousSendHeader(command).bornTimestamp }
            precondition(sum != 0)
        })
    }
    print("send header ns/decode  typed single pass: \(typedRuns.map { Int($0) })  previous by-key decoder: \(byKeyRuns.map { Int($0) })")
}

/// The send-header decoder before typed headers (SendMessageProcessor.SendMessageHeader): one by-key scan per field.
private struct PreviousSendHeader {
    var producerGroup: String, topic: String, defaultTopic: String?, queueId: Int32, sysFlag: Int32, bornTimestamp: Int64
    var flag: Int32, properties: String, reconsumeTimes: Int32, maxReconsumeTimes: Int32?, batch: Bool

    init(_ request: RemotingCommand) throws {
        let f = request.extFields
        let v2 = request.code != RequestCode.sendMessage.rawValue
        func key(_ long: String, _ short: String) -> String { v2 ? short : long }
        func int32(_ k: String) -> Int32? { f[k].flatMap { Int32($0) ?? JSONValue.integer($0.trimmingSpaces).flatMap { Int32(exactly: $0) } } }
        func int64(_ k: String) -> Int64? { f[k].flatMap { Int64($0) ?? JSONValue.integer($0.trimmingSpaces) } }
        producerGroup = f[key("producerGroup", "a")] ?? ""
        guard let t = f[key("topic", "b")], !t.isEmpty else { throw HeaderError.missing(field: "topic") }
        topic = t
        defaultTopic = f[key("defaultTopic", "c")]
        queueId = int32(key("queueId", "e")) ?? -1
        sysFlag = int32(key("sysFlag", "f")) ?? 0
        bornTimestamp = int64(key("bornTimestamp", "g")) ?? currentMillis()
        flag = int32(key("flag", "h")) ?? 0
        properties = f[key("properties", "i")] ?? ""
        reconsumeTimes = int32(key("reconsumeTimes", "j")) ?? 0
        maxReconsumeTimes = int32(key("maxReconsumeTimes", "l"))
        batch = request.code == RequestCode.sendBatchMessage.rawValue || (f[key("batch", "m")].flatMap(JSONValue.bool) ?? false)
    }
}
