// CortexKernels: the compute-bound C kernels under CortexEngine (element-wise activations and their
// gradients, softmax over one axis, im2col/col2im). Each is compiled for AVX-512F, AVX2+FMA and the
// x86-64 baseline; the widest the CPU supports is picked on first call. Other architectures get one
// portable build.
//
// Conventions shared by every function below:
// - Sizes and strides are `long` (64-bit on every LP64 platform Swift runs on), counted in elements.
// - Arrays are contiguous float32; no alignment is assumed. n <= 0 (or outer <= 0) does nothing.
// - Element-wise functions (everything before the softmax family) accept an output that is exactly
//   the same array as any input (y == x, dx == g, dx == x, all three equal). Partial overlap (out
//   starting a few elements after an input) is not supported.
// - Results agree with double-precision math to the ulps noted (measured over dense sweeps);
//   gradients to ~3e-7 relative to the terms they are a difference of, so near a zero of the
//   derivative the error is absolute (~1e-8 * |g|). Infinite inputs give the mathematical limits
//   (gelu/silu(-inf) = -0, where PyTorch gives NaN); NaN in gives NaN out. The AVX-512 and
//   AVX2+FMA builds give bit-identical results; the baseline build (no FMA) differs in the last bit.
// - Single-threaded; callers split large work across threads themselves.
#ifndef CORTEX_KERNELS_H
#define CORTEX_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- The machine ----

/// This process's affinity mask (taskset, cpusets) into `count` 64-bit words, CPU i at bit i % 64 of word
/// i / 64: 0, or -1 where it cannot be read (not Linux, or a mask wider than the words).
long ck_affinity_mask(unsigned long long *words, long count);
/// The widest instruction set the kernels run: 2 AVX-512F, 1 AVX2+FMA, 0 baseline (always 0 off x86-64), from
/// CPUID and the OS, capped by CORTEX_ISA (avx512, avx2 or baseline; any other value stops the process).
int ck_cpu_isa_level(void);
/// 1 when these kernels were compiled with optimisation (a release build), 0 in a debug build, where SwiftPM
/// compiles C at -O0 and the intrinsic kernels run some fifty times slower.
int ck_kernels_optimized(void);

// ---- Element-wise functions: y[i] = f(x[i]) ----

/// e^x (<= 1 ulp); +inf above 88.72, subnormal below -87.33, 0 below -103.97.
void ck_exp(const float *x, float *y, long n);
/// Natural log (<= 1 ulp); x < 0 gives NaN, +-0 gives -inf, +inf gives +inf; subnormal x is fine.
void ck_log(const float *x, float *y, long n);
/// tanh(x) (<= 2 ulp), exactly +-1 for |x| > 9.01.
void ck_tanh(const float *x, float *y, long n);
/// 1 / (1 + e^-x) (<= 3 ulp), accurate in both tails: sigmoid(-100) = 3.78e-44, not 0 or NaN.
void ck_sigmoid(const float *x, float *y, long n);
/// The error function erf(x) (<= 2 ulp).
void ck_erf(const float *x, float *y, long n);
/// GELU with the exact erf: 0.5 x (1 + erf(x / sqrt 2)) (<= 6 ulp), accurate in the left tail too.
void ck_gelu(const float *x, float *y, long n);
/// dx = g * d/dx gelu(x).
void ck_gelu_backward(const float *x, const float *g, float *dx, long n);
/// GELU, PyTorch approximate='tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (<= 4 ulp).
void ck_gelu_tanh(const float *x, float *y, long n);
/// dx = g * d/dx gelu_tanh(x).
void ck_gelu_tanh_backward(const float *x, const float *g, float *dx, long n);
/// SiLU / swish: x * sigmoid(x) (<= 3 ulp).
void ck_silu(const float *x, float *y, long n);
/// dx = g * sigmoid(x) * (1 + x * (1 - sigmoid(x))).
void ck_silu_backward(const float *x, const float *g, float *dx, long n);
/// PyTorch softplus: x where beta*x > threshold, else log(1 + e^(beta x)) / beta.
void ck_softplus(const float *x, float *y, long n, float beta, float threshold);
/// dx = g where beta*x > threshold, else g * sigmoid(beta x).
void ck_softplus_backward(const float *x, const float *g, float *dx, long n, float beta, float threshold);
/// dx = g * (1 - y^2), given y = tanh(x) (the forward output, not x).
void ck_tanh_backward(const float *y, const float *g, float *dx, long n);
/// dx = g * y * (1 - y), given y = sigmoid(x) (the forward output, not x).
void ck_sigmoid_backward(const float *y, const float *g, float *dx, long n);

