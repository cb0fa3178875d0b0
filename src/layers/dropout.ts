// Dropout masks that do not depend on who computes them. network3.py draws
// its masks from one sequential generator; here a mask entry is a hash of
// (seed, epoch, mini-batch, layer, example, unit), so a thread that masks its
// own block of units gets the bits one thread would, and a resumed run the
// bits an uninterrupted one would. Each input unit is kept with probability
// 1 − p and, as in network3.py, nothing is rescaled in training; at inference
// the layer multiplies its weighted input by 1 − p instead.
import type { StepContext } from "./layer.js";

const TWO_32 = 4294967296;

/** A 32-bit finaliser with full avalanche (each input bit flips each output bit with probability ~1/2). */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The key of one layer's masks in one mini-batch. */
export function maskKey(ctx: StepContext, layer: number): number {
  let h = mix(ctx.seed ^ 0x5bd1e995);
  for (const v of [ctx.epoch, ctx.batch, layer]) h = mix((h + Math.imul(v + 1, 0x9e3779b9)) >>> 0);
  return h;
}

// X (m, n), rows i0 .. i0+m of the mini-batch: columns c0..c1 -> M = mask (1 kept, 0 dropped), XD = X ∘ M
export function dropColumns(
  key: number, p: number, i0: number, m: number, n: number, c0: number, c1: number,
  X: Float64Array, M: Float64Array, XD: Float64Array,
): void {
  const threshold = p * TWO_32; // kept when the hash is at or above p of its range
  for (let i = 0; i < m; i++) {
    const row = mix((key + Math.imul(i0 + i + 1, 0x85ebca6b)) >>> 0);
    for (let j = c0; j < c1; j++) {
      const keep = mix((row ^ Math.imul(j + 1, 0xc2b2ae35)) >>> 0) >= threshold ? 1 : 0;
      M[i * n + j] = keep;
      XD[i * n + j] = keep * X[i * n + j];
    }
  }
}
