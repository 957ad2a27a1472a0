// Tests of MappedFileQueue: loading, lookup across files, roll, prepared files, truncate, deletion, reopening; the
// flush thread's ready-ahead window and its pace; MappedFile's calls over ranges longer than one step.
@testable import ApusStore
import Foundation
import Testing

private let size = 4096

private func names(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// A queue of `count` contiguous files, each filled with the byte (its index + 1).
private func filledQueue(_ dir: String, count: Int) throws -> MappedFileQueue {
    var queue = try MappedFileQueue(directory: dir, fileSize: size, naming: .alignedContiguous)
    for i in 0..<count {
        let file = try queue.fileForAppend(at: Int64(i * size))
        memset(file.base, Int32(i + 1), size)
    }
    return queue
}

@Test func aFileSeveralStepsLongIsAllocatedFlushedUnmappedAndCachedWhole() throws {
    // Larger than every step (writeback 256 KiB, unmap 8 MiB, allocate 16 MiB), and not a whole number of any.
    let length = (40 << 20) + 3 * 4096
    let dir = temporaryDirectory()
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = dir + "/file"
    let file = try MappedFile(path: path, startOffset: 0, size: length)
    func allocatedBytes() -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : -1
    }
    #expect(allocatedBytes() == 0 && !file.allocatedWhole)
    file.allocateWhole()
    #expect(file.allocatedWhole && allocatedBytes() >= length)

    var page = [UInt8](repeating: 0, count: 4096)
    let written = stride(from: 0, to: length, by: 4096).allSatisfy { offset in
        page[0] = UInt8(truncatingIfNeeded: offset >> 12)
        return page.withUnsafeBytes { file.write($0, at: offset) }
    }
    #expect(written)
    #expect(file.flush(0..<length))
    file.populate(0..<length)  // maps every page into this process, as readers would
    #expect(mappedKiB(path) == length >> 10)
    file.unmapPages(0..<length)
    #expect(mappedKiB(path) == 0)
    file.cache(0..<length)
    // Still the file's bytes, read back through the mapping.
    let intact = stride(from: 0, to: length, by: 4096).allSatisfy { offset in
        file.base.load(fromByteOffset: offset, as: UInt8.self) == UInt8(truncatingIfNeeded: offset >> 12)
    }
    #expect(intact)
}

@Test func mappedFileQueueRollsAndLooksUpAcrossFiles() throws {
    let dir = temporaryDirectory() + "/log"
    var queue = try MappedFileQueue(directory: dir, fileSize: size, naming: .alignedContiguous)
    #expect(queue.isEmpty && queue.minOffset == 0 && queue.maxOffset == 0 && queue.file(containing: 0) == nil)
    let first = try queue.fileForAppend(at: 10)  // creates the directory and the file holding offset 10
    let again = try queue.fileForAppend(at: 4095)
    #expect(first.startOffset == 0 && again === first)
    let second = try queue.fileForAppend(at: 4096)
    let third = try queue.roll(startingAt: 8192)
    #expect(names(dir) == ["00000000000000000000", "00000000000000004096", "00000000000000008192"])
    #expect(queue.minOffset == 0 && queue.maxOffset == 12288 && queue.last === third)
    #expect(queue.file(containing: 0) === first && queue.file(containing: 4095) === first)
    #expect(queue.file(containing: 4096) === second && queue.file(containing: 8191) === second)
    #expect(queue.file(containing: 12287) === third)
    #expect(queue.file(containing: 12288) == nil && queue.file(containing: -1) == nil)
}

@Test func mappedFileQueueTruncatesMidFile() throws {
    let dir = temporaryDirectory() + "/log"
    var queue = try filledQueue(dir, count: 3)
    queue.truncate(at: 4096 + 100)
    #expect(queue.files.map(\.startOffset) == [0, 4096] && names(dir).count == 2)
    let second = try #require(queue.last)
    #expect(second.base.load(fromByteOffset: 99, as: UInt8.self) == 2)
    #expect((100..<size).allSatisfy { second.base.load(fromByteOffset: $0, as: UInt8.self) == 0 })
    #expect(queue.first!.base.load(fromByteOffset: size - 1, as: UInt8.self) == 1)

    // At a file boundary the file starting there goes too; the only file is kept, zeroed.
    queue.truncate(at: 4096)
    #expect(queue.files.map(\.startOffset) == [0] && queue.first!.base.load(fromByteOffset: size - 1, as: UInt8.self) == 1)
    queue.truncate(at: 0)
    #expect(queue.files.count == 1 && queue.first!.base.load(fromByteOffset: 0, as: UInt8.self) == 0)
    #expect(names(dir) == ["00000000000000000000"])

    // Deleting from an offset drops the file starting there, the first one included.
    queue.deleteFiles(startingAtOrAbove: 0)
    #expect(queue.isEmpty && names(dir).isEmpty)
}

