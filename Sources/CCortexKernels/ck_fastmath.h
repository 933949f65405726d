// Branch-free float approximations of exp, log, log1p, tanh, sigmoid, erf and the normal CDF,
// written so clang can vectorise a loop that calls them (a libm call in a loop body cannot be).
#ifndef CK_FASTMATH_H
#define CK_FASTMATH_H

#include <stdint.h>
#include <string.h>

#include "ck_dispatch.h"

// Polynomial coefficients are float32 minimax fits made for this file (discrete minimax over dense
// grids, coefficients rounded to float one at a time and the rest refitted). Each comment gives the
// fitted approximation error, well below float's half-ulp of 6e-8, so rounding in the evaluation is
// what the measured error is made of.

CK_INLINE uint32_t ck_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

CK_INLINE float ck_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

CK_INLINE float ck_fabs(float x) { return ck_from_bits(ck_bits(x) & 0x7fffffffu); }

CK_INLINE float ck_copysign(float mag, float sign) {
    return ck_from_bits((ck_bits(mag) & 0x7fffffffu) | (ck_bits(sign) & 0x80000000u));
}

// `v < lo ? lo : v` rather than fminf/fmaxf: it maps to one min/max instruction and keeps NaN.
CK_INLINE float ck_clamp(float v, float lo, float hi) {
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

// ---- exp ----

#define CK_LOG2E 1.44269502e+00f
// Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits.
#define CK_ROUND_MAGIC 12582912.0f
// ln 2 split so that n * CK_LN2_HI is exact for |n| < 2^8.
#define CK_LN2_HI 6.93145752e-01f
#define CK_LN2_LO 1.42860677e-06f

// e^(hi + lo), where lo is a small tail carrying bits that hi could not (lo = -0 for a plain exp),
// kept as p * s1 * s2: p = e^r near 1 and s1, s2 powers of two. x = n ln2 + r with |r| <= ln2/2,
// e^r = 1 + r + r^2 q(r) (fit error 1.1e-10 relative), and 2^n is split in two halves so that
// n = 128 still overflows to inf and a subnormal result is rounded only once, by the last product.
// Multiplying a factor into p first (ck_exp_times) likewise rounds f * e^x once, which matters when
// e^x alone would be subnormal but f * e^x is not (x * sigmoid(x) near x = -90, for instance).
typedef struct {
    float p, s1, s2;
} ck_exp_t;

CK_INLINE ck_exp_t ck_exp_split(float hi, float lo) {
    // Beyond these bounds the result is inf, or 0 even after ck_exp_times by a factor below 2^11
    // (e^-112 * 2^11 < 2^-150); clamping keeps 2^n representable in two halves. NaN passes through
    // the comparisons and poisons r.
    float x = ck_clamp(hi + lo, -112.0f, 89.0f);
    hi = ck_clamp(hi, -112.0f, 89.0f);
    float t = x * CK_LOG2E + CK_ROUND_MAGIC;
    float n = t - CK_ROUND_MAGIC;
    int32_t k = (int32_t)(ck_bits(t) - 0x4b400000u);
    float r = hi - n * CK_LN2_HI;
    r = r - n * CK_LN2_LO;
    r = r + lo;
    float q = 1.97427566e-04f;
    q = q * r + 1.39359361e-03f;
    q = q * r + 8.33356939e-03f;
    q = q * r + 4.16664556e-02f;
    q = q * r + 1.66666657e-01f;
    q = q * r + 5.00000000e-01f;
    int32_t k1 = k >> 1, k2 = k - k1;
    ck_exp_t e;
    e.p = 1.0f + (r + (r * r) * q);
    e.s1 = ck_from_bits((uint32_t)(k1 + 127) << 23);
    e.s2 = ck_from_bits((uint32_t)(k2 + 127) << 23);
    return e;
}

// f * e^x, rounded once. For e^x <= 1 and |f| < 2^11: f * p * s1 can then neither overflow nor
// be nonzero where f * e^x rounds to 0.
CK_INLINE float ck_exp_times(ck_exp_t e, float f) { return ((f * e.p) * e.s1) * e.s2; }

CK_INLINE float ck_exp_hl(float hi, float lo) {
    ck_exp_t e = ck_exp_split(hi, lo);
    return (e.p * e.s1) * e.s2;
}

// -0 rather than +0 as the tail: x + (-0) == x for every x, so clang folds it away (x + 0 is not x
// when x is -0).
CK_INLINE float ck_expf(float x) { return ck_exp_hl(x, -0.0f); }

// ---- log ----

// log(1 + f) = f - hf + s (hf + R(s^2)) with s = f / (2 + f), hf = f^2 / 2, R(z) ~ 2z/3 + 2z^2/5 + ...
// (the atanh series). Keeping f exact and only the small correction approximate makes it accurate
// to about an ulp. This R is fitted on s^2 <= 0.0295, i.e. f in [sqrt(1/2) - 1, sqrt(2) - 1]
// (fit error 8e-10).
CK_INLINE float ck_log1p_reduced(float f) {
    float s = f / (2.0f + f);
    float z = s * s;
    float R = 2.98721373e-01f;
    R = R * z + 3.99775535e-01f;
    R = R * z + 6.66667759e-01f;
    R = R * z;
    float hf = 0.5f * f * f;
    return f - (hf - s * (hf + R));
}

// The same with R fitted on s^2 <= 1/9, i.e. f in [0, 1] (fit error 1.2e-10): log(1 + e^-|z|) in
// softplus needs it without a range reduction.
CK_INLINE float ck_log1p_unit(float f) {
    float s = f / (2.0f + f);
    float z = s * s;
    float R = 2.42452711e-01f;
    R = R * z + 2.14438841e-01f;
    R = R * z + 2.86152124e-01f;
    R = R * z + 3.99989486e-01f;
    R = R * z + 6.66666746e-01f;
    R = R * z;
    float hf = 0.5f * f * f;
    return f - (hf - s * (hf + R));
}

CK_INLINE float ck_logf(float x) {
    // Subnormals are scaled into the normal range first so the exponent field tells the truth.
    int sub = x < 0x1p-126f;
    float xs = sub ? x * 0x1p23f : x;
    // x = 2^k m with m in [sqrt(1/2), sqrt(2)): adding (1 - sqrt(1/2))'s bit offset carries into
    // the exponent exactly when the mantissa is >= sqrt(2)'s.
    uint32_t u = ck_bits(xs) + (0x3f800000u - 0x3f3504f3u);
    int32_t k = (int32_t)(u >> 23) - 127 - (sub ? 23 : 0);
    float m = ck_from_bits((u & 0x007fffffu) + 0x3f3504f3u);
    float f = m - 1.0f;  // exact (Sterbenz)
    float kf = (float)k;
    float y = kf * CK_LN2_HI + (ck_log1p_reduced(f) + kf * CK_LN2_LO);
    // Zero, negative, infinite and NaN inputs took meaningless paths above; overwrite them.
    float special = x == 0.0f ? -__builtin_inff() : (x == __builtin_inff() ? x : __builtin_nanf(""));
    return (x > 0.0f && x < __builtin_inff()) ? y : special;
}

// ---- tanh, sigmoid ----

CK_INLINE float ck_tanhf(float x) {
    // Both branches work on |x| and the sign is put back last; x + x^3 P would turn -0 into +0.
    float a = ck_fabs(x);
    // |x| < 0.625: tanh(a) = a + a^3 P(a^2) (fit error 1.8e-10 relative).
    float z = a * a;
    float P = 2.15268391e-03f;
    P = P * z - 8.19001347e-03f;
    P = P * z + 2.17068940e-02f;
    P = P * z - 5.39481789e-02f;
    P = P * z + 1.33332208e-01f;
    P = P * z - 3.33333313e-01f;
    float small = a + (a * z) * P;
    // Otherwise (1 - m) / (1 + m) with m = e^(-2|x|) <= 0.29: no cancellation, and m underflows to 0
    // (giving exactly 1) instead of overflowing.
    float m = ck_expf(-2.0f * a);
    float big = (1.0f - m) / (1.0f + m);
    return ck_copysign(a < 0.625f ? small : big, x);
}

// sigmoid(x) = num / (1 + e) with e = e^-|x| in (0, 1]: 1/(1+e) for x >= 0, e/(1+e) for x < 0, so
// neither side ever forms 1 - (something close to 1).
CK_INLINE float ck_sigmoidf(float x) {
    float e = ck_expf(-ck_fabs(x));
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

// ---- erf and the normal CDF ----

CK_INLINE float ck_erff(float x) {
    float a = ck_fabs(x);
    // |x| < 1: erf(x) = x + x P(x^2) with P(0) = 2/sqrt(pi) - 1, which float holds far more
    // precisely than 2/sqrt(pi) itself (fit error 1.4e-9 relative).
    float z = x * x;
    float P = 7.80690389e-05f;
    P = P * z - 7.99785310e-04f;
    P = P * z + 5.18716220e-03f;
    P = P * z - 2.68533472e-02f;
    P = P * z + 1.12835787e-01f;
    P = P * z - 3.76126260e-01f;
    P = P * z + 1.28379166e-01f;
    float small = x + x * P;
    // |x| >= 1: erf = 1 - erfc, erfc(a) = e^(-a^2) t Q(t), t = 1/(1 + a/2) (fit error 1.8e-10 of
    // erf). erfc(4) < 2^-25 already rounds 1 - erfc to 1, so a is capped there.
    float ac = a > 4.0f ? 4.0f : a;
    float t = 1.0f / (1.0f + 0.5f * ac);
    float Q = -5.04466854e-02f;
    Q = Q * t - 5.53590581e-02f;
    Q = Q * t + 3.83232832e-01f;
    Q = Q * t + 1.30188033e-01f;
    Q = Q * t + 3.12991172e-01f;
    Q = Q * t + 2.78881073e-01f;
    float erfc = ck_expf(-ac * ac) * (t * Q);
    float big = ck_copysign(1.0f - erfc, x);
    return a < 1.0f ? small : big;
}

// scale * Phi(x), Phi(x) = P(N(0,1) <= x), and *gauss = e^(-x^2/2) in split form (0 once
// |x| > 15.5) for the GELU gradient; |scale| must be below 2^11. Phi is computed directly, not as
// 0.5 (1 + erf(x / sqrt 2)), so the left tail keeps its relative accuracy instead of cancelling
// against 1; scale (x, for GELU) goes in before the last rounding as in ck_exp_times.
CK_INLINE float ck_phif_scaled(float x, float scale, ck_exp_t *gauss) {
    float a = ck_fabs(x);
    // |x| < 0.75: Phi = 0.5 + (x/2 + x S(x^2)) (fit error 5e-10 of Phi).
    float z = x * x;
    float S = -2.57422307e-05f;
    S = S * z + 3.99696037e-05f;
    S = S * z + 7.96376771e-05f;
    S = S * z - 1.17478415e-03f;
    S = S * z + 9.97139700e-03f;
    S = S * z - 6.64902180e-02f;
    S = S * z - 1.01057723e-01f;
    float small = 0.5f + (0.5f * x + x * S);
    // e^(-b^2/2) with b^2 carried as hi + lo: bh keeps 12 significant bits, so bh^2 is exact, and
    // b^2 - bh^2 = (b - bh)(b + bh). A rounded b^2 would cost up to 200 ulps of relative error at
    // b = 14. Past b = 15.5 everything here underflows, even multiplied by scale.
    float b = a > 15.5f ? 15.5f : a;
    float bh = ck_from_bits(ck_bits(b) & 0xfffff000u);
    ck_exp_t E = ck_exp_split(-0.5f * (bh * bh), -0.5f * ((b - bh) * (b + bh)));
    // Tail: Phi(-b) = e^(-b^2/2) t Q(t), t = 1/(1 + b/2), fitted on b in [0.75, 15.5] (fit error
    // 7.7e-9 relative). b/2 is exact, so t carries only two roundings, which t Q(t) amplifies
    // ~1.6x; those and the rounding inside Q make up most of GELU's worst case of ~5 ulps.
    float t = 1.0f / (1.0f + 0.5f * b);
    float Q = 8.24376196e-02f;
    Q = Q * t - 2.39208370e-01f;
    Q = Q * t + 1.51996940e-01f;
    Q = Q * t + 2.11080745e-01f;
    Q = Q * t - 2.97976941e-01f;
    Q = Q * t + 6.70727994e-03f;
    Q = Q * t + 3.48703042e-02f;
    Q = Q * t + 1.51529998e-01f;
    Q = Q * t + 1.99335903e-01f;
    Q = Q * t + 1.99475124e-01f;
    float tQ = t * Q;
    float left = ck_exp_times(E, scale * tQ);
    float right = scale * (1.0f - ck_exp_times(E, tQ));
    *gauss = E;
    return a < 0.75f ? scale * small : (x < 0.0f ? left : right);
}

#endif
