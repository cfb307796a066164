#include "QuantizedKernels.h"
#include "blocks.h"
#include <math.h>

// A super-block of 256 values: 128 bytes of low nibbles (ql), 64 bytes of high 2-bit pairs (qh), 16 int8
// scales, f16 d. Each half of 128 values (ql + 64·h, qh + 32·h, scales + 8·h) holds four activation
// blocks i = 0..<4: value l (0..<32) is (nibble | 2 bits of qh[l] at 2·i) - 32, the nibble the low one
// of ql[l] (i 0), of ql[l+32] (i 1), the high one of ql[l] (i 2), of ql[l+32] (i 3); scale 2·i for
// l < 16, 2·i+1 after. w = d·scale·q.
enum { BLOCK_BYTES = 210 };

/// Value l (0..<32) of activation block i (0..<4) of one half, in -32..<32.
static inline int value6(const uint8_t *ql, const uint8_t *qh, int i, int l) {
    const uint8_t byte = ql[l + 32 * (i % 2)];
    const int nibble = i < 2 ? (byte & 0x0F) : (byte >> 4);
    return (nibble | ((qh[l] >> (2 * i)) & 3) << 4) - 32;
}

void elder_dequantize_q6_k(const void *blocks, float *y, int64_t k) {
    const uint8_t *p = blocks;
    for (int64_t b = 0; b < k / 256; b++, p += BLOCK_BYTES) {
        const float d = elder_half(p + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = p + 64 * h, *qh = p + 128 + 32 * h;
            const int8_t *scales = (const int8_t *)(p + 192 + 8 * h);
            for (int i = 0; i < 4; i++, y += 32) {
                for (int l = 0; l < 32; l++) y[l] = (d * (float)scales[2 * i + l / 16]) * (float)value6(ql, qh, i, l);
            }
        }
    }
}

float elder_dot_q6_k_q16_reference(const void *w, const void *activations, int64_t k) {
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    float sum = 0;
    for (int64_t b = 0; b < k / 256; b++, p += BLOCK_BYTES) {
        const float d = elder_half(p + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = p + 64 * h, *qh = p + 128 + 32 * h;
            const int8_t *scales = (const int8_t *)(p + 192 + 8 * h);
            for (int i = 0; i < 4; i++, a++) {
                int32_t first = 0, second = 0;
                for (int l = 0; l < 16; l++) first += value6(ql, qh, i, l) * a->q[l];
                for (int l = 16; l < 32; l++) second += value6(ql, qh, i, l) * a->q[l];
                sum += d * a->d * ((float)scales[2 * i] * (float)first + (float)scales[2 * i + 1] * (float)second);
            }
        }
    }
    return sum;
}

float elder_dot_q6_k_q16(const void *w, const void *activations, int64_t k) {
#if defined(__AVX2__)
    const elder_block_q16 *a = activations;
    const uint8_t *p = w;
    const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(3), thirtyTwo = _mm256_set1_epi16(32);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t b = 0; b < k / 256; b++, p += BLOCK_BYTES) {
        const float d = elder_half(p + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = p + 64 * h, *qh = p + 128 + 32 * h;
            const int8_t *scales = (const int8_t *)(p + 192 + 8 * h);
            const __m256i high = _mm256_loadu_si256((const __m256i *)qh);
            for (int i = 0; i < 4; i++, a++) {
                const __m256i bytes = _mm256_loadu_si256((const __m256i *)(ql + 32 * (i % 2)));
                const __m256i nibbles = i < 2 ? _mm256_and_si256(bytes, low4) : _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low4);
                const __m256i pairs = _mm256_and_si256(_mm256_srli_epi16(high, 2 * i), two);
                const __m256i q = _mm256_or_si256(nibbles, _mm256_slli_epi16(pairs, 4));   // 0..<64, one per byte
                const __m256i first = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(q)), thirtyTwo);
                const __m256i second = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(q, 1)), thirtyTwo);
                const __m256i dotFirst = _mm256_madd_epi16(first, _mm256_loadu_si256((const __m256i *)a->q));
                const __m256i dotSecond = _mm256_madd_epi16(second, _mm256_loadu_si256((const __m256i *)(a->q + 16)));
                const float da = d * a->d;
                acc[0] = _mm256_fmadd_ps(_mm256_set1_ps(da * (float)scales[2 * i]), _mm256_cvtepi32_ps(dotFirst), acc[0]);
                acc[1] = _mm256_fmadd_ps(_mm256_set1_ps(da * (float)scales[2 * i + 1]), _mm256_cvtepi32_ps(dotSecond), acc[1]);
            }
        }
    }
    return elder_hsum(_mm256_add_ps(acc[0], acc[1]));
#else
    return elder_dot_q6_k_q16_reference(w, activations, k);
#endif
}

ELDER_DEFINE_DOT_EACH_ROW(elder_dot_q6_k_q16_rows, elder_dot_q6_k_q16, 256, BLOCK_BYTES)
