// MappedFileQueue: a directory of fixed-size MappedFiles named by start offset — load, lookup, roll, truncate, delete.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of one log (RocketMQ's noun): every file in `directory` is exactly `fileSize` bytes and named by the
/// 20-digit zero-padded offset of its byte 0 (`fileName`). CommitLog, ConsumeQueue and IndexService each keep one.
///
/// A value type without a lock of its own: its owner keeps it inside the owner's one lock (so an owner takes no more
/// locks than before) and keeps its read/write positions itself. Offsets are in the owner's space: commit-log
/// offsets, consume-queue byte offsets (entry index × 20) or, for index files, the commit-log offset of the first
/// record indexed (those names are not aligned to the file size and files are not contiguous).
struct MappedFileQueue {
    /// How file names relate to `fileSize` on load.
    enum Naming {
        /// Every name is a multiple of the file size and files are contiguous; anything else is an error (commit log).
        case alignedContiguous
        /// Names that are not a multiple of the file size are ignored (consume queue).
        case alignedSkippingOthers
        /// Any number (index files).
        case unaligned
    }

    let directory: String
    let fileSize: Int
    /// Sorted by start offset.
    private(set) var files: [MappedFile]
    /// The file after the last one, created ahead of the writer by the flush thread (`adoptPrepared`) and taken by the
    /// writer's roll when it starts there. Not in `files`: readers never see it. On disk it is an all-zero file past
    /// the last written one, which its owner drops when it loads (ConsumeQueue.init; the commit log's recovery cuts
    /// the log after its last record).
    private(set) var prepared: MappedFile?

    /// Maps every numbered file in `directory` (none if the directory does not exist yet).
    init(directory: String, fileSize: Int, naming: Naming) throws {
        self.directory = directory
        self.fileSize = fileSize
        var loaded: [MappedFile] = []
        for (start, path) in numberedFiles(in: directory) {
            if naming != .unaligned && start % Int64(fileSize) != 0 {
                guard naming == .alignedSkippingOthers else { throw StoreError("\(path): not a multiple of the file size \(fileSize)") }
                continue
            }
            if naming == .alignedContiguous, let last = loaded.last, last.endOffset != start {
                throw StoreError("\(directory) has a gap before \(path)")
            }
            loaded.append(try MappedFile(path: path, startOffset: start, size: fileSize))
        }
        files = loaded
    }

    /// Creates (or maps the existing) file of `size` bytes starting at `start` in `directory`, without adding it to
    /// any queue: lets an owner prepare the next file outside its lock and `append` it later.
    static func openFile(in directory: String, startingAt start: Int64, size: Int) throws -> MappedFile {
        try MappedFile(path: directory + "/" + fileName(start), startOffset: start, size: size)
    }

    var isEmpty: Bool { files.isEmpty }
    var first: MappedFile? { files.first }
    var last: MappedFile? { files.last }
    /// Start of the first file (0 when there is none).
    var minOffset: Int64 { files.first?.startOffset ?? 0 }
    /// End of the last file (0 when there is none): the offset the next roll starts at.
    var maxOffset: Int64 { files.last?.endOffset ?? 0 }

    /// The file holding `offset` (start ≤ offset < end). O(1) for contiguous files, a binary search otherwise.
    func file(containing offset: Int64) -> MappedFile? {
        guard let first = files.first, offset >= first.startOffset else { return nil }
        let guess = Int((offset - first.startOffset) / Int64(fileSize))
        if guess < files.count, files[guess].startOffset <= offset, offset < files[guess].endOffset { return files[guess] }
        var low = 0, high = files.count
        while low < high {
            let mid = (low + high) / 2
            if files[mid].endOffset <= offset { low = mid + 1 } else { high = mid }
        }
        return low < files.count && files[low].startOffset <= offset ? files[low] : nil
    }

    /// Adds `file` as the new last file (the roll). Its start must be past the current last file's start.
    mutating func append(_ file: MappedFile) {
        precondition(files.last.map { $0.startOffset < file.startOffset } ?? true, "files must be appended in offset order")
        files.append(file)
    }

