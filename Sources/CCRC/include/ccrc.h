// CCRC: CRC-32 (IEEE, zlib's polynomial) folded 64 bytes at a time with carry-less multiplication (PCLMULQDQ), for
// the body CRC every stored message carries. zlib's table-driven crc32 runs about 2.7 GB/s here; this runs
// several times faster. The caller composes it with zlib for short inputs and tails (CRC32 in ApusMessage).
#ifndef APUS_CCRC_H
#define APUS_CCRC_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has PCLMULQDQ and SSE4.1, else 0.
int apus_crc32_fold_available(void);

/// Advances the CRC register `state` (not inverted: zlib's crc32(c, ...) is ~fold(~c, ...)) over `length` bytes;
/// `length` must be at least 64 and a multiple of 16. Only call when apus_crc32_fold_available() is 1.
uint32_t apus_crc32_fold(uint32_t state, const uint8_t *bytes, size_t length);
#endif
