// ConsumeQueue: the per-(topic, queueId) index of the commit log, <root>/consumequeue/<topic>/<queueId>/ (a
// MappedFileQueue of entry files), and its published min/max/flushed entry positions.
import Glibc
import Synchronization

/// Files named by their 20-digit zero-padded start *byte* offset in the queue (entry index × 20, as RocketMQ names
/// them), each `entriesPerFile × 20` bytes, mapped MAP_SHARED. Logical offset = entry index. Entry (20 bytes,
/// big-endian):
///
///     offset size field
///      0     8   commit-log offset of the record
///      8     4   record size (TOTALSIZE); 0 = unwritten entry
///     12     8   tags code (TagsCode.of(TAGS))
///
/// Entries are written only by the appender, under the store's append lock, and published through `maxOffset`
/// (release); readers read only entries below it (acquire).
final class ConsumeQueue: Sendable {
    static let entrySize = 20

    struct Entry: Equatable {
        var physicalOffset: Int64
        var size: Int32
        var tagsCode: Int64
    }

    let topic: String
    let queueId: Int32
    let entriesPerFile: Int
    private let files: Mutex<MappedFileQueue>
    private let max = Atomic<Int64>(0)
    private let min = Atomic<Int64>(0)
    private let flushed = Atomic<Int64>(0)
    /// How far `prepareAhead` has readied the queue (flush thread only).
    private let ahead: Mutex<ReadyAhead>

    var maxOffset: Int64 { max.load(ordering: .acquiring) }
    var minOffset: Int64 { min.load(ordering: .acquiring) }

    /// Opens (or, with no files, prepares) the queue in `directory`; finds its entry range by scanning.
    init(topic: String, queueId: Int32, directory: String, entriesPerFile: Int) throws {
        self.topic = topic
        self.queueId = queueId
        self.entriesPerFile = entriesPerFile
        var queue = try MappedFileQueue(directory: directory, fileSize: entriesPerFile * Self.entrySize, naming: .alignedSkippingOthers)
        // A trailing file with no entry is one prepared ahead of the appender (prepareAhead) that it never rolled into.
        while queue.files.count > 1, let last = queue.last, !Self.written(last, 0) {
            queue.deleteFiles(startingAtOrAbove: last.startOffset)
        }
        files = Mutex(queue)
        let entries = Self.entryRange(of: queue, entriesPerFile: entriesPerFile)
        ahead = Mutex(ReadyAhead(maximum: Int64(entriesPerFile * Self.entrySize), skipIdle: true,
                                 position: (entries?.upperBound ?? 0) * Int64(Self.entrySize)))
        guard let entries else { return }
        min.store(entries.lowerBound, ordering: .releasing)
        max.store(entries.upperBound, ordering: .releasing)
        flushed.store(entries.upperBound, ordering: .relaxed)
    }

    private static func written(_ file: MappedFile, _ i: Int) -> Bool { file.loadInt32(i * entrySize + 8) != 0 }

    /// The entries the files of `queue` hold, found by scanning; nil with no file.
    private static func entryRange(of queue: MappedFileQueue, entriesPerFile: Int) -> Range<Int64>? {
        guard let first = queue.first, let last = queue.last else { return nil }
        var firstWritten = 0
        while firstWritten < entriesPerFile && !written(first, firstWritten) { firstWritten += 1 }
        if firstWritten == entriesPerFile { firstWritten = 0 }  // an empty first file: the queue starts (and ends) at it
        // Entries are contiguous: binary search the first unwritten one in the last file.
        var low = last === first ? firstWritten : 0, high = entriesPerFile
        while low < high {
            let mid = (low + high) / 2
            if written(last, mid) { low = mid + 1 } else { high = mid }
        }
        let firstIndex = first.startOffset / Int64(entrySize) + Int64(firstWritten)
        let endIndex = last.startOffset / Int64(entrySize) + Int64(low)
        return Swift.min(firstIndex, endIndex)..<endIndex
    }

    /// The file holding entry `index`.
    func file(for index: Int64) -> MappedFile? {
        files.withLock { $0.file(containing: index * Int64(Self.entrySize)) }
    }

    func entry(in file: MappedFile, index: Int64) -> Entry {
        let at = Int(index * Int64(Self.entrySize) - file.startOffset)
        return Entry(physicalOffset: file.loadInt64(at), size: file.loadInt32(at + 8), tagsCode: file.loadInt64(at + 12))
    }

    /// The entry at `index` if it is published and its file exists.
    func entry(at index: Int64) -> Entry? {
        guard index >= minOffset, index < maxOffset, let file = file(for: index) else { return nil }
        return entry(in: file, index: index)
    }

    /// Appender only: writes the entry at `index` (≥ maxOffset; normally == maxOffset) and publishes it.
    func put(index: Int64, _ entry: Entry) throws {
        let byteOffset = index * Int64(Self.entrySize)
        let file = try files.withLock { try $0.fileForAppend(at: byteOffset) }
        let at = Int(byteOffset - file.startOffset)
        file.store(entry.physicalOffset, at: at)
        file.store(entry.size, at: at + 8)
        file.store(entry.tagsCode, at: at + 12)
        if maxOffset == minOffset { min.store(index, ordering: .releasing) }
        max.store(index + 1, ordering: .releasing)
    }

