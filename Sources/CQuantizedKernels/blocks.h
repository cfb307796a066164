// Shared by the format files: fp16 scales read from unaligned checkpoint bytes, and AVX2 helpers.
#ifndef QUANTIZED_BLOCKS_H
#define QUANTIZED_BLOCKS_H

#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>

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

/// One weight block of 32 values unpacked for the integer dot products: the values as two rows of 16
/// int16 (`lo` = values 0..<16, `hi` = 16..<32), the scale d, and the scale m of the activations' sum
/// (the offset term; unused when the format has none).
typedef struct {
    __m256i lo, hi;
    float d, m;
} elder_unpacked_block;

/// Activation rows read by one pass of `elder_dot_rows`: the weight block is unpacked once for all of them.
enum { ELDER_ROWS = 4 };

/// The scales of `count` ≤ ELDER_ROWS activation rows side by side, block after block (`scales[8b + r]` = d of row
/// r's block b, `scales[8b + 4 + r]` = its s; the lanes of absent rows 0): one multiply and one fused multiply-add
/// then serve the rows.
static inline void elder_gather_scales(const uint8_t *a, int64_t aStride, int64_t n, int count, float *scales) {
    for (int64_t b = 0; b < n; b++) {
        for (int r = 0; r < ELDER_ROWS; r++) {
            const elder_block_q16 *q = (const elder_block_q16 *)(a + r * aStride) + b;
            scales[8 * b + r] = r < count ? q->d : 0;
            scales[8 * b + 4 + r] = r < count ? q->s : 0;
        }
    }
}

/// out[r × outStride] = Σ w·x of one weight row of n blocks with each activation row r < count ≤ ELDER_ROWS (row r's
/// blocks at a + r × aStride bytes, their scales gathered in `scales`), where w = d·Σq·q_a + offsetFactor·m·s_a
/// per block (`unpack` decodes a block). Every row gets the bits the format's one-row kernel gives it: the
/// same operations in the same order — four accumulators, block b into accumulator b mod 4 (the blocks after
/// the last group of four into accumulator 0), each block's int32 lanes converted and fused into its
/// accumulator with the scale d·d_a, the offsets m·s_a summed by fused multiply-adds likewise, then
/// elder_hsum4 and the offsets. Shared by the rows: the unpacking, and the scale products and offsets as
/// one 4-lane operation (the same roundings per lane; the lanes of absent rows are computed and dropped).
/// Accumulator u of all rows is one pass over blocks u, u+4, … so that the rows' accumulators stay in
/// registers. `count` is a constant at every call, so each count gets its own unrolled loops.
static inline __attribute__((always_inline))
void elder_dot_rows(const uint8_t *w, int64_t blockBytes, int64_t n, const uint8_t *a, int64_t aStride,
                    const float *scales, elder_unpacked_block (*unpack)(const uint8_t *), int hasOffsets,
                    float offsetFactor, int count, float *out, int64_t outStride) {
    const elder_block_q16 *rows[ELDER_ROWS];
    for (int r = 0; r < count; r++) rows[r] = (const elder_block_q16 *)(a + r * aStride);
    __m256 acc[ELDER_ROWS][4];
    float offsets[ELDER_ROWS][4];
    const int64_t full = n - n % 4;
#define ELDER_ROWS_BLOCK(b) do { \
        const elder_unpacked_block e = unpack(w + (b) * blockBytes); \
        const __m128 scale = _mm_mul_ps(_mm_set1_ps(e.d), _mm_loadu_ps(scales + 8 * (b))); \
        if (hasOffsets) o = _mm_fmadd_ps(_mm_set1_ps(e.m), _mm_loadu_ps(scales + 8 * (b) + 4), o); \
        const __m256 wide = _mm256_castps128_ps256(scale); \
        for (int r = 0; r < count; r++) { \
            const __m256 dots = _mm256_cvtepi32_ps(elder_madd_block(e.lo, e.hi, rows[r][b].q)); \
            const __m256 d = _mm256_permutevar8x32_ps(wide, _mm256_set1_epi32(r)); \
            s[r] = _mm256_fmadd_ps(d, dots, s[r]); \
        } \
    } while (0)
    for (int u = 0; u < 4; u++) {
        __m256 s[ELDER_ROWS];
        __m128 o = _mm_setzero_ps();
        for (int r = 0; r < count; r++) s[r] = _mm256_setzero_ps();
        for (int64_t b = u; b < full; b += 4) ELDER_ROWS_BLOCK(b);
        if (u == 0) for (int64_t b = full; b < n; b++) ELDER_ROWS_BLOCK(b);
        float lanes[4];
        _mm_storeu_ps(lanes, o);
        for (int r = 0; r < count; r++) { acc[r][u] = s[r]; offsets[r][u] = lanes[r]; }
    }
#undef ELDER_ROWS_BLOCK
    for (int r = 0; r < count; r++) {
        const float sum = elder_hsum4(acc[r]);
        out[r * outStride] = hasOffsets ? sum + offsetFactor * ((offsets[r][0] + offsets[r][1]) + (offsets[r][2] + offsets[r][3])) : sum;
    }
}

