// HTTPConsumptionChange: one change of an HTTP group's in-flight state (`HTTPConsumption.changes(since:)`) and its
// binary journal record, pure (no IO). The broker's HTTPConsumptionJournal appends these records and replays them.
//
// Record (all integers big-endian):
//     u32 payloadLength | u32 crc32(payload) (IEEE, as zlib) | payload
// payload:
//     u8 version (1) | str group | str topic | u64 lastDelivery
//     u32 n, n × (i32 queueId, i64 cursor)                                          cursors set to these values
//     u32 n, n × (i32 queueId, i64 queueOffset)                                     tracked entries removed
//     u32 n, n × (i32 queueId, i64 queueOffset, str shardingKey, i64 firstConsumeTime, i32 consumedTimes,
//                 i64 nextConsumeTime, u64 delivery)                                tracked entries set (added / redelivered)
//     str = u32 byteCount, UTF-8 bytes
// A record whose length runs past the end of the data or whose CRC does not match ends the valid part (a torn tail
// written when the process died): `decodeAll` returns the records before it and the length they cover.

import ApusMessage

public struct HTTPQueueOffset: Sendable, Equatable {
    public var queueId: Int32
    public var queueOffset: Int64

    public init(queueId: Int32, queueOffset: Int64) {
        self.queueId = queueId
        self.queueOffset = queueOffset
    }
}

public struct HTTPConsumptionChange: Sendable, Equatable {
    public var group: String
    public var topic: String
    public var lastDelivery: UInt64
    public var cursors: [HTTPQueueOffset] = []
    public var removed: [HTTPMessageKey] = []
    public var set: [HTTPInflight] = []

    public init(group: String, topic: String, lastDelivery: UInt64) {
        self.group = group
        self.topic = topic
        self.lastDelivery = lastDelivery
    }

    public var isEmpty: Bool { cursors.isEmpty && removed.isEmpty && set.isEmpty }

    static let version: UInt8 = 1
    /// Records larger than this are treated as corrupt.
    static let maxPayload = 64 << 20

    /// The framed record (format at the top of this file).
    public var record: [UInt8] {
        var p = RecordWriter()
        p.bytes.reserveCapacity(64 + set.count * 48 + removed.count * 12 + cursors.count * 12)
        p.u8(Self.version)
        p.str(group)
        p.str(topic)
        p.u64(lastDelivery)
        p.u32(UInt32(cursors.count))
        for c in cursors { p.u32(UInt32(bitPattern: c.queueId)); p.u64(UInt64(bitPattern: c.queueOffset)) }
        p.u32(UInt32(removed.count))
        for k in removed { p.u32(UInt32(bitPattern: k.queueId)); p.u64(UInt64(bitPattern: k.queueOffset)) }
        p.u32(UInt32(set.count))
        for e in set {
            p.u32(UInt32(bitPattern: e.queueId))
            p.u64(UInt64(bitPattern: e.queueOffset))
            p.str(e.shardingKey)
            p.u64(UInt64(bitPattern: e.firstConsumeTime))
            p.u32(UInt32(bitPattern: e.consumedTimes))
            p.u64(UInt64(bitPattern: e.nextConsumeTime))
            p.u64(e.delivery)
        }
        var framed = RecordWriter()
        framed.bytes.reserveCapacity(p.bytes.count + 8)
        framed.u32(UInt32(p.bytes.count))
        framed.u32(CRC32.checksum(p.bytes))
        framed.bytes += p.bytes
        return framed.bytes
    }

    /// Every whole, intact record from the start of `data`, and the byte length they cover (where a torn or corrupt
    /// tail begins; `data.count` when there is none).
    public static func decodeAll(_ data: [UInt8]) -> (changes: [HTTPConsumptionChange], validLength: Int) {
        var changes: [HTTPConsumptionChange] = []
        var at = 0
        data.withUnsafeBytes { raw in
            while data.count - at >= 8 {
                var header = RecordReader(raw, from: at, to: at + 8)
                guard let length = header.u32().map(Int.init), let crc = header.u32(), length <= maxPayload,
                      data.count - at - 8 >= length else { return }
                let payload = UnsafeRawBufferPointer(rebasing: raw[(at + 8)..<(at + 8 + length)])
                guard CRC32.checksum(payload) == crc else { return }
                var r = RecordReader(raw, from: at + 8, to: at + 8 + length)
                guard let change = decodePayload(&r) else { return }
                changes.append(change)
                at += 8 + length
            }
        }
        return (changes, at)
    }

    private static func decodePayload(_ r: inout RecordReader) -> HTTPConsumptionChange? {
        guard r.u8() == version, let group = r.str(), let topic = r.str(), let last = r.u64() else { return nil }
        var change = HTTPConsumptionChange(group: group, topic: topic, lastDelivery: last)
        guard let nc = r.u32() else { return nil }
        for _ in 0..<nc {
            guard let q = r.u32(), let o = r.u64() else { return nil }
            change.cursors.append(HTTPQueueOffset(queueId: Int32(bitPattern: q), queueOffset: Int64(bitPattern: o)))
        }
        guard let nr = r.u32() else { return nil }
        for _ in 0..<nr {
            guard let q = r.u32(), let o = r.u64() else { return nil }
            change.removed.append(HTTPMessageKey(queueId: Int32(bitPattern: q), queueOffset: Int64(bitPattern: o)))
        }
        guard let ns = r.u32() else { return nil }
        for _ in 0..<ns {
            guard let q = r.u32(), let o = r.u64(), let key = r.str(), let first = r.u64(), let times = r.u32(),
                  let next = r.u64(), let delivery = r.u64() else { return nil }
            var entry = HTTPInflight(queueId: Int32(bitPattern: q), queueOffset: Int64(bitPattern: o), shardingKey: key)
            entry.firstConsumeTime = Int64(bitPattern: first)
            entry.consumedTimes = Int32(bitPattern: times)
            entry.nextConsumeTime = Int64(bitPattern: next)
            entry.delivery = delivery
            change.set.append(entry)
        }
        return r.atEnd ? change : nil
    }
}

private struct RecordWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    mutating func str(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes += utf8
    }
}

private struct RecordReader {
    let raw: UnsafeRawBufferPointer
    var at: Int
    let end: Int

    init(_ raw: UnsafeRawBufferPointer, from: Int, to: Int) {
        self.raw = raw
        at = from
        end = to
    }

    var atEnd: Bool { at == end }

    mutating func u8() -> UInt8? {
        guard end - at >= 1 else { return nil }
        defer { at += 1 }
        return raw[at]
    }

    mutating func u32() -> UInt32? {
        guard end - at >= 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(raw[at + i]) }
        at += 4
        return v
    }

    mutating func u64() -> UInt64? {
        guard end - at >= 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(raw[at + i]) }
        at += 8
        return v
    }

    mutating func str() -> String? {
        guard let n = u32().map(Int.init), end - at >= n else { return nil }
        defer { at += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<(at + n)]), as: UTF8.self)
    }
}
