#include "QuantizedKernels.h"
#include "blocks.h"
#include <math.h>

enum { BLOCK_BYTES = 22 };

/// The 5-bit value j (0..<32) of a block: nibble j (low nibbles, then high ones) | bit j of qh << 4.
static inline int value5(const uint8_t *p, uint32_t qh, int j) {
    const int nibble = j < 16 ? (p[6 + j] & 0x0F) : (p[6 + j - 16] >> 4);
    return nibble | (int)((qh >> j) & 1) << 4;
}

void elder_dequantize_q5_0(const void *blocks, float *y, int64_t k) {
    const uint8_t *p = blocks;
    for (int64_t b = 0; b < k / 32; b++, p += BLOCK_BYTES, y += 32) {
        const float d = elder_half(p), m = -16 * d;  // d·q + m, not fused: the reference's rounding
        uint32_t qh;
        memcpy(&qh, p + 2, 4);
        for (int j = 0; j < 32; j++) y[j] = d * (float)value5(p, qh, j) + m;
    }
}

float elder_dot_q5_0_q16_reference(const void *w, const void *activations, int64_t k) {
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    float sum = 0;
    for (int64_t b = 0; b < k / 32; b++, p += BLOCK_BYTES) {
        uint32_t qh;
        memcpy(&qh, p + 2, 4);
        int32_t dot = 0;
        for (int j = 0; j < 32; j++) dot += value5(p, qh, j) * a[b].q[j];
        const float d = elder_half(p);
        sum += d * a[b].d * (float)dot - 16 * d * a[b].s;
    }
    return sum;
}

float elder_dot_q5_0_q16(const void *w, const void *activations, int64_t k) {
#if defined(__AVX2__)
    // w = d·(q - 16):  Σ w·x = d·d_a·Σ q·q_a - 16·d·s_a; the fifth bits come from qh by lane masks.
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    const __m256i bits = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, (short)0x8000);
    const __m256i sixteen = _mm256_set1_epi16(16);
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float offsets[4] = {0, 0, 0, 0};
    const int64_t n = k / 32;
    int64_t b = 0;
#define ELDER_Q5_0_BLOCK(u) do { \
        const uint8_t *q = p + (u) * BLOCK_BYTES; \
        const float d = elder_half(q); \
        uint32_t qh; \
        memcpy(&qh, q + 2, 4); \
        __m256i lo, hi; \
        elder_nibbles16(q + 6, &lo, &hi); \
        const __m256i hl = _mm256_and_si256(bits, _mm256_set1_epi16((short)(qh & 0xFFFF))); \
        const __m256i hh = _mm256_and_si256(bits, _mm256_set1_epi16((short)(qh >> 16))); \
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi16(hl, bits), sixteen)); \
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi16(hh, bits), sixteen)); \
        const __m256 dots = _mm256_cvtepi32_ps(elder_madd_block(lo, hi, a[b + (u)].q)); \
        acc[u] = _mm256_fmadd_ps(_mm256_set1_ps(d * a[b + (u)].d), dots, acc[u]); \
        offsets[u] = fmaf(d, a[b + (u)].s, offsets[u]); \
    } while (0)
    for (; b + 4 <= n; b += 4, p += 4 * BLOCK_BYTES) {
        ELDER_Q5_0_BLOCK(0); ELDER_Q5_0_BLOCK(1); ELDER_Q5_0_BLOCK(2); ELDER_Q5_0_BLOCK(3);
    }
    for (; b < n; b++, p += BLOCK_BYTES) ELDER_Q5_0_BLOCK(0);
#undef ELDER_Q5_0_BLOCK
    return elder_hsum4(acc) - 16 * ((offsets[0] + offsets[1]) + (offsets[2] + offsets[3]));
#else
    return elder_dot_q5_0_q16_reference(w, activations, k);
#endif
}

#if defined(__AVX2__)
static inline elder_unpacked_block unpack(const uint8_t *q) {
    const __m256i bits = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, (short)0x8000);
    const __m256i sixteen = _mm256_set1_epi16(16);
    elder_unpacked_block e;
    e.d = e.m = elder_half(q);
    uint32_t qh;
    memcpy(&qh, q + 2, 4);
    elder_nibbles16(q + 6, &e.lo, &e.hi);
    const __m256i hl = _mm256_and_si256(bits, _mm256_set1_epi16((short)(qh & 0xFFFF)));
    const __m256i hh = _mm256_and_si256(bits, _mm256_set1_epi16((short)(qh >> 16)));
    e.lo = _mm256_or_si256(e.lo, _mm256_and_si256(_mm256_cmpeq_epi16(hl, bits), sixteen));
    e.hi = _mm256_or_si256(e.hi, _mm256_and_si256(_mm256_cmpeq_epi16(hh, bits), sixteen));
    return e;
}
#endif

ELDER_DEFINE_DOT_ROWS(elder_dot_q5_0_q16_rows, elder_dot_q5_0_q16, BLOCK_BYTES, unpack, 1, -16.0f)
