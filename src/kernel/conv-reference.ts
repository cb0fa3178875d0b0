// Naive direct loops: the definition each tuned convolution and pooling
// kernel (conv.ts) is tested against. Same shapes and conventions as
// ConvKernel; every sum runs in the plain order of its indices from +0.
import { convOut, poolOut, type ConvKernel } from "./conv.js";

export const referenceConv: ConvKernel = {
  name: "reference",
  workspace: () => 0,

  // X (m, C, H, W), K (F, C, kh, kw) -> Z (m, F, OH, OW), filters f0..f1
  convForward(s, X, K, Z, f0, f1) {
    const { m, C, H, W, F, kh, kw } = s;
    const { OH, OW } = convOut(s);
    for (let i = 0; i < m; i++) for (let f = f0; f < f1; f++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      let z = 0;
      for (let c = 0; c < C; c++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        z += X[((i * C + c) * H + oy + ky) * W + ox + kx]! * K[((f * C + c) * kh + ky) * kw + kx]!;
      }
      Z[((i * F + f) * OH + oy) * OW + ox] = z;
    }
  },

  // dZ (m, F, OH, OW), X (m, C, H, W) -> dK (F, C, kh, kw) = beta·dK + alpha·Σ_i dZ_i ⋆ X_i, filters f0..f1
  convWeightGrad(s, dZ, X, alpha, beta, dK, f0, f1) {
    const { m, C, H, W, F, kh, kw } = s;
    const { OH, OW } = convOut(s);
    for (let f = f0; f < f1; f++) for (let c = 0; c < C; c++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      let g = 0;
      for (let i = 0; i < m; i++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
        g += dZ[((i * F + f) * OH + oy) * OW + ox]! * X[((i * C + c) * H + oy + ky) * W + ox + kx]!;
      }
      const at = ((f * C + c) * kh + ky) * kw + kx;
      dK[at] = beta === 0 ? alpha * g : beta * dK[at]! + alpha * g;
    }
  },

  // dZ (m, F, OH, OW), K (F, C, kh, kw) -> dX (m, C, H, W), channels c0..c1
  convInputGrad(s, dZ, K, dX, c0, c1) {
    const { m, C, H, W, F, kh, kw } = s;
    const { OH, OW } = convOut(s);
    for (let i = 0; i < m; i++) for (let c = c0; c < c1; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      let g = 0;
      for (let f = 0; f < F; f++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const oy = y - ky, ox = x - kx;
        if (oy >= 0 && oy < OH && ox >= 0 && ox < OW) {
          g += dZ[((i * F + f) * OH + oy) * OW + ox]! * K[((f * C + c) * kh + ky) * kw + kx]!;
        }
      }
      dX[((i * C + c) * H + y) * W + x] = g;
    }
  },

  // Z (m, F, OH, OW) -> P (m, F, PH, PW) and the winner's place in its window, filters f0..f1
  maxPoolForward(s, Z, P, arg, f0, f1) {
    const { m, F, OH, OW, p } = s;
    const { PH, PW } = poolOut(s);
    for (let i = 0; i < m; i++) for (let f = f0; f < f1; f++) for (let py = 0; py < PH; py++) for (let px = 0; px < PW; px++) {
      let best = -Infinity, where = 0;
      for (let dy = 0; dy < p; dy++) for (let dx = 0; dx < p; dx++) {
        const v = Z[((i * F + f) * OH + py * p + dy) * OW + px * p + dx]!;
        if (v > best || (dy === 0 && dx === 0)) { best = v; where = dy * p + dx; }
      }
      const at = ((i * F + f) * PH + py) * PW + px;
      P[at] = best;
      arg[at] = where;
    }
  },

  // dP (m, F, PH, PW), arg -> dZ (m, F, OH, OW): each dP to its window's winner, 0 elsewhere, filters f0..f1
  maxPoolBackward(s, dP, arg, dZ, f0, f1) {
    const { m, F, OH, OW, p } = s;
    const { PH, PW } = poolOut(s);
    for (let i = 0; i < m; i++) for (let f = f0; f < f1; f++) {
      for (let t = 0; t < OH * OW; t++) dZ[(i * F + f) * OH * OW + t] = 0;
      for (let py = 0; py < PH; py++) for (let px = 0; px < PW; px++) {
        const at = ((i * F + f) * PH + py) * PW + px;
        const w = arg[at]!;
        dZ[((i * F + f) * OH + py * p + Math.floor(w / p)) * OW + px * p + (w % p)] = dP[at]!;
      }
    }
  },
};
