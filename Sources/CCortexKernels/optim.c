// Optimiser updates as one fused pass per parameter chunk: read p, g and the moments once, write
// them once. Each flag combination is its own loop (hoisted branches), so every loop vectorises.
#include "CortexKernels.h"
#include "ck_dispatch.h"

// The elementwise builtin, not __builtin_sqrtf: that one may set errno for x < 0, which keeps clang from
// vectorising any loop that calls it.
CK_INLINE float ck_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }

// The four loops differ only in how the gradient and the second moment are formed; written once as a
// macro body so the compiler sees straight-line code in each.
// The arrays never overlap (the header's contract): assume_safety lets clang vectorise without runtime
// overlap checks between the five pointers.
#define CK_ADAM_LOOP(DECOUPLED, AMSGRAD)                                                     \
    _Pragma("clang loop vectorize(assume_safety)")                                           \
    for (long i = 0; i < n; i++) {                                                           \
        float grad = g[i];                                                                   \
        float param = p[i];                                                                  \
        if (DECOUPLED) param *= shrink; else grad += weight_decay * param;                   \
        float mi = beta1 * m[i] + (1.0f - beta1) * grad;                                     \
        float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;                              \
        m[i] = mi;                                                                           \
        v[i] = vi;                                                                           \
        float second = vi;                                                                   \
        if (AMSGRAD) { second = vmax[i] > vi ? vmax[i] : vi; vmax[i] = second; }             \
        p[i] = param - step_size * mi / (ck_sqrtf(second) / correction2 + eps);              \
    }

CK_INLINE void ck_adam_update_impl(float *p, const float *g, float *m, float *v, float *vmax, long n,
                                   float step_size, float beta1, float beta2, float correction2, float eps,
                                   float weight_decay, float shrink, int decoupled) {
    if (n <= 0) return;
    if (decoupled) {
        if (vmax) { CK_ADAM_LOOP(1, 1) } else { CK_ADAM_LOOP(1, 0) }
    } else {
        if (vmax) { CK_ADAM_LOOP(0, 1) } else { CK_ADAM_LOOP(0, 0) }
    }
}

CK_DEFINE(ck_adam_update,
          (float *p, const float *g, float *m, float *v, float *vmax, long n, float step_size, float beta1,
           float beta2, float correction2, float eps, float weight_decay, float shrink, int decoupled),
          (p, g, m, v, vmax, n, step_size, beta1, beta2, correction2, eps, weight_decay, shrink, decoupled))

// SGD: d = g + wd p; with momentum b = mu b + (1 - dampening) d (b = d on the first step), and the
// step direction b, or d + mu b for Nesterov.
CK_INLINE void ck_sgd_update_impl(float *p, const float *g, float *b, long n, float lr, float weight_decay,
                                  float momentum, float dampening, int first, int nesterov) {
    if (n <= 0) return;
    if (!b) {
#pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < n; i++) p[i] -= lr * (g[i] + weight_decay * p[i]);
        return;
    }
    const float keep = 1.0f - dampening;
    if (first) {
#pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < n; i++) b[i] = g[i] + weight_decay * p[i];
    } else {
#pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < n; i++) b[i] = momentum * b[i] + keep * (g[i] + weight_decay * p[i]);
    }
    if (nesterov) {
#pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < n; i++) p[i] -= lr * ((g[i] + weight_decay * p[i]) + momentum * b[i]);
    } else {
#pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < n; i++) p[i] -= lr * b[i];
    }
}

CK_DEFINE(ck_sgd_update,
          (float *p, const float *g, float *b, long n, float lr, float weight_decay, float momentum, float dampening,
           int first, int nesterov),
          (p, g, b, n, lr, weight_decay, momentum, dampening, first, nesterov))
