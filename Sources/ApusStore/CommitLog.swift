// CommitLog: the one log of all topics under <root>/commitlog (its segments are a MappedFileQueue), its published
// read/dispatch/flush positions, next-segment preparation and retention.
import ApusMessage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One log for all topics. Segments are files named by their 20-digit zero-padded start offset, each exactly
/// `segmentSize` bytes, mapped MAP_SHARED; created sparse, their blocks allocated (`fallocate`) a window ahead of the
/// appender. Their content is a sequence of StoredMessageCodec records
/// (TOTALSIZE | MAGICCODE 0xDAA320A7 | ...); a record never spans two segments: when the next record would not
/// leave 8 bytes free at the end of a segment, a filler record `TOTALSIZE = bytes left in segment (i32) |
/// MAGICCODE 0xCBD43194 (i32)` is written and the log continues at the next segment. Unwritten space is zero.
///
/// Appends (by MessageStore, under its append lock) encode a put's records into a scratch buffer and write them with
/// one pwrite(2) per segment touched; then they publish three positions, in this order per record:
/// `committedPosition` (record bytes complete, readable), then consume-queue/index entries are written, then
/// `dispatchedPosition`. The flush thread moves `flushedPosition`.
final class CommitLog: Sendable {
    let directory: String
    let segmentSize: Int
    private let segments: Mutex<MappedFileQueue>
    let committedPosition = Atomic<Int64>(0)
    let dispatchedPosition = Atomic<Int64>(0)
    let flushedPosition = Atomic<Int64>(0)
    private let flushLock = Mutex<Void>(())
    /// The least the flush thread keeps the log readied ahead of the appender (`prefault`); also the hot window
    /// `releaseCold` keeps mapped behind the appender.
    let prefaultWindow: Int

    init(directory: String, segmentSize: Int) throws {
        try makeDirectories(directory)
        self.directory = directory
        self.segmentSize = segmentSize
        prefaultWindow = Swift.min(segmentSize, 32 << 20)
        segments = Mutex(try MappedFileQueue(directory: directory, fileSize: segmentSize, naming: .alignedContiguous))
    }

    var allSegments: [MappedFile] { segments.withLock { $0.files } }

    var minOffset: Int64 { segments.withLock { $0.minOffset } }

    /// The segment holding `offset` (start ≤ offset < end).
    func segment(for offset: Int64) -> MappedFile? {
        segments.withLock { $0.file(containing: offset) }
    }

    /// Creates the segment starting at `start` (the appender's roll), outside the segment lock (which readers take)
    /// unless the flush thread prepared it already. Called under the append lock.
    func createSegment(start: Int64) throws -> MappedFile {
        if let prepared = segments.withLock({ $0.rollIntoPrepared(startingAt: start) }) { return prepared }
        let file = try MappedFileQueue.openFile(in: directory, startingAt: start, size: segmentSize)
        segments.withLock { $0.append(file) }
        return file
    }

    /// Pointer to `size` committed bytes at `offset`, with the segment that keeps them mapped; nil if not readable.
    func read(at offset: Int64, size: Int) -> (segment: MappedFile, pointer: UnsafeRawBufferPointer)? {
        var segment: MappedFile?
        guard let pointer = read(at: offset, size: size, reusing: &segment) else { return nil }
        return (segment!, pointer)
    }

    /// As `read(at:size:)` for a reader going through many records: `segment` is the one the previous read used and
    /// is kept when it also holds these bytes, so a pull's run of records costs one segment lookup (a lock and a
    /// retain) instead of one per record.
    func read(at offset: Int64, size: Int, reusing segment: inout MappedFile?) -> UnsafeRawBufferPointer? {
        let end = offset + Int64(size)
        guard size > 0, end <= committedPosition.load(ordering: .acquiring) else { return nil }
        if segment.map({ offset < $0.startOffset || end > $0.endOffset }) ?? true {
            guard let found = self.segment(for: offset), end <= found.endOffset else { return nil }
            found.markRead()
            segment = found
        }
        return segment.map { UnsafeRawBufferPointer(start: $0.base + Int(offset - $0.startOffset), count: size) }
    }

    /// The decoded record at `offset`, if one is committed there.
    func message(at offset: Int64) -> StoredMessage? {
        guard let segment = segment(for: offset) else { return nil }
        segment.markRead()
        let committed = committedPosition.load(ordering: .acquiring)
        let relative = Int(offset - segment.startOffset)
        let available = Int(min(segment.endOffset, committed) - offset)
        guard available > 0 else { return nil }
        if case .message(let message, _) = StoredMessageCodec.decode(
            UnsafeRawBufferPointer(start: segment.base + relative, count: available), verifyCRC: false) {
            return message
        }
        return nil
    }

    /// Flush thread: readies [from, end) for the appender (`end` at most a segment past `from`). A segment the window
    /// reaches is created now (the next one, or an empty log's first), so the appender's roll does not wait for
    /// open/ftruncate/mmap; and the window's blocks are allocated (MappedFile.allocate), so its writes do not wait on
    /// ext4's block map. Both run here rather than on the appender's event loop, where creating and allocating a first
    /// segment once waited 368 ms for block bitmaps. Only the window is allocated, so disk use follows the data. Pages
    /// are not mapped: appends write with pwrite(2) (see MessageStore.putMessages); `cache` brings the window into the
    /// page cache once appends are quiet.
    ///
    /// A segment after the first is allocated whole when it is prepared, while the appender is still in the one before:
    /// `fallocate` holds the inode's lock, which the appender's `pwrite` into the same file also needs, and on a
    /// saturated disk an allocation that must first read a block bitmap held it for 505 ms. Only a broker whose log
    /// has come within a window of a segment's end pays that segment's disk at once, as RocketMQ's preallocated files do.
    func prefault(from: Int64, to end: Int64) {
        forEachSegment(from: from, to: end) { segment, range in
            if !segment.allocatedWhole { segment.allocate(range) }
        }
    }

