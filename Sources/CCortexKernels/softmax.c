// Softmax, log-softmax and their gradients along the middle axis of an (outer, n, inner) block:
// rows (inner == 1) reduce over contiguous memory, columns (inner > 1) in strips of the inner axis.
#include <stdint.h>
#include <string.h>

#include "CortexKernels.h"
#include "ck_fastmath.h"

// Partial maxima kept per lane. clang will not vectorise a float max reduction on its own (the
// order of comparisons is observable with NaN), but it turns a fixed-width array of independent
// lanes into vector max instructions; 32 lanes give a few independent chains even at AVX-512.
#define CK_LANES 32
// Columns handled together when inner > 1: every pass over n then reads runs of up to 1 KiB per
// row, and the per-column state (max, sum) stays on the stack.
#define CK_STRIP 256

CK_INLINE float ck_row_max(const float *x, long n) {
    float lane[CK_LANES];
    for (int k = 0; k < CK_LANES; k++) lane[k] = -__builtin_inff();
    long i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES)
        for (int k = 0; k < CK_LANES; k++) lane[k] = x[i + k] > lane[k] ? x[i + k] : lane[k];
    float m = -__builtin_inff();
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int k = 0; k < CK_LANES; k++) m = lane[k] > m ? lane[k] : m;
    return m;  // NaNs are skipped here; they still reach the output through exp(NaN - m)
}

// e^(a - b) with the rounding error of a - b (recovered exactly by TwoSum) passed to exp as its
// tail: a probability 20 nats below the max would otherwise carry ~20 ulps of relative error.
// For a = -inf the error term is NaN and is dropped, so masked entries give exactly 0.
CK_INLINE float ck_exp_diff(float a, float b) {
    float d = a - b;
    float a1 = d + b;
    float nb = d - a1;
    float err = (a - a1) - (b + nb);
    return ck_exp_hl(d, ck_fabs(d) < __builtin_inff() ? err : -0.0f);
}