// ---- Softmax family over the middle axis of a contiguous (outer, n, inner) block ----
// inner == 1 means rows of length n. Subtracts the row max first, so any finite input is safe;
// -inf entries get probability 0 (log-probability -inf) unless the whole row is -inf, which gives
// NaN as in PyTorch. Sums are accumulated in double. The output may be exactly the input array
// (y == x; dx == g or dx == y for the backward ones); partial overlap is not supported.

/// y = exp(x - max) / sum(exp(x - max)) along the middle axis.
void ck_softmax(const float *x, float *y, long outer, long n, long inner);
/// y = x - max - log(sum(exp(x - max))) along the middle axis.
void ck_log_softmax(const float *x, float *y, long outer, long n, long inner);
/// softmax(x + mask) along each of `rows` contiguous rows of n; row r adds the n mask values starting at
/// mask + mask_offsets[r]. y may be x.
void ck_softmax_masked(const float *x, const float *mask, const long *mask_offsets, float *y, long rows, long n);
/// dx = y * (g - sum(g * y)), given y = softmax output.
void ck_softmax_backward(const float *y, const float *g, float *dx, long outer, long n, long inner);
/// dx = g - exp(y) * sum(g), given y = log_softmax output.
void ck_log_softmax_backward(const float *y, const float *g, float *dx, long outer, long n, long inner);

// ---- im2col / col2im for one image (C, H, W) in NCHW, PyTorch conv2d semantics ----
// Zero padding (ph, pw), stride (sh, sw) >= 1, dilation (dh, dw) >= 1. col is (C*kh*kw, oh*ow)
// row-major, row index (c*kh + i)*kw + j, where oh = (H + 2*ph - dh*(kh-1) - 1)/sh + 1 and
// ow = (W + 2*pw - dw*(kw-1) - 1)/sw + 1. img and col must not overlap.

/// Writes every element of col (padding positions become 0).
void ck_im2col(const float *img, float *col, long channels, long height, long width,
               long kh, long kw, long ph, long pw, long sh, long sw, long dh, long dw);
/// The adjoint of ck_im2col: accumulates (+=) col into img; zero img first for a fresh result.
void ck_col2im(const float *col, float *img, long channels, long height, long width,
               long kh, long kw, long ph, long pw, long sh, long sw, long dh, long dw);

// ---- Channels-last convolution pieces for planned inference (conv_nhwc.c) ----

/// Rows [row0, row0 + rows) of the im2col matrix of a convolution over channels-last input, each row one output
/// pixel's receptive field laid out (ky, kx, channel), kh·kw·channels floats, zero where it reads padding.
/// x is addressed as x[n·ns + iy·hs + ix·ws + c·cs]. Rows are grouped: see conv_nhwc.c for the row order
/// (grid_h × grid_w groups of group_h × group_w pixels per image; groups of 1×1 give raster order).
void ck_im2col_nhwc(const float *x, long ns, long hs, long ws, long cs, long channels, long height, long width, long kh, long kw,
                    long sh, long sw, long ph, long pw, long dh, long dw, long grid_h, long grid_w, long group_h, long group_w,
                    long row0, long rows, float *col);
/// For a convolution without padding, read by ck_gemm_packed_indirect: pointers[r] addresses the first input of
/// GEMM row row0 + r's window (same row order as ck_im2col_nhwc), and offsets[p] (kh·kw·channels of them) the
/// patch element p = (ky·kw + kx)·channels + c relative to it.
void ck_conv_row_pointers_nhwc(const float *x, long ns, long hs, long ws, long sh, long sw, long grid_h, long grid_w,
                               long group_h, long group_w, long row0, long rows, const float **pointers);
