#include "QuantizedKernels.h"
#include "blocks.h"
#include <math.h>

enum { BLOCK_BYTES = 20 };

void elder_dequantize_q4_1(const void *blocks, float *y, int64_t k) {
    const uint8_t *p = blocks;
    for (int64_t b = 0; b < k / 32; b++, p += BLOCK_BYTES, y += 32) {
        const float d = elder_half(p), m = elder_half(p + 2);
#if defined(__AVX2__)
        const __m256 dv = _mm256_set1_ps(d), mv = _mm256_set1_ps(m);
        for (int part = 0; part < 4; part++) {  // d·q + m, not fused: the reference's rounding
            _mm256_storeu_ps(y + 8 * part, _mm256_add_ps(_mm256_mul_ps(dv, elder_nibble_floats(p + 4, part)), mv));
        }
#else
        for (int j = 0; j < 16; j++) {
            y[j] = d * (float)(p[4 + j] & 0x0F) + m;
            y[j + 16] = d * (float)(p[4 + j] >> 4) + m;
        }
#endif
    }
}

float elder_dot_q4_1_q16_reference(const void *w, const void *activations, int64_t k) {
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    float sum = 0;
    for (int64_t b = 0; b < k / 32; b++, p += BLOCK_BYTES) {
        int32_t dot = 0;
        for (int j = 0; j < 16; j++) dot += (p[4 + j] & 0x0F) * a[b].q[j] + (p[4 + j] >> 4) * a[b].q[j + 16];
        sum += elder_half(p) * a[b].d * (float)dot + elder_half(p + 2) * a[b].s;
    }
    return sum;
}

float elder_dot_q4_1_q16(const void *w, const void *activations, int64_t k) {
#if defined(__AVX2__)
    // w = d·q + m:  Σ w·x = d·d_a·Σ q·q_a + m·s_a. Four independent accumulators (see q4_0.c).
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float offsets[4] = {0, 0, 0, 0};
    const int64_t n = k / 32;
    int64_t b = 0;
#define ELDER_Q4_1_BLOCK(u) do { \
        const uint8_t *q = p + (u) * BLOCK_BYTES; \
        __m256i lo, hi; \
        elder_nibbles16(q + 4, &lo, &hi); \
        const __m256 dots = _mm256_cvtepi32_ps(elder_madd_block(lo, hi, a[b + (u)].q)); \
        acc[u] = _mm256_fmadd_ps(_mm256_set1_ps(elder_half(q) * a[b + (u)].d), dots, acc[u]); \
        offsets[u] = fmaf(elder_half(q + 2), a[b + (u)].s, offsets[u]); \
    } while (0)
    for (; b + 4 <= n; b += 4, p += 4 * BLOCK_BYTES) {
        ELDER_Q4_1_BLOCK(0); ELDER_Q4_1_BLOCK(1); ELDER_Q4_1_BLOCK(2); ELDER_Q4_1_BLOCK(3);
    }
    for (; b < n; b++, p += BLOCK_BYTES) ELDER_Q4_1_BLOCK(0);
#undef ELDER_Q4_1_BLOCK
    return elder_hsum4(acc) + ((offsets[0] + offsets[1]) + (offsets[2] + offsets[3]));
#else
    return elder_dot_q4_1_q16_reference(w, activations, k);
#endif
}

#if defined(__AVX2__)
static inline elder_unpacked_block unpack(const uint8_t *q) {
    elder_unpacked_block e;
    e.d = elder_half(q);
    e.m = elder_half(q + 2);
    elder_nibbles16(q + 4, &e.lo, &e.hi);
    return e;
}
#endif

ELDER_DEFINE_DOT_ROWS(elder_dot_q4_1_q16_rows, elder_dot_q4_1_q16, BLOCK_BYTES, unpack, 1, 1.0f)
