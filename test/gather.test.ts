// The mini-batch gather: the kernels' gather from data in their memory
// (src/network/resident.ts) against the TypeScript gather from data anywhere,
// bit for bit, and training on a resident copy against training on the data
// where it was loaded.
import { describe, expect, test } from "vitest";
import { gatherBatch } from "../src/data/batch.js";
import { loadMnist } from "../src/data/mnist.js";
import { Backprop, Workspace } from "../src/network/backprop.js";
import { COSTS } from "../src/network/costs.js";
import { SerialEngine } from "../src/network/engine.js";
import { resident } from "../src/network/resident.js";
import type { Arena } from "../src/kernel/arena.js";
import { gatherRows } from "../src/kernel/gather.js";
import type { Kernel } from "../src/kernel/kernel.js";
import { imagePairs } from "../src/kernel/image-pairs.js";
import { indexColumns, indexRows, pairsOf, type PairIndex } from "../src/kernel/pairs.js";
import { Rng } from "../src/network/rng.js";
import { kernels, randomNetwork } from "./helpers.js";

describe.each(kernels())("gather, $name kernel", ({ kernel, arena }) => {
  test("rows from a resident copy equal the TypeScript gather's, for every byte value", async () => {
    const { train } = await loadMnist();
    const ds = { ...train, images: Uint8Array.from(train.images.subarray(0, 100 * train.pixels)), labels: train.labels.subarray(0, 100), count: 100 };
    const order = Uint32Array.from({ length: 100 }, (_, i) => (i * 41) % 100);
    const m = 13;
    // the batch's second image made of every byte value, the rest MNIST's
    const every = order[21] * ds.pixels;
    for (let p = 0; p < 256; p++) ds.images[every + p] = p;
    const copy = resident(arena, ds);
    expect(copy.resident).toBe(true);
    expect(copy.images).toEqual(ds.images);
    const want = new Float64Array(m * ds.pixels);
    const wantLabels = new Uint8Array(m);
    gatherBatch(ds, order, 20, m, want, 0, wantLabels);
    const picks = arena.i32(m);
    for (let i = 0; i < m; i++) picks[i] = order[20 + i];
    const X = arena.f64(m * ds.pixels + 5);
    kernel.gatherRows(0, 6, ds.pixels, copy.images, picks, X, 5, ds.pixels); // two blocks, as two threads
    kernel.gatherRows(6, m, ds.pixels, copy.images, picks, X, 5, ds.pixels);
    expect(X.subarray(5)).toEqual(want);
    expect(X.subarray(5 + ds.pixels, 5 + ds.pixels + 256)).toEqual(Float64Array.from({ length: 256 }, (_, p) => p / 255));
    expect(resident(arena, ds)).toBe(copy); // one copy per arena
  });

  // 784 bytes a row (49 blocks of 16), 37 (2 blocks and 5 bytes: pairs listed one at a time, an odd last byte), one
  // block, one block and a pair, less than a block, a single byte
  test.each([784, 37, 16, 18, 3, 1])("rows of %i bytes: the index made with the rows is the one indexRows makes from them", (pixels) => {
    const count = 40;
    const rng = new Rng(pixels);
    // mostly zeros, as images are: runs of ink, single bytes, pairs with one zero byte
    const images = Uint8Array.from({ length: count * pixels }, () => (rng.uniform() < 0.25 ? 1 + Math.floor(rng.uniform() * 255) : 0));
    images.fill(0, 3 * pixels, 4 * pixels); // a blank image
    images.fill(255, 5 * pixels, 6 * pixels); // a full one
    const picks = Array.from({ length: 11 }, (_, i) => (i * 7 + 6) % count);
    picks[1] = 3; // the blank image
    picks[2] = 5; // the full one
    const rows = expectIndexedGather(kernel, arena, images, pixels, picks, 4); // two blocks, as two threads
    expect(rows.count[1]).toBe(0);
    expect(rows.count[2]).toBe(pairsOf(pixels));
  });

  test("rows of 784 bytes with every pattern of nonzero pairs in a block of 16 bytes: the index indexRows makes", () => {
    // block g of the 6 images (49 blocks each) has pair b nonzero when bit b of g mod 256 is set, its ink in either byte
    const pixels = 784, count = 6;
    const images = new Uint8Array(count * pixels);
    for (let g = 0; g < count * 49; g++) {
      for (let b = 0; b < 8; b++) if ((g >> b) & 1) images[16 * g + 2 * b + ((g + b) & 1)] = 1 + ((g * 8 + b) % 255);
    }
    expectIndexedGather(kernel, arena, images, pixels, [0, 1, 2, 3, 4, 5], count);
  });

  test("the images' lists of pairs: MNIST's (in blocks through the kernel's memory) as the TypeScript loop lists them; none for dense images", async () => {
    const { train } = await loadMnist();
    const count = 3000; // more than a block of the wasm kernel's scratch
    const images = train.images.subarray(0, count * train.pixels);
    const lists = kernel.listPairs(images, count, train.pixels, arena)!;
    expect(lists).toEqual(imagePairs(images, count, train.pixels, NO_ARENA));
    expect(lists.start[count]).toBe(lists.entries.length);
    // every entry: its pair has ink and its bytes are the image's
    for (const e of [0, 1, 1336, 1337, 2999]) {
      for (let t = lists.start[e]; t < lists.start[e + 1]; t++) {
        const v = lists.entries[t];
        const q = v & 0xffff;
        expect([(v >>> 16) & 255, v >>> 24]).toEqual([images[e * 784 + 2 * q], images[e * 784 + 2 * q + 1]]);
        expect((v >>> 16) | 0).not.toBe(0);
      }
    }
    // half the pairs nonzero or more: the products over pairs would not run, so no lists
    const dense = Uint8Array.from({ length: 20 * 784 }, (_, p) => (p % 4 < 2 ? 7 : 0));
    expect(kernel.listPairs(dense, 20, 784, arena)).toBeUndefined();
  });

  test("a dataset's copies: its lists for a network that takes the pairs, its images for one that does not, each made once", () => {
    const rng = new Rng(3);
    const images = Uint8Array.from({ length: 50 * 784 }, () => (rng.uniform() < 0.2 ? 1 + Math.floor(rng.uniform() * 255) : 0));
    const ds = { images, labels: new Uint8Array(50), count: 50, rows: 28, cols: 28, pixels: 784 };
    const listed = resident(arena, ds, kernel);
    expect(listed.pairs?.start.length).toBe(51);
    expect(listed.images).toBe(images); // not copied
    expect(listed.resident).toBeFalsy();
    const copied = resident(arena, ds);
    expect(copied.resident).toBe(true);
    expect(copied.images).not.toBe(images);
    expect(copied.images).toEqual(images);
    expect(resident(arena, ds, kernel)).toBe(listed);
    expect(resident(arena, ds)).toBe(copied);
    expect(resident(arena, listed, kernel)).toBe(listed); // a copy as it is
    // dense images: no lists, the images' copy instead
    const dense = { ...ds, images: images.map((_, p) => 1 + (p % 7)) };
    expect(resident(arena, dense, kernel).resident).toBe(true);
  });

  // with every third batch's images made dense (64% of the pairs nonzero), the first layer takes its dense
  // products for those batches, which read the pairs a kernel's gather need not write; and the batches after them
  // come into an X that still holds a dense batch's pixels
  test.each([false, true])("training on the resident copy gives the weights of training on the data as loaded (dense batches: %s)", async (withDense) => {
    const mnist = (await loadMnist()).train;
    const train = withDense ? { ...mnist, images: Uint8Array.from(mnist.images.subarray(0, 300 * 784)), labels: mnist.labels.subarray(0, 300), count: 300 } : mnist;
    const rng = new Rng(5);
    if (withDense) {
      for (let e = 10; e < 300; e += 30) for (let p = 0; p < 10 * 784; p++) train.images[e * 784 + p] = rng.uniform() < 0.4 ? 1 + Math.floor(rng.uniform() * 255) : 0;
    }
    // with dense batches, in order, so that every third mini-batch is dense
    const order = Uint32Array.from({ length: 300 }, (_, i) => (withDense ? i : (i * 7) % 300));
    const viaEngine = randomNetwork([784, 20, 10], arena, 4);
    new SerialEngine(kernel, viaEngine, COSTS.quadratic, 10, arena).trainBatches(train, order, 0, 300, 10, 3, 1);
    const direct = randomNetwork([784, 20, 10], arena, 4);
    const bp = new Backprop(kernel, direct, new Workspace(direct, 10, arena), COSTS.quadratic);
    bp.ctx.eta = 3;
    for (let s = 0; s < 300; s += 10) bp.trainBatch(train, order, s, 10);
    direct.layers.forEach((l, i) => {
      expect(viaEngine.layers[i].weight).toEqual(l.weight);
      expect(viaEngine.layers[i].bias).toEqual(l.bias);
    });
  });
});

