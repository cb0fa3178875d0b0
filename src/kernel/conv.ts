// Convolution and max-pooling over flat row-major Float64Arrays, as
// network3.py's ConvPoolLayer uses them: a "valid" convolution, stride 1
// (cross-correlation: the filter is not flipped, as in most libraries; Theano's
// conv2d flips it, which only renames the learnt weights), then
// non-overlapping p x p max-pooling with the border rows and columns that do
// not fill a window ignored. Bias and activation come after the pooling and
// belong to the layer.
//
// Tensors are whole arrays whose element 0 is the tensor's first element:
//   X (m, C, H, W) input, K (F, C, kh, kw) filters, Z (m, F, OH, OW) with
//   OH = H - kh + 1, OW = W - kw + 1; pooled P (m, F, PH, PW) with
//   PH = floor(OH / p), PW = floor(OW / p).
// Threads split a conv layer by filters (f0..f1) and its input gradient by
// input channels (c0..c1, i.e. the previous layer's filters). In every
// implementation the value of an output element depends only on the shape
// and its own operands, never on the range asked for, so any split gives the
// same bits as the whole.
//
// This file: the interface and the TypeScript direct kernel. conv-reference.ts
// is the naive definition, conv-lowered.ts the im2col/col2im lowering onto the
// matrix products, wasm-conv.ts the WebAssembly SIMD kernel.

export interface ConvShape {
  m: number; C: number; H: number; W: number; // input X (m, C, H, W)
  F: number; kh: number; kw: number; // filters K (F, C, kh, kw)
}

export interface PoolShape {
  m: number; F: number; OH: number; OW: number; // Z (m, F, OH, OW)
  p: number; // window p x p, 1 <= p <= 15 (its winner's index fits a byte)
}

export function convOut(s: ConvShape): { OH: number; OW: number } {
  return { OH: s.H - s.kh + 1, OW: s.W - s.kw + 1 };
}

export function poolOut(s: PoolShape): { PH: number; PW: number } {
  return { PH: Math.floor(s.OH / s.p), PW: Math.floor(s.OW / s.p) };
}

export interface ConvKernel {
  readonly name: string;

  /** Doubles of scratch one thread needs for shape s (0: none). Each thread
   * passes its own `work` (a view of the Arena for the wasm kernel). */
  workspace(s: ConvShape): number;

  // X (m, C, H, W), K (F, C, kh, kw) -> Z (m, F, OH, OW), filters f0..f1 only
  convForward(s: ConvShape, X: Float64Array, K: Float64Array, Z: Float64Array, f0: number, f1: number, work: Float64Array): void;

  // dZ (m, F, OH, OW), X (m, C, H, W) -> dK (F, C, kh, kw) = beta·dK + alpha·Σ_i Σ_(oy,ox) dZ·X, filters f0..f1
  // beta = 0 overwrites dK (not read). SGD in place: alpha = −η/m, beta = weight decay.
  convWeightGrad(
    s: ConvShape, dZ: Float64Array, X: Float64Array, alpha: number, beta: number, dK: Float64Array,
    f0: number, f1: number, work: Float64Array,
  ): void;

  // dZ (m, F, OH, OW), K (F, C, kh, kw) -> dX (m, C, H, W), input channels c0..c1 (overwritten)
  convInputGrad(s: ConvShape, dZ: Float64Array, K: Float64Array, dX: Float64Array, c0: number, c1: number, work: Float64Array): void;

  // Z (m, F, OH, OW) -> P (m, F, PH, PW), arg (m, F, PH, PW) = dy·p + dx of each window's maximum
  // (ties: the first in row-major order within the window), filters f0..f1
  maxPoolForward(s: PoolShape, Z: Float64Array, P: Float64Array, arg: Uint8Array, f0: number, f1: number): void;

  // dP (m, F, PH, PW), arg -> dZ (m, F, OH, OW): dP to its window's winner, 0 everywhere else
  // (ignored border included), filters f0..f1
  maxPoolBackward(s: PoolShape, dP: Float64Array, arg: Uint8Array, dZ: Float64Array, f0: number, f1: number): void;
}