// log(cnt + rest) in double for log-softmax, without libm so the library links against nothing.
// cnt counts the entries equal to the max (each contributing e^0 = 1) and rest sums the others,
// kept apart so that with a single dominant entry log(1 + rest) = log1p(rest) keeps its relative
// accuracy: 1 + 1e-11 in one double would leave the log-prob of that entry only ~5 digits.
// Otherwise s = 2^k m with m in [sqrt(1/2), sqrt(2)) and log m from the float log1p kernel.
CK_INLINE double ck_log_sum(double cnt, double rest) {
    if (cnt == 1.0 && rest >= 0.0 && rest < 0.41) return ck_log1p_reduced((float)rest);
    double s = cnt + rest;
    if (!(s > 0.0 && s < __builtin_inf())) return s > 0.0 ? s : __builtin_nan("");
    uint64_t u;
    memcpy(&u, &s, sizeof u);
    u += 0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull;
    int k = (int)(u >> 52) - 1023;
    u = (u & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull;
    double m;
    memcpy(&m, &u, sizeof m);
    return k * 0.69314718055994531 + (double)ck_log1p_reduced((float)(m - 1.0));
}

// ---- rows (inner == 1) ----
// The output may be the input array itself, so nothing is restrict; element i of each pass only
// touches index i, which is what assume_safety promises (see activations.c).

CK_INLINE void ck_softmax_row(const float *x, float *y, long n) {
    float m = ck_row_max(x, n);
    double sum = 0.0;
#pragma clang loop vectorize(assume_safety)
    for (long i = 0; i < n; i++) {
        float e = ck_exp_diff(x[i], m);
        y[i] = e;
        sum += e;
    }
    float inv = (float)(1.0 / sum);
#pragma clang loop vectorize(assume_safety)
    for (long i = 0; i < n; i++) y[i] *= inv;
}

CK_INLINE void ck_log_softmax_row(const float *x, float *y, long n) {
    float m = ck_row_max(x, n);
    // e - 1 for the max entries is exactly 0, or NaN when the max is inf (then the row is NaN, as
    // in PyTorch).
    double cnt = 0.0, rest = 0.0;
#pragma clang loop vectorize(enable)
    for (long i = 0; i < n; i++) {
        double e = ck_exp_diff(x[i], m);
        int top = x[i] == m;
        cnt += top ? 1.0 : 0.0;
        rest += top ? e - 1.0 : e;
    }
    // (x - m) - log sum in double, rounded once. x - m is exact in double; folding m and log sum
    // into one constant first would round away a log-prob near 0 (one dominant entry).
    double md = m, lse = ck_log_sum(cnt, rest);
#pragma clang loop vectorize(assume_safety)
    for (long i = 0; i < n; i++) y[i] = (float)(((double)x[i] - md) - lse);
}

CK_INLINE void ck_softmax_backward_row(const float *y, const float *g, float *dx, long n) {
    double dot = 0.0;
#pragma clang loop vectorize(enable)
    for (long i = 0; i < n; i++) dot += (double)g[i] * y[i];
    float d = (float)dot;
#pragma clang loop vectorize(assume_safety)
    for (long i = 0; i < n; i++) dx[i] = y[i] * (g[i] - d);
}

CK_INLINE void ck_log_softmax_backward_row(const float *y, const float *g, float *dx, long n) {
    double sum = 0.0;
#pragma clang loop vectorize(enable)
    for (long i = 0; i < n; i++) sum += g[i];
    float s = (float)sum;
#pragma clang loop vectorize(assume_safety)
    for (long i = 0; i < n; i++) dx[i] = g[i] - ck_expf(y[i]) * s;
}

// ---- column strips (inner > 1): w <= CK_STRIP adjacent columns, element (j, k) at j*inner + k ----
// Each pass walks j and, inside, the contiguous k run, so the inner loops vectorise over columns.

CK_INLINE void ck_strip_max(const float *x, long n, long inner, long w, float *m) {
    for (long k = 0; k < w; k++) m[k] = -__builtin_inff();
    for (long j = 0; j < n; j++) {
        const float *xr = x + j * inner;
        for (long k = 0; k < w; k++) m[k] = xr[k] > m[k] ? xr[k] : m[k];
    }
}

CK_INLINE void ck_softmax_strip(const float *x, float *y, long n, long inner, long w) {
    float m[CK_STRIP], inv[CK_STRIP];
    double sum[CK_STRIP];
    ck_strip_max(x, n, inner, w, m);
    for (long k = 0; k < w; k++) sum[k] = 0.0;
    for (long j = 0; j < n; j++) {
        const float *xr = x + j * inner;
        float *yr = y + j * inner;
#pragma clang loop vectorize(assume_safety)
        for (long k = 0; k < w; k++) {
            float e = ck_exp_diff(xr[k], m[k]);
            yr[k] = e;
            sum[k] += e;
        }
    }
    for (long k = 0; k < w; k++) inv[k] = (float)(1.0 / sum[k]);
    for (long j = 0; j < n; j++) {
        float *yr = y + j * inner;
#pragma clang loop vectorize(assume_safety)
        for (long k = 0; k < w; k++) yr[k] *= inv[k];
    }
}

CK_INLINE void ck_log_softmax_strip(const float *x, float *y, long n, long inner, long w) {
    float m[CK_STRIP];
    double cnt[CK_STRIP], sum[CK_STRIP];
    ck_strip_max(x, n, inner, w, m);
    for (long k = 0; k < w; k++) cnt[k] = sum[k] = 0.0;
    for (long j = 0; j < n; j++) {  // as in ck_log_softmax_row
        const float *xr = x + j * inner;
        for (long k = 0; k < w; k++) {
            double e = ck_exp_diff(xr[k], m[k]);
            int top = xr[k] == m[k];
            cnt[k] += top ? 1.0 : 0.0;
            sum[k] += top ? e - 1.0 : e;
        }
    }
    for (long k = 0; k < w; k++) sum[k] = ck_log_sum(cnt[k], sum[k]);  // now log sum
    for (long j = 0; j < n; j++) {
        const float *xr = x + j * inner;
        float *yr = y + j * inner;
#pragma clang loop vectorize(assume_safety)
        for (long k = 0; k < w; k++) yr[k] = (float)(((double)xr[k] - (double)m[k]) - sum[k]);
    }
}

CK_INLINE void ck_softmax_backward_strip(const float *y, const float *g, float *dx, long n, long inner,
                                         long w) {
    double dot[CK_STRIP];
    float d[CK_STRIP];
    for (long k = 0; k < w; k++) dot[k] = 0.0;
    for (long j = 0; j < n; j++) {
        const float *yr = y + j * inner, *gr = g + j * inner;
        for (long k = 0; k < w; k++) dot[k] += (double)gr[k] * yr[k];
    }
    for (long k = 0; k < w; k++) d[k] = (float)dot[k];
    for (long j = 0; j < n; j++) {
        const float *yr = y + j * inner, *gr = g + j * inner;
        float *dr = dx + j * inner;
#pragma clang loop vectorize(assume_safety)
        for (long k = 0; k < w; k++) dr[k] = yr[k] * (gr[k] - d[k]);
    }
}

CK_INLINE void ck_log_softmax_backward_strip(const float *y, const float *g, float *dx, long n,
                                             long inner, long w) {
    double sum[CK_STRIP];
    float s[CK_STRIP];
    for (long k = 0; k < w; k++) sum[k] = 0.0;
    for (long j = 0; j < n; j++) {
        const float *gr = g + j * inner;
        for (long k = 0; k < w; k++) sum[k] += gr[k];
    }
    for (long k = 0; k < w; k++) s[k] = (float)sum[k];
    for (long j = 0; j < n; j++) {
        const float *yr = y + j * inner, *gr = g + j * inner;
        float *dr = dx + j * inner;
#pragma clang loop vectorize(assume_safety)
        for (long k = 0; k < w; k++) dr[k] = gr[k] - ck_expf(yr[k]) * s[k];
    }
}

// ---- entry points ----

// Walks the outer blocks and runs `row` (inner == 1) or `strip` on each, with `base` / `off` the
// element offset of the block / strip and `w` the strip width.
#define CK_SOFTMAX_DRIVER(row, strip)                                                 \
    do {                                                                                   \
        if (outer <= 0 || n <= 0 || inner <= 0) return;                                    \
        long block = n * inner;                                                            \
        for (long o = 0; o < outer; o++) {                                                 \
            long base = o * block;                                                         \
            if (inner == 1) {                                                              \
                row;                                                                       \
            } else {                                                                       \
                for (long k0 = 0; k0 < inner; k0 += CK_STRIP) {                            \
                    long w = inner - k0 < CK_STRIP ? inner - k0 : CK_STRIP;                \
                    long off = base + k0;                                                  \
                    strip;                                                                 \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
    } while (0)

CK_INLINE void ck_softmax_impl(const float *x, float *y, long outer, long n, long inner) {
    CK_SOFTMAX_DRIVER(ck_softmax_row(x + base, y + base, n),
                      ck_softmax_strip(x + off, y + off, n, inner, w));
}
CK_DEFINE(ck_softmax, (const float *x, float *y, long outer, long n, long inner), (x, y, outer, n, inner))

CK_INLINE void ck_log_softmax_impl(const float *x, float *y, long outer, long n, long inner) {
    CK_SOFTMAX_DRIVER(ck_log_softmax_row(x + base, y + base, n),
                      ck_log_softmax_strip(x + off, y + off, n, inner, w));
}
CK_DEFINE(ck_log_softmax, (const float *x, float *y, long outer, long n, long inner), (x, y, outer, n, inner))

CK_INLINE void ck_softmax_backward_impl(const float *y, const float *g, float *dx, long outer, long n,
                                        long inner) {
    CK_SOFTMAX_DRIVER(ck_softmax_backward_row(y + base, g + base, dx + base, n),
                      ck_softmax_backward_strip(y + off, g + off, dx + off, n, inner, w));
}
CK_DEFINE(ck_softmax_backward, (const float *y, const float *g, float *dx, long outer, long n, long inner),
          (y, g, dx, outer, n, inner))

CK_INLINE void ck_log_softmax_backward_impl(const float *y, const float *g, float *dx, long outer, long n,
                                            long inner) {
    CK_SOFTMAX_DRIVER(ck_log_softmax_backward_row(y + base, g + base, dx + base, n),
                      ck_log_softmax_backward_strip(y + off, g + off, dx + off, n, inner, w));
}
CK_DEFINE(ck_log_softmax_backward,
          (const float *y, const float *g, float *dx, long outer, long n, long inner),
          (y, g, dx, outer, n, inner))

// ---- masked rows: softmax(x + mask) along contiguous rows, the additive mask read at a per-row offset
// (so one mask row serves every head and query that shares it); -inf entries come out exactly 0.
CK_INLINE void ck_softmax_masked_impl(const float *x, const float *mask, const long *mask_offsets, float *y, long rows,
                                      long n) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * n, *mr = mask + mask_offsets[r];
        float *yr = y + r * n;
#pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < n; i++) yr[i] = xr[i] + mr[i];
        ck_softmax_row(yr, yr, n);
    }
}
CK_DEFINE(ck_softmax_masked, (const float *x, const float *mask, const long *mask_offsets, float *y, long rows, long n),
          (x, mask, mask_offsets, y, rows, n))