void ck_conv_patch_offsets_nhwc(long hs, long ws, long cs, long channels, long kh, long kw, long dh, long dw, long *offsets);
/// out (groups, channels) = the maximum of each run of `group` consecutive rows of `rows` (groups·group, channels),
/// then max(·, 0) when relu. NaN propagates.
void ck_max_rows(const float *rows, long groups, long group, long channels, int relu, float *out);
/// Max pooling of channels-last x (·, h, w, channels) into y (·, oh, ow, channels), output rows (image, oy)
/// [row0, row0 + rows): windows clipped to the input (padding never wins), NaN propagates, then max(·, 0)
/// when relu. Every window must hold at least one input element.
void ck_max_pool_nhwc(const float *x, long h, long w, long channels, long oh, long ow, long kh, long kw, long sh, long sw,
                      long ph, long pw, int relu, long row0, long rows, float *y);

// ---- Max pooling over (planes, h, w), PyTorch semantics ----

/// y (planes, oh, ow) = the maximum of each kh x kw window at stride (sh, sw) with zero-width padding (ph, pw)
/// that never wins; indices the position of each maximum within its plane (y * w + x). NaN propagates: the
/// first NaN of a window is its maximum. Every window must hold at least one input element.
void ck_max_pool2d(const float *x, float *y, int32_t *indices, long planes, long h, long w, long oh, long ow, long kh,
                   long kw, long sh, long sw, long ph, long pw);
/// The gradient of ck_max_pool2d: dx (planes, in_plane) is overwritten with zeros plus each output gradient g
/// (planes, out_plane) added at its maximum's index.
void ck_max_pool2d_backward(const float *g, const int32_t *indices, float *dx, long planes, long in_plane, long out_plane);

// ---- Optimiser updates (in place, one fused pass) ----

/// One Adam/AdamW step over n parameters, as torch.optim.Adam(W):
///   decoupled: p *= shrink (1 - lr*wd); else g += weight_decay * p;
///   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  vmax = max(vmax, v) when vmax is not NULL (AMSGrad);
///   p -= step_size * m / (sqrt(vmax or v) / correction2 + eps).
/// p, g, m, v (and vmax) must not overlap.
void ck_adam_update(float *p, const float *g, float *m, float *v, float *vmax, long n, float step_size,
                    float beta1, float beta2, float correction2, float eps, float weight_decay, float shrink,
                    int decoupled);

/// One SGD step over n parameters, as torch.optim.SGD: d = g + weight_decay * p; without a momentum
/// buffer (b == NULL) p -= lr * d; else b = d on the first step, b = momentum * b + (1 - dampening) * d
/// after, and p -= lr * (nesterov ? d + momentum * b : b). p, g and b must not overlap.
void ck_sgd_update(float *p, const float *g, float *b, long n, float lr, float weight_decay, float momentum,
                   float dampening, int first, int nesterov);

// ---- GEMM against a B packed once and used many times (a recurrent layer's hidden weight) ----

/// Columns per panel of a packed B.
#define CK_PACK_COLUMNS 32
/// Floats a packed k x n B takes: n rounded up to whole panels, times k.
long ck_packed_size(long k, long n);
/// Packs op(B), k x n: B itself (transposed == 0, row-major k x n, leading dimension ldb) or the
/// transpose of a row-major n x k B (transposed != 0). packed has ck_packed_size(k, n) floats.
void ck_pack_b(const float *b, long ldb, int transposed, long k, long n, float *packed);
/// ck_pack_b with every element multiplied by alpha (a GEMM's scale, folded into its packing).
void ck_pack_b_scaled(const float *b, long ldb, int transposed, long k, long n, float alpha, float *packed);
/// C (m x n, leading dimension ldc) = A (m x k, lda) . op(B) from its packed form, plus D (m x n, leading
/// dimension ldd; NULL adds nothing; ldd 0 adds the same row to every row). D may be C itself; A must not
/// overlap C.
void ck_gemm_packed(long m, long n, long k, const float *a, long lda, const float *packed, float *c, long ldc,
                    const float *d, long ldd);