/** Gathers examples `picks` of `images` with a rows index (in two calls, split at `split`) from a resident copy, and
 *  checks the index against indexRows of the TypeScript gather's rows, and X where the products over pairs read it
 *  (the listed pairs and an odd last column; X starts as an earlier batch's -1s, which the rest may keep). */
function expectIndexedGather(kernel: Kernel, arena: Arena, images: Uint8Array, pixels: number, picks: number[], split: number): PairIndex {
  const count = images.length / pixels;
  const m = picks.length;
  const kp = pairsOf(pixels);
  const copy = resident(arena, { images, labels: new Uint8Array(count), count, rows: 1, cols: pixels, pixels });
  const idx = arena.i32(m);
  idx.set(picks);
  const X = arena.f64(m * pixels).fill(-1);
  const rows: PairIndex = { list: arena.i32(m * kp), count: arena.i32(m), stride: kp };
  kernel.gatherRows(0, split, pixels, copy.images, idx, X, 0, pixels, rows);
  kernel.gatherRows(split, m, pixels, copy.images, idx, X, 0, pixels, rows);
  const dense = new Float64Array(m * pixels);
  gatherRows(0, m, pixels, images, idx, dense, 0, pixels);
  const want: PairIndex = { list: new Int32Array(m * kp), count: new Int32Array(m), stride: kp };
  indexRows(0, m, pixels, dense, 0, pixels, want);
  const expectRows = (): void => {
    expect(rows.count).toEqual(want.count);
    for (let i = 0; i < m; i++) {
      const listed = rows.list.subarray(i * kp, i * kp + rows.count[i]);
      expect(listed).toEqual(want.list.subarray(i * kp, i * kp + want.count[i]));
      const read = [...listed].flatMap((q) => [2 * q, 2 * q + 1]);
      if (pixels % 2) read.push(pixels - 1);
      for (const p of read) expect(X[i * pixels + p]).toBe(dense[i * pixels + p]);
    }
  };
  expectRows();
  // the same from the images' lists of pairs, made by this kernel (the TypeScript lists' twins) and held in its memory
  const lists = kernel.listPairs(images, count, pixels, arena);
  expect(lists).toEqual(imagePairs(images, count, pixels, NO_ARENA));
  if (kp === 0) expect(lists).toBeUndefined();
  if (!lists) return rows;
  X.fill(-1);
  rows.list.fill(-1);
  rows.count.fill(-1);
  // and the update's columns index with them (over an older one), as indexColumns makes it from the rows index
  const cols: PairIndex = { list: arena.i32(kp * m).fill(-1), count: arena.i32(kp).fill(7), stride: m };
  kernel.gatherPairs(0, split, pixels, lists, idx, X, 0, pixels, rows, cols);
  kernel.gatherPairs(split, m, pixels, lists, idx, X, 0, pixels, rows, cols);
  expectRows();
  const wantCols: PairIndex = { list: new Int32Array(kp * m), count: new Int32Array(kp), stride: m };
  indexColumns(0, kp, m, want, wantCols);
  expect(cols.count).toEqual(wantCols.count);
  for (let q = 0; q < kp; q++) expect(cols.list.subarray(q * m, q * m + cols.count[q])).toEqual(wantCols.list.subarray(q * m, q * m + wantCols.count[q]));
  return rows;
}

/** Allocates from the JavaScript heap. */
const NO_ARENA = { f64: (n: number) => new Float64Array(n), u8: (n: number) => new Uint8Array(n), i32: (n: number) => new Int32Array(n) };
