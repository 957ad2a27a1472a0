// HTTPConsumptionJournal: the durability of HTTP consumption state (HTTPConsumeService) — an append-only journal of
// changes with group commit, periodic compaction into a snapshot, and replay on start.
//
// On-disk format, in the broker's `config/` directory:
//   httpConsumption.json                   the snapshot, one JSON document replaced whole (AtomicFile: tmp + fsync +
//                                          rename + directory fsync):
//                                              {"version": 2, "generation": G, "states": [HTTPConsumption...]}
//                                          each HTTPConsumption carries group, topic, per-queue read cursors, every
//                                          tracked entry and the last delivery number. `version: 1` (no generation)
//                                          is the format before the journal and is read as generation 0 (migration).
//   httpConsumption.journal.<gen>          gen as 16 decimal digits; a sequence of records, each one
//                                          HTTPConsumptionChange (format at the top of HTTPConsumptionChange.swift:
//                                          length, CRC-32, payload of absolute assignments), appended in the order
//                                          the changes were made (each is appended under its (group, topic) lock).
// Start: read the snapshot, replay every journal file with gen >= G in gen order, stopping a file at its first torn
// or corrupt record (a crash mid-append: that change was never answered); then write a new snapshot whose
// generation is a fresh gen, open that journal file and delete the older ones. Replaying a change again on a state
// that already contains it is harmless (absolute assignments, in order), so a snapshot may include changes that are
// also in the journal files after it.
//
// Group commit: `append` copies the record into a pending buffer and returns a ticket; one flusher (a serial
// dispatch queue, never a Swift concurrency thread) writes everything pending with one write and one fdatasync, then
// releases every caller whose ticket it covered — so concurrent consumes and acks share a sync. Callers answer their
// client only after `waitDurable` (async, no thread blocked) or `waitDurableBlocking` (synchronous API) returns.
// Compaction: when the current file passes `compactAfterBytes`, the flusher starts a new generation and the
// compactor queue writes a snapshot of every state (read after the switch, so it contains every change in the older
// files) with that generation, then deletes the older files. A clean stop (`compactNow`) does the same
// synchronously. A failed write or sync is logged and the callers are released (as the whole-file writer did
// before): the state in memory stays authoritative until the next successful write.

import ApusGroups
import ApusStore
import Foundation
import Logging
import Synchronization

/// Mutable file state is confined to `flusher` (fd, generation, size) or guarded by `pending`/`provider`.
final class HTTPConsumptionJournal: @unchecked Sendable {
    private struct Snapshot: Codable {
        var version: Int
        var generation: UInt64?
        var states: [HTTPConsumption]
    }

    private struct Pending {
        var buffer: [UInt8] = []
        var lastTicket: UInt64 = 0
        var durable: UInt64 = 0
        var scheduled = false
        var waiters: [(ticket: UInt64, resume: @Sendable () -> Void)] = []
    }

    let snapshotPath: String
    let directory: String
    private let baseName: String
    private let logger: Logger
    private let compactAfterBytes: Int
    private let pending = Mutex(Pending())
    private let provider = Mutex<(@Sendable () -> [HTTPConsumption])?>(nil)
    private let flusher = DispatchQueue(label: "apus.http-consumption.journal")
    private let compactor = DispatchQueue(label: "apus.http-consumption.compactor")
    // Confined to `flusher`.
    private var fd: Int32 = -1
    private var generation: UInt64 = 0
    private var fileBytes = 0
    private let syncs = Atomic<Int>(0)

    init(snapshotPath: String, logger: Logger, compactAfterBytes: Int = 16 << 20) {
        self.snapshotPath = snapshotPath
        self.logger = logger
        self.compactAfterBytes = compactAfterBytes
        let slash = snapshotPath.lastIndex(of: "/")
        directory = slash.map { String(snapshotPath[..<$0]) } ?? "."
        let file = slash.map { String(snapshotPath[snapshotPath.index(after: $0)...]) } ?? snapshotPath
        baseName = file.hasSuffix(".json") ? String(file.dropLast(5)) : file
    }