/// `elder_dot_rows` for a group of `count` (2, 3 or ELDER_ROWS) activation rows: each count its own unrolled copy.
static inline __attribute__((always_inline))
void elder_dot_group(const uint8_t *w, int64_t blockBytes, int64_t n, const uint8_t *a, int64_t aStride,
                     const float *scales, elder_unpacked_block (*unpack)(const uint8_t *), int hasOffsets,
                     float offsetFactor, int count, float *out, int64_t outStride) {
    if (count == 2) elder_dot_rows(w, blockBytes, n, a, aStride, scales, unpack, hasOffsets, offsetFactor, 2, out, outStride);
    else if (count == 3) elder_dot_rows(w, blockBytes, n, a, aStride, scales, unpack, hasOffsets, offsetFactor, 3, out, outStride);
    else elder_dot_rows(w, blockBytes, n, a, aStride, scales, unpack, hasOffsets, offsetFactor, ELDER_ROWS, out, outStride);
}

/// Weight rows per tile of `ELDER_DEFINE_DOT_ROWS`: a tile's blocks and one group of activation rows stay in
/// L1 while each group of activation rows passes over the tile (1536 columns: 15 KB of Q4_1 and 14 KB of
/// activations).
enum { ELDER_ROW_TILE = 16 };

/// Defines `name`(w, weightRows, activations, activationRowBytes, rows, k, out, outStride): out[r × outStride + i]
/// = `dot`(weight row i, activation row r) for i < weightRows and r < rows (weight row i at w + i × the row's
/// bytes, activation row r at activations + r × activationRowBytes), the activation rows in groups of
/// ELDER_ROWS through `elder_dot_rows` (the same bits), the last 2 or 3 rows likewise as one smaller group, a
/// last lone row by `dot` (one row gains nothing from the grouped kernel).
#define ELDER_DEFINE_DOT_ROWS(name, dot, blockBytes, unpack, hasOffsets, offsetFactor) \
    void name(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes, int64_t rows, \
              int64_t k, float *out, int64_t outStride) { \
        const uint8_t *a = activations; \
        const int64_t n = k / 32, rowBytes = n * (blockBytes); \
        const int64_t groupCount = rows / ELDER_ROWS + (rows % ELDER_ROWS >= 2); \
        float *scales = groupCount > 0 ? malloc(sizeof(float) * 8 * n * groupCount) : NULL; \
        const int64_t grouped = scales ? rows - (rows % ELDER_ROWS == 1) : 0; \
        for (int64_t r = 0; r < grouped; r += ELDER_ROWS) { \
            const int count = grouped - r < ELDER_ROWS ? (int)(grouped - r) : ELDER_ROWS; \
            elder_gather_scales(a + r * activationRowBytes, activationRowBytes, n, count, scales + 8 * n * (r / ELDER_ROWS)); \
        } \
        for (int64_t tile = 0; tile < weightRows; tile += ELDER_ROW_TILE) { \
            const int64_t end = tile + ELDER_ROW_TILE < weightRows ? tile + ELDER_ROW_TILE : weightRows; \
            for (int64_t r = 0; r < grouped; r += ELDER_ROWS) { \
                const uint8_t *group = a + r * activationRowBytes; \
                const float *groupScales = scales + 8 * n * (r / ELDER_ROWS); \
                const int count = grouped - r < ELDER_ROWS ? (int)(grouped - r) : ELDER_ROWS; \
                for (int64_t i = tile; i < end; i++) { \
                    elder_dot_group((const uint8_t *)w + i * rowBytes, blockBytes, n, group, activationRowBytes, groupScales, \
                                    unpack, hasOffsets, offsetFactor, count, out + r * outStride + i, outStride); \
                } \
            } \
            for (int64_t i = tile; i < end; i++) { \
                for (int64_t r = grouped; r < rows; r++) { \
                    out[r * outStride + i] = dot((const uint8_t *)w + i * rowBytes, a + r * activationRowBytes, k); \
                } \
            } \
        } \
        free(scales); \
    }
#else
#define ELDER_DEFINE_DOT_ROWS(name, dot, blockBytes, unpack, hasOffsets, offsetFactor) ELDER_DEFINE_DOT_EACH_ROW(name, dot, 32, blockBytes)
#endif

/// Defines `name` as above with one `dot` per pair of rows (formats without a many-row kernel).
#define ELDER_DEFINE_DOT_EACH_ROW(name, dot, blockSize, blockBytes) \
    void name(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes, int64_t rows, \
              int64_t k, float *out, int64_t outStride) { \
        const int64_t rowBytes = k / (blockSize) * (blockBytes); \
        for (int64_t i = 0; i < weightRows; i++) { \
            for (int64_t r = 0; r < rows; r++) { \
                out[r * outStride + i] = dot((const uint8_t *)w + i * rowBytes, (const uint8_t *)activations + r * activationRowBytes, k); \
            } \
        } \
    }

#endif
