// Java's String.hashCode (the RocketMQ tags code, spec §4.7), kept internal until ApusMessage's TagsCode is merged.

/// `h = 31·h + c` over the UTF-16 code units of `s`, with 32-bit wrap-around, starting at 0.
func javaHashCode(_ s: String) -> Int32 {
    var h: Int32 = 0
    for unit in s.utf16 { h = 31 &* h &+ Int32(unit) }
    return h
}
