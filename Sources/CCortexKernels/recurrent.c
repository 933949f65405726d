// Fused per-step gate kernels of the recurrent layers: one pass over a (batch, gates) row forward
// and one backward, the activations kept for the backward pass instead of recomputed. The GEMMs
// around them (input projection of all steps, hidden projection per step) are the caller's.
#include "CortexKernels.h"
#include "ck_dispatch.h"
#include "ck_fastmath.h"

// LSTM, PyTorch's gate order i, f, g, o: c = f c_prev + i g, h = o tanh(c).
CK_INLINE void ck_lstm_cell_impl(const float *gates, const float *c_prev, float *h, float *c, float *act,
                                 float *tanh_c, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        const float *gi = gates + b * 4 * hidden, *gf = gi + hidden, *gg = gf + hidden, *go = gg + hidden;
        float *ai = act + b * 4 * hidden, *af = ai + hidden, *ag = af + hidden, *ao = ag + hidden;
        const float *cp = c_prev + b * hidden;
        float *hb = h + b * hidden, *cb = c + b * hidden, *tb = tanh_c + b * hidden;
        // The rows of the gate, state and activation arrays never overlap: safe to vectorise.
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < hidden; j++) {
            float i = ck_sigmoidf(gi[j]), f = ck_sigmoidf(gf[j]), g = ck_tanhf(gg[j]), o = ck_sigmoidf(go[j]);
            float cell = f * cp[j] + i * g;
            float t = ck_tanhf(cell);
            ai[j] = i; af[j] = f; ag[j] = g; ao[j] = o;
            cb[j] = cell;
            tb[j] = t;
            hb[j] = o * t;
        }
    }
}
CK_DEFINE(ck_lstm_cell,
          (const float *gates, const float *c_prev, float *h, float *c, float *act, float *tanh_c, long batch, long hidden),
          (gates, c_prev, h, c, act, tanh_c, batch, hidden))

// dc = dc_next + dh o (1 - tanh(c)^2); gate gradients through each nonlinearity; dc_prev = dc f.
CK_INLINE void ck_lstm_cell_backward_impl(const float *act, const float *c_prev, const float *tanh_c, const float *dh,
                                          const float *dc_next, float *dgates, float *dc_prev, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        const float *ai = act + b * 4 * hidden, *af = ai + hidden, *ag = af + hidden, *ao = ag + hidden;
        float *di = dgates + b * 4 * hidden, *df = di + hidden, *dg = df + hidden, *dout = dg + hidden;
        const float *cp = c_prev + b * hidden, *tb = tanh_c + b * hidden, *dhb = dh + b * hidden;
        const float *dcn = dc_next ? dc_next + b * hidden : 0;
        float *dcp = dc_prev + b * hidden;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < hidden; j++) {
            float i = ai[j], f = af[j], g = ag[j], o = ao[j], t = tb[j];
            float dc = (dcn ? dcn[j] : 0.0f) + dhb[j] * o * (1.0f - t * t);
            di[j] = dc * g * i * (1.0f - i);
            df[j] = dc * cp[j] * f * (1.0f - f);
            dg[j] = dc * i * (1.0f - g * g);
            dout[j] = dhb[j] * t * o * (1.0f - o);
            dcp[j] = dc * f;
        }
    }
}
CK_DEFINE(ck_lstm_cell_backward,
          (const float *act, const float *c_prev, const float *tanh_c, const float *dh, const float *dc_next, float *dgates,
           float *dc_prev, long batch, long hidden),
          (act, c_prev, tanh_c, dh, dc_next, dgates, dc_prev, batch, hidden))

// GRU, PyTorch's gate order r, z, n: n = tanh(x_n + r (h_n)), h = (1 - z) n + z h_prev, where x_* are the
// input projections (with b_ih) and h_* the hidden projections (with b_hh).
CK_INLINE void ck_gru_cell_impl(const float *xg, const float *hg, const float *h_prev, float *h, float *act,
                                long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        const float *xr = xg + b * 3 * hidden, *xz = xr + hidden, *xn = xz + hidden;
        const float *hr = hg + b * 3 * hidden, *hz = hr + hidden, *hn = hz + hidden;
        float *ar = act + b * 3 * hidden, *az = ar + hidden, *an = az + hidden;
        const float *hp = h_prev + b * hidden;
        float *hb = h + b * hidden;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < hidden; j++) {
            float r = ck_sigmoidf(xr[j] + hr[j]), z = ck_sigmoidf(xz[j] + hz[j]);
            float n = ck_tanhf(xn[j] + r * hn[j]);
            ar[j] = r; az[j] = z; an[j] = n;
            hb[j] = (1.0f - z) * n + z * hp[j];
        }
    }
}
CK_DEFINE(ck_gru_cell,
          (const float *xg, const float *hg, const float *h_prev, float *h, float *act, long batch, long hidden),
          (xg, hg, h_prev, h, act, batch, hidden))

// Gradients of the input-side pre-activations (dxg), of the hidden projections (dhg: the n part is
// scaled by r) and the direct part of dh_prev (dh z); the caller adds dhg · W_hh to dh_prev.
CK_INLINE void ck_gru_cell_backward_impl(const float *act, const float *hg, const float *h_prev, const float *dh,
                                         float *dxg, float *dhg, float *dh_prev, long batch, long hidden) {
    for (long b = 0; b < batch; b++) {
        const float *ar = act + b * 3 * hidden, *az = ar + hidden, *an = az + hidden;
        const float *hn = hg + b * 3 * hidden + 2 * hidden;
        float *xr = dxg + b * 3 * hidden, *xz = xr + hidden, *xn = xz + hidden;
        float *gr = dhg + b * 3 * hidden, *gz = gr + hidden, *gn = gz + hidden;
        const float *hp = h_prev + b * hidden, *dhb = dh + b * hidden;
        float *dhp = dh_prev + b * hidden;
#pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < hidden; j++) {
            float r = ar[j], z = az[j], n = an[j], d = dhb[j];
            float dn = d * (1.0f - z) * (1.0f - n * n);
            float dz = d * (hp[j] - n) * z * (1.0f - z);
            float dr = dn * hn[j] * r * (1.0f - r);
            xr[j] = dr; xz[j] = dz; xn[j] = dn;
            gr[j] = dr; gz[j] = dz; gn[j] = dn * r;
            dhp[j] = d * z;
        }
    }
}
CK_DEFINE(ck_gru_cell_backward,
          (const float *act, const float *hg, const float *h_prev, const float *dh, float *dxg, float *dhg, float *dh_prev,
           long batch, long hidden),
          (act, hg, h_prev, dh, dxg, dhg, dh_prev, batch, hidden))
