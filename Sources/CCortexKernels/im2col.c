// im2col / col2im for one NCHW image with PyTorch conv2d semantics: each row of col is one
// (channel, kernel tap) pair, gathered from the image (or scattered back into it) with zero padding.
#include <string.h>

#include "CortexKernels.h"
#include "ck_dispatch.h"

// Smallest o >= 0 with o * stride + off >= bound. The valid output range of a kernel tap is found
// with this once per row, so the copy loops below carry no bounds tests, division or modulo.
static inline long ck_first_reaching(long bound, long off, long stride) {
    long need = bound - off;
    return need <= 0 ? 0 : (need + stride - 1) / stride;
}

static inline long ck_min(long a, long b) { return a < b ? a : b; }

// The output positions [lo, hi) of one kernel tap that land inside the image (length `size`),
// for positions o * stride + off.
static inline void ck_valid_range(long size, long off, long stride, long out, long *lo, long *hi) {
    *lo = ck_min(ck_first_reaching(0, off, stride), out);
    *hi = ck_min(ck_first_reaching(size, off, stride), out);
    if (*hi < *lo) *hi = *lo;
}

// Output size along one axis; <= 0 when the dilated kernel does not fit the padded input.
static inline long ck_out_size(long size, long k, long pad, long stride, long dil) {
    long span = size + 2 * pad - dil * (k - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
}

// Zeroes `count` floats; nothing (and no call) for an empty range.
CK_INLINE void ck_zero(float *p, long count) {
    if (count > 0) memset(p, 0, (size_t)count * sizeof(float));
}

CK_INLINE void ck_im2col_impl(const float *restrict img, float *restrict col, long channels,
                              long height, long width, long kh, long kw, long ph, long pw, long sh,
                              long sw, long dh, long dw) {
    if (channels <= 0 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0) return;
    long oh = ck_out_size(height, kh, ph, sh, dh), ow = ck_out_size(width, kw, pw, sw, dw);
    if (oh <= 0 || ow <= 0) return;
    for (long c = 0; c < channels; c++) {
        const float *plane = img + c * height * width;
        for (long ki = 0; ki < kh; ki++) {
            long yoff = ki * dh - ph, oy0, oy1;
            ck_valid_range(height, yoff, sh, oh, &oy0, &oy1);
            for (long kj = 0; kj < kw; kj++) {
                long xoff = kj * dw - pw, ox0, ox1;
                ck_valid_range(width, xoff, sw, ow, &ox0, &ox1);
                float *dst = col + ((c * kh + ki) * kw + kj) * oh * ow;
                // Output rows whose input row is padding are zero throughout.
                ck_zero(dst, oy0 * ow);
                ck_zero(dst + oy1 * ow, (oh - oy1) * ow);
                for (long oy = oy0; oy < oy1; oy++) {
                    const float *src = plane + (oy * sh + yoff) * width;
                    float *d = dst + oy * ow;
                    // The few padded columns at either end inline: a call per edge cost more than the row's copy
                    // on the small planes of stride-2 convolutions.
                    for (long ox = 0; ox < ox0; ox++) d[ox] = 0;
                    for (long ox = ox1; ox < ow; ox++) d[ox] = 0;
                    if (sw == 1) {
                        if (ox1 > ox0)  // else src + ox0 + xoff may point past the image
                            memcpy(d + ox0, src + (ox0 + xoff), (size_t)(ox1 - ox0) * sizeof(float));
                    } else {
                        for (long ox = ox0; ox < ox1; ox++) d[ox] = src[ox * sw + xoff];
                    }
                }
            }
        }
    }
}
CK_DEFINE(ck_im2col,
          (const float *img, float *col, long channels, long height, long width, long kh, long kw,
           long ph, long pw, long sh, long sw, long dh, long dw),
          (img, col, channels, height, width, kh, kw, ph, pw, sh, sw, dh, dw))

// The transpose of ck_im2col, walking the same ranges: padding positions of col are dropped and
// every other element is added to the pixel it was read from.
CK_INLINE void ck_col2im_impl(const float *restrict col, float *restrict img, long channels,
                              long height, long width, long kh, long kw, long ph, long pw, long sh,
                              long sw, long dh, long dw) {
    if (channels <= 0 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0) return;
    long oh = ck_out_size(height, kh, ph, sh, dh), ow = ck_out_size(width, kw, pw, sw, dw);
    if (oh <= 0 || ow <= 0) return;
    for (long c = 0; c < channels; c++) {
        float *plane = img + c * height * width;
        for (long ki = 0; ki < kh; ki++) {
            long yoff = ki * dh - ph, oy0, oy1;
            ck_valid_range(height, yoff, sh, oh, &oy0, &oy1);
            for (long kj = 0; kj < kw; kj++) {
                long xoff = kj * dw - pw, ox0, ox1;
                ck_valid_range(width, xoff, sw, ow, &ox0, &ox1);
                const float *srcs = col + ((c * kh + ki) * kw + kj) * oh * ow;
                for (long oy = oy0; oy < oy1; oy++) {
                    float *dst = plane + (oy * sh + yoff) * width;
                    const float *s = srcs + oy * ow;
                    if (sw == 1) {
                        for (long ox = ox0; ox < ox1; ox++) dst[ox + xoff] += s[ox];
                    } else {
                        for (long ox = ox0; ox < ox1; ox++) dst[ox * sw + xoff] += s[ox];
                    }
                }
            }
        }
    }
}
CK_DEFINE(ck_col2im,
          (const float *col, float *img, long channels, long height, long width, long kh, long kw,
           long ph, long pw, long sh, long sw, long dh, long dw),
          (col, img, channels, height, width, kh, kw, ph, pw, sh, sw, dh, dw))
