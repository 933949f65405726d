// A GEMM for products whose B is used many times in a row: the hidden-to-hidden weight of a recurrent
// layer, multiplied once per time step by a few rows of state. A general BLAS packs B again on every
// call (a quarter of an LSTM's training step went there); here B is packed once per scan into panels
// of 32 columns, k-major, and each call runs only the register-blocked inner kernel over it.
//
// Packed layout: panel j holds columns 32j..32j+31 of op(B); its k rows follow each other, 32 floats
// each (zero past the last column). The layout is the same for every instruction set: AVX-512 reads a
// panel row as two 16-float vectors, AVX2 as four 8-float vectors taken as two 16-column halves.
#include "CortexKernels.h"
#include "ck_dispatch.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define NR CK_PACK_COLUMNS

long ck_packed_size(long k, long n) { return k <= 0 || n <= 0 ? 0 : (n + NR - 1) / NR * NR * k; }

#if defined(__x86_64__) && !defined(CK_SINGLE_PATH)
// rows[q] = column q of the 8 x 8 block held in rows[0..7].
__attribute__((target("avx2"))) static inline void transpose8(__m256 rows[8]) {
    __m256 t0 = _mm256_unpacklo_ps(rows[0], rows[1]), t1 = _mm256_unpackhi_ps(rows[0], rows[1]);
    __m256 t2 = _mm256_unpacklo_ps(rows[2], rows[3]), t3 = _mm256_unpackhi_ps(rows[2], rows[3]);
    __m256 t4 = _mm256_unpacklo_ps(rows[4], rows[5]), t5 = _mm256_unpackhi_ps(rows[4], rows[5]);
    __m256 t6 = _mm256_unpacklo_ps(rows[6], rows[7]), t7 = _mm256_unpackhi_ps(rows[6], rows[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    rows[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    rows[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    rows[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    rows[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    rows[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    rows[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    rows[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    rows[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Full panels of a transposed B in 8 x 8 blocks transposed in registers: both the reads (along B's rows) and the
// writes (along the panel's rows) are contiguous. A scalar gather here took a quarter of a forward GEMM.
// Returns the columns packed (whole panels); the caller packs the rest.
__attribute__((target("avx2"))) static long pack_transposed_avx2(const float *b, long ldb, long k, long n, float alpha,
                                                                  float *packed) {
    __m256 scale = _mm256_set1_ps(alpha);
    long full = n / NR * NR, k8 = k / 8 * 8;
    for (long j0 = 0; j0 < full; j0 += NR) {
        float *panel = packed + j0 * k;
        for (long p = 0; p < k8; p += 8)
            for (long j = 0; j < NR; j += 8) {
                __m256 rows[8];
                for (int r = 0; r < 8; r++) rows[r] = _mm256_mul_ps(scale, _mm256_loadu_ps(b + (j0 + j + r) * ldb + p));
                transpose8(rows);
                for (int q = 0; q < 8; q++) _mm256_storeu_ps(panel + (p + q) * NR + j, rows[q]);
            }
        for (long p = k8; p < k; p++)
            for (long j = 0; j < NR; j++) panel[p * NR + j] = alpha * b[(j0 + j) * ldb + p];
    }
    return full;
}
#endif

void ck_pack_b(const float *b, long ldb, int transposed, long k, long n, float *packed) {
    ck_pack_b_scaled(b, ldb, transposed, k, n, 1.0f, packed);
}

void ck_pack_b_scaled(const float *b, long ldb, int transposed, long k, long n, float alpha, float *packed) {
    long j0 = 0;
#if defined(__x86_64__) && !defined(CK_SINGLE_PATH)
    if (transposed && ck_cpu_isa_level() >= 1) j0 = pack_transposed_avx2(b, ldb, k, n, alpha, packed);
#endif
    for (; j0 < n; j0 += NR) {
        long width = n - j0 < NR ? n - j0 : NR;
        float *panel = packed + j0 * k;
        for (long p = 0; p < k; p++) {
            float *row = panel + p * NR;
            if (transposed) {
                for (long j = 0; j < width; j++) row[j] = alpha * b[(j0 + j) * ldb + p];
            } else {
                for (long j = 0; j < width; j++) row[j] = alpha * b[p * ldb + j0 + j];
            }
            for (long j = width; j < NR; j++) row[j] = 0;
        }
    }
}

// The portable kernel: one row of C against one panel, the panel row held in a local array the compiler
// vectorises for whatever the target has.
// D is passed on as one pointer per row of C (to that row's first column), or NULL: a gathered table row per
// token is as easy as a strided matrix.
static void gemm_packed_generic(long m, long n, long k, const float *a, long lda, int a_transposed,
                                const float *const *a_rows, const long *k_offsets, const float *packed, float *c, long ldc,
                                const float *const *d) {
    for (long j0 = 0; j0 < n; j0 += NR) {
        long width = n - j0 < NR ? n - j0 : NR;
        const float *panel = packed + j0 * k;
        for (long i = 0; i < m; i++) {
            float sum[NR] = {0};
            const float *row = a_rows ? a_rows[i] : a_transposed ? a + i : a + i * lda;
            for (long p = 0; p < k; p++) {
                float x = a_rows ? row[k_offsets[p]] : a_transposed ? row[p * lda] : row[p];
                for (long j = 0; j < NR; j++) sum[j] += x * panel[p * NR + j];
            }
            float *out = c + i * ldc + j0;
            const float *add = d ? d[i] + j0 : 0;
            for (long j = 0; j < width; j++) out[j] = add ? add[j] + sum[j] : sum[j];
        }
    }
}

#if defined(__x86_64__) && !defined(CK_SINGLE_PATH)

// AVX-512: up to 8 rows × 32 columns, 16 accumulators; per k two panel loads and one broadcast per row.
// MR is a constant in each copy, so the accumulator arrays live in registers.
#define CK_AVX512_ROWS 8
#define DEFINE_AVX512_BLOCK(NAME, MR, A_PARAMS, A_AT)                                                                            \
    __attribute__((target("avx512f"))) static void NAME##_##MR(                                         \
        long k, A_PARAMS, const float *panel, float *c, long ldc, const float *const *d,      \
        long j0, __mmask16 low, __mmask16 high) {                                                                   \
        __m512 c0[MR], c1[MR];                                                                             \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                                 \
            c0[r] = _mm512_setzero_ps();                                                                   \
            c1[r] = _mm512_setzero_ps();                                                                   \
        }                                                                                                  \
        for (long p = 0; p < k; p++) {                                                                     \
            __m512 b0 = _mm512_loadu_ps(panel + p * NR), b1 = _mm512_loadu_ps(panel + p * NR + 16);         \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                             \
                __m512 x = _mm512_set1_ps(A_AT(r, p));                                                       \
                c0[r] = _mm512_fmadd_ps(x, b0, c0[r]);                                                     \
                c1[r] = _mm512_fmadd_ps(x, b1, c1[r]);                                                     \
            }                                                                                              \
        }                                                                                                  \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                                 \
            float *out = c + r * ldc;                                                                      \
            if (d) {                                                                                       \
                c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(low, d[r] + j0));                       \
                c1[r] = _mm512_add_ps(c1[r], _mm512_maskz_loadu_ps(high, d[r] + j0 + 16));                 \
            }                                                                                              \
            _mm512_mask_storeu_ps(out, low, c0[r]);                                                        \
            _mm512_mask_storeu_ps(out + 16, high, c1[r]);                                                  \
        }                                                                                                  \
    }
// A as a matrix (a, lda), or indirectly: row r's element p at a_rows[r][k_offsets[p]] — a convolution's
// receptive field read from the image itself, with no im2col copy.
#define CK_A_MATRIX const float *a, long lda
#define CK_A_MATRIX_AT(r, p) a[(r) * lda + (p)]
#define CK_A_INDIRECT const float *const *a_rows, const long *k_offsets
#define CK_A_INDIRECT_AT(r, p) a_rows[r][k_offsets[p]]
// Or A stored transposed (k x m, leading dimension lda): a weight gradient's activations, read in place.
#define CK_A_TRANSPOSED_AT(r, p) a[(p) * lda + (r)]
#define DEFINE_AVX512_BLOCKS(MR)                                              \
    DEFINE_AVX512_BLOCK(avx512_block, MR, CK_A_MATRIX, CK_A_MATRIX_AT)        \
    DEFINE_AVX512_BLOCK(avx512_transposed, MR, CK_A_MATRIX, CK_A_TRANSPOSED_AT) \
    DEFINE_AVX512_BLOCK(avx512_indirect, MR, CK_A_INDIRECT, CK_A_INDIRECT_AT)
DEFINE_AVX512_BLOCKS(1)
DEFINE_AVX512_BLOCKS(2)
DEFINE_AVX512_BLOCKS(3)
DEFINE_AVX512_BLOCKS(4)
DEFINE_AVX512_BLOCKS(5)
DEFINE_AVX512_BLOCKS(6)
DEFINE_AVX512_BLOCKS(7)
DEFINE_AVX512_BLOCKS(8)

typedef void (*avx512_block)(long, const float *, long, const float *, float *, long, const float *const *, long,
                             __mmask16, __mmask16);
static const avx512_block avx512_blocks[CK_AVX512_ROWS + 1] = {
    0, avx512_block_1, avx512_block_2, avx512_block_3, avx512_block_4,
    avx512_block_5, avx512_block_6, avx512_block_7, avx512_block_8};
static const avx512_block avx512_transposed_blocks[CK_AVX512_ROWS + 1] = {
    0, avx512_transposed_1, avx512_transposed_2, avx512_transposed_3, avx512_transposed_4,
    avx512_transposed_5, avx512_transposed_6, avx512_transposed_7, avx512_transposed_8};
typedef void (*avx512_indirect_block)(long, const float *const *, const long *, const float *, float *, long,
                                      const float *const *, long, __mmask16, __mmask16);
static const avx512_indirect_block avx512_indirect_blocks[CK_AVX512_ROWS + 1] = {
    0, avx512_indirect_1, avx512_indirect_2, avx512_indirect_3, avx512_indirect_4,
    avx512_indirect_5, avx512_indirect_6, avx512_indirect_7, avx512_indirect_8};

// Panel by panel, so one panel (k × 32 floats) stays in L1 or L2 while every row block of A passes over it.
__attribute__((target("avx512f"))) static void gemm_packed_avx512(long m, long n, long k, const float *a, long lda,
                                                                  int a_transposed, const float *const *a_rows,
                                                                  const long *k_offsets,
                                                                  const float *packed, float *c, long ldc,
                                                                  const float *const *d) {
    for (long j0 = 0; j0 < n; j0 += NR) {
        long width = n - j0 < NR ? n - j0 : NR;
        __mmask16 low = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
        __mmask16 high = width <= 16 ? 0 : width >= 32 ? 0xFFFF : (__mmask16)((1u << (width - 16)) - 1);
        for (long i = 0; i < m; i += CK_AVX512_ROWS) {
            long rows = m - i < CK_AVX512_ROWS ? m - i : CK_AVX512_ROWS;
            if (a_rows)
                avx512_indirect_blocks[rows](k, a_rows + i, k_offsets, packed + j0 * k, c + i * ldc + j0, ldc,
                                             d ? d + i : 0, j0, low, high);
            else if (a_transposed)
                avx512_transposed_blocks[rows](k, a + i, lda, packed + j0 * k, c + i * ldc + j0, ldc, d ? d + i : 0, j0,
                                               low, high);
            else
                avx512_blocks[rows](k, a + i * lda, lda, packed + j0 * k, c + i * ldc + j0, ldc, d ? d + i : 0, j0, low,
                                    high);
        }
    }
}

// AVX2+FMA: up to 6 rows × 16 columns (half a panel), 12 accumulators of the 16 registers.
#define CK_AVX2_ROWS 6
#define DEFINE_AVX2_BLOCK(NAME, MR, A_PARAMS, A_AT)                                                                              \
    __attribute__((target("avx2,fma"))) static void NAME##_##MR(                                          \
        long k, A_PARAMS, const float *half, float *c, long ldc, const float *const *d,       \
        long j0, long width) {                                                                             \
        __m256 c0[MR], c1[MR];                                                                             \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                                 \
            c0[r] = _mm256_setzero_ps();                                                                   \
            c1[r] = _mm256_setzero_ps();                                                                   \
        }                                                                                                  \
        for (long p = 0; p < k; p++) {                                                                     \
            __m256 b0 = _mm256_loadu_ps(half + p * NR), b1 = _mm256_loadu_ps(half + p * NR + 8);            \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                             \
                __m256 x = _mm256_set1_ps(A_AT(r, p));                                                     \
                c0[r] = _mm256_fmadd_ps(x, b0, c0[r]);                                                     \
                c1[r] = _mm256_fmadd_ps(x, b1, c1[r]);                                                     \
            }                                                                                              \
        }                                                                                                  \
        for (int r = 0; r < MR; r++) {                                                                     \
            float lane[16];                                                                                \
            _mm256_storeu_ps(lane, c0[r]);                                                                 \
            _mm256_storeu_ps(lane + 8, c1[r]);                                                             \
            float *out = c + r * ldc;                                                                      \
            const float *add = d ? d[r] + j0 : 0;                                                          \
            if (width == 16 && add) {                                                                      \
                _mm256_storeu_ps(out, _mm256_add_ps(c0[r], _mm256_loadu_ps(add)));                         \
                _mm256_storeu_ps(out + 8, _mm256_add_ps(c1[r], _mm256_loadu_ps(add + 8)));                 \
            } else if (width == 16) {                                                                      \
                _mm256_storeu_ps(out, c0[r]);                                                              \
                _mm256_storeu_ps(out + 8, c1[r]);                                                          \
            } else {                                                                                       \
                for (long j = 0; j < width; j++) out[j] = add ? add[j] + lane[j] : lane[j];                \
            }                                                                                              \
        }                                                                                                  \
    }
#define DEFINE_AVX2_BLOCKS(MR)                                            \
    DEFINE_AVX2_BLOCK(avx2_block, MR, CK_A_MATRIX, CK_A_MATRIX_AT)        \
    DEFINE_AVX2_BLOCK(avx2_transposed, MR, CK_A_MATRIX, CK_A_TRANSPOSED_AT) \
    DEFINE_AVX2_BLOCK(avx2_indirect, MR, CK_A_INDIRECT, CK_A_INDIRECT_AT)
DEFINE_AVX2_BLOCKS(1)
DEFINE_AVX2_BLOCKS(2)
DEFINE_AVX2_BLOCKS(3)
DEFINE_AVX2_BLOCKS(4)
DEFINE_AVX2_BLOCKS(5)
DEFINE_AVX2_BLOCKS(6)

typedef void (*avx2_block)(long, const float *, long, const float *, float *, long, const float *const *, long, long);
static const avx2_block avx2_blocks[CK_AVX2_ROWS + 1] = {
    0, avx2_block_1, avx2_block_2, avx2_block_3, avx2_block_4, avx2_block_5, avx2_block_6};
static const avx2_block avx2_transposed_blocks[CK_AVX2_ROWS + 1] = {
    0, avx2_transposed_1, avx2_transposed_2, avx2_transposed_3, avx2_transposed_4, avx2_transposed_5, avx2_transposed_6};
typedef void (*avx2_indirect_block)(long, const float *const *, const long *, const float *, float *, long,
                                    const float *const *, long, long);
static const avx2_indirect_block avx2_indirect_blocks[CK_AVX2_ROWS + 1] = {
    0, avx2_indirect_1, avx2_indirect_2, avx2_indirect_3, avx2_indirect_4, avx2_indirect_5, avx2_indirect_6};

__attribute__((target("avx2,fma"))) static void gemm_packed_avx2(long m, long n, long k, const float *a, long lda,
                                                                 int a_transposed, const float *const *a_rows,
                                                                 const long *k_offsets,
                                                                 const float *packed, float *c, long ldc,
                                                                 const float *const *d) {
    for (long j0 = 0; j0 < n; j0 += 16) {
        long width = n - j0 < 16 ? n - j0 : 16;
        const float *half = packed + (j0 / NR) * NR * k + j0 % NR;
        for (long i = 0; i < m; i += CK_AVX2_ROWS) {
            long rows = m - i < CK_AVX2_ROWS ? m - i : CK_AVX2_ROWS;
            if (a_rows)
                avx2_indirect_blocks[rows](k, a_rows + i, k_offsets, half, c + i * ldc + j0, ldc, d ? d + i : 0, j0,
                                           width);
            else if (a_transposed)
                avx2_transposed_blocks[rows](k, a + i, lda, half, c + i * ldc + j0, ldc, d ? d + i : 0, j0, width);
            else
                avx2_blocks[rows](k, a + i * lda, lda, half, c + i * ldc + j0, ldc, d ? d + i : 0, j0, width);
        }
    }
}

#endif

// One call over at most ROW_GROUP rows, D as row pointers (or NULL).
#define ROW_GROUP 64
static void gemm_packed_group(int level, long m, long n, long k, const float *a, long lda, int a_transposed,
                              const float *const *a_rows, const long *k_offsets, const float *packed, float *c, long ldc,
                              const float *const *d) {
    if (k <= 0) {
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = d ? d[i][j] : 0;
        return;
    }
#if defined(__x86_64__) && !defined(CK_SINGLE_PATH)
    if (level == 2) return gemm_packed_avx512(m, n, k, a, lda, a_transposed, a_rows, k_offsets, packed, c, ldc, d);
    if (level == 1) return gemm_packed_avx2(m, n, k, a, lda, a_transposed, a_rows, k_offsets, packed, c, ldc, d);
#else
    (void)level;
#endif
    gemm_packed_generic(m, n, k, a, lda, a_transposed, a_rows, k_offsets, packed, c, ldc, d);
}

// The instruction set to use: the widest the CPU has, as capped by CORTEX_ISA.
static int gemm_packed_level(void) { return ck_cpu_isa_level(); }

// Rows in groups, each with its D row pointers on the stack. A is a matrix (a, lda; stored transposed when
// a_transposed is set) or, when a_rows is set, read indirectly.
static void gemm_packed_rows_of(int level, long m, long n, long k, const float *a, long lda, int a_transposed,
                                const float *const *a_rows, const long *k_offsets, const float *packed, float *c,
                                long ldc, const float *d, long ldd) {
    if (m <= 0 || n <= 0) return;
    int supported = gemm_packed_level();
    if (level > supported) level = supported;
    for (long i0 = 0; i0 < m; i0 += ROW_GROUP) {
        long rows = m - i0 < ROW_GROUP ? m - i0 : ROW_GROUP;
        const float *rowsOfD[ROW_GROUP];
        for (long r = 0; r < rows; r++) rowsOfD[r] = d ? d + (i0 + r) * ldd : 0;
        const float *a0 = a_rows ? 0 : a_transposed ? a + i0 : a + i0 * lda;
        gemm_packed_group(level, rows, n, k, a0, lda, a_transposed, a_rows ? a_rows + i0 : 0, k_offsets, packed,
                          c + i0 * ldc, ldc, d ? rowsOfD : 0);
    }
}

void ck_gemm_packed_isa(int level, long m, long n, long k, const float *a, long lda, const float *packed, float *c,
                        long ldc, const float *d, long ldd) {
    gemm_packed_rows_of(level, m, n, k, a, lda, 0, 0, 0, packed, c, ldc, d, ldd);
}

void ck_gemm_packed_transposed_isa(int level, long m, long n, long k, const float *a, long lda, const float *packed,
                                   float *c, long ldc, const float *d, long ldd) {
    gemm_packed_rows_of(level, m, n, k, a, lda, 1, 0, 0, packed, c, ldc, d, ldd);
}

void ck_gemm_packed(long m, long n, long k, const float *a, long lda, const float *packed, float *c, long ldc,
                    const float *d, long ldd) {
    ck_gemm_packed_isa(gemm_packed_level(), m, n, k, a, lda, packed, c, ldc, d, ldd);
}

void ck_gemm_packed_rows(long m, long n, long k, const float *a, long lda, const float *packed, float *c, long ldc,
                         const float *const *d_rows) {
    if (m <= 0 || n <= 0) return;
    gemm_packed_group(gemm_packed_level(), m, n, k, a, lda, 0, 0, 0, packed, c, ldc, d_rows);
}

void ck_gemm_packed_indirect_isa(int level, long m, long n, long k, const float *const *a_rows, const long *k_offsets,
                                 const float *packed, float *c, long ldc, const float *d, long ldd) {
    gemm_packed_rows_of(level, m, n, k, 0, 0, 0, a_rows, k_offsets, packed, c, ldc, d, ldd);
}

void ck_gemm_packed_indirect(long m, long n, long k, const float *const *a_rows, const long *k_offsets, const float *packed,
                             float *c, long ldc, const float *d, long ldd) {
    ck_gemm_packed_indirect_isa(gemm_packed_level(), m, n, k, a_rows, k_offsets, packed, c, ldc, d, ldd);
}
