// ScheduleIndex: the on-disk timeline of scheduled (delayed and timer) messages — due-time buckets and the
// schedule service's progress. The messages themselves stay in the commit log (topic SCHEDULE_TOPIC_XXXX).
import ApusMessage
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files under `<root>/schedule/`:
///
/// - `<20-digit window start ms>.bucket` — one file per due-time window of `windowMillis` that holds at least one
///   scheduled message. Append-only, 20-byte big-endian entries in arrival order:
///   ```
///   0        8                16       20
///   | dueMs  | commitLogOffset | size  |
///   ```
///   `dueMs` is when the message becomes deliverable; the record at `commitLogOffset` (`size` bytes) is the stored
///   scheduled message. A torn tail (fewer than 20 bytes) is ignored. A window's file is deleted once everything in
///   it has been delivered.
/// - `progress.json` — `{"filed": {"<queueId>": nextQueueOffset, …}, "deliveredTime": ms, "deliveredOffset": offset}`:
///   how far each SCHEDULE_TOPIC_XXXX consume queue has been filed into buckets, and the (dueMs, commitLogOffset)
///   watermark up to which entries were delivered. Written atomically (temp file, fsync, rename) after the bucket
///   files it covers are fsynced, so a crash at any point re-files or re-delivers (at-least-once), never loses.
///
/// Memory holds only the window being delivered; later windows stay on disk.
public final class ScheduleIndex: @unchecked Sendable {
    public struct Entry: Sendable, Hashable, Comparable {
        public var dueMillis: Int64
        public var commitLogOffset: Int64
        public var size: Int32

        public init(dueMillis: Int64, commitLogOffset: Int64, size: Int32) {
            self.dueMillis = dueMillis
            self.commitLogOffset = commitLogOffset
            self.size = size
        }

        public static func < (a: Entry, b: Entry) -> Bool {
            (a.dueMillis, a.commitLogOffset) < (b.dueMillis, b.commitLogOffset)
        }
    }

    public struct Progress: Codable, Sendable, Equatable {
        /// SCHEDULE_TOPIC_XXXX queue id → next consume-queue offset not yet filed into a bucket.
        public var filed: [String: Int64] = [:]
        /// Everything ordered at or before (deliveredTime, deliveredOffset) has been delivered.
        public var deliveredTime: Int64 = 0
        public var deliveredOffset: Int64 = -1

        public init() {}

        public func isDelivered(_ entry: Entry) -> Bool {
            (entry.dueMillis, entry.commitLogOffset) <= (deliveredTime, deliveredOffset)
        }
    }

    static let entrySize = 20
    public let directory: String
    public let windowMillis: Int64
    private var progressPath: String { directory + "/progress.json" }
    /// Open append descriptors of buckets written since the last `sync`. Only the schedule service's serial queue
    /// touches this type, hence `@unchecked Sendable`.
    private var dirty: [Int64: Int32] = [:]
    public private(set) var progress: Progress

    public init(directory: String, windowMillis: Int64 = 10_000) throws {
        precondition(windowMillis > 0)
        self.directory = directory
        self.windowMillis = windowMillis
        try makeDirectories(directory)
        if let bytes = AtomicFile.read(directory + "/progress.json"), !bytes.isEmpty {
            progress = try JSONDecoder().decode(Progress.self, from: Data(bytes))
        } else {
            progress = Progress()
        }
    }

    deinit {
        for fd in dirty.values { close(fd) }
    }

    public func windowStart(of dueMillis: Int64) -> Int64 {
        dueMillis - ((dueMillis % windowMillis) + windowMillis) % windowMillis
    }

    private func path(of window: Int64) -> String {
        directory + "/" + String(repeating: "0", count: max(0, 20 - String(window).count)) + String(window) + ".bucket"
    }

    /// Appends `entry` to the bucket of its due time.
    public func file(_ entry: Entry) throws {
        let window = windowStart(of: entry.dueMillis)
        let fd: Int32
        if let open = dirty[window] {
            fd = open
        } else {
            let path = path(of: window)
            fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StoreError.errno("open", path) }
            dirty[window] = fd
        }
        var bytes = [UInt8](repeating: 0, count: Self.entrySize)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: entry.dueMillis.bigEndian, toByteOffset: 0, as: Int64.self)
            raw.storeBytes(of: entry.commitLogOffset.bigEndian, toByteOffset: 8, as: Int64.self)
            raw.storeBytes(of: entry.size.bigEndian, toByteOffset: 16, as: Int32.self)
        }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard written == Self.entrySize else { throw StoreError.errno("write", path(of: window)) }
    }

    /// Every entry of the window, undelivered ones only, without duplicates, in due order.
    public func load(window: Int64) -> [Entry] {
        guard let bytes = AtomicFile.read(path(of: window)) else { return [] }
        var seen = Set<Int64>()
        var entries: [Entry] = []
        entries.reserveCapacity(bytes.count / Self.entrySize)
        bytes.withUnsafeBytes { raw in
            var at = 0
            while at + Self.entrySize <= raw.count {
                let entry = Entry(
                    dueMillis: Int64(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)),
                    commitLogOffset: Int64(bigEndian: raw.loadUnaligned(fromByteOffset: at + 8, as: Int64.self)),
                    size: Int32(bigEndian: raw.loadUnaligned(fromByteOffset: at + 16, as: Int32.self)))
                at += Self.entrySize
                if !progress.isDelivered(entry), seen.insert(entry.commitLogOffset).inserted { entries.append(entry) }
            }
        }
        return entries.sorted()
    }

    /// Start times of the windows that have a bucket file, ascending.
    public func windows() -> [Int64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            name.hasSuffix(".bucket") ? Int64(name.dropLast(".bucket".count)) : nil
        }.sorted()
    }

    public func remove(window: Int64) {
        if let fd = dirty.removeValue(forKey: window) { close(fd) }
        unlink(path(of: window))
    }

    public func setFiled(queueId: Int32, next: Int64) {
        progress.filed[String(queueId)] = next
    }

    public func filed(queueId: Int32) -> Int64 { progress.filed[String(queueId)] ?? 0 }

    public func setDelivered(through entry: Entry) {
        if !progress.isDelivered(entry) {
            progress.deliveredTime = entry.dueMillis
            progress.deliveredOffset = entry.commitLogOffset
        }
    }

    /// Makes the buckets written so far durable, then the progress that refers to them.
    public func sync() throws {
        for (_, fd) in dirty {
            fsync(fd)
            close(fd)
        }
        dirty.removeAll()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write([UInt8](try encoder.encode(progress)), to: progressPath)
    }
}