// --- the TypeScript direct kernel ------------------------------------------
// Register tiles as in js.ts: 2 filters x 4 outputs for the forward pass, 2
// filters x 4 taps for the weight gradient; each element keeps one
// accumulator summing in the reference's order, so it equals the reference
// to the bit.

export const jsConv: ConvKernel = {
  name: "js-direct",
  workspace: () => 0,

  // X (m, C, H, W), K (F, C, kh, kw) -> Z (m, F, OH, OW), filters f0..f1
  convForward(s, X, K, Z, f0, f1) {
    const { m, F } = s;
    const { OH, OW } = convOut(s);
    const P = OH * OW;
    for (let i = 0; i < m; i++) {
      let f = f0;
      for (; f + 1 < f1; f += 2) forwardRows(s, X, K, Z, i, f, 2, OH, OW, (i * F + f) * P);
      if (f < f1) forwardRows(s, X, K, Z, i, f, 1, OH, OW, (i * F + f) * P);
    }
  },

  // dZ (m, F, OH, OW), X (m, C, H, W) -> dK (F, C, kh, kw) = beta·dK + alpha·Σ dZ·X, filters f0..f1
  convWeightGrad(s, dZ, X, alpha, beta, dK, f0, f1) {
    const CK = s.C * s.kh * s.kw;
    let f = f0;
    for (; f + 1 < f1; f += 2) {
      let t = 0;
      for (; t + 3 < CK; t += 4) weightTile2x4(s, dZ, X, alpha, beta, dK, f, t);
      for (; t < CK; t++) { weightOne(s, dZ, X, alpha, beta, dK, f, t); weightOne(s, dZ, X, alpha, beta, dK, f + 1, t); }
    }
    if (f < f1) for (let t = 0; t < CK; t++) weightOne(s, dZ, X, alpha, beta, dK, f, t);
  },

  // dZ (m, F, OH, OW), K (F, C, kh, kw) -> dX (m, C, H, W), channels c0..c1: a gather, the
  // taps that fall outside dZ cut off by the loop bounds
  convInputGrad(s, dZ, K, dX, c0, c1) {
    const { m, C, H, W, F, kh, kw } = s;
    const { OH, OW } = convOut(s);
    const P = OH * OW, KK = kh * kw, CK = C * KK;
    for (let i = 0; i < m; i++) for (let c = c0; c < c1; c++) {
      const xb = (i * C + c) * H * W;
      for (let y = 0; y < H; y++) {
        const kyLo = Math.max(0, y - OH + 1), kyHi = Math.min(kh - 1, y);
        for (let x = 0; x < W; x++) {
          const kxLo = Math.max(0, x - OW + 1), kxHi = Math.min(kw - 1, x);
          let g = 0;
          for (let f = 0; f < F; f++) {
            const zb = (i * F + f) * P + y * OW + x, kb = f * CK + c * KK;
            for (let ky = kyLo; ky <= kyHi; ky++) {
              const zr = zb - ky * OW, kr = kb + ky * kw;
              for (let kx = kxLo; kx <= kxHi; kx++) g += dZ[zr - kx]! * K[kr + kx]!;
            }
          }
          dX[xb + y * W + x] = g;
        }
      }
    }
  },

  maxPoolForward(s, Z, P, arg, f0, f1) {
    const { m, F, OH, OW, p } = s;
    const { PH, PW } = poolOut(s);
    if (p === 2) { maxPool2(s, Z, P, arg, f0, f1); return; }
    for (let i = 0; i < m; i++) for (let f = f0; f < f1; f++) {
      const zb = (i * F + f) * OH * OW;
      let at = (i * F + f) * PH * PW;
      for (let py = 0; py < PH; py++) {
        for (let px = 0; px < PW; px++, at++) {
          const w0 = zb + py * p * OW + px * p;
          let best = Z[w0]!, where = 0;
          for (let dy = 0; dy < p; dy++) {
            const r = w0 + dy * OW;
            for (let dx = 0; dx < p; dx++) {
              const v = Z[r + dx]!;
              if (v > best) { best = v; where = dy * p + dx; }
            }
          }
          P[at] = best;
          arg[at] = where;
        }
      }
    }
  },

  maxPoolBackward(s, dP, arg, dZ, f0, f1) {
    const { m, F, OH, OW, p } = s;
    const { PH, PW } = poolOut(s);
    const PP = OH * OW;
    for (let i = 0; i < m; i++) {
      // the filters' planes are contiguous within an example: clear them at once
      dZ.fill(0, (i * F + f0) * PP, (i * F + f1) * PP);
      for (let f = f0; f < f1; f++) {
        const zb = (i * F + f) * PP;
        let at = (i * F + f) * PH * PW;
        for (let py = 0; py < PH; py++) {
          for (let px = 0; px < PW; px++, at++) {
            const w = arg[at]!, dy = (w / p) | 0;
            dZ[zb + (py * p + dy) * OW + px * p + w - dy * p] = dP[at]!;
          }
        }
      }
    }
  },
};