    deinit { if fd >= 0 { close(fd) } }

    /// fdatasync calls so far (tests: group commit).
    var syncCount: Int { syncs.load(ordering: .relaxed) }

    func journalPath(_ gen: UInt64) -> String {
        directory + "/" + baseName + ".journal." + String(repeating: "0", count: max(0, 16 - String(gen).count)) + String(gen)
    }

    /// The journal files present, in generation order.
    func journalFiles() -> [(gen: UInt64, path: String)] {
        let prefix = baseName + ".journal."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (UInt64, String)? in
            guard name.hasPrefix(prefix), let gen = UInt64(name.dropFirst(prefix.count)) else { return nil }
            return (gen, directory + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    // MARK: Start

    /// The states on disk: the snapshot (either version) with the journal files after it replayed.
    func load() throws -> [HTTPConsumption] {
        var states: [String: HTTPConsumption] = [:]
        func name(_ group: String, _ topic: String) -> String { group + "\u{0}" + topic }
        var from: UInt64 = 0
        if let bytes = AtomicFile.read(snapshotPath), !bytes.isEmpty {
            let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(bytes))
            guard snapshot.version == 1 || snapshot.version == 2 else {
                throw JournalError("\(snapshotPath): unknown version \(snapshot.version)")
            }
            from = snapshot.generation ?? 0
            for state in snapshot.states { states[name(state.group, state.topic)] = state }
        }
        for (gen, path) in journalFiles() where gen >= from {
            let data = AtomicFile.read(path) ?? []
            let (changes, valid) = HTTPConsumptionChange.decodeAll(data)
            if valid < data.count {
                logger.warning("HTTP consumption journal ends with a torn or corrupt record; ignoring the rest", metadata: [
                    "path": "\(path)", "validBytes": "\(valid)", "fileBytes": "\(data.count)"])
            }
            for change in changes {
                let k = name(change.group, change.topic)
                var state = states[k] ?? HTTPConsumption(group: change.group, topic: change.topic)
                state.apply(change)
                states[k] = state
            }
        }
        return Array(states.values)
    }

    /// Starts a fresh generation: snapshot of `states` (what `load` gave), new journal file, older files deleted.
    /// `snapshot` is read at every later compaction (it must take each state under its lock).
    func start(with states: [HTTPConsumption], snapshot: @escaping @Sendable () -> [HTTPConsumption]) throws {
        provider.withLock { $0 = snapshot }
        let next = (journalFiles().last?.gen ?? 0) + 1
        try flusher.sync {
            try openGeneration(next)
            try writeSnapshot(states, generation: next)
        }
    }

    // MARK: Appending

    /// Queues one record; returns the ticket to wait for. Call it while holding the lock of the state it changes.
    func append(_ record: [UInt8]) -> UInt64 {
        let (ticket, schedule) = pending.withLock { p -> (UInt64, Bool) in
            p.buffer += record
            p.lastTicket += 1
            let schedule = !p.scheduled
            p.scheduled = true
            return (p.lastTicket, schedule)
        }
        if schedule { flusher.async { self.flush() } }
        return ticket
    }

    /// Returns once the record of `ticket` (and every earlier one) is on disk, without blocking a thread.
    func waitDurable(_ ticket: UInt64) async {
        if pending.withLock({ $0.durable >= ticket }) { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = pending.withLock { p -> Bool in
                if p.durable >= ticket { return true }
                p.waiters.append((ticket, { c.resume() }))
                return false
            }
            if done { c.resume() }
        }
    }

    /// Blocks the calling thread until the record of `ticket` is on disk (the synchronous API).
    func waitDurableBlocking(_ ticket: UInt64) {
        let semaphore = DispatchSemaphore(value: 0)
        let done = pending.withLock { p -> Bool in
            if p.durable >= ticket { return true }
            p.waiters.append((ticket, { semaphore.signal() }))
            return false
        }
        if !done { semaphore.wait() }
    }

    /// On `flusher`: writes and syncs everything pending, batch after batch, until nothing is.
    private func flush() {
        while true {
            let batch = pending.withLock { p -> ([UInt8], UInt64)? in
                if p.buffer.isEmpty {
                    p.scheduled = false
                    return nil
                }
                let bytes = p.buffer
                p.buffer = []
                return (bytes, p.lastTicket)
            }
            guard let (bytes, upTo) = batch else { return }
            do {
                try writeAll(bytes)
                guard fdatasync(fd) == 0 else { throw JournalError.errno("fdatasync", journalPath(generation)) }
                syncs.add(1, ordering: .relaxed)
            } catch {
                logger.error("cannot write the HTTP consumption journal", metadata: ["error": "\(error)"])
            }
            fileBytes += bytes.count
            let ready = pending.withLock { p -> [@Sendable () -> Void] in
                p.durable = upTo
                var ready: [@Sendable () -> Void] = []
                p.waiters.removeAll { waiter in
                    guard waiter.ticket <= upTo else { return false }
                    ready.append(waiter.resume)
                    return true
                }
                return ready
            }
            ready.forEach { $0() }
            if fileBytes >= compactAfterBytes {
                do {
                    let next = generation + 1
                    try openGeneration(next)
                    compactor.async { self.snapshotAndPrune(generation: next) }
                } catch {
                    logger.error("cannot start a new HTTP consumption journal file", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw JournalError.errno("write", journalPath(generation)) }
            written += n
        }
    }

    /// On `flusher`: closes the current file and appends to generation `gen` from now on.
    private func openGeneration(_ gen: UInt64) throws {
        let path = journalPath(gen)
        let newFd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard newFd >= 0 else { throw JournalError.errno("open", path) }
        if fd >= 0 { close(fd) }
        fd = newFd
        generation = gen
        fileBytes = Int(lseek(newFd, 0, SEEK_END))
        syncDirectory()
    }

    // MARK: Compaction

    /// On `compactor`: a snapshot read now (after generation `gen` began) replaces the older journal files.
    private func snapshotAndPrune(generation gen: UInt64) {
        guard let states = provider.withLock({ $0 })?() else { return }
        do {
            try writeSnapshot(states, generation: gen)
        } catch {
            logger.error("cannot write the HTTP consumption snapshot", metadata: ["error": "\(error)", "path": "\(snapshotPath)"])
        }
    }

    /// Writes the snapshot as of generation `gen`, then deletes the journal files before it.
    private func writeSnapshot(_ states: [HTTPConsumption], generation gen: UInt64) throws {
        let sorted = states.sorted { ($0.group, $0.topic) < ($1.group, $1.topic) }
        let bytes = try JSONEncoder().encode(Snapshot(version: 2, generation: gen, states: sorted))
        try AtomicFile.write([UInt8](bytes), to: snapshotPath)
        var removed = false
        for (old, path) in journalFiles() where old < gen {
            unlink(path)
            removed = true
        }
        if removed { syncDirectory() }
    }

    /// Clean stop: everything pending is synced, then a snapshot replaces the journal files.
    func compactNow() {
        let next: UInt64? = flusher.sync {
            flush()
            guard fd >= 0 else { return nil }
            do {
                try openGeneration(generation + 1)
                return generation
            } catch {
                logger.error("cannot start a new HTTP consumption journal file", metadata: ["error": "\(error)"])
                return nil
            }
        }
        guard let next else { return }
        compactor.sync { snapshotAndPrune(generation: next) }
    }

    private func syncDirectory() {
        let dirFd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFd >= 0 else { return }
        fsync(dirFd)
        close(dirFd)
    }
}

struct JournalError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    static func errno(_ what: String, _ path: String) -> JournalError {
        JournalError("\(what) \(path): \(String(cString: strerror(Glibc.errno)))")
    }
}