    /// Flush thread, each pass: readies entries ahead of the appender, which stores them through the mapping: at least
    /// `minimum` bytes, or four times what was written since the previous pass if that is more (at most a file). Their
    /// blocks are allocated (MappedFile.allocate), so the page fault of a first store into a page does not reserve a
    /// block under ext4's block-map lock while writeback holds it (it waited 1–2 ms there); and when the window reaches
    /// the next file, that file is created now, so the appender's roll does not create it on its event loop. Queues
    /// written to since the previous pass only: idle ones take no disk ahead. A queue with no file yet is left alone
    /// (its first file is made by `prepareFirstFile` or the appender).
    func prepareAhead(minimum: Int64) {
        ahead.withLock { ahead in
            guard let range = ahead.range(at: maxOffset * Int64(Self.entrySize), minimum: minimum) else { return }
            var from = range.lowerBound
            while from < range.upperBound, let file = fileToReady(at: from) {
                let upTo = Swift.min(range.upperBound, file.endOffset)
                file.allocate(Int(from - file.startOffset)..<Int(upTo - file.startOffset))
                from = upTo
            }
            ahead.readied(upTo: from)
        }
    }

    /// The file holding byte `offset`: an existing one, or the next one, prepared (created now unless it already is).
    private func fileToReady(at offset: Int64) -> MappedFile? {
        let (existing, next, directory): (MappedFile?, Int64?, String) = files.withLock { queue in
            if let file = queue.file(containing: offset) { return (file, nil, queue.directory) }
            if let ready = queue.prepared, ready.startOffset <= offset, offset < ready.endOffset { return (ready, nil, queue.directory) }
            let wanted = !queue.isEmpty && queue.prepared == nil && offset >= queue.maxOffset && offset < queue.maxOffset + Int64(queue.fileSize)
            return (nil, wanted ? queue.maxOffset : nil, queue.directory)
        }
        if let existing { return existing }
        guard let start = next,
              let file = try? MappedFileQueue.openFile(in: directory, startingAt: start, size: entriesPerFile * Self.entrySize)
        else { return nil }
        return files.withLock { $0.adoptPrepared(file) } ? file : nil
    }

    /// Creates the file the next entry goes into, with its directory, unless the queue has files already.
    func prepareFirstFile() throws {
        try files.withLock { queue in
            if queue.isEmpty { _ = try queue.fileForAppend(at: maxOffset * Int64(Self.entrySize)) }
        }
    }

    /// Deletes every file of the queue and its directory (the topic was deleted); readers holding a file keep it
    /// mapped until they let go.
    func destroy() {
        files.withLock { queue in
            queue.deleteFiles(startingAtOrAbove: 0)
            rmdir(queue.directory)
        }
    }

    /// msyncs entries written since the last flush (the flush thread, with the index, every 10 s and at shutdown).
    func flush() {
        let end = maxOffset
        var from = flushed.load(ordering: .relaxed)
        guard from < end else { return }
        from = Swift.max(from, minOffset)
        while from < end, let file = file(for: from) {
            let fileEnd = Swift.min(end, file.endOffset / Int64(Self.entrySize))
            file.flush(Int(from * Int64(Self.entrySize) - file.startOffset)..<Int(fileEnd * Int64(Self.entrySize) - file.startOffset))
            from = fileEnd
        }
        flushed.store(end, ordering: .relaxed)
    }

    /// Recovery: cuts the queue before the trailing entries whose record does not end at or below `logEnd` (their
    /// bytes are zeroed, emptied files deleted).
    func truncate(logEnd: Int64) {
        var index = maxOffset
        while index > minOffset, let file = file(for: index - 1) {
            let e = entry(in: file, index: index - 1)
            guard e.physicalOffset + Int64(e.size) > logEnd else { break }
            index -= 1
        }
        guard index != maxOffset else { return }
        max.store(index, ordering: .releasing)
        flushed.store(Swift.min(flushed.load(ordering: .relaxed), index), ordering: .relaxed)
        files.withLock { $0.truncate(at: index * Int64(Self.entrySize)) }
    }

    /// Retention: moves the minimum to the first entry whose record is still in the log (≥ `logMinOffset`) and
    /// deletes files holding only entries below it (never the last file).
    func correctMinOffset(logMinOffset: Int64) {
        var low = minOffset, high = maxOffset
        while low < high {
            let mid = (low + high) / 2
            if let e = entry(at: mid), e.physicalOffset < logMinOffset { low = mid + 1 } else { high = mid }
        }
        guard low > minOffset else { return }
        min.store(low, ordering: .releasing)
        _ = files.withLock { $0.deleteFiles(below: low * Int64(Self.entrySize)) }
    }
}
