// Element-wise activations and their gradients: per-element formulas on top of ck_fastmath.h,
// run through loops that vectorise for each instruction set.
#include "CortexKernels.h"
#include "ck_fastmath.h"

// Outputs may be the very array they are computed from, so the pointers cannot be restrict without
// making in-place calls undefined, and without restrict clang guards the vector loop with an
// overlap check that fails, and falls back to scalar code, precisely when out == in. assume_safety
// instead states what does hold: no iteration reads what another one writes (element i only
// touches index i). That is false for partially overlapping arrays, which the header excludes.
#define CK_MAP1(name, elem, xparams, xargs)                                                \
    CK_INLINE void name##_impl(const float *x, float *y, long n xparams) {                \
        _Pragma("clang loop vectorize(assume_safety)")                                     \
        for (long i = 0; i < n; i++) y[i] = elem(x[i] xargs);                              \
    }                                                                                      \
    CK_DEFINE(name, (const float *x, float *y, long n xparams), (x, y, n xargs))

#define CK_MAP2(name, elem, xparams, xargs)                                                \
    CK_INLINE void name##_impl(const float *x, const float *g, float *dx, long n xparams) { \
        _Pragma("clang loop vectorize(assume_safety)")                                     \
        for (long i = 0; i < n; i++) dx[i] = elem(x[i], g[i] xargs);                       \
    }                                                                                      \
    CK_DEFINE(name, (const float *x, const float *g, float *dx, long n xparams), (x, g, dx, n xargs))

// Extra trailing parameters / arguments for the two macros above (softplus's beta and threshold).
#define CK_NOTHING
#define CK_EXTRA(...) , __VA_ARGS__

// x * f(x) with f(x) -> 0 as x -> -inf is NaN at x = -inf (inf * 0); clamping the factor x at a
// point where f has already underflowed to 0 gives the limit (-0) instead.
#define CK_FAR_LEFT -200.0f

// ---- functions ----

CK_MAP1(ck_exp, ck_expf, CK_NOTHING, CK_NOTHING)
CK_MAP1(ck_log, ck_logf, CK_NOTHING, CK_NOTHING)
CK_MAP1(ck_tanh, ck_tanhf, CK_NOTHING, CK_NOTHING)
CK_MAP1(ck_sigmoid, ck_sigmoidf, CK_NOTHING, CK_NOTHING)
CK_MAP1(ck_erf, ck_erff, CK_NOTHING, CK_NOTHING)

CK_INLINE float ck_gelu1(float x) {
    ck_exp_t gauss;
    return ck_phif_scaled(x, ck_clamp(x, CK_FAR_LEFT, __builtin_inff()), &gauss);
}
CK_MAP1(ck_gelu, ck_gelu1, CK_NOTHING, CK_NOTHING)

// d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi).
CK_INLINE float ck_gelu_grad1(float x, float g) {
    ck_exp_t gauss;
    float Phi = ck_phif_scaled(x, 1.0f, &gauss);
    float xc = ck_clamp(x, CK_FAR_LEFT, -CK_FAR_LEFT);  // gauss is 0 out there; keeps inf * 0 out
    return g * (Phi + ck_exp_times(gauss, xc * 0.398942280f));
}
CK_MAP2(ck_gelu_backward, ck_gelu_grad1, CK_NOTHING, CK_NOTHING)

// gelu_tanh(x) = x sigmoid(v) with v = 2 sqrt(2/pi) (x + 0.044715 x^3), since 1 + tanh(u) =
// 2 sigmoid(2u); this avoids the cancellation in 1 + tanh(u) for x < 0. A float v would carry
// several ulps of rounding and e^v multiplies that by |v| (x = -4 gives |v| ~ 11), so v is formed in
// double and handed to exp as a hi + lo pair. Returns e^-|v| in split form.
CK_INLINE ck_exp_t ck_gelu_tanh_exp(float x) {
    // Beyond |x| = 20, |v| > 600 and sigmoid(v) is exactly 0 or 1; clamping keeps v finite.
    double xd = ck_clamp(x, -20.0f, 20.0f);
    double v = xd * (1.5957691216057308 + 0.071354816272600249 * (xd * xd));
    float vh = (float)v;
    float vl = (float)(v - (double)vh);
    return ck_exp_split(-ck_fabs(vh), vh < 0.0f ? vl : -vl);
}

