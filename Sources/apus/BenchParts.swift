// apus bench-parts: the produce path's hot components timed alone, in-process and single-threaded, so a change can
// be judged without a broker, a client or the other core's noise: framing of 64 KiB reads (FrameReader against NIO's
// NIOSingleStepByteToMessageProcessor), frame decode (JSON and binary headers), typed send header, property rewrite,
// record encode with body CRC, the CRC alone, store append (one and 32 per put), a pull's store read (32 records),
// the consumer's decode of a pull body (32 records), the send response encode, and the consumer's next pull
// (general encoder against its template) and the decode of its one-record answer. Prints ns per operation, the
// median of --repeats timed rounds.

import ApusMessage
import ApusRemoting
import ApusStore
import ArgumentParser
import Foundation
import Logging
import NIOCore

struct BenchParts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-parts",
        abstract: "Time the produce path's components alone (ns per operation, median of rounds).")

    @Option(help: "Message body size in bytes.")
    var size = 1024
    @Option(help: "Operations per timed round.")
    var operations = 100_000
    @Option(help: "Timed rounds; the median is printed.")
    var repeats = 7
    @Option(help: "Only the parts whose name contains this text.")
    var filter: String?

    func run() throws {
        let body = ByteBuffer(bytes: (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) })
        let properties = MessagePropertyCodec.encode([(MessageProperty.uniqueKey, "7F0000010000185F9A2C1B3E00000001"),
                                                      (MessageProperty.wait, "true"), (MessageProperty.tags, "TagA")])
        let rewrite = PropertyReplacement(removing: MessageProperty.wait, appending: MessageProperty.cluster, "DefaultCluster")
        let header = SendMessageRequestHeader(producerGroup: "bench_producer", topic: "bench_topic", queueId: 3,
                                              bornTimestamp: 1_764_000_000_000, properties: properties)
        // As the Swift producer writes it (binary), and as the Java client does (JSON).
        func frame(_ type: SerializeType) -> ByteBuffer {
            var out = ByteBuffer()
            SendFrameTemplate(header, serializeType: type).writeHeader(
                opaque: 42, queueId: header.queueId, bornTimestamp: header.bornTimestamp, properties: properties,
                bodyLength: body.readableBytes, to: &out)
            out.writeImmutableBuffer(body)
            return out
        }
        let jsonFrame = frame(.json), binaryFrame = frame(.rocketmq)
        // A pull as the Java client sends it (its key order) and as the Swift consumer does (PullFrameTemplate's bytes).
        let javaPullFrame: ByteBuffer = {
            let header = #"{"code":11,"extFields":{"queueId":"3","maxMsgNums":"32","sysFlag":"3","suspendTimeoutMillis":"15000","#
                + #""commitOffset":"1024","bname":"broker-a","topic":"bench_topic","queueOffset":"1056","expressionType":"TAG","#
                + #""subVersion":"1764000000000","consumerGroup":"bench_consumer"},"flag":0,"language":"JAVA","opaque":77,"#
                + #""serializeTypeCurrentRPC":"JSON","version":409}"#
            var out = ByteBuffer()
            out.writeInteger(Int32(4 + header.utf8.count))
            out.writeInteger(Int32(header.utf8.count))
            out.writeString(header)
            return out
        }()
        let binaryPullFrame: ByteBuffer = {
            var out = ByteBuffer()
            PullFrameTemplate(PullMessageRequestHeader(consumerGroup: "bench_consumer", topic: "bench_topic", queueId: 3,
                                                       queueOffset: 0, sysFlag: [], subVersion: 1_764_000_000_000))
                .write(opaque: 77, queueOffset: 1056, sysFlag: PullSysFlag(rawValue: 3), commitOffset: 1024, to: &out)
            return out
        }()
        let message = MessageToStore(topic: "bench_topic", queueId: 3, body: body, properties: properties,
                                     bornTimestamp: 1_764_000_000_000, bornHost: .zero, storeHost: .zero,
                                     reconsumeTimes: 0, preparedTransactionOffset: 0, tagsCode: 0)
        let recordLength = StoredMessageCodec.recordLength(bodyLength: size, topicLength: 11, propertiesLength: properties.utf8.count)
        let record = UnsafeMutableRawPointer.allocate(byteCount: recordLength, alignment: 8)
        defer { record.deallocate() }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apus-bench-parts-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = StoreConfig(rootDir: dir)
        config.mappedFileSizeCommitLog = 1 << 30
        let store = try MessageStore(config: config, logger: Logger(label: "apus.bench-parts"))
        store.start()  // the flush thread prefaults pages ahead of the appender, as in the broker
        defer { store.shutdown() }
        // Distinct unique keys, as real sends have (the index hashes each).
        let distinct = (0..<4096).map { i in
            MessageToStore(topic: "bench_topic", queueId: Int32(i % 8), body: body,
                           properties: MessagePropertyCodec.encode([(MessageProperty.uniqueKey, "7F0000010000185F9A2C1B3E\(String(i, radix: 16))"),
                                                                    (MessageProperty.tags, "TagA"), (MessageProperty.cluster, "DefaultCluster")]),
                           bornTimestamp: 1_764_000_000_000, bornHost: .zero, storeHost: .zero,
                           reconsumeTimes: 0, preparedTransactionOffset: 0, tagsCode: 0)
        }
        var next = 0
        func batch(_ n: Int) -> [MessageToStore] {
            defer { next = (next + n) % (distinct.count - 32) }
            return Array(distinct[next..<next + n])
        }

        // A pull's read: 32 records of one queue, interleaved in the log with three other queues' records.
        var stored = (0..<4096).map { i in
            MessageToStore(topic: "bench_pull", queueId: Int32(i % 4), body: body, properties: properties,
                           bornTimestamp: 1_764_000_000_000, bornHost: .zero, storeHost: .zero,
                           reconsumeTimes: 0, preparedTransactionOffset: 0, tagsCode: 0)
        }
        _ = store.putMessages(&stored)
        var pullOffset: Int64 = 0
        let pullBody = store.getMessages(topic: "bench_pull", queueId: 0, offset: 0, maxCount: 32, maxBytes: 256 << 10,
                                         filter: { _ in true }).body ?? ByteBuffer()

        // A burst of binary send frames as 64 KiB socket reads. The decoded commands are held until the end of their read,
        // as the broker holds a read burst's sends (their bodies slices of the read) until it appends them.
        let burstFrames = 600
        let burst: [ByteBuffer] = {
            var all = ByteBuffer()
            for _ in 0..<burstFrames { all.writeImmutableBuffer(binaryFrame) }
            return stride(from: 0, to: all.readableBytes, by: 65_536).map {
                all.getSlice(at: $0, length: min(65_536, all.readableBytes - $0))!
            }
        }()
        let pullTemplate = PullFrameTemplate(PullMessageRequestHeader(
            consumerGroup: "bench_cg", topic: "bench_topic", queueId: 3, queueOffset: 0, maxMsgNums: 32, sysFlag: [],
            commitOffset: 0, subscription: "*", subVersion: 1_764_000_000_000))
        // A W4 pull's answer: one record, as the broker frames it.
        let pullAnswer: ByteBuffer = {
            let one = store.getMessages(topic: "bench_pull", queueId: 0, offset: 0, maxCount: 1, maxBytes: 256 << 10,
                                        filter: { _ in true }).body ?? ByteBuffer()
            var out = ByteBuffer()
            _ = PullMessageResponseHeader(nextBeginOffset: 1, minOffset: 0, maxOffset: 1 << 20).writeResponse(
                code: ResponseCode.success.rawValue, opaque: 42, remark: "FOUND", bodyLength: one.readableBytes,
                serializeType: .rocketmq, to: &out)
            out.writeImmutableBuffer(one)
            return out
        }()
        var held: [RemotingCommand] = []
        held.reserveCapacity(128)

        var sink = 0
        let parts: [(String, () throws -> Void)] = [
            ("framing 64 KiB reads, FrameReader", {
                var reader = FrameReader(maxFrameLength: 16 << 20)
                for read in burst {
                    try reader.process(read) { held.append($0) }
                    sink &+= held.count
                    held.removeAll(keepingCapacity: true)
                }
            }),
            ("framing 64 KiB reads, NIO's processor", {
                let processor = NIOSingleStepByteToMessageProcessor(RemotingCommandDecoder(maxFrameLength: 16 << 20))
                for read in burst {
                    try processor.process(buffer: read) { held.append($0) }
                    sink &+= held.count
                    held.removeAll(keepingCapacity: true)
                }
            }),
            // What a send costs before the broker's own work: the frame and its typed header (the send fields are read
            // without building ext fields, see RemotingCommand.extFields).
            ("decode send frame + typed header, JSON", { sink &+= Int(try SendMessageRequestHeader(request: decodeOne(jsonFrame)).queueId) }),
            ("decode send frame + typed header, binary", { sink &+= Int(try SendMessageRequestHeader(request: decodeOne(binaryFrame)).queueId) }),
            // What a pull costs before the broker's own work: the frame and its typed header.
            ("decode pull frame + typed header, JSON", { sink &+= Int(try PullMessageRequestHeader(request: decodeOne(javaPullFrame)).queueOffset) }),
            ("decode pull frame + typed header, binary", { sink &+= Int(try PullMessageRequestHeader(request: decodeOne(binaryPullFrame)).queueOffset) }),
            ("property rewrite (drop WAIT, add CLUSTER)", {
                sink &+= properties.withContiguousUTF8 { rewrite.apply(to: $0) }.properties.utf8.count
            }),
            ("body CRC32 (\(size) B)", { sink &+= Int(body.withUnsafeReadableBytes { CRC32.checksum($0) }) }),
            ("record encode incl. CRC", {
                sink &+= StoredMessageCodec.encode(message, queueOffset: 1, physicalOffset: 2, storeTimestamp: 3, into: record)
            }),
            ("store append, 1 per put", { var one = batch(1); sink &+= store.putMessages(&one).records.count }),
            ("store append, 32 per put (per message)", { var run = batch(32); sink &+= store.putMessages(&run).records.count }),
            ("store get, 32 per pull (per message)", {
                defer { pullOffset = (pullOffset + 32) % 992 }
                sink &+= store.getMessages(topic: "bench_pull", queueId: 0, offset: pullOffset, maxCount: 32,
                                           maxBytes: 256 << 10, filter: { _ in true }).messageCount
            }),
            // What the Swift consumer does with each pull response's body.
            ("pull body decode, 32 per pull (per message)", { sink &+= StoredMessageCodec.decodeAll(pullBody).count }),
            // As the broker writes it into the outgoing burst (RemotingConnection.writeResponse).
            ("send response encode, JSON", {
                var out = ByteBuffer()
                let header = SendMessageResponseHeader(
                    offsetMessageId: OffsetMessageId(storeHost: .zero, commitLogOffset: Int64(sink & 0xFFFF)), queueId: 3,
                    queueOffset: 9)
                _ = header.writeResponse(code: ResponseCode.success.rawValue, opaque: 42, remark: nil, bodyLength: 0,
                                         serializeType: .json, to: &out)
                sink &+= out.readableBytes
            }),
            // The Swift consumer's next pull: through the general encoder (a command and its header's field walk), and
            // from the queue's pre-encoded template (PushConsumer's path).
            ("pull request encode, command", {
                var out = ByteBuffer()
                var command = RemotingCommand.request(code: .pullMessage, header: PullMessageRequestHeader(
                    consumerGroup: "bench_cg", topic: "bench_topic", queueId: 3, queueOffset: Int64(sink & 0xFFFF), maxMsgNums: 32,
                    sysFlag: [.suspend, .subscription, .commitOffset], commitOffset: Int64(sink & 0xFFFF), subscription: "*",
                    subVersion: 1_764_000_000_000))
                command.serializeType = .rocketmq
                command.opaque = 42
                try RemotingCommandEncoder().encode(data: command, out: &out)
                sink &+= out.readableBytes
            }),
            ("pull request encode, template", {
                var out = ByteBuffer()
                pullTemplate.write(opaque: 42, queueOffset: Int64(sink & 0xFFFF), sysFlag: [.suspend, .subscription, .commitOffset],
                                   commitOffset: Int64(sink & 0xFFFF), to: &out)
                sink &+= out.readableBytes
            }),
            ("pull answer decode, 1 record", {
                let answer = try decodeOne(pullAnswer)
                sink &+= Int(try PullMessageResponseHeader(response: answer).nextBeginOffset)
                    &+ StoredMessageCodec.decodeAll(answer.body!).count
            }),
            ("pull response header encode, JSON", {
                var out = ByteBuffer()
                let header = PullMessageResponseHeader(nextBeginOffset: Int64(sink & 0xFFFF), minOffset: 0, maxOffset: 1 << 20)
                _ = header.writeResponse(code: ResponseCode.success.rawValue, opaque: 42, remark: "FOUND", bodyLength: 32 << 10,
                                         serializeType: .json, to: &out)
                sink &+= out.readableBytes
            }),
        ]
        print("bench-parts: body \(size) B, \(operations) operations per round, median of \(repeats) rounds")
        for (name, part) in parts where filter.map({ name.contains($0) }) ?? true {
            let perCall = name.hasPrefix("framing") ? burstFrames : name.contains("32 per") ? 32 : 1
            let calls = name.hasPrefix("store append") ? min(operations / perCall, 20_000 / perCall) : max(1, operations / perCall)
            var rounds: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<calls { try part() }
                let elapsed = DispatchTime.now().uptimeNanoseconds - start
                rounds.append(Double(elapsed) / Double(calls * perCall))
            }
            rounds.sort()
            print(String(format: "  %-44@ %8.1f ns/op  (min %.1f, max %.1f)", name as NSString, rounds[rounds.count / 2],
                         rounds.first!, rounds.last!))
        }
        if sink == 42 { print("") }  // keeps the work observable
    }

    private func decodeOne(_ frame: ByteBuffer) throws -> RemotingCommand {
        var buffer = frame
        var decoder = RemotingCommandDecoder()
        guard let command = try decoder.decode(buffer: &buffer) else { throw ValidationError("incomplete frame") }
        return command
    }
}
