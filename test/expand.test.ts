// The expanded training data (src/data/expand.ts) against shifts written out
// by hand, and the shuffle against the run's Rng.
import { describe, expect, test } from "vitest";
import type { Dataset } from "../src/data/dataset.js";
import { expandData, SHIFTS, shiftImage } from "../src/data/expand.js";
import { Rng } from "../src/network/rng.js";

// A 3x4 image, every pixel distinct and non-zero.
const IMAGE = [
  1, 2, 3, 4,
  5, 6, 7, 8,
  9, 10, 11, 12,
];
// What np.roll by one pixel and the zeroed wrapped row or column give (expand_mnist.py).
const SHIFTED: Record<string, number[]> = {
  none: IMAGE,
  down: [
    0, 0, 0, 0,
    1, 2, 3, 4,
    5, 6, 7, 8,
  ],
  up: [
    5, 6, 7, 8,
    9, 10, 11, 12,
    0, 0, 0, 0,
  ],
  right: [
    0, 1, 2, 3,
    0, 5, 6, 7,
    0, 9, 10, 11,
  ],
  left: [
    2, 3, 4, 0,
    6, 7, 8, 0,
    10, 11, 12, 0,
  ],
};

function dataset(images: number[][], labels: number[]): Dataset {
  return { images: Uint8Array.from(images.flat()), labels: Uint8Array.from(labels), count: images.length, rows: 3, cols: 4, pixels: 12 };
}

describe("shiftImage", () => {
  test.each(SHIFTS)("%s, exactly, at offsets inside larger arrays", (shift) => {
    const src = Uint8Array.from([99, ...IMAGE, 99]);
    const dst = new Uint8Array(15).fill(77);
    shiftImage(src, 1, dst, 2, 3, 4, shift);
    expect(Array.from(dst)).toEqual([77, 77, ...SHIFTED[shift]!, 77]);
  });
});

describe("expandData", () => {
  const second = IMAGE.map((p) => p + 100);
  const ds = dataset([IMAGE, second], [7, 3]);

  test("5x the images: each followed by its shifts down, up, right, left, then shuffled once by the seed's Rng", () => {
    const out = expandData(ds, new Rng(5));
    expect(out.count).toBe(10);
    expect([out.rows, out.cols, out.pixels]).toEqual([3, 4, 12]);
    expect(out.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(out.labels.buffer).toBeInstanceOf(SharedArrayBuffer);
    // the list before the shuffle, as expand_mnist.py appends it
    const list = [IMAGE, second].flatMap((img, e) =>
      SHIFTS.map((shift) => ({ pixels: SHIFTED[shift]!.map((p) => (p === 0 ? 0 : e === 0 ? p : p + 100)), label: e === 0 ? 7 : 3 })));
    const perm = Uint32Array.from(list.keys());
    new Rng(5).shuffle(perm);
    for (let k = 0; k < 10; k++) {
      const want = list[perm[k]!]!;
      expect(Array.from(out.images.subarray(12 * k, 12 * k + 12)), `image ${k}`).toEqual(want.pixels);
      expect(out.labels[k], `label ${k}`).toBe(want.label);
    }
    expect(Array.from(perm)).not.toEqual(Array.from(list.keys())); // the shuffle did move things
  });

  test("the same seed gives the same bytes; another seed another order", () => {
    const a = expandData(ds, new Rng(1)), b = expandData(ds, new Rng(1)), c = expandData(ds, new Rng(2));
    expect(Array.from(a.images)).toEqual(Array.from(b.images));
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.images)).not.toEqual(Array.from(c.images));
  });
});