/// ck_gemm_packed with D given as one pointer per row of C (to that row's first column; NULL adds nothing):
/// rows of a table picked by token, for instance. No row may overlap C unless it is that row of C.
void ck_gemm_packed_rows(long m, long n, long k, const float *a, long lda, const float *packed, float *c, long ldc,
                         const float *const *d_rows);
/// ck_gemm_packed with A read indirectly: row r's element p is a_rows[r][k_offsets[p]] — a convolution's receptive
/// field taken from the image in place (row pointers to each output pixel's first input, offsets of each tap and
/// channel), with no im2col copy.
void ck_gemm_packed_indirect(long m, long n, long k, const float *const *a_rows, const long *k_offsets, const float *packed,
                             float *c, long ldc, const float *d, long ldd);
/// ck_gemm_packed_indirect on a chosen instruction set, as ck_gemm_packed_isa.
void ck_gemm_packed_indirect_isa(int level, long m, long n, long k, const float *const *a_rows, const long *k_offsets,
                                 const float *packed, float *c, long ldc, const float *d, long ldd);
/// ck_gemm_packed on a chosen instruction set (2 AVX-512F, 1 AVX2+FMA, 0 portable; lowered to what the CPU
/// has), so tests can check every path on one machine.
void ck_gemm_packed_isa(int level, long m, long n, long k, const float *a, long lda, const float *packed, float *c,
                        long ldc, const float *d, long ldd);
/// ck_gemm_packed_isa with A stored transposed: k x m, leading dimension lda, element (i, p) at a[p * lda + i].
void ck_gemm_packed_transposed_isa(int level, long m, long n, long k, const float *a, long lda, const float *packed,
                                   float *c, long ldc, const float *d, long ldd);

// ---- Matrix-vector products (one-row GEMMs) ----

/// y[j] = alpha * (B row j . x) + beta * y[j] for j < n: B is n x k row-major (leading dimension ldb), x has k
/// contiguous floats. beta == 0 overwrites y (whatever it held).
void ck_gemv_rows(long n, long k, float alpha, const float *b, long ldb, const float *x, float beta, float *y);
/// y[j] = alpha * sum_p x[p] B[p][j] + beta * y[j] for j < n: B is k x n row-major (leading dimension ldb).
void ck_gemv_columns(long n, long k, float alpha, const float *b, long ldb, const float *x, float beta, float *y);

// ---- Recurrent gates (one time step, rows of a batch) ----

/// LSTM step from pre-activation gates (batch x 4*hidden, order i, f, g, o, all projections and biases
/// summed): c = sigmoid(f) c_prev + sigmoid(i) tanh(g), h = sigmoid(o) tanh(c). Writes h, c, the four
/// activations (act, batch x 4*hidden) and tanh(c) for the backward.
void ck_lstm_cell(const float *gates, const float *c_prev, float *h, float *c, float *act, float *tanh_c, long batch,
                  long hidden);
/// The LSTM step's backward: from dh and the next step's dc (NULL: zero), the pre-activation gate
/// gradients (batch x 4*hidden) and dc_prev.
void ck_lstm_cell_backward(const float *act, const float *c_prev, const float *tanh_c, const float *dh,
                           const float *dc_next, float *dgates, float *dc_prev, long batch, long hidden);
/// GRU step (order r, z, n) from the input projections xg and hidden projections hg (each batch x 3*hidden,
/// biases included): n = tanh(xn + r hn), h = (1 - z) n + z h_prev. Writes h and act (r, z, n).
void ck_gru_cell(const float *xg, const float *hg, const float *h_prev, float *h, float *act, long batch, long hidden);
/// The GRU step's backward: gradients of xg and hg (batch x 3*hidden) and the direct part of dh_prev (dh z).
void ck_gru_cell_backward(const float *act, const float *hg, const float *h_prev, const float *dh, float *dxg,
                          float *dhg, float *dh_prev, long batch, long hidden);

#ifdef __cplusplus
}
#endif

#endif
