// Channels-last pieces of a planned convolution (inference only): the rows of an im2col matrix, each one
// output pixel's receptive field laid out (ky, kx, channel), and max pooling over channels-last data.
// A row of channels-last input is already contiguous along (kx, channel), so a patch row is kh copies
// of kw·C floats, and pooling runs along the channels, the vector axis, with no transposes.
//
// Row order: the GEMM rows may come grouped by pooling window. Conv pixel (oy, ox) of image n is row
// ((n·grid_h + gy)·grid_w + gx)·group_h·group_w + wy·group_w + wx with oy = gy·group_h + wy and
// ox = gx·group_w + wx: with group 1×1 the plain raster order; with the group equal to a pooling window
// that tiles the output (kernel = stride, no padding), each pooled pixel's window is group_h·group_w
// consecutive rows, so pooling is a maximum over consecutive rows, done while they are still in cache,
// and conv pixels no window reads are never computed.
#include <string.h>
#include "CortexKernels.h"
#include "ck_dispatch.h"

// Where GEMM row `row` lies: image n, group (gy, gx), pixel (wy, wx) inside the group. Found by division for
// the first row, then stepped row by row: divisions per row cost more than the rows' copies.
typedef struct { long n, gy, gx, wy, wx; } ck_conv_cursor;

CK_INLINE ck_conv_cursor ck_conv_cursor_at(long row, long grid_h, long grid_w, long group_h, long group_w) {
    long group = group_h * group_w, per_image = grid_h * grid_w * group, within = row % per_image;
    return (ck_conv_cursor){row / per_image, within / group / grid_w, within / group % grid_w, within % group / group_w,
                            within % group_w};
}

CK_INLINE void ck_conv_cursor_step(ck_conv_cursor *at, long grid_h, long grid_w, long group_h, long group_w) {
    if (++at->wx < group_w) return;
    at->wx = 0;
    if (++at->wy < group_h) return;
    at->wy = 0;
    if (++at->gx < grid_w) return;
    at->gx = 0;
    if (++at->gy < grid_h) return;
    at->gy = 0;
    at->n++;
}

// Short runs (one channel's kw taps, a few channels) copy inline: a memcpy call costs more than they do.
CK_INLINE void ck_copy_run(float *restrict dst, const float *restrict src, long count) {
    if (count >= 64) {
        memcpy(dst, src, (size_t)count * sizeof(float));
        return;
    }
    for (long i = 0; i < count; i++) dst[i] = src[i];
}

CK_INLINE void ck_im2col_nhwc_impl(const float *restrict x, long ns, long hs, long ws, long cs, long channels, long height,
                                   long width, long kh, long kw, long sh, long sw, long ph, long pw, long dh, long dw,
                                   long grid_h, long grid_w, long group_h, long group_w, long row0, long rows,
                                   float *restrict col) {
    long patch = kh * kw * channels;
    // One channel needs no channel stride; with the channels contiguous and a unit dilation, a window row
    // is one run of kw·C floats.
    if (channels == 1) cs = 1;
    int runs = cs == 1 && ws == channels && dw == 1;
    ck_conv_cursor at = ck_conv_cursor_at(row0, grid_h, grid_w, group_h, group_w);
    for (long r = 0; r < rows; r++, ck_conv_cursor_step(&at, grid_h, grid_w, group_h, group_w)) {
        long n = at.n, oy = at.gy * group_h + at.wy, ox = at.gx * group_w + at.wx;
        const float *image = x + n * ns;
        float *dst = col + r * patch;
        long x0 = ox * sw - pw;
        int inside = x0 >= 0 && x0 + (kw - 1) * dw < width;
        for (long ky = 0; ky < kh; ky++) {
            long iy = oy * sh - ph + ky * dh;
            float *line = dst + ky * kw * channels;
            if (iy < 0 || iy >= height) {
                for (long i = 0; i < kw * channels; i++) line[i] = 0;
                continue;
            }
            const float *source = image + iy * hs;
            if (runs && inside) {
                ck_copy_run(line, source + x0 * ws, kw * channels);
                continue;
            }
            for (long kx = 0; kx < kw; kx++) {
                long ix = x0 + kx * dw;
                float *out = line + kx * channels;
                if (ix < 0 || ix >= width) {
                    for (long c = 0; c < channels; c++) out[c] = 0;
                } else if (cs == 1) {
                    ck_copy_run(out, source + ix * ws, channels);
                } else {
                    for (long c = 0; c < channels; c++) out[c] = source[ix * ws + c * cs];
                }
            }
        }
    }
}
CK_DEFINE(ck_im2col_nhwc,
          (const float *x, long ns, long hs, long ws, long cs, long channels, long height, long width, long kh, long kw, long sh,
           long sw, long ph, long pw, long dh, long dw, long grid_h, long grid_w, long group_h, long group_w, long row0,
           long rows, float *col),
          (x, ns, hs, ws, cs, channels, height, width, kh, kw, sh, sw, ph, pw, dh, dw, grid_h, grid_w, group_h, group_w, row0,
           rows, col))

