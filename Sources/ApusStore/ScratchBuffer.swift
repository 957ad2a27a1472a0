// ScratchBuffer: the reused raw buffer a put's records are encoded into before their pwrite.

/// A growable raw buffer reused by every put (no allocation, and no fresh zeroed pages, per append).
final class ScratchBuffer: @unchecked Sendable {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0
    /// Kept between puts up to this size; a larger put's buffer is released after it.
    static let retained = 4 << 20

    /// At least `count` writable bytes (contents undefined).
    func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        if count > capacity || (capacity > Self.retained && count <= Self.retained) {
            base?.deallocate()
            capacity = Swift.max(count, 64 << 10)
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
        return base!
    }

    deinit { base?.deallocate() }
}
