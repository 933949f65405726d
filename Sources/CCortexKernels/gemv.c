// Matrix-vector products (one-row GEMMs: batch-1 inference), memory-bound on the matrix. Written here, not
// taken from the platform BLAS, so that their speed does not depend on whether that library recognises the
// CPU. Each lane of a fixed-width accumulator array is independent, so the compiler vectorises the loops for
// every target without reassociating a sum.
#include "CortexKernels.h"
#include "ck_dispatch.h"

#define LANES 16

CK_INLINE float lane_sum(const float *acc) {
    float s = 0;
    for (int l = 0; l < LANES; l++) s += acc[l];
    return s;
}

// y[j] = alpha * dot(B row j, x) + beta * y[j]: B is n x k row-major (a Linear layer's weight).
CK_INLINE void ck_gemv_rows_impl(long n, long k, float alpha, const float *b, long ldb, const float *x, float beta,
                                  float *y) {
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        const float *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
        float a0[LANES] = {0}, a1[LANES] = {0}, a2[LANES] = {0}, a3[LANES] = {0};
        long p = 0;
        for (; p + LANES <= k; p += LANES) {
            for (int l = 0; l < LANES; l++) {
                float v = x[p + l];
                a0[l] += b0[p + l] * v;
                a1[l] += b1[p + l] * v;
                a2[l] += b2[p + l] * v;
                a3[l] += b3[p + l] * v;
            }
        }
        float s0 = lane_sum(a0), s1 = lane_sum(a1), s2 = lane_sum(a2), s3 = lane_sum(a3);
        for (; p < k; p++) {
            s0 += b0[p] * x[p];
            s1 += b1[p] * x[p];
            s2 += b2[p] * x[p];
            s3 += b3[p] * x[p];
        }
        float s[4] = {s0, s1, s2, s3};
        for (int r = 0; r < 4; r++) y[j + r] = alpha * s[r] + (beta == 0 ? 0 : beta * y[j + r]);
    }
    for (; j < n; j++) {
        const float *row = b + j * ldb;
        float acc[LANES] = {0};
        long p = 0;
        for (; p + LANES <= k; p += LANES)
            for (int l = 0; l < LANES; l++) acc[l] += row[p + l] * x[p + l];
        float s = lane_sum(acc);
        for (; p < k; p++) s += row[p] * x[p];
        y[j] = alpha * s + (beta == 0 ? 0 : beta * y[j]);
    }
}
CK_DEFINE(ck_gemv_rows, (long n, long k, float alpha, const float *b, long ldb, const float *x, float beta, float *y),
          (n, k, alpha, b, ldb, x, beta, y))

// y[j] = alpha * sum_p x[p] B[p, j] + beta * y[j]: B is k x n row-major. 64 columns at a time stay in registers
// while the k rows stream past; the block is inlined with its width a constant for whole blocks.
#define BLOCK 64
CK_INLINE void gemv_columns_block(long width, long k, float alpha, const float *b, long ldb, const float *x, float beta,
                                  float *y) {
    float acc[BLOCK] = {0};
    for (long p = 0; p < k; p++) {
        const float *row = b + p * ldb;
        float v = x[p];
        for (long l = 0; l < width; l++) acc[l] += v * row[l];
    }
    for (long l = 0; l < width; l++) y[l] = alpha * acc[l] + (beta == 0 ? 0 : beta * y[l]);
}

CK_INLINE void ck_gemv_columns_impl(long n, long k, float alpha, const float *b, long ldb, const float *x, float beta,
                                     float *y) {
    long j0 = 0;
    for (; j0 + BLOCK <= n; j0 += BLOCK) gemv_columns_block(BLOCK, k, alpha, b + j0, ldb, x, beta, y + j0);
    if (j0 < n) gemv_columns_block(n - j0, k, alpha, b + j0, ldb, x, beta, y + j0);
}
CK_DEFINE(ck_gemv_columns, (long n, long k, float alpha, const float *b, long ldb, const float *x, float beta, float *y),
          (n, k, alpha, b, ldb, x, beta, y))
