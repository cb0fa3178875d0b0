// Convolution lowered onto the matrix products of a Kernel (im2col/col2im).
// im2col lays out, for each output position (oy, ox) of an example, the
// C·kh·kw inputs its filters read, as one row: cols (OH·OW, C·kh·kw). Then
//   forward:      Z_i (F, OH·OW)   = K (F, CK) · cols_iᵀ                  gemmABt, per example
//   weight grad:  dK (F, CK)       = beta·dK + alpha·dZᵀᵀ · cols          gemmAtB, k = m·OH·OW
//                 (dZ transposed to (m·OH·OW, F) so the batch is one sum)
//   input grad:   dcols_i (CK, OH·OW) = Kᵀ · dZ_i                         gemmAtB, per example,
//                 then col2im adds each column back to the inputs it came from.
// A filter range is a block of rows of K (of dK; of columns of dZᵀ) and a
// channel range a block of rows of dcols: the products give a block the same
// bits as the whole (kernel.ts), and the copies around them do no arithmetic,
// except col2im, whose sums run in the same order for any range.
import type { Kernel } from "./kernel.js";
import { jsConv, convOut, type ConvKernel, type ConvShape } from "./conv.js";

/** X_i -> cols (OH·OW, C·kh·kw) at work[0..]. */
function im2col(s: ConvShape, X: Float64Array, i: number, cols: Float64Array, at: number): void {
  const { C, H, W, kh, kw } = s;
  const { OH, OW } = convOut(s);
  let q = at;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let c = 0; c < C; c++) {
        for (let ky = 0; ky < kh; ky++) {
          const r = ((i * C + c) * H + oy + ky) * W + ox;
          for (let kx = 0; kx < kw; kx++) cols[q++] = X[r + kx]!;
        }
      }
    }
  }
}

/** Doubles of one example's cols or dcols: the scratch of the forward pass and the input gradient. */
export function colsLength(s: ConvShape): number {
  const { OH, OW } = convOut(s);
  return OH * OW * s.C * s.kh * s.kw;
}

/** dcols (channels·kh·kw, OH·OW) of `channels` channels -> their planes of dX (H, W) from element x:
 * each row (c, ky, kx) added onto dX[c, oy + ky, ox + kx], over a zeroed dX, rows in order. */
export type Col2im = (s: ConvShape, dcols: Float64Array, dX: Float64Array, x: number, channels: number) => void;

export const col2im: Col2im = (s, dcols, dX, x, channels) => {
  const { H, W, kh, kw } = s;
  const { OH, OW } = convOut(s);
  const P = OH * OW, KK = kh * kw;
  dX.fill(0, x, x + channels * H * W);
  for (let c = 0; c < channels; c++) {
    for (let t = 0; t < KK; t++) {
      const ky = (t / kw) | 0, kx = t - ky * kw;
      const row = (c * KK + t) * P;
      for (let oy = 0; oy < OH; oy++) {
        const d = x + (c * H + oy + ky) * W + kx, r = row + oy * OW;
        for (let ox = 0; ox < OW; ox++) dX[d + ox] += dcols[r + ox]!;
      }
    }
  }
};

/** The convolution on `kernel`'s products (and `add`, col2im); pooling is the direct TypeScript one. */
export function loweredConv(kernel: Kernel, add: Col2im = col2im): ConvKernel {
  return {
    name: `${kernel.name}-lowered`,

    // forward and input grad: one example's cols; weight grad: every example's cols and dZᵀ
    workspace(s) {
      const { OH, OW } = convOut(s);
      return Math.max(colsLength(s), s.m * OH * OW * (s.C * s.kh * s.kw + s.F));
    },

    // X (m, C, H, W), K (F, C, kh, kw) -> Z (m, F, OH, OW), filters f0..f1
    convForward(s, X, K, Z, f0, f1, work) {
      if (f1 <= f0) return;
      const { OH, OW } = convOut(s);
      const P = OH * OW, CK = s.C * s.kh * s.kw;
      for (let i = 0; i < s.m; i++) {
        im2col(s, X, i, work, 0);
        kernel.gemmABt(f1 - f0, P, CK, K, f0 * CK, CK, work, 0, CK, Z, (i * s.F + f0) * P, P);
      }
    },

    // dZ (m, F, OH, OW), X (m, C, H, W) -> dK (F, C, kh, kw) = beta·dK + alpha·Σ dZ·X, filters f0..f1
    convWeightGrad(s, dZ, X, alpha, beta, dK, f0, f1, work) {
      if (f1 <= f0) return;
      const { m, F } = s;
      const { OH, OW } = convOut(s);
      const P = OH * OW, CK = s.C * s.kh * s.kw;
      const dZt = m * P * CK; // dZᵀ (m·P, F) after the cols; only columns f0..f1 are filled
      for (let i = 0; i < m; i++) {
        im2col(s, X, i, work, i * P * CK);
        for (let f = f0; f < f1; f++) {
          const z = (i * F + f) * P;
          for (let q = 0; q < P; q++) work[dZt + (i * P + q) * F + f] = dZ[z + q]!;
        }
      }
      kernel.gemmAtB(f1 - f0, CK, m * P, alpha, work, dZt + f0, F, work, 0, CK, beta, dK, f0 * CK, CK);
    },

    // dZ (m, F, OH, OW), K (F, C, kh, kw) -> dX (m, C, H, W), channels c0..c1
    convInputGrad(s, dZ, K, dX, c0, c1, work) {
      if (c1 <= c0) return;
      const { m, C, H, W, F, kh, kw } = s;
      const { OH, OW } = convOut(s);
      const P = OH * OW, KK = kh * kw, CK = C * KK, HW = H * W;
      for (let i = 0; i < m; i++) {
        // rows c0·KK .. c1·KK of dcols_i (CK, P), from work[0]
        kernel.gemmAtB((c1 - c0) * KK, P, F, 1, K, c0 * KK, CK, dZ, i * F * P, P, 0, work, 0, P);
        add(s, work, dX, (i * C + c0) * HW, c1 - c0);
      }
    },

    maxPoolForward: jsConv.maxPoolForward,
    maxPoolBackward: jsConv.maxPoolBackward,
  };
}
