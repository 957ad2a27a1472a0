// StoreCheckpoint: <root>/checkpoint, how far the commit log and the consume queues + index are known durable.
#if canImport(Glibc)
import Glibc
#endif
import ApusMessage

/// File layout (44 bytes, big-endian), rewritten in place with pwrite + fdatasync each time the flush thread writes the
/// consume queues and the index back (every 10 s, `MessageStore.derivedFlushIntervalMillis`, and at shutdown):
///
///     offset size field
///      0     8   physicMsgTimestamp    ms, wall clock of that write-back (the log is also flushed between them)
///      8     8   logicsMsgTimestamp    ms, same for consume queues
///     16     8   indexMsgTimestamp     ms, same for the index
///     24     8   physicalFlushedOffset the commit log is durable below this offset
///     32     8   logicsFlushedOffset   every record below this commit-log offset has durable consume-queue and index entries
///                                      (the log's dispatched position when they were last written back)
///     40     4   CRC32 of bytes 0..<40 (a torn or missing checkpoint is ignored: recovery then scans the whole log)
struct StoreCheckpoint: Equatable {
    var physicMsgTimestamp: Int64 = 0
    var logicsMsgTimestamp: Int64 = 0
    var indexMsgTimestamp: Int64 = 0
    var physicalFlushedOffset: Int64 = 0
    var logicsFlushedOffset: Int64 = 0

    static let length = 44

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.length)
        for value in [physicMsgTimestamp, logicsMsgTimestamp, indexMsgTimestamp, physicalFlushedOffset, logicsFlushedOffset] {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        withUnsafeBytes(of: CRC32.checksum(bytes).bigEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    init(physicMsgTimestamp: Int64 = 0, logicsMsgTimestamp: Int64 = 0, indexMsgTimestamp: Int64 = 0,
         physicalFlushedOffset: Int64 = 0, logicsFlushedOffset: Int64 = 0) {
        self.physicMsgTimestamp = physicMsgTimestamp
        self.logicsMsgTimestamp = logicsMsgTimestamp
        self.indexMsgTimestamp = indexMsgTimestamp
        self.physicalFlushedOffset = physicalFlushedOffset
        self.logicsFlushedOffset = logicsFlushedOffset
    }

    init?(decoding bytes: [UInt8]) {
        guard bytes.count >= Self.length else { return nil }
        let crc = bytes[40..<44].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32.checksum(Array(bytes[0..<40])) == crc else { return nil }
        func int64(_ at: Int) -> Int64 { bytes[at..<at + 8].reduce(Int64(0)) { $0 << 8 | Int64($1) } }
        self.init(physicMsgTimestamp: int64(0), logicsMsgTimestamp: int64(8), indexMsgTimestamp: int64(16),
                  physicalFlushedOffset: int64(24), logicsFlushedOffset: int64(32))
    }

    static func read(_ path: String) -> StoreCheckpoint? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: length)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, 0) }
        return n == length ? StoreCheckpoint(decoding: bytes) : nil
    }

    func write(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.errno("open", path) }
        defer { close(fd) }
        let bytes = encoded()
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard n == bytes.count, fdatasync(fd) == 0 else { throw StoreError.errno("write", path) }
    }
}
