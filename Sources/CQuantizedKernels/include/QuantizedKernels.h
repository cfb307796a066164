// Decode kernels over GGML's quantized weight blocks, with activations quantized to int16 blocks.
//
// One file per weight block format (q4_0.c, q4_1.c, q5_0.c, q8_0.c, q4_k.c, q6_k.c): its dequantizer (the same values as the
// reference decoding in Swift, ElderModel's Dequantize / BlockFormats, bit for bit), its dot product
// with quantized activations (AVX2 integer multiply-adds), and the plain-C reference of that dot
// product the fast one is tested against. A new format adds one such file and one case in ElderModel's
// `QuantizedFormat`.
//
// Activations are int16, not llama.cpp's int8: on SmolLM2, int8 activations moved the golden logits by
// up to 0.12 and changed 5 of 12 greedy continuations; int16 costs about the same (vpmaddwd instead
// of vpmaddubsw) and keeps the float32 reference's tokens (docs/PERFORMANCE.md).
//
// `_rows`: out[r·outStride + i] = the dot product of weight row i (of `weightRows`, one after the other) with
// activation row r (of `rows`, row r at activations + r·activationRowBytes), each the bits the one-row dot
// product gives; Q4_0, Q4_1, Q5_0 and Q8_0 unpack each weight block once for four activation rows, or for
// the last two or three (blocks.h, `elder_dot_rows`), the K-quants call the one-row product per pair.
//
// k is a row's length in values (a multiple of 32). Weight rows are read straight from the
// checkpoint's bytes (unaligned, little-endian fp16 scales).

#ifndef QUANTIZED_KERNELS_H
#define QUANTIZED_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: activations

/// 32 activations as int16 with their scale: x_j ≈ d·q_j, and s = d·Σq_j (for the offset terms of
/// Q4_0 and Q4_1). 72 bytes.
typedef struct {
    float d;
    float s;
    int16_t q[32];
} elder_block_q16;

/// Quantizes x[0..<k] to k/32 blocks: d = max|x|/32767, q = round-to-nearest-even(x/d).
void elder_quantize_q16(const float *x, elder_block_q16 *blocks, int64_t k);
/// The same in plain C (the reference the fast path is tested against; equal bit for bit).
void elder_quantize_q16_reference(const float *x, elder_block_q16 *blocks, int64_t k);

// MARK: Q4_0: {fp16 d; 16 bytes of nibbles}, w = d·(q - 8); value j is byte j's low nibble, j+16 its high one.

void elder_dequantize_q4_0(const void *blocks, float *y, int64_t k);
float elder_dot_q4_0_q16(const void *w, const void *activations, int64_t k);
float elder_dot_q4_0_q16_reference(const void *w, const void *activations, int64_t k);
void elder_dot_q4_0_q16_rows(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes,
                             int64_t rows, int64_t k, float *out, int64_t outStride);

// MARK: Q4_1: {fp16 d; fp16 m; 16 bytes of nibbles}, w = d·q + m.

void elder_dequantize_q4_1(const void *blocks, float *y, int64_t k);
float elder_dot_q4_1_q16(const void *w, const void *activations, int64_t k);
float elder_dot_q4_1_q16_reference(const void *w, const void *activations, int64_t k);
void elder_dot_q4_1_q16_rows(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes,
                             int64_t rows, int64_t k, float *out, int64_t outStride);

// MARK: Q8_0: {fp16 d; 32 int8}, w = d·q.

void elder_dequantize_q8_0(const void *blocks, float *y, int64_t k);
float elder_dot_q8_0_q16(const void *w, const void *activations, int64_t k);
float elder_dot_q8_0_q16_reference(const void *w, const void *activations, int64_t k);
void elder_dot_q8_0_q16_rows(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes,
                             int64_t rows, int64_t k, float *out, int64_t outStride);

// MARK: Q5_0: {fp16 d; u32 qh, the fifth bits; 16 bytes of nibbles}, w = d·(q - 16).

void elder_dequantize_q5_0(const void *blocks, float *y, int64_t k);
float elder_dot_q5_0_q16(const void *w, const void *activations, int64_t k);
float elder_dot_q5_0_q16_reference(const void *w, const void *activations, int64_t k);
void elder_dot_q5_0_q16_rows(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes,
                             int64_t rows, int64_t k, float *out, int64_t outStride);

// MARK: Q4_K: super-blocks of 256 (k a multiple of 256), sub-blocks of 32 with 6-bit scales and mins.

void elder_dequantize_q4_k(const void *blocks, float *y, int64_t k);
float elder_dot_q4_k_q16(const void *w, const void *activations, int64_t k);
float elder_dot_q4_k_q16_reference(const void *w, const void *activations, int64_t k);
void elder_dot_q4_k_q16_rows(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes,
                             int64_t rows, int64_t k, float *out, int64_t outStride);

// MARK: Q6_K: super-blocks of 256 (k a multiple of 256), sub-blocks of 16 with int8 scales, w = d·scale·(q - 32).

void elder_dequantize_q6_k(const void *blocks, float *y, int64_t k);
float elder_dot_q6_k_q16(const void *w, const void *activations, int64_t k);
float elder_dot_q6_k_q16_reference(const void *w, const void *activations, int64_t k);
void elder_dot_q6_k_q16_rows(const void *w, int64_t weightRows, const void *activations, int64_t activationRowBytes,
                             int64_t rows, int64_t k, float *out, int64_t outStride);

// MARK: threads

/// A hint to the CPU that the caller is spinning (x86 `pause`), for the worker pool's waits.
static inline void elder_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#ifdef __cplusplus
}
#endif

#endif
