// The mini-batch gather of the training hot loop (thousands of calls per
// epoch): it turns byte pixels into the [0, 1] doubles the network eats,
// without allocating.

import type { Dataset } from "./dataset.js";

// i/255 for every byte: the exact values of the division, for the price of a load.
const SCALE = Float64Array.from({ length: 256 }, (_, i) => i / 255);

/** Copies example e of ds into X at element `to`, scaled, and its label into y[i]. */
function gatherOne(ds: Dataset, e: number, X: Float64Array, to: number, y: Uint8Array, i: number): void {
  // Typed arrays read out of range as undefined and become NaN: fail loudly instead.
  if (!(e >= 0 && e < ds.count)) throw new RangeError(`example ${e} is not among the ${ds.count} examples`);
  const { images, pixels } = ds;
  const from = e * pixels;
  for (let p = 0; p < pixels; p++) X[to + p] = SCALE[images[from + p]!]!;
  y[i] = ds.labels[e]!;
}

/** Typed-array writes past the end are silently dropped, so check room once per call. */
function checkRoom(ds: Dataset, m: number, X: Float64Array, x: number, y: Uint8Array): void {
  if (x < 0 || x + m * ds.pixels > X.length || m > y.length) {
    throw new RangeError(`no room for ${m} examples of ${ds.pixels} pixels at X[${x}] (length ${X.length}), y length ${y.length}`);
  }
}

/** Gathers examples order[start .. start+m) of ds into X (m rows of ds.pixels, starting at element x),
 *  scaled to [0, 1] exactly as pixel/255, and their labels into y[0..m). */
export function gatherBatch(ds: Dataset, order: Uint32Array, start: number, m: number, X: Float64Array, x: number, y: Uint8Array): void {
  checkRoom(ds, m, X, x, y);
  if (start < 0 || start + m > order.length) throw new RangeError(`order[${start}..${start + m}) is outside its ${order.length} entries`);
  for (let i = 0; i < m; i++) gatherOne(ds, order[i + start]!, X, x + i * ds.pixels, y, i);
}

/** Like gatherBatch for the contiguous examples [start, start+m) (evaluation needs no order). */
export function gatherRange(ds: Dataset, start: number, m: number, X: Float64Array, x: number, y: Uint8Array): void {
  checkRoom(ds, m, X, x, y);
  for (let i = 0; i < m; i++) gatherOne(ds, start + i, X, x + i * ds.pixels, y, i);
}