// Without padding every tap of every window lies inside the image, so the GEMM reads the image in place:
// one pointer per row (its window's first input) and one offset per patch element (tap and channel).
void ck_conv_row_pointers_nhwc(const float *x, long ns, long hs, long ws, long sh, long sw, long grid_h, long grid_w,
                               long group_h, long group_w, long row0, long rows, const float **pointers) {
    ck_conv_cursor at = ck_conv_cursor_at(row0, grid_h, grid_w, group_h, group_w);
    for (long r = 0; r < rows; r++, ck_conv_cursor_step(&at, grid_h, grid_w, group_h, group_w)) {
        long oy = at.gy * group_h + at.wy, ox = at.gx * group_w + at.wx;
        pointers[r] = x + at.n * ns + oy * sh * hs + ox * sw * ws;
    }
}

void ck_conv_patch_offsets_nhwc(long hs, long ws, long cs, long channels, long kh, long kw, long dh, long dw, long *offsets) {
    for (long ky = 0; ky < kh; ky++)
        for (long kx = 0; kx < kw; kx++)
            for (long c = 0; c < channels; c++) *offsets++ = ky * dh * hs + kx * dw * ws + c * cs;
}

// The larger of a running maximum and a candidate; a NaN on either side wins, as PyTorch's max pooling and
// ReLU both propagate it.
CK_INLINE float ck_max_nan(float best, float candidate) {
    return ((candidate > best) | (candidate != candidate)) ? candidate : best;
}

CK_INLINE float ck_relu_nan(float v) { return v < 0 ? 0 : v; }

CK_INLINE void ck_max_rows_impl(const float *restrict rows, long groups, long group, long channels, int relu,
                                float *restrict out) {
    for (long g = 0; g < groups; g++) {
        const float *first = rows + g * group * channels;
        float *y = out + g * channels;
        if (group == 4) {  // the 2×2 window of most CNNs: one pass, the maximum kept in registers
            const float *r1 = first + channels, *r2 = r1 + channels, *r3 = r2 + channels;
#pragma clang loop vectorize(enable)
            for (long c = 0; c < channels; c++) {
                float m = ck_max_nan(ck_max_nan(ck_max_nan(first[c], r1[c]), r2[c]), r3[c]);
                y[c] = relu ? ck_relu_nan(m) : m;
            }
            continue;
        }
#pragma clang loop vectorize(enable)
        for (long c = 0; c < channels; c++) y[c] = first[c];
        for (long r = 1; r < group; r++) {
            const float *row = first + r * channels;
#pragma clang loop vectorize(enable)
            for (long c = 0; c < channels; c++) y[c] = ck_max_nan(y[c], row[c]);
        }
        if (relu) {
#pragma clang loop vectorize(enable)
            for (long c = 0; c < channels; c++) y[c] = ck_relu_nan(y[c]);
        }
    }
}
CK_DEFINE(ck_max_rows, (const float *rows, long groups, long group, long channels, int relu, float *out),
          (rows, groups, group, channels, relu, out))

CK_INLINE void ck_max_pool_nhwc_impl(const float *restrict x, long h, long w, long channels, long oh, long ow, long kh,
                                     long kw, long sh, long sw, long ph, long pw, int relu, long row0, long rows,
                                     float *restrict y) {
    for (long r = row0; r < row0 + rows; r++) {
        long n = r / oh, oy = r % oh;
        long y0 = oy * sh - ph, ya = y0 < 0 ? 0 : y0, yb = y0 + kh < h ? y0 + kh : h;
        for (long ox = 0; ox < ow; ox++) {
            long x0 = ox * sw - pw, xa = x0 < 0 ? 0 : x0, xb = x0 + kw < w ? x0 + kw : w;
            float *out = y + ((n * oh + oy) * ow + ox) * channels;
            const float *first = x + ((n * h + ya) * w + xa) * channels;
#pragma clang loop vectorize(enable)
            for (long c = 0; c < channels; c++) out[c] = first[c];
            for (long iy = ya; iy < yb; iy++)
                for (long ix = xa; ix < xb; ix++) {
                    const float *in = x + ((n * h + iy) * w + ix) * channels;
#pragma clang loop vectorize(enable)
                    for (long c = 0; c < channels; c++) out[c] = ck_max_nan(out[c], in[c]);
                }
            if (relu) {
#pragma clang loop vectorize(enable)
                for (long c = 0; c < channels; c++) out[c] = ck_relu_nan(out[c]);
            }
        }
    }
}
CK_DEFINE(ck_max_pool_nhwc,
          (const float *x, long h, long w, long channels, long oh, long ow, long kh, long kw, long sh, long sw, long ph, long pw,
           int relu, long row0, long rows, float *y),
          (x, h, w, channels, oh, ow, kh, kw, sh, sw, ph, pw, relu, row0, rows, y))
