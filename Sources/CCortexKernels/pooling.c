// Max pooling over (planes, H, W): the maximum of each window and where it was (index within the plane),
// PyTorch's semantics (padding never wins; the first NaN in a window wins and stays). Written branch-free so
// clang vectorises over the output columns; the 2x2, stride 2 window of most CNNs has a loop of its own.
#include <stdint.h>
#include "CortexKernels.h"
#include "ck_dispatch.h"

// One candidate against the running maximum: it takes over when larger, or when it is NaN and the running
// maximum is not yet (so the first NaN stays).
#define CK_POOL_TAKE(v, at)                                                    \
    do {                                                                       \
        float cand = (v);                                                      \
        int take = (cand > best) | ((cand != cand) & (best == best));          \
        best = take ? cand : best;                                             \
        where = take ? (at) : where;                                           \
    } while (0)

CK_INLINE void ck_max_pool2d_impl(const float *x, float *y, int32_t *indices, long planes, long h, long w, long oh,
                                  long ow, long kh, long kw, long sh, long sw, long ph, long pw) {
    for (long p = 0; p < planes; p++) {
        const float *plane = x + p * h * w;
        float *out = y + p * oh * ow;
        int32_t *at = indices + p * oh * ow;
        // (Only where every window is whole: in ceil mode the last row or column of windows is cut by the edge.)
        if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && 2 * oh <= h && 2 * ow <= w) {
            for (long oy = 0; oy < oh; oy++) {
                const float *r0 = plane + 2 * oy * w, *r1 = r0 + w;
                int32_t base = (int32_t)(2 * oy * w);
#pragma clang loop vectorize(enable)
                for (long ox = 0; ox < ow; ox++) {
                    float best = r0[2 * ox];
                    int32_t where = base + (int32_t)(2 * ox);
                    CK_POOL_TAKE(r0[2 * ox + 1], where + 1);
                    CK_POOL_TAKE(r1[2 * ox], base + (int32_t)(w + 2 * ox));
                    CK_POOL_TAKE(r1[2 * ox + 1], base + (int32_t)(w + 2 * ox + 1));
                    out[oy * ow + ox] = best;
                    at[oy * ow + ox] = where;
                }
            }
            continue;
        }
        for (long oy = 0; oy < oh; oy++) {
            long y0 = oy * sh - ph;
            long ya = y0 < 0 ? 0 : y0, yb = y0 + kh < h ? y0 + kh : h;
            for (long ox = 0; ox < ow; ox++) {
                long x0 = ox * sw - pw;
                long xa = x0 < 0 ? 0 : x0, xb = x0 + kw < w ? x0 + kw : w;
                float best = -__builtin_inff();
                int32_t where = (int32_t)(ya * w + xa);
                for (long yy = ya; yy < yb; yy++)
                    for (long xx = xa; xx < xb; xx++) CK_POOL_TAKE(plane[yy * w + xx], (int32_t)(yy * w + xx));
                out[oy * ow + ox] = best;
                at[oy * ow + ox] = where;
            }
        }
    }
}
CK_DEFINE(ck_max_pool2d,
          (const float *x, float *y, int32_t *indices, long planes, long h, long w, long oh, long ow, long kh, long kw, long sh,
           long sw, long ph, long pw),
          (x, y, indices, planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw))

// Each plane is zeroed and then receives its gradients while it is still in cache, instead of a separate
// pass zero-filling the whole input gradient first.
CK_INLINE void ck_max_pool2d_backward_impl(const float *g, const int32_t *indices, float *dx, long planes, long in_plane,
                                           long out_plane) {
    for (long p = 0; p < planes; p++) {
        float *plane = dx + p * in_plane;
        const float *gp = g + p * out_plane;
        const int32_t *at = indices + p * out_plane;
        for (long i = 0; i < in_plane; i++) plane[i] = 0;
        for (long o = 0; o < out_plane; o++) plane[at[o]] += gp[o];
    }
}
CK_DEFINE(ck_max_pool2d_backward,
          (const float *g, const int32_t *indices, float *dx, long planes, long in_plane, long out_plane),
          (g, indices, dx, planes, in_plane, out_plane))
