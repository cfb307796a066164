#include "QuantizedKernels.h"
#include "blocks.h"
#include <math.h>

// A super-block of 256 values: f16 d, f16 dmin, 12 bytes of 8 packed (6-bit scale, 6-bit min), 128 bytes
// of nibbles. Sub-block j (32 values, one activation block) is w = d·scale_j·q - dmin·min_j; bytes
// 32·(j/2) ..< 32·(j/2)+32 hold sub-block j in their low nibbles for even j, in their high ones for odd j.
enum { BLOCK_BYTES = 144 };

/// Scale and min of sub-block j (0..<8) from the 12 packed bytes at s.
static inline void scale_min(int j, const uint8_t *s, int *scale, int *min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/// The nibble of value l (0..<32) of sub-block j.
static inline int nibble(const uint8_t *p, int j, int l) {
    const uint8_t byte = p[16 + 32 * (j / 2) + l];
    return j % 2 == 0 ? (byte & 0x0F) : (byte >> 4);
}

void elder_dequantize_q4_k(const void *blocks, float *y, int64_t k) {
    const uint8_t *p = blocks;
    for (int64_t b = 0; b < k / 256; b++, p += BLOCK_BYTES) {
        const float d = elder_half(p), dmin = elder_half(p + 2);
        for (int j = 0; j < 8; j++, y += 32) {
            int scale, min;
            scale_min(j, p + 4, &scale, &min);
            const float dj = d * (float)scale, mj = dmin * (float)min;  // d·scale·q - dmin·min, not fused
            for (int l = 0; l < 32; l++) y[l] = dj * (float)nibble(p, j, l) - mj;
        }
    }
}

float elder_dot_q4_k_q16_reference(const void *w, const void *activations, int64_t k) {
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    float sum = 0;
    for (int64_t b = 0; b < k / 256; b++, p += BLOCK_BYTES) {
        const float d = elder_half(p), dmin = elder_half(p + 2);
        for (int j = 0; j < 8; j++, a++) {
            int scale, min;
            scale_min(j, p + 4, &scale, &min);
            int32_t dot = 0;
            for (int l = 0; l < 32; l++) dot += nibble(p, j, l) * a->q[l];
            sum += d * (float)scale * a->d * (float)dot - dmin * (float)min * a->s;
        }
    }
    return sum;
}

float elder_dot_q4_k_q16(const void *w, const void *activations, int64_t k) {
#if defined(__AVX2__)
    // Σ w·x = Σ_j d·scale_j·d_a·Σ q·q_a - dmin·min_j·s_a, two sub-blocks (one byte range) at a time.
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    const __m256i low4 = _mm256_set1_epi16(0x0F);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    float offset = 0;
    for (int64_t b = 0; b < k / 256; b++, p += BLOCK_BYTES) {
        const float d = elder_half(p), dmin = elder_half(p + 2);
        for (int pair = 0; pair < 4; pair++, a += 2) {
            int s0, m0, s1, m1;
            scale_min(2 * pair, p + 4, &s0, &m0);
            scale_min(2 * pair + 1, p + 4, &s1, &m1);
            const uint8_t *q = p + 16 + 32 * pair;
            const __m256i first = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)q));
            const __m256i second = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(q + 16)));
            const __m256i even = elder_madd_block(_mm256_and_si256(first, low4), _mm256_and_si256(second, low4), a[0].q);
            const __m256i odd = elder_madd_block(_mm256_srli_epi16(first, 4), _mm256_srli_epi16(second, 4), a[1].q);
            acc[0] = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)s0 * a[0].d), _mm256_cvtepi32_ps(even), acc[0]);
            acc[1] = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)s1 * a[1].d), _mm256_cvtepi32_ps(odd), acc[1]);
            offset = fmaf(dmin * (float)m0, a[0].s, fmaf(dmin * (float)m1, a[1].s, offset));
        }
    }
    return elder_hsum(_mm256_add_ps(acc[0], acc[1])) - offset;
#else
    return elder_dot_q4_k_q16_reference(w, activations, k);
#endif
}

ELDER_DEFINE_DOT_EACH_ROW(elder_dot_q4_k_q16_rows, elder_dot_q4_k_q16, 256, BLOCK_BYTES)
