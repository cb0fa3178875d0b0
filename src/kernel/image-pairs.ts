// Each image's nonzero pairs of pixels, listed once for a whole dataset, for
// the first layer's products over pairs (pairs.ts). The mini-batch gather then
// copies a row's list and converts its listed bytes instead of reading all
// of the image's bytes and listing them again every time the image comes
// round (once an epoch). The list with the bytes is under half the image's
// bytes (MNIST: 88 of 392 pairs have ink, 4 bytes each: 352 of 784).
//
// Entry t of example e, at entries[start[e] + t]: its t-th nonzero pair q
// (increasing, as indexRows lists them) in bits 0-15, bytes 2q and 2q+1 of
// the image in bits 16-23 and 24-31. An odd last byte (the products always
// take it) is odd[e].
import type { Alloc } from "./arena.js";
import { BYTE_SCALE } from "./gather.js";
import { pairsOf, SPARSE_BELOW, type PairIndex } from "./pairs.js";

export interface ImagePairs {
  /** count + 1 offsets into entries */
  start: Int32Array;
  entries: Int32Array;
  /** the last byte of each image when pixels is odd, else empty */
  odd: Uint8Array;
}

/** Lists the pairs into entries and each image's first entry into start (not start[count]) as imagePairs does;
 *  without them, only counts them. Returns the count. */
export type ListPairs = (start?: Int32Array, entries?: Int32Array) => number;

/** The lists of `count` images of `pixels` bytes, or undefined when they would not pay: more than 65,536 pairs a
 *  row (16 bits an entry), or images too dense for the products over pairs (pairs.ts's sparseRows). `list`: a
 *  faster lister of the same (the wasm kernel's). */
export function imagePairs(images: Uint8Array, count: number, pixels: number, alloc: Alloc, list?: ListPairs): ImagePairs | undefined {
  const kp = pairsOf(pixels);
  if (kp === 0 || kp > 0x10000) return undefined;
  list ??= (start, entries) => listPairs(images, count, pixels, start, entries);
  const total = list(); // the count first, to allocate the lists once
  if (total >= SPARSE_BELOW * count * kp) return undefined;
  const start = alloc.i32(count + 1);
  const entries = alloc.i32(total);
  list(start, entries);
  start[count] = total;
  const odd = alloc.u8(pixels & 1 ? count : 0);
  for (let e = 0; e < odd.length; e++) odd[e] = images[e * pixels + pixels - 1];
  return { start, entries, odd };
}

function listPairs(images: Uint8Array, count: number, pixels: number, start?: Int32Array, entries?: Int32Array): number {
  const kp = pairsOf(pixels);
  let t = 0;
  for (let e = 0, o = 0; e < count; e++, o += pixels) {
    if (start) start[e] = t;
    for (let q = 0; q < kp; q++) {
      const b0 = images[o + 2 * q];
      const b1 = images[o + 2 * q + 1];
      if (!(b0 | b1)) continue;
      if (entries) entries[t] = q | (b0 << 16) | (b1 << 24);
      t++;
    }
  }
  return t;
}

// examples idx[i] of the listed images (pixels each) -> rows i0..i1 of the rows index and, of X (ldx), the
// listed pairs / 255 and an odd last column: what gatherRows writes given a rows index (kernel.ts); and given a
// columns index, those rows' entries of it (cleared when i0 is 0)
export function gatherPairs(
  i0: number, i1: number, pixels: number, pairs: ImagePairs, idx: Int32Array, X: Float64Array, x: number, ldx: number, rows: PairIndex,
  cols?: PairIndex,
): void {
  const { start, entries, odd } = pairs;
  if (cols && i0 === 0) cols.count.fill(0, 0, pairsOf(pixels));
  for (let i = i0; i < i1; i++) {
    const e = idx[i];
    const xi = x + i * ldx;
    const li = i * rows.stride;
    const n = start[e + 1] - start[e];
    for (let t = 0; t < n; t++) {
      const v = entries[start[e] + t];
      const q = v & 0xffff;
      rows.list[li + t] = q;
      if (cols) cols.list[q * cols.stride + cols.count[q]++] = i;
      X[xi + 2 * q] = BYTE_SCALE[(v >>> 16) & 255];
      X[xi + 2 * q + 1] = BYTE_SCALE[v >>> 24];
    }
    rows.count[i] = n;
    if (pixels & 1) X[xi + pixels - 1] = BYTE_SCALE[odd[e]];
  }
}
