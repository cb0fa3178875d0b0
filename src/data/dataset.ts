// A set of labelled examples as raw bytes. Pixels stay one byte each (not
// float) so the 60000x784 training set costs 47 MB instead of 376 MB; the
// mini-batch gather (batch.ts) scales them to [0, 1] only when needed.
import type { ImagePairs } from "../kernel/image-pairs.js";

export interface Dataset {
  readonly images: Uint8Array; // count x pixels, row-major, one byte per pixel
  readonly labels: Uint8Array; // count labels, each in 0..classes-1
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: number; // rows * cols
  /** Set on an engine's own copy whose images live in its kernel's memory (src/network/resident.ts). */
  readonly resident?: boolean;
  /** Set on an engine's copy for a first layer that takes the products over pairs: each image's nonzero pairs in its
   *  kernel's memory (image-pairs.ts; its images stay where they were). */
  readonly pairs?: ImagePairs;
}

/** The digits 0..9. */
export const CLASSES = 10;

/** Examples [start, end) of ds, as views (no copy). */
export function slice(ds: Dataset, start: number, end: number): Dataset {
  // subarray silently clamps bad bounds; a wrong slice is a bug, so say so.
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > ds.count) {
    throw new RangeError(`slice [${start}, ${end}) is not within the ${ds.count} examples`);
  }
  return {
    images: ds.images.subarray(start * ds.pixels, end * ds.pixels),
    labels: ds.labels.subarray(start, end),
    count: end - start,
    rows: ds.rows,
    cols: ds.cols,
    pixels: ds.pixels,
  };
}