// The book's 2x2 windows: four loads and three compares, no inner loops
// (the general loop measured 2-3x slower).
function maxPool2(s: PoolShape, Z: Float64Array, P: Float64Array, arg: Uint8Array, f0: number, f1: number): void {
  const { m, F, OH, OW } = s;
  const { PH, PW } = poolOut(s);
  for (let i = 0; i < m; i++) for (let f = f0; f < f1; f++) {
    const zb = (i * F + f) * OH * OW;
    let at = (i * F + f) * PH * PW;
    for (let py = 0; py < PH; py++) {
      let r = zb + 2 * py * OW;
      for (let px = 0; px < PW; px++, at++, r += 2) {
        const a = Z[r]!, b = Z[r + 1]!, c = Z[r + OW]!, d = Z[r + OW + 1]!;
        let best = a, w = 0;
        if (b > best) { best = b; w = 1; }
        if (c > best) { best = c; w = 2; }
        if (d > best) { best = d; w = 3; }
        P[at] = best;
        arg[at] = w;
      }
    }
  }
}

// Rows of Z for filters f (and f + 1 when nf = 2) of example i, from element zb (filter f's plane):
// 2x4 or 1x4 tiles of outputs along a row, then single outputs.
function forwardRows(
  s: ConvShape, X: Float64Array, K: Float64Array, Z: Float64Array, i: number, f: number, nf: number,
  OH: number, OW: number, zb: number,
): void {
  const { C, H, W, kh, kw } = s;
  const CK = C * kh * kw;
  const P = OH * OW;
  const kb1 = nf === 2 ? CK : 0; // the second filter: one filter further on, or the first again
  for (let oy = 0; oy < OH; oy++) {
    let ox = 0;
    for (; ox + 3 < OW; ox += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let c = 0; c < C; c++) {
        for (let ky = 0; ky < kh; ky++) {
          const xr = ((i * C + c) * H + oy + ky) * W + ox;
          const k0 = ((f * C + c) * kh + ky) * kw, k1 = k0 + kb1;
          for (let kx = 0; kx < kw; kx++) {
            const x0 = X[xr + kx]!, x1 = X[xr + kx + 1]!, x2 = X[xr + kx + 2]!, x3 = X[xr + kx + 3]!;
            const a = K[k0 + kx]!, b = K[k1 + kx]!;
            s00 += x0 * a; s01 += x1 * a; s02 += x2 * a; s03 += x3 * a;
            s10 += x0 * b; s11 += x1 * b; s12 += x2 * b; s13 += x3 * b;
          }
        }
      }
      const z = zb + oy * OW + ox;
      Z[z] = s00; Z[z + 1] = s01; Z[z + 2] = s02; Z[z + 3] = s03;
      if (nf === 2) { Z[z + P] = s10; Z[z + P + 1] = s11; Z[z + P + 2] = s12; Z[z + P + 3] = s13; }
    }
    for (; ox < OW; ox++) {
      for (let g = 0; g < nf; g++) {
        let acc = 0;
        for (let c = 0; c < C; c++) {
          for (let ky = 0; ky < kh; ky++) {
            const xr = ((i * C + c) * H + oy + ky) * W + ox;
            const kr = (((f + g) * C + c) * kh + ky) * kw;
            for (let kx = 0; kx < kw; kx++) acc += X[xr + kx]! * K[kr + kx]!;
          }
        }
        Z[zb + g * P + oy * OW + ox] = acc;
      }
    }
  }
}

