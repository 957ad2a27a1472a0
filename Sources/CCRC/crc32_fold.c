// CCRC: the folding loop of CRC-32 with PCLMULQDQ (see include/ccrc.h). The method is Intel's "Fast CRC Computation
// for Generic Polynomials Using PCLMULQDQ Instruction" (2009) for the bit-reflected polynomial 0x104C11DB7: fold four
// 128-bit lanes by 512 bits per step, fold them into one, then by 128 bits per step, reduce 128 -> 64 -> 32 bits,
// and finish with a Barrett reduction. The constants are x^k mod P(x) for the fold distances, bit-reflected.
#include "ccrc.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define APUS_TARGET __attribute__((target("pclmul,sse4.1")))

int apus_crc32_fold_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

APUS_TARGET static inline __m128i fold(__m128i lane, __m128i k, __m128i next) {
    __m128i low = _mm_clmulepi64_si128(lane, k, 0x00);
    __m128i high = _mm_clmulepi64_si128(lane, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

APUS_TARGET uint32_t apus_crc32_fold(uint32_t state, const uint8_t *p, size_t length) {
    // x^(4*128+32) and x^(4*128-32) mod P (512-bit fold); x^(128+32) and x^(128-32) (128-bit fold); x^64 (64 -> 32).
    const __m128i k512 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
    const __m128i k128 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
    const __m128i k64 = _mm_set_epi64x(0, 0x163cd6124);
    const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
    // P(x)' and mu' for the Barrett reduction.
    const __m128i poly = _mm_set_epi64x(0x1f7011641, 0x1db710641);

    __m128i x1 = _mm_loadu_si128((const __m128i *)p);
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x4 = _mm_loadu_si128((const __m128i *)(p + 48));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)state));
    p += 64;
    length -= 64;
    while (length >= 64) {
        x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)p));
        x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
        x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
        x4 = fold(x4, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        length -= 64;
    }
    x1 = fold(x1, k128, x2);
    x1 = fold(x1, k128, x3);
    x1 = fold(x1, k128, x4);
    while (length >= 16) {
        x1 = fold(x1, k128, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        length -= 16;
    }
    // 128 -> 64 bits (appending 32 zero bits), then 64 -> 32.
    __m128i t = _mm_clmulepi64_si128(k128, x1, 0x01);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
    __m128i upper = _mm_srli_si128(x1, 4);
    x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k64, 0x00);
    x1 = _mm_xor_si128(x1, upper);
    // Barrett reduction 64 -> 32 bits.
    __m128i saved = x1;
    x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x10);
    x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x00);
    x1 = _mm_xor_si128(x1, saved);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}

#else
int apus_crc32_fold_available(void) { return 0; }
uint32_t apus_crc32_fold(uint32_t state, const uint8_t *bytes, size_t length) { (void)bytes; (void)length; return state; }
#endif