@Test func mappedFileQueueDeletesOnlyWholeFilesBelowAndNeverTheLast() throws {
    let dir = temporaryDirectory() + "/log"
    var queue = try filledQueue(dir, count: 4)
    #expect(queue.deleteFiles(below: 8192 + 10) == 2)
    #expect(queue.minOffset == 8192 && queue.files.map(\.startOffset) == [8192, 12288])
    #expect(names(dir) == ["00000000000000008192", "00000000000000012288"])
    #expect(queue.file(containing: 4096) == nil && queue.file(containing: 12288) === queue.last)
    #expect(queue.deleteFiles(below: .max) == 1 && queue.files.map(\.startOffset) == [12288])
    #expect(queue.deleteFiles(modifiedBefore: .max) == 0)

    var aged = try filledQueue(temporaryDirectory() + "/aged", count: 3)
    #expect(aged.deleteFiles(modifiedBefore: 0) == 0)
    #expect(aged.deleteFiles(modifiedBefore: .max) == 2 && aged.files.map(\.startOffset) == [8192])
}

@Test func mappedFileQueueReopensWhatItWrote() throws {
    let dir = temporaryDirectory() + "/log"
    do { _ = try filledQueue(dir, count: 3) }
    let reopened = try MappedFileQueue(directory: dir, fileSize: size, naming: .alignedContiguous)
    #expect(reopened.files.map(\.startOffset) == [0, 4096, 8192])
    #expect(reopened.file(containing: 5000)?.base.load(fromByteOffset: 5000 - 4096, as: UInt8.self) == 2)

    // A gap is an error for a contiguous log; a consume queue ignores misaligned names and finds files past a gap.
    unlink(dir + "/00000000000000004096")
    writeFileBytes([], dir + "/00000000000000000100")
    #expect(throws: StoreError.self) { try MappedFileQueue(directory: dir, fileSize: size, naming: .alignedContiguous) }
    let lenient = try MappedFileQueue(directory: dir, fileSize: size, naming: .alignedSkippingOthers)
    #expect(lenient.files.map(\.startOffset) == [0, 8192])
    #expect(lenient.file(containing: 8200)?.startOffset == 8192 && lenient.file(containing: 5000) == nil)
    #expect(try MappedFileQueue(directory: dir, fileSize: size, naming: .unaligned).files.map(\.startOffset) == [0, 100, 8192])
}

@Test func aPreparedFileIsTakenByTheRollAndAStaleOneIsUnlinked() throws {
    let dir = temporaryDirectory() + "/log"
    var queue = try filledQueue(dir, count: 1)
    let next = try MappedFileQueue.openFile(in: dir, startingAt: 4096, size: size)
    let adopted = queue.adoptPrepared(next)
    #expect(adopted)
    #expect(queue.maxOffset == 4096 && queue.file(containing: 4096) == nil, "readers do not see a prepared file")
    let other = try MappedFileQueue.openFile(in: dir, startingAt: 8192, size: size)
    let secondAdopted = queue.adoptPrepared(other)
    #expect(!secondAdopted, "one prepared file at a time, right after the last")
    #expect(names(dir) == ["00000000000000000000", "00000000000000004096"], "the file not taken is unlinked")
    let rolled = try queue.roll(startingAt: 4096)
    #expect(rolled === next)
    #expect(queue.prepared == nil && queue.file(containing: 4096) === next)
    // Prepared too late: the writer has rolled into the same path itself, and that file stays.
    let late = try MappedFileQueue.openFile(in: dir, startingAt: 4096, size: size)
    let lateAdopted = queue.adoptPrepared(late)
    #expect(!lateAdopted)
    #expect(names(dir) == ["00000000000000000000", "00000000000000004096"])
    // A cut drops a prepared file past it.
    let beyond = queue.adoptPrepared(try MappedFileQueue.openFile(in: dir, startingAt: 8192, size: size))
    #expect(beyond)
    queue.truncate(at: 100)
    #expect(queue.prepared == nil && names(dir) == ["00000000000000000000"])
}