    /// The file to write `offset` into: the last file if it holds it, else a new file starting at `offset` rounded
    /// down to the file size (aligned logs only), created with the directory if needed.
    mutating func fileForAppend(at offset: Int64) throws -> MappedFile {
        if let last = files.last, last.startOffset <= offset, offset < last.endOffset { return last }
        return try roll(startingAt: offset / Int64(fileSize) * Int64(fileSize))
    }

    /// Creates the file starting at `start` (or takes the prepared one) and appends it (the directory too, for the
    /// first file).
    @discardableResult
    mutating func roll(startingAt start: Int64) throws -> MappedFile {
        if let ready = rollIntoPrepared(startingAt: start) { return ready }
        if files.isEmpty { try makeDirectories(directory) }
        let file = try Self.openFile(in: directory, startingAt: start, size: fileSize)
        append(file)
        return file
    }

    /// Appends the prepared file if it starts at `start`; nil if none does (the owner then creates the file itself,
    /// outside its lock if it must not hold it while a file is created).
    mutating func rollIntoPrepared(startingAt start: Int64) -> MappedFile? {
        guard let ready = prepared, ready.startOffset == start else { return nil }
        prepared = nil
        append(ready)
        return ready
    }

    /// Takes `file`, which the owner created outside its lock with `openFile`, as the prepared next file if the queue
    /// still ends where it starts and none is prepared yet. Otherwise returns false and unlinks the file, unless the
    /// queue already holds a file there: the writer rolled into the same path meanwhile, and it stays.
    mutating func adoptPrepared(_ file: MappedFile) -> Bool {
        if prepared == nil, file.startOffset == maxOffset {
            prepared = file
            return true
        }
        if self.file(containing: file.startOffset) == nil, prepared?.startOffset != file.startOffset { file.destroy() }
        return false
    }

    /// Unlinks the prepared file if it starts at or past `offset`.
    private mutating func dropPrepared(startingAtOrAbove offset: Int64) {
        if let ready = prepared, ready.startOffset >= offset {
            ready.destroy()
            prepared = nil
        }
    }

    /// Cuts the log at `offset`: deletes the files starting past it (and the one starting exactly at it unless that
    /// is the only file), then zeroes and msyncs the rest of the file holding it. The owner resets its positions.
    mutating func truncate(at offset: Int64) {
        dropPrepared(startingAtOrAbove: offset)
        while let last = files.last, last.startOffset > offset || (last.startOffset == offset && files.count > 1) {
            files.removeLast().destroy()
        }
        if let last = files.last, offset >= last.startOffset, offset < last.endOffset {
            let relative = Int(offset - last.startOffset)
            memset(last.base + relative, 0, last.size - relative)
            last.flush(relative..<last.size)
        }
    }

    /// Deletes every file starting at or past `offset`, the first one included (their content is not zeroed).
    mutating func deleteFiles(startingAtOrAbove offset: Int64) {
        dropPrepared(startingAtOrAbove: offset)
        while let last = files.last, last.startOffset >= offset { files.removeLast().destroy() }
    }

    /// Deletes the oldest files while `condition` holds for the first one, never the last file. Returns the count.
    @discardableResult
    mutating func deleteFirst(while condition: (MappedFile) -> Bool) -> Int {
        var count = 0
        while files.count > 1, condition(files[0]) {
            files.removeFirst().destroy()
            count += 1
        }
        return count
    }

    /// Deletes the files lying wholly below `offset` (end ≤ offset), never the last file. Returns the count.
    @discardableResult
    mutating func deleteFiles(below offset: Int64) -> Int { deleteFirst { $0.endOffset <= offset } }

    /// Deletes the oldest files last modified before `cutoffMillis` and ending at or below `floor`, never the last
    /// file. Returns the count.
    @discardableResult
    mutating func deleteFiles(modifiedBefore cutoffMillis: Int64, below floor: Int64 = .max) -> Int {
        deleteFirst { $0.modificationTime < cutoffMillis && $0.endOffset <= floor }
    }
}

/// Files in `directory` whose names are all digits, as (name value, path), sorted by value.
func numberedFiles(in directory: String) -> [(Int64, String)] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var result: [(Int64, String)] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int64(name) else { continue }
        result.append((value, directory + "/" + name))
    }
    return result.sorted { $0.0 < $1.0 }
}

/// "%020d", the RocketMQ file name of an offset.
func fileName(_ offset: Int64) -> String {
    let digits = String(offset)
    return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
}
