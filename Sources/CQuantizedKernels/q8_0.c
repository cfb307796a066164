#include "QuantizedKernels.h"
#include "blocks.h"

enum { BLOCK_BYTES = 34 };

void elder_dequantize_q8_0(const void *blocks, float *y, int64_t k) {
    const uint8_t *p = blocks;
    for (int64_t b = 0; b < k / 32; b++, p += BLOCK_BYTES, y += 32) {
        const float d = elder_half(p);
#if defined(__AVX2__)
        const __m256 dv = _mm256_set1_ps(d);
        for (int part = 0; part < 4; part++) {
            const __m128i bytes = _mm_loadl_epi64((const __m128i *)(p + 2 + 8 * part));
            _mm256_storeu_ps(y + 8 * part, _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes))));
        }
#else
        for (int j = 0; j < 32; j++) y[j] = d * (float)(int8_t)p[2 + j];
#endif
    }
}

float elder_dot_q8_0_q16_reference(const void *w, const void *activations, int64_t k) {
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    float sum = 0;
    for (int64_t b = 0; b < k / 32; b++, p += BLOCK_BYTES) {
        int32_t dot = 0;
        for (int j = 0; j < 32; j++) dot += (int8_t)p[2 + j] * a[b].q[j];
        sum += elder_half(p) * a[b].d * (float)dot;
    }
    return sum;
}

float elder_dot_q8_0_q16(const void *w, const void *activations, int64_t k) {
#if defined(__AVX2__)
    // Four independent accumulators (see q4_0.c).
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    const int64_t n = k / 32;
    int64_t b = 0;
#define ELDER_Q8_0_BLOCK(u) do { \
        const uint8_t *q = p + (u) * BLOCK_BYTES; \
        const __m256i lo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + 2))); \
        const __m256i hi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + 18))); \
        const __m256 dots = _mm256_cvtepi32_ps(elder_madd_block(lo, hi, a[b + (u)].q)); \
        acc[u] = _mm256_fmadd_ps(_mm256_set1_ps(elder_half(q) * a[b + (u)].d), dots, acc[u]); \
    } while (0)
    for (; b + 4 <= n; b += 4, p += 4 * BLOCK_BYTES) {
        ELDER_Q8_0_BLOCK(0); ELDER_Q8_0_BLOCK(1); ELDER_Q8_0_BLOCK(2); ELDER_Q8_0_BLOCK(3);
    }
    for (; b < n; b++, p += BLOCK_BYTES) ELDER_Q8_0_BLOCK(0);
#undef ELDER_Q8_0_BLOCK
    return elder_hsum4(acc);
#else
    return elder_dot_q8_0_q16_reference(w, activations, k);
#endif
}

#if defined(__AVX2__)
static inline elder_unpacked_block unpack(const uint8_t *q) {
    elder_unpacked_block e;
    e.d = e.m = elder_half(q);
    e.lo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + 2)));
    e.hi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + 18)));
    return e;
}
#endif

ELDER_DEFINE_DOT_ROWS(elder_dot_q8_0_q16_rows, elder_dot_q8_0_q16, BLOCK_BYTES, unpack, 0, 0.0f)