// With e = e^-|v| and d = 1/(1 + e): sigmoid(v) = d for x >= 0 and e d for x < 0, the e factor
// applied last (ck_exp_times) so tiny results are rounded once.
CK_INLINE float ck_gelu_tanh1(float x) {
    ck_exp_t E = ck_gelu_tanh_exp(x);
    float d = 1.0f / (1.0f + ck_exp_times(E, 1.0f));
    float xd = ck_clamp(x, CK_FAR_LEFT, __builtin_inff()) * d;
    return x >= 0.0f ? xd : ck_exp_times(E, xd);
}
CK_MAP1(ck_gelu_tanh, ck_gelu_tanh1, CK_NOTHING, CK_NOTHING)

// d/dx x s(v) = s (1 + x v' (1 - s)), v' = 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2), with s and 1 - s
// each d or e d as above.
CK_INLINE float ck_gelu_tanh_grad1(float x, float g) {
    ck_exp_t E = ck_gelu_tanh_exp(x);
    float e = ck_exp_times(E, 1.0f);
    float d = 1.0f / (1.0f + e);
    float xc = ck_clamp(x, -20.0f, 20.0f);
    float dv = 1.59576912f + 0.214064449f * (xc * xc);
    float sn = x >= 0.0f ? e * d : d;
    float u = d * (1.0f + (xc * dv) * sn);
    return g * (x >= 0.0f ? u : ck_exp_times(E, u));
}
CK_MAP2(ck_gelu_tanh_backward, ck_gelu_tanh_grad1, CK_NOTHING, CK_NOTHING)

// silu(x) = x d for x >= 0 and x e d for x < 0 (e = e^-|x|, d = 1/(1 + e)), e applied last.
CK_INLINE float ck_silu1(float x) {
    ck_exp_t E = ck_exp_split(-ck_fabs(x), -0.0f);
    float d = 1.0f / (1.0f + ck_exp_times(E, 1.0f));
    float xd = ck_clamp(x, CK_FAR_LEFT, __builtin_inff()) * d;
    return x >= 0.0f ? xd : ck_exp_times(E, xd);
}
CK_MAP1(ck_silu, ck_silu1, CK_NOTHING, CK_NOTHING)

// s (1 + x (1 - s)), with s and 1 - s each d or e d, so neither is a difference of nearly equal
// numbers.
CK_INLINE float ck_silu_grad1(float x, float g) {
    ck_exp_t E = ck_exp_split(-ck_fabs(x), -0.0f);
    float e = ck_exp_times(E, 1.0f);
    float d = 1.0f / (1.0f + e);
    float sn = x >= 0.0f ? e * d : d;
    float xc = ck_clamp(x, CK_FAR_LEFT, -CK_FAR_LEFT);
    float u = d * (1.0f + xc * sn);
    return g * (x >= 0.0f ? u : ck_exp_times(E, u));
}
CK_MAP2(ck_silu_backward, ck_silu_grad1, CK_NOTHING, CK_NOTHING)

// log(1 + e^z) = max(z, 0) + log1p(e^-|z|): e^-|z| is in (0, 1], so nothing overflows and the
// log1p keeps full relative accuracy where softplus is tiny (z << 0). z = beta * x is rounded to
// float first, as PyTorch does.
CK_INLINE float ck_softplus1(float x, float beta, float threshold) {
    float z = x * beta;
    float l = ck_log1p_unit(ck_expf(-ck_fabs(z)));
    float y = ((z > 0.0f ? z : 0.0f) + l) / beta;
    return z > threshold ? x : y;
}
CK_MAP1(ck_softplus, ck_softplus1, CK_EXTRA(float beta, float threshold), CK_EXTRA(beta, threshold))

CK_INLINE float ck_softplus_grad1(float x, float g, float beta, float threshold) {
    float z = x * beta;
    return z > threshold ? g : g * ck_sigmoidf(z);
}
CK_MAP2(ck_softplus_backward, ck_softplus_grad1, CK_EXTRA(float beta, float threshold),
        CK_EXTRA(beta, threshold))

// 1 - y^2 as (1 - y)(1 + y): near y = +-1 the small factor is computed exactly (Sterbenz), where
// 1 - y*y would lose every bit.
CK_INLINE float ck_tanh_grad1(float y, float g) { return g * ((1.0f - y) * (1.0f + y)); }
CK_MAP2(ck_tanh_backward, ck_tanh_grad1, CK_NOTHING, CK_NOTHING)

CK_INLINE float ck_sigmoid_grad1(float y, float g) { return g * (y * (1.0f - y)); }
CK_MAP2(ck_sigmoid_backward, ck_sigmoid_grad1, CK_NOTHING, CK_NOTHING)
