// Shared by the format files: fp16 scales read from unaligned checkpoint bytes, and AVX2 helpers.
#ifndef QUANTIZED_BLOCKS_H
#define QUANTIZED_BLOCKS_H

#include <stdint.h>
#include <string.h>
#include <immintrin.h>

/// The fp16 at p as float32 (exact; F16C).
static inline float elder_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

#if defined(__AVX2__)
/// Sum of the 8 lanes.
static inline float elder_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Σ w_j·q_j of one 32-value block as 8 int32 partial sums: w as two rows of 16 int16, q the block's activations.
static inline __m256i elder_madd_block(__m256i w_lo, __m256i w_hi, const int16_t *q) {
    return _mm256_add_epi32(_mm256_madd_epi16(w_lo, _mm256_loadu_si256((const __m256i *)q)),
                            _mm256_madd_epi16(w_hi, _mm256_loadu_si256((const __m256i *)(q + 16))));
}

/// The 32 nibbles of 16 bytes as int16: values 0..<16 (low nibbles) and 16..<32 (high nibbles).
static inline void elder_nibbles16(const uint8_t *p, __m256i *lo, __m256i *hi) {
    const __m256i bytes = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p));
    *lo = _mm256_and_si256(bytes, _mm256_set1_epi16(0x0F));
    *hi = _mm256_srli_epi16(bytes, 4);
}

/// 8 float lanes of the values of 32 nibbles in 16 bytes, part 0..<4 (values 8·part ..< 8·part+8).
static inline __m256 elder_nibble_floats(const uint8_t *p, int part) {
    const __m128i raw = _mm_loadl_epi64((const __m128i *)(p + 8 * (part % 2)));
    const __m128i q = part < 2 ? _mm_and_si128(raw, _mm_set1_epi8(0x0F)) : _mm_and_si128(_mm_srli_epi16(raw, 4), _mm_set1_epi8(0x0F));
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q));
}

/// Adds the four accumulators' lanes.
static inline float elder_hsum4(const __m256 acc[4]) {
    return elder_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
}
#endif

#endif