/** Where tap t = (c·kh + ky)·kw + kx of a filter reads X, relative to the output's corner. */
function tapOffset(s: ConvShape, t: number): number {
  const kk = s.kh * s.kw;
  const c = (t / kk) | 0, r = t - c * kk;
  const ky = (r / s.kw) | 0;
  return (c * s.H + ky) * s.W + r - ky * s.kw;
}

// Taps t..t+3 of filters f and f + 1.
function weightTile2x4(
  s: ConvShape, dZ: Float64Array, X: Float64Array, alpha: number, beta: number, dK: Float64Array, f: number, t: number,
): void {
  const { m, C, H, W, F } = s;
  const { OH, OW } = convOut(s);
  const P = OH * OW, CHW = C * H * W, CK = C * s.kh * s.kw;
  const o0 = tapOffset(s, t), o1 = tapOffset(s, t + 1), o2 = tapOffset(s, t + 2), o3 = tapOffset(s, t + 3);
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  for (let i = 0; i < m; i++) {
    const z0 = (i * F + f) * P, z1 = z0 + P;
    for (let oy = 0; oy < OH; oy++) {
      const xr = i * CHW + oy * W, zr = oy * OW;
      for (let ox = 0; ox < OW; ox++) {
        const a = dZ[z0 + zr + ox]!, b = dZ[z1 + zr + ox]!;
        const xx = xr + ox;
        const x0 = X[xx + o0]!, x1 = X[xx + o1]!, x2 = X[xx + o2]!, x3 = X[xx + o3]!;
        s00 += a * x0; s01 += a * x1; s02 += a * x2; s03 += a * x3;
        s10 += b * x0; s11 += b * x1; s12 += b * x2; s13 += b * x3;
      }
    }
  }
  const d0 = f * CK + t, d1 = d0 + CK;
  if (beta === 0) {
    dK[d0] = alpha * s00; dK[d0 + 1] = alpha * s01; dK[d0 + 2] = alpha * s02; dK[d0 + 3] = alpha * s03;
    dK[d1] = alpha * s10; dK[d1 + 1] = alpha * s11; dK[d1 + 2] = alpha * s12; dK[d1 + 3] = alpha * s13;
  } else {
    dK[d0] = beta * dK[d0]! + alpha * s00; dK[d0 + 1] = beta * dK[d0 + 1]! + alpha * s01;
    dK[d0 + 2] = beta * dK[d0 + 2]! + alpha * s02; dK[d0 + 3] = beta * dK[d0 + 3]! + alpha * s03;
    dK[d1] = beta * dK[d1]! + alpha * s10; dK[d1 + 1] = beta * dK[d1 + 1]! + alpha * s11;
    dK[d1 + 2] = beta * dK[d1 + 2]! + alpha * s12; dK[d1 + 3] = beta * dK[d1 + 3]! + alpha * s13;
  }
}

// Tap t of filter f alone (the edges of the tiling).
function weightOne(
  s: ConvShape, dZ: Float64Array, X: Float64Array, alpha: number, beta: number, dK: Float64Array, f: number, t: number,
): void {
  const { m, C, H, W, F } = s;
  const { OH, OW } = convOut(s);
  const P = OH * OW, CHW = C * H * W;
  const o = tapOffset(s, t);
  let g = 0;
  for (let i = 0; i < m; i++) {
    const z = (i * F + f) * P;
    for (let oy = 0; oy < OH; oy++) {
      const xr = i * CHW + oy * W + o, zr = z + oy * OW;
      for (let ox = 0; ox < OW; ox++) g += dZ[zr + ox]! * X[xr + ox]!;
    }
  }
  const d = f * C * s.kh * s.kw + t;
  dK[d] = beta === 0 ? alpha * g : beta * dK[d]! + alpha * g;
}
