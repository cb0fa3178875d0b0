// The expanded training set of the book's chapter 6, as network3.py's
// expand_mnist.py makes it, built in memory instead of a 250,000-image pickle:
// each image followed by its copies shifted one pixel down, up, right and left
// (the row or column that would wrap round is zero), 5x the images, then the
// whole list shuffled once. Pixels stay bytes in a SharedArrayBuffer, like the
// IDX reader's, so worker threads read them without a copy.

import type { Dataset } from "./dataset.js";

/** The copies of expand_mnist.py, in its order: 0 the image itself, then shifted by one pixel. */
export const SHIFTS = ["none", "down", "up", "right", "left"] as const;
export type Shift = (typeof SHIFTS)[number];

/** Writes image `src` (rows x cols bytes from s) shifted by one pixel into dst at d; the vacated row or column is 0. */
export function shiftImage(
  src: Uint8Array, s: number, dst: Uint8Array, d: number, rows: number, cols: number, shift: Shift,
): void {
  const n = rows * cols;
  switch (shift) {
    case "none":
      dst.set(src.subarray(s, s + n), d);
      return;
    case "down": // row r comes from row r - 1
      dst.fill(0, d, d + cols);
      dst.set(src.subarray(s, s + n - cols), d + cols);
      return;
    case "up": // row r comes from row r + 1
      dst.set(src.subarray(s + cols, s + n), d);
      dst.fill(0, d + n - cols, d + n);
      return;
    // byte loops: a subarray per row would allocate 28 views per image
    case "right": // column c comes from column c - 1
      for (let r = 0; r < rows; r++) {
        const a = s + r * cols, b = d + r * cols;
        dst[b] = 0;
        for (let c = 1; c < cols; c++) dst[b + c] = src[a + c - 1]!;
      }
      return;
    case "left": // column c comes from column c + 1
      for (let r = 0; r < rows; r++) {
        const a = s + r * cols, b = d + r * cols;
        for (let c = 0; c < cols - 1; c++) dst[b + c] = src[a + c + 1]!;
        dst[b + cols - 1] = 0;
      }
      return;
  }
}

/**
 * ds expanded 5x (image e's copies are entries 5e .. 5e+4 of SHIFTS' order
 * before the shuffle), then shuffled once by `rng` (the run's seeded Rng):
 * output k holds entry perm[k], perm being 0 .. 5·count-1 after
 * rng.shuffle. Each image is written once, straight to its shuffled place.
 */
export function expandData(ds: Dataset, rng: { shuffle(a: Uint32Array): void }): Dataset {
  const count = ds.count * SHIFTS.length;
  const { rows, cols, pixels } = ds;
  const perm = new Uint32Array(count);
  for (let k = 0; k < count; k++) perm[k] = k;
  rng.shuffle(perm);
  const images = new Uint8Array(new SharedArrayBuffer(count * pixels));
  const labels = new Uint8Array(new SharedArrayBuffer(count));
  for (let k = 0; k < count; k++) {
    const entry = perm[k]!;
    const e = (entry / SHIFTS.length) | 0;
    shiftImage(ds.images, e * pixels, images, k * pixels, rows, cols, SHIFTS[entry - e * SHIFTS.length]!);
    labels[k] = ds.labels[e]!;
  }
  return { images, labels, count, rows, cols, pixels };
}
