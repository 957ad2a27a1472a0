// MappedFile: one fixed-size file memory-mapped MAP_SHARED (commit-log segments, consume-queue and index files);
// StoreError and the few file-system helpers the store uses.
import CLinux
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
    static func errno(_ what: String, _ path: String) -> StoreError {
        StoreError("\(what) \(path): \(String(cString: strerror(Glibc.errno)))")
    }
}

private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
/// `SYNC_FILE_RANGE_WRITE` (<fcntl.h>, under _GNU_SOURCE): start writeback of the range's dirty pages, do not wait.
private let syncFileRangeWrite: UInt32 = 2

/// A file of exactly `size` bytes, created zero-filled if absent, mapped read-write for its whole life.
/// `@unchecked Sendable`: the fields are immutable; the mapped bytes are written only by the appender (under the
/// store's append lock) and read only below positions the appender has atomically published.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// Offset of byte 0 of this file in its log (commit-log offset, or consume-queue byte offset).
    let startOffset: Int64
    let size: Int
    let base: UnsafeMutableRawPointer
    private let fd: Int32
    /// Set by readers when they start reading through the mapping (which maps the pages they touch into the process),
    /// cleared by the owner before it calls `unmapPages`: lets it skip files nobody has read since. True at first, for
    /// whatever recovery or an earlier reader mapped. A reader that sets it just before the owner clears it and touches
    /// pages just after leaves those pages mapped until the file is read again; no correctness depends on the flag.
    let readSinceUnmap = Atomic<Bool>(true)
    /// Set by readers as `readSinceUnmap`; taken (cleared) by the flush thread before it flushes this file, which maps
    /// the range into the process first (`populate`) when a reader came by since its previous flush.
    let readRecently = Atomic<Bool>(false)

    init(path: String, startOffset: Int64, size: Int) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.errno("open", path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { close(fd); throw StoreError.errno("fstat", path) }
        if Int(info.st_size) != size {
            guard Int(info.st_size) < size else {
                close(fd)
                throw StoreError("\(path) is \(info.st_size) bytes, expected \(size) (was the file size configuration changed?)")
            }
            guard ftruncate(fd, off_t(size)) == 0 else { close(fd); throw StoreError.errno("ftruncate", path) }
        }
        guard let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapping != MAP_FAILED else {
            close(fd)
            throw StoreError.errno("mmap", path)
        }
        self.path = path
        self.startOffset = startOffset
        self.size = size
        self.base = mapping
        self.fd = fd
    }

    deinit {
        munmap(base, size)
        close(fd)
    }

    var endOffset: Int64 { startOffset + Int64(size) }

    /// A reader is about to read through the mapping (see `readSinceUnmap`, `readRecently`).
    @inline(__always) func markRead() {
        readSinceUnmap.store(true, ordering: .relaxed)
        readRecently.store(true, ordering: .relaxed)
    }

    /// Writes `bytes` at `offset` (relative to the file start) with pwrite(2), retrying short writes; false on an error
    /// (e.g. ENOSPC), which a store through the mapping would have turned into SIGBUS. The mapping sees the bytes at
    /// once (one page cache). Whole pages written this way are copied, not first zero-filled as a first store through
    /// the mapping makes the kernel do.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    /// Writes dirty pages of `range` (relative to the file start) to disk.
    ///
    /// The whole pages of the range are sent to writeback first (`sync_file_range`, without waiting), a step at a time
    /// (`steps`), and the `msync` of the range then writes the page an appender may be filling (when the range ends
    /// inside one) in an I/O of its own, waits for the rest and flushes the disk's cache, so the flush is exactly as
    /// durable as one `msync`. Writeback keeps each page of a batch locked until the batch's I/O is built, and an append
    /// into a locked page waits in `pwrite`: with the whole range in one batch, the event loop waited 150–190 µs behind
    /// the 500 ms flush of the log, two to ten times in a W4 run of 10 s; with the last page alone, once in four runs
    /// (57 µs).
    @discardableResult
    func flush(_ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return true }
        let start = range.lowerBound / pageSize * pageSize
        let end = min(size, range.upperBound)
        steps(from: start, to: end / pageSize * pageSize, Self.writebackStep) { from, count in
            _ = sync_file_range(fd, off_t(from), off_t(count), syncFileRangeWrite)
        }
        return msync(base + start, end - start, MS_SYNC) == 0
    }

    /// Calls `body(offset, count)` over `[start, end)` (nothing when it is empty) in pieces of at most `step` bytes,
    /// yielding the CPU between pieces.
    ///
    /// The kernel here runs without preemption (PREEMPT_NONE, a 4 ms tick): a thread inside one long call keeps its
    /// vCPU until the call returns or the tick comes, whoever was woken there meanwhile. The flush thread's calls over
    /// whole windows ran for milliseconds on this guest (`sync_file_range` 2–4 ms, `MADV_POPULATE_READ` 1.5 ms,
    /// `MADV_DONTNEED` 3.4 ms, `fallocate` of a segment 4.5 ms), and an event loop or a client thread woken onto that
    /// vCPU waited them out: in a W4 run, 20 messages in a row took 2.6 ms behind one `madvise` that unmapped 540 MiB.
    /// In pieces, each call returns to user space within a few hundred microseconds, and `sched_yield` lets a thread
    /// that became runnable meanwhile run first; with nothing else runnable it returns at once.
    private func steps(from start: Int, to end: Int, _ step: Int, _ body: (_ offset: Int, _ count: Int) -> Void) {
        var from = start
        while from < end {
            let count = Swift.min(step, end - from)
            body(from, count)
            from += count
            if from < end { sched_yield() }
        }
    }

    /// One writeback or populate call (`steps`): 64 pages, 100–200 µs of kernel time here.
    private static let writebackStep = 256 << 10
    /// One unmap call (`steps`): its cost follows the pages mapped, not the bytes, and the flush thread unmaps the cold
    /// part of the segment being written every pass, nearly all of it unmapped already (byte-sized steps made 88,000
    /// calls in a W4 run); 8 MiB wholly mapped is about 0.3 ms here.
    private static let unmapStep = 8 << 20
    /// One `fallocate` call (`steps`): ext4 allocates unwritten extents by the extent, not the page.
    private static let allocateStep = 16 << 20

    /// Allocates the blocks of `range` (relative to the file start) that are still holes, as unwritten extents that read
    /// as zeros (`fallocate`; the size does not change). A write into a hole makes ext4 reserve its block under the
    /// inode's block-map lock, which writeback of the same file holds while it allocates and converts extents: on this
    /// guest an appender's `pwrite` into a hole waited up to 25 ms behind it; a write into an allocated extent takes no
    /// such lock. Where `fallocate` is refused (a file system without it, a full disk) nothing changes: writes allocate.
    /// Returns whether every step was allocated.
    @discardableResult
    func allocate(_ range: Range<Int>) -> Bool {
        let end = Swift.min(size, range.upperBound)
        var allocated = true
        steps(from: range.lowerBound, to: end, Self.allocateStep) { from, count in
            if fallocate(fd, 0, off_t(from), off_t(count)) != 0 { allocated = false }
        }
        return allocated
    }

    /// Brings the pages of `range` (relative to the file start) into the page cache (`POSIX_FADV_WILLNEED`), in steps
    /// the kernel reads ahead whole (it caps one request at the device's readahead size). Over blocks that hold no data
    /// yet (holes, unwritten extents) this makes clean zeroed pages without I/O; they are not mapped into this process.
    func cache(_ range: Range<Int>) {
        let start = range.lowerBound / pageSize * pageSize
        let end = Swift.min(size, range.upperBound)
        steps(from: start, to: end, Self.cacheStep) { from, count in
            _ = posix_fadvise(fd, off_t(from), off_t(count), POSIX_FADV_WILLNEED)
        }
    }

    /// One `cache` request: under the kernel's default readahead size (128 KiB), which no device goes below unless told
    /// to, and short (8 pages, at most about 60 µs on this guest), so the idle-policy cache thread yields its CPU soon.
    /// The yield between requests matters for it too: a woken thread takes an idle-policy thread's CPU at once, but an
    /// event loop whose slice ended was seen switched out for it, and waited 2.3 ms for the next tick.
    private static let cacheStep = 32 << 10

    /// Maps the cached pages of `range` (relative to the file start) into this process (`MADV_POPULATE_READ`), as a
    /// reader's first touch would. Done by the flush thread before it writes the range back: while writeback holds a
    /// page locked, which on a saturated disk lasts hundreds of milliseconds, a reader's first touch of that page waits
    /// for it in the page fault (seen: 282 and 592 ms on an event loop), while a touch of a page already mapped does not.
    func populate(_ range: Range<Int>) {
        let start = range.lowerBound / pageSize * pageSize
        let end = Swift.min(size, range.upperBound)
        steps(from: start, to: end, Self.writebackStep) { from, count in _ = madvise(base + from, count, MADV_POPULATE_READ) }
    }

    /// Whether `allocateWhole` succeeded: the file has no hole left, and windows need no `allocate`.
    var allocatedWhole: Bool { wholeAllocation.load(ordering: .relaxed) }
    private let wholeAllocation = Atomic<Bool>(false)

    /// `allocate` over the whole file.
    func allocateWhole() {
        if allocate(0..<size) { wholeAllocation.store(true, ordering: .relaxed) }
    }

    /// Drops this process's page mappings of `range` (relative to the file start, rounded down to whole pages). The
    /// pages stay in the page cache, dirty ones too; a later read through the mapping faults them back in without disk
    /// IO. Mapped file pages are not free to keep: the kernel walks a page's mappings whenever it checks whether the
    /// page was used (reclaim, DAMON), and on this guest 2 GiB of them made DAMON's runs ten times longer.
    func unmapPages(_ range: Range<Int>) {
        let start = range.lowerBound / pageSize * pageSize
        let end = Swift.min(size, range.upperBound) / pageSize * pageSize
        steps(from: start, to: end, Self.unmapStep) { from, count in _ = madvise(base + from, count, MADV_DONTNEED) }
    }

    /// Unlinks the file now; the mapping stays valid until the last reader drops its reference.
    func destroy() {
        unlink(path)
    }

    var modificationTime: Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return 0 }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    @inline(__always) func loadInt64(_ at: Int) -> Int64 { Int64(bigEndian: base.loadUnaligned(fromByteOffset: at, as: Int64.self)) }
    @inline(__always) func loadInt32(_ at: Int) -> Int32 { Int32(bigEndian: base.loadUnaligned(fromByteOffset: at, as: Int32.self)) }
    @inline(__always) func store(_ value: Int64, at: Int) { (base + at).storeBytes(of: value.bigEndian, as: Int64.self) }
    @inline(__always) func store(_ value: Int32, at: Int) { (base + at).storeBytes(of: value.bigEndian, as: Int32.self) }
}

/// Subdirectory names of `directory` (no "." or "..").
func subdirectories(of directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var result: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard name != ".", name != "..", entry.pointee.d_type == UInt8(DT_DIR) else { continue }
        result.append(name)
    }
    return result.sorted()
}

func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o755) != 0 && errno != EEXIST { throw StoreError.errno("mkdir", current) }
    }
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// Flushes a directory entry change (create, rename, unlink) to disk.
func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
}