@Test func theReadyWindowLeadsByFourLooksOfWritesAndOnlyWhenHalfUsed() {
    var ahead = ReadyAhead(maximum: 1_000, position: 0)
    let first = ahead.range(at: 0, minimum: 100)
    #expect(first == 0..<100, "the minimum lead")
    ahead.readied(upTo: 100)
    let early = ahead.range(at: 10, minimum: 100)
    #expect(early == nil, "less than half of the lead used")
    let again = ahead.range(at: 60, minimum: 100)
    #expect(again == 100..<260, "past half: from the readied end to four times the 50 written since the last look")
    ahead.readied(upTo: 260)
    let fast = ahead.range(at: 160, minimum: 100)
    #expect(fast == 260..<560, "four times the 100 written since the last look")
    ahead.readied(upTo: 560)
    let capped = ahead.range(at: 900, minimum: 100)
    #expect(capped == 900..<1_900, "four times 740, capped at `maximum`")
    var idle = ReadyAhead(maximum: 1_000, skipIdle: true, position: 50)
    let still = idle.range(at: 50, minimum: 100)
    #expect(still == nil, "an idle writer gets nothing")
    let moving = idle.range(at: 60, minimum: 100)
    #expect(moving == 60..<160)
}

@Test func theFlushThreadSleepsUntilTheFlushWhileTheLogIsQuietAndIsWokenByABurst() {
    let window: Int64 = 32 << 20, eighth = window / 8
    var pace = FlushPace(window: window, position: 0, now: 0)
    // W1: 60 MB in 100 ms. Passes every 100 ms.
    #expect(pace.sleep(position: 60 << 20, flushed: 0, now: 100, untilFlush: 400) == (100, nil))
    // W4: 200 KB in the next 100 ms (about 1 MB by the flush): sleep until the flush; an appender 4 MB on wakes it.
    let w4: Int64 = (60 << 20) + 200_000
    #expect(pace.sleep(position: w4, flushed: 0, now: 200, untilFlush: 300) == (300, w4 + eighth))
    // Woken by a burst: 4 MB in 5 ms. Passes every 100 ms again.
    #expect(pace.sleep(position: w4 + (4 << 20), flushed: 0, now: 205, untilFlush: 295) == (100, nil))
    // The flush is under 100 ms away: sleep until it, quiet or not.
    #expect(pace.sleep(position: w4 + (4 << 20), flushed: 0, now: 500, untilFlush: 40) == (40, nil))
    // Not moved, but not flushed to the end either: the flush is still to come.
    #expect(pace.sleep(position: w4 + (4 << 20), flushed: w4, now: 540, untilFlush: 500).millis == 500)
    // Not moved and flushed: idle until the retention look, or the next append of any size.
    #expect(pace.sleep(position: w4 + (4 << 20), flushed: w4 + (4 << 20), now: 1_040, untilFlush: 500)
        == (FlushPace.idleMillis, w4 + (4 << 20) + 1))
}

@Test func anAppenderPastTheWakePositionWakesTheFlushThreadOnce() {
    let control = FlushControl()
    control.wakeAt.store(1_000, ordering: .relaxed)
    control.appended(upTo: 999)
    #expect(control.wake.wait(timeout: .now()) == .timedOut, "not yet at the wake position")
    control.appended(upTo: 1_000)
    control.appended(upTo: 2_000)
    #expect(control.wake.wait(timeout: .now()) == .success)
    #expect(control.wake.wait(timeout: .now()) == .timedOut, "one wake-up, not one per put")
}

@Test func theWindowIsCachedASliceAtATimeAndOnlyWhileAppendsAreQuiet() {
    let slice = CacheAhead.sliceBytes, quiet = CacheAhead.quietBytes, sample = CacheAhead.sampleMillis
    var cache = CacheAhead(position: 0, now: 0)
    #expect(cache.next(position: 0, readiedEnd: 3 * slice, now: 1) == 0..<slice, "one slice per pass")
    #expect(cache.next(position: 10, readiedEnd: 3 * slice, now: 2) == slice..<2 * slice)
    // The appender passed the cached end: caching goes on from the appender, not over what it wrote.
    #expect(cache.next(position: 2 * slice + 100, readiedEnd: 3 * slice, now: 3) == 2 * slice + 100..<3 * slice)
    #expect(cache.cachedEnd == 3 * slice)
    #expect(cache.next(position: 2 * slice + 100, readiedEnd: 3 * slice, now: 4) == nil, "the window is cached")
    // A burst: `quiet` bytes or more within a sample stops caching until a sample with less.
    #expect(cache.next(position: quiet + 2 * slice, readiedEnd: 8 * quiet, now: sample) == nil)
    #expect(!cache.quiet)
    #expect(cache.next(position: 3 * quiet, readiedEnd: 8 * quiet, now: sample + 10) == nil, "still within the busy sample")
    let after = cache.next(position: 3 * quiet + 5, readiedEnd: 8 * quiet, now: 2 * sample + 10)
    #expect(after == nil, "the next sample still saw more than `quiet`")
    let quietAgain = cache.next(position: 3 * quiet + 10, readiedEnd: 8 * quiet, now: 3 * sample + 20)
    #expect(quietAgain == 3 * quiet + 10..<3 * quiet + 10 + slice, "a quiet sample: caching resumes at the appender")
}
