// Helpers for ApusStore tests: temporary store directories, message builders, polling with a deadline.
import ApusMessage
@testable import ApusStore
import Foundation
import Logging
import NIOCore

let testLogger = Logger(label: "apus.store.test")

/// Every test directory lives under one per-process parent, removed when the test process exits.
private let testRoot: String = {
    let path = "/tmp/apus-store-tests-\(getpid())"
    atexit { try? FileManager.default.removeItem(atPath: "/tmp/apus-store-tests-\(getpid())") }
    return path
}()

func temporaryDirectory() -> String {
    let path = testRoot + "/" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func smallConfig(_ root: String, flush: FlushDiskType = .asyncFlush) -> StoreConfig {
    var config = StoreConfig(rootDir: root)
    config.mappedFileSizeCommitLog = 64 * 1024
    config.consumeQueueEntriesPerFile = 100
    config.flushDiskType = flush
    config.flushIntervalMillis = 50
    config.indexSlotCount = 64
    config.indexEntryCount = 256
    return config
}

func message(topic: String = "TopicTest", queueId: Int32 = 0, body: String, tag: String? = nil, keys: String? = nil,
             uniqueKey: String? = nil, size: Int = 0) -> MessageToStore {
    var pairs: [(String, String)] = []
    if let tag { pairs.append((MessageProperty.tags, tag)) }
    if let keys { pairs.append((MessageProperty.keys, keys)) }
    if let uniqueKey { pairs.append((MessageProperty.uniqueKey, uniqueKey)) }
    var bytes = Array(body.utf8)
    if bytes.count < size { bytes += [UInt8](repeating: 0x2E, count: size - bytes.count) }
    return MessageToStore(topic: topic, queueId: queueId, body: ByteBuffer(bytes: bytes),
                          properties: MessagePropertyCodec.encode(pairs), bornTimestamp: 1_000,
                          bornHost: HostAddress("10.0.0.9:40000")!, storeHost: HostAddress("127.0.0.1:10911")!,
                          tagsCode: TagsCode.of(tag))
}

extension MessageStore {
    /// A put of a literal list (the store lends its messages out while encoding, so it takes them `inout`).
    func putMessages(_ messages: [MessageToStore]) -> PutResult {
        var messages = messages
        return putMessages(&messages)
    }
}

@discardableResult
func put(_ store: MessageStore, _ messages: MessageToStore...) -> PutResult {
    let result = store.putMessages(messages)
    precondition(result.status == .ok, "put failed: \(result.status)")
    return result
}

func pull(_ store: MessageStore, topic: String = "TopicTest", queueId: Int32 = 0, offset: Int64, maxCount: Int = 32,
          maxBytes: Int = 256 * 1024, filter: (Int64) -> Bool = { _ in true }) -> (GetMessageResult, [StoredMessage]) {
    let result = store.getMessages(topic: topic, queueId: queueId, offset: offset, maxCount: maxCount, maxBytes: maxBytes, filter: filter)
    return (result, result.body.map(StoredMessageCodec.decodeAll) ?? [])
}

func bodies(_ messages: [StoredMessage]) -> [String] {
    messages.map { String(buffer: $0.body).trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

func fileBytes(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }

func writeFileBytes(_ bytes: [UInt8], _ path: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

func int64(_ bytes: [UInt8], _ at: Int) -> Int64 { bytes[at..<at + 8].reduce(Int64(0)) { $0 << 8 | Int64($1) } }
func int32(_ bytes: [UInt8], _ at: Int) -> Int32 { Int32(truncatingIfNeeded: bytes[at..<at + 4].reduce(Int64(0)) { $0 << 8 | Int64($1) }) }

func segmentPath(_ root: String, _ start: Int64) -> String { root + "/commitlog/" + String(format: "%020lld", start) }

/// KiB of `path` this process has mapped and resident (its mappings' Rss in /proc/self/smaps).
func mappedKiB(_ path: String) -> Int {
    guard let data = try? FileHandle(forReadingAtPath: "/proc/self/smaps")?.readToEnd() else { return -1 }
    let smaps = String(decoding: data, as: UTF8.self)
    var inside = false, total = 0
    for line in smaps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if let first = fields.first, first.contains("-"), first.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
            inside = fields.last.map(String.init) == path
        } else if inside, fields.first == "Rss:", let kib = Int(fields[1]) {
            total += kib
        }
    }
    return total
}
