// The mini-batch gather as a kernel operation: byte pixels to the [0, 1]
// doubles the network eats. The wasm kernel does it in SIMD when the data
// lives in its memory (src/network/resident.ts); this is the TypeScript one.

import { indexRows, type PairIndex } from "./pairs.js";

/** i/255 for every byte: the exact quotients, for the price of a load. */
export const BYTE_SCALE = Float64Array.from({ length: 256 }, (_, i) => i / 255);

// images is (count, pixels) bytes, idx lists examples -> rows i0..i1 of X (ldx) = images[idx[i]] / 255
// (and their entries of a rows index, when given one: X whole all the same, which Kernel.gatherRows allows)
export function gatherRows(
  i0: number, i1: number, pixels: number, images: Uint8Array, idx: Int32Array, X: Float64Array, x: number, ldx: number,
  rows?: PairIndex,
): void {
  for (let i = i0; i < i1; i++) {
    const from = idx[i] * pixels;
    const to = x + i * ldx;
    for (let p = 0; p < pixels; p++) X[to + p] = BYTE_SCALE[images[from + p]];
  }
  if (rows) indexRows(i0, i1, pixels, X, x, ldx, rows);
}
