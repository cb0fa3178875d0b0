// The mini-batch gather of the training hot loop (thousands of calls per
// epoch): it turns byte pixels into the [0, 1] doubles the network eats,
// without allocating.

import { BYTE_SCALE as SCALE } from "../kernel/gather.js";
import type { Dataset } from "./dataset.js";

// Four pixels per load where the bytes allow it (rows a whole number of
// 32-bit words, a little-endian machine): the gather takes about half the time.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const wordViews = new WeakMap<Uint8Array, Uint32Array | null>();

function wordsOf(ds: Dataset): Uint32Array | null {
  let words = wordViews.get(ds.images);
  if (words === undefined) {
    const fits = LITTLE_ENDIAN && ds.pixels % 4 === 0 && ds.images.byteOffset % 4 === 0;
    words = fits ? new Uint32Array(ds.images.buffer, ds.images.byteOffset, ds.images.length >> 2) : null;
    wordViews.set(ds.images, words);
  }
  return words;
}

/** Copies example e of ds into X at element `to`, scaled, and its label into y[i]; `words` is wordsOf(ds). */
function gatherOne(ds: Dataset, words: Uint32Array | null, e: number, X: Float64Array, to: number, y: Uint8Array, i: number): void {
  // Typed arrays read out of range as undefined and become NaN: fail loudly instead.
  if (!(e >= 0 && e < ds.count)) throw new RangeError(`example ${e} is not among the ${ds.count} examples`);
  const { images, pixels } = ds;
  if (words) {
    const from = (e * pixels) >> 2;
    for (let q = 0; q < pixels >> 2; q++) {
      const v = words[from + q]!;
      const t = to + 4 * q;
      X[t] = SCALE[v & 255]!;
      X[t + 1] = SCALE[(v >>> 8) & 255]!;
      X[t + 2] = SCALE[(v >>> 16) & 255]!;
      X[t + 3] = SCALE[v >>> 24]!;
    }
  } else {
    const from = e * pixels;
    for (let p = 0; p < pixels; p++) X[to + p] = SCALE[images[from + p]!]!;
  }
  y[i] = ds.labels[e]!;
}

/** Typed-array writes past the end are silently dropped, so check room once per call. */
function checkRoom(ds: Dataset, m: number, X: Float64Array, x: number, y: Uint8Array, yo: number): void {
  if (x < 0 || x + m * ds.pixels > X.length || yo < 0 || yo + m > y.length) {
    throw new RangeError(`no room for ${m} examples of ${ds.pixels} pixels at X[${x}] (length ${X.length}), y[${yo}] (length ${y.length})`);
  }
}

/** Gathers examples order[start .. start+m) of ds into X (m rows of ds.pixels, starting at element x),
 *  scaled to [0, 1] exactly as pixel/255, and their labels into y[yo .. yo+m). */
export function gatherBatch(
  ds: Dataset, order: Uint32Array, start: number, m: number, X: Float64Array, x: number, y: Uint8Array, yo = 0,
): void {
  checkRoom(ds, m, X, x, y, yo);
  if (start < 0 || start + m > order.length) throw new RangeError(`order[${start}..${start + m}) is outside its ${order.length} entries`);
  const words = wordsOf(ds);
  for (let i = 0; i < m; i++) gatherOne(ds, words, order[i + start]!, X, x + i * ds.pixels, y, yo + i);
}

/** Like gatherBatch for the contiguous examples [start, start+m) (evaluation needs no order). */
export function gatherRange(ds: Dataset, start: number, m: number, X: Float64Array, x: number, y: Uint8Array): void {
  checkRoom(ds, m, X, x, y, 0);
  const words = wordsOf(ds);
  for (let i = 0; i < m; i++) gatherOne(ds, words, start + i, X, x + i * ds.pixels, y, i);
}
