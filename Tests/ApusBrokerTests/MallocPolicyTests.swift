// The broker's malloc policy: an operator's GLIBC_TUNABLES malloc setting wins, and otherwise a freed burst's memory
// is reused by the next burst instead of being given back to the kernel and faulted in again.

import ApusBroker
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Test func anOperatorsMallocTunablesWin() {
    #expect(MallocPolicy.apply(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"]) == .leftToTunables)
    #expect(MallocPolicy.apply(environment: ["GLIBC_TUNABLES": "glibc.cpu.x86_shstk=on:glibc.malloc.trim_threshold=0"])
        == .leftToTunables)
}

#if canImport(Glibc)
/// Minor page faults of the calling thread so far.
private func threadMinorFaults() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD, a GNU extension the Glibc module leaves out
    return usage.ru_minflt
}

/// Allocates `count` blocks of `size` bytes, writes every page of each, frees them all; returns the page faults taken.
private func burst(count: Int, size: Int) -> Int {
    let before = threadMinorFaults()
    var blocks: [UnsafeMutableRawPointer] = []
    blocks.reserveCapacity(count)
    for _ in 0..<count {
        let block = malloc(size)!
        for page in stride(from: 0, to: size, by: 4096) { block.storeBytes(of: 1, toByteOffset: page, as: UInt8.self) }
        blocks.append(block)
    }
    for block in blocks { free(block) }
    return threadMinorFaults() - before
}

@Test func aFreedBurstIsReusedWithoutFaultingPagesAgain() {
    #expect(MallocPolicy.apply(environment: ["GLIBC_TUNABLES": "glibc.cpu.x86_shstk=on"]) == .set)
    // 64 pull bodies of 32 KiB: 512 fresh pages the first time. With glibc's defaults every burst gives them back
    // (the arena's free top passes 128 KiB) and faults them in again; with the policy the next bursts reuse them.
    // (Other tests' threads may share this arena and take some of its memory, hence a margin.)
    _ = burst(count: 64, size: 32 << 10)
    let again = (0..<5).map { _ in burst(count: 64, size: 32 << 10) }
    #expect(again.min()! < 64, "page faults per repeated 2 MiB burst: \(again)")
}
#endif
