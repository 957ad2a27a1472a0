// Tests of the folded CRC-32 (CCRC) against zlib's: every length from 0 to 600 at every alignment 0...15, and larger
// bodies; plus the known check value.

@testable import ApusMessage
import Testing

@Test func foldedCRCMatchesZlibForEveryLengthAndAlignment() {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<5_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes.withUnsafeBytes { all in
        for offset in 0..<16 {
            for length in 0...600 {
                let slice = UnsafeRawBufferPointer(rebasing: all[offset..<offset + length])
                #expect(CRC32.checksum(slice) == CRC32.zlibChecksum(slice), "offset \(offset), length \(length)")
            }
        }
        for length in [1_024, 1_031, 4_096, 4_984] {
            let slice = UnsafeRawBufferPointer(rebasing: all[3..<3 + length])
            #expect(CRC32.checksum(slice) == CRC32.zlibChecksum(slice), "length \(length)")
        }
    }
    let check = Array(repeating: Array("123456789".utf8), count: 16).flatMap { $0 }
    check.withUnsafeBytes { #expect(CRC32.checksum($0) == CRC32.zlibChecksum($0)) }
    print("CRC-32 folding in use: \(CRC32.foldAvailable)")
}