    /// Cache thread: brings [from, end) of the log, readied by `prefault`, into the page cache (MappedFile.cache), so
    /// that the appender's `pwrite` copies into pages that exist. Making a page-cache page is the larger part of a new
    /// page's cost, and on a guest whose free memory the host takes back (free page reporting) it is most of it: on this
    /// guest 0.6 µs a page right after memory was freed, 7.6–9.8 µs seconds later, when the host faults the memory
    /// back in; writing 256 MiB into cached pages ran at 4.5 GB/s, into new ones at 404 MB/s. When it is done, and why
    /// only while appends are quiet: CacheAhead. Segments are only looked up here; the flush thread creates them.
    func cache(from: Int64, to end: Int64) {
        forEachSegment(from: from, to: end, creating: false) { segment, range in segment.cache(range) }
    }

    /// Calls `body` with each segment of [from, end) and the part of it in range (relative to the segment's start),
    /// the prepared next one included; `creating` one not there yet (`prepareSegment`), else stopping there.
    private func forEachSegment(from: Int64, to end: Int64, creating: Bool = true, _ body: (MappedFile, Range<Int>) -> Void) {
        var position = from
        while position < end,
              let segment = segment(for: position) ?? (creating ? prepareSegment(startingAt: position) : preparedSegment(startingAt: position)) {
            let upTo = Swift.min(end, segment.endOffset)
            body(segment, Int(position - segment.startOffset)..<Int(upTo - segment.startOffset))
            position = upTo
        }
    }

    /// The segment holding `offset` that the appender has not rolled into yet, created unless already prepared; one
    /// that follows another is allocated whole.
    private func prepareSegment(startingAt offset: Int64) -> MappedFile? {
        if let prepared = preparedSegment(startingAt: offset) { return prepared }
        let start = offset / Int64(segmentSize) * Int64(segmentSize)
        let empty = segments.withLock { $0.isEmpty }
        guard let file = try? MappedFileQueue.openFile(in: directory, startingAt: start, size: segmentSize) else { return nil }
        if !empty { file.allocateWhole() }
        return segments.withLock { $0.adoptPrepared(file) } ? file : nil
    }

    /// The prepared next segment if it holds `offset`.
    private func preparedSegment(startingAt offset: Int64) -> MappedFile? {
        let start = offset / Int64(segmentSize) * Int64(segmentSize)
        return segments.withLock { $0.prepared?.startOffset == start ? $0.prepared : nil }
    }

    /// Flush thread: drops this process's page mappings of flushed data below `hotStart`, so resident memory follows
    /// the working set rather than everything read lately (see MappedFile.unmapPages). Segments wholly below are
    /// unmapped only when a reader went through them since the last call; the one holding `hotStart` always is.
    func releaseCold(below hotStart: Int64) {
        let limit = Swift.min(hotStart, flushedPosition.load(ordering: .acquiring))
        for segment in allSegments where segment.startOffset < limit {
            let wholeBelow = segment.endOffset <= limit
            if wholeBelow { guard segment.readSinceUnmap.exchange(false, ordering: .relaxed) else { continue } }
            segment.unmapPages(0..<Int(Swift.min(segment.endOffset, limit) - segment.startOffset))
        }
    }

    /// msyncs the dirty range up to `end` and publishes it as flushed; returns the new flushed position.
    @discardableResult
    func flush(upTo end: Int64) -> Int64 {
        flushLock.withLock { _ in
            var from = flushedPosition.load(ordering: .acquiring)
            let hotStart = end - Int64(prefaultWindow)
            while from < end, let segment = segment(for: from) {
                let to = min(end, segment.endOffset)
                let range = Int(from - segment.startOffset)..<Int(to - segment.startOffset)
                // Consumers reading near the appender touch these pages soon: map them before writeback locks them
                // (only the hot window: releaseCold unmaps what lies below it after the full flush).
                if segment.readRecently.exchange(false, ordering: .relaxed), to > hotStart {
                    segment.populate(Int(Swift.max(from, hotStart) - segment.startOffset)..<range.upperBound)
                }
                segment.flush(range)
                from = to
            }
            if from < end { from = end }  // nothing mapped there (deleted or never created): nothing to flush
            flushedPosition.store(max(from, flushedPosition.load(ordering: .relaxed)), ordering: .releasing)
            return from
        }
    }

    /// Recovery: zeroes everything from `validEnd` to the end of its segment and deletes later segments.
    func truncate(at validEnd: Int64) {
        segments.withLock { $0.truncate(at: validEnd) }
        syncDirectory(directory)
    }

    /// Whether retention would find the oldest segment old enough to delete.
    func hasSegments(modifiedBefore cutoffMillis: Int64) -> Bool {
        segments.withLock { $0.files.count > 1 && $0.files[0].modificationTime < cutoffMillis }
    }

    /// Retention: deletes the oldest segments last modified before `cutoffMillis` and lying wholly below `floor`, never
    /// the newest one. Returns the number deleted.
    func deleteSegments(modifiedBefore cutoffMillis: Int64, below floor: Int64 = .max) -> Int {
        let deleted = segments.withLock { $0.deleteFiles(modifiedBefore: cutoffMillis, below: floor) }
        if deleted > 0 { syncDirectory(directory) }
        return deleted
    }
}
