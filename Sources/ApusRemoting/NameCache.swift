// NameCache: the topic and group names a thread decoded last, so that a connection repeating the same topic and
// producer group in every send header does not make (allocate, check, copy, later free) two strings per message.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names longer than a small string (15 UTF-8 bytes, which Swift stores inline without allocating), most recent first.
/// One per thread (a POSIX thread-specific value, no lock): a header is decoded on its connection's event loop, and a
/// thread serves a handful of connections whose names repeat.
final class NameCache {
    /// Enough for the topics and groups that the connections of one event loop send to at a time; a miss costs the one
    /// string that would have been made anyway.
    static let capacity = 8
    private var names: [String] = []

    /// The name whose UTF-8 bytes are `bytes`: a cached string when one matches, else a new one (then cached).
    func name(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        for i in names.indices where names[i].utf8.count == bytes.count {
            // Only a string made from valid UTF-8 compares equal byte for byte: a repaired one is never reused.
            if names[i].utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) == true {
                if i > 0 { names.swapAt(i, i - 1) }  // a hit moves up one place: the busiest names stay on top
                return names[i == 0 ? 0 : i - 1]
            }
        }
        let made = String(decoding: bytes, as: UTF8.self)
        if names.count == Self.capacity { names.removeLast() }
        names.insert(made, at: 0)
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
