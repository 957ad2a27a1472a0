// Checksums and compression: IEEE CRC-32 (PCLMULQDQ folding where the CPU has it, zlib otherwise) and RFC 1950
// zlib streams through the system zlib (§4.1, §4.6).
import CCRC
import CZlib

/// IEEE CRC-32 as zlib computes it. Inputs of 64 bytes and more are folded with carry-less multiplication (CCRC) when
/// the CPU has it, 8x faster than zlib's tables for a 1 KiB body; zlib does short inputs and the last 15 bytes.
public enum CRC32 {
    static let foldAvailable = apus_crc32_fold_available() == 1

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard bytes.count >= 64, foldAvailable, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return zlibChecksum(bytes)
        }
        let folded = bytes.count & ~15
        let crc = ~apus_crc32_fold(~0, base, folded)
        guard folded < bytes.count else { return crc }
        return UInt32(truncatingIfNeeded: CZlib.crc32(UInt(crc), base + folded, uInt(bytes.count - folded)))
    }

    /// zlib's table-driven CRC-32 of the whole input.
    static func zlibChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt = 0
        var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
        var remaining = bytes.count
        while remaining > 0, let pointer = base {
            let chunk = min(remaining, Int(UInt32.max >> 1))
            crc = CZlib.crc32(crc, pointer, uInt(chunk))
            base = pointer + chunk
            remaining -= chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}

public enum ZlibError: Error, Equatable {
    case corrupt(Int32)
    case outputTooLarge
}

/// zlib (RFC 1950) streams, as RocketMQ clients compress bodies.
public enum Zlib {
    /// Inflates a whole zlib stream; throws if it is malformed, truncated, or inflates past `maxOutput` bytes.
    public static func inflate(_ bytes: UnsafeRawBufferPointer, maxOutput: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZlibError.corrupt(Z_MEM_ERROR)
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: min(maxOutput, max(256, bytes.count * 4)))
        var produced = 0
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        while true {
            if produced == output.count {
                guard output.count < maxOutput else { throw ZlibError.outputTooLarge }
                output.append(contentsOf: repeatElement(0, count: min(maxOutput, output.count * 2) - output.count))
            }
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.next_out = out.baseAddress! + produced
                stream.avail_out = uInt(out.count - produced)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                produced = out.count - Int(stream.avail_out)
                return status
            }
            if status == Z_STREAM_END { break }
            if status == Z_BUF_ERROR && stream.avail_in == 0 && stream.avail_out > 0 { throw ZlibError.corrupt(status) }
            guard status == Z_OK || status == Z_BUF_ERROR else { throw ZlibError.corrupt(status) }
        }
        output.removeSubrange(produced...)
        return output
    }

    public static func deflate(_ bytes: UnsafeRawBufferPointer, level: Int32 = 5) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { out in
            compress2(out.baseAddress!, &capacity, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? UnsafePointer(out.baseAddress!),
                      uLong(bytes.count), level)
        }
        precondition(status == Z_OK, "compress2 failed: \(status)")
        output.removeSubrange(Int(capacity)...)
        return output
    }
}
