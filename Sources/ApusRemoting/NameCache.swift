// NameCache: the names a thread decoded last (a pull header's topic and group), so that a consumer repeating them in
// every pull does not make a string of each per pull. (Send headers keep their names as places in the frame.)

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names of 1 to 255 bytes, keyed by their raw bytes: `String(decoding:as:)` makes the same string from the same
/// bytes, repaired or not. A longer name would be allocated, checked and copied, and later freed; a small one (up to 15
/// UTF-8 bytes, stored inline) is still checked and assembled, about 200 instructions, against about 60 for a hit.
/// One per thread (a POSIX thread-specific value, no lock): a header is decoded on its connection's event loop, and a
/// thread serves a handful of connections whose names repeat. Keys and strings live in fixed slots that a lookup reads
/// without reference counting; a miss replaces the slots in turn.
final class NameCache {
    /// Enough for the topics and groups that the connections of one event loop send to at a time; a miss costs the one
    /// string that would have been made anyway.
    static let capacity = 8
    static let maxLength = 255
    private let keys = UnsafeMutableRawPointer.allocate(byteCount: capacity * maxLength, alignment: 16)
    private let lengths = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
    private let strings = UnsafeMutablePointer<String>.allocate(capacity: capacity)
    private var nextSlot = 0

    init() {
        lengths.initialize(repeating: 0, count: Self.capacity)
        strings.initialize(repeating: "", count: Self.capacity)
    }

    deinit {
        strings.deinitialize(count: Self.capacity)
        strings.deallocate()
        lengths.deallocate()
        keys.deallocate()
    }

    /// `String(decoding: bytes, as: UTF8.self)`, the same string as last time when these bytes were seen recently.
    func name(_ bytes: UnsafeRawBufferPointer) -> String {
        let count = bytes.count
        guard count > 0, count <= Self.maxLength else { return String(decoding: bytes, as: UTF8.self) }
        for slot in 0..<Self.capacity where lengths[slot] == count && memcmp(keys + slot * Self.maxLength, bytes.baseAddress!, count) == 0 {
            return strings[slot]
        }
        let made = String(decoding: bytes, as: UTF8.self)
        let slot = nextSlot
        nextSlot = (slot + 1) % Self.capacity
        (keys + slot * Self.maxLength).copyMemory(from: bytes.baseAddress!, byteCount: count)
        lengths[slot] = count
        strings[slot] = made
        return made
    }

    /// This thread's cache.
    static var current: NameCache {
        if let existing = pthread_getspecific(key) { return Unmanaged<NameCache>.fromOpaque(existing).takeUnretainedValue() }
        let made = NameCache()
        pthread_setspecific(key, Unmanaged.passRetained(made).toOpaque())
        return made
    }

    /// Released with its thread.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { Unmanaged<NameCache>.fromOpaque($0!).release() }
        precondition(created == 0, "pthread_key_create failed: \(created)")
        return key
    }()
}
