// Training data copied into the arena, where the wasm kernel can gather a
// mini-batch from the bytes themselves (one call, SIMD) instead of the
// TypeScript gather reading them from the JavaScript heap. An engine trains on
// its copy; one copy per arena and dataset, shared by the engines on it. The
// cost is the training set's bytes once more (47 MB for MNIST's 60,000).
import type { Arena } from "../kernel/arena.js";
import type { Dataset } from "../data/dataset.js";

const copies = new WeakMap<Arena, Map<Dataset, Dataset>>();

/** ds with its images in the arena's memory (the same examples and labels). */
export function resident(arena: Arena, ds: Dataset): Dataset {
  if (ds.resident) return ds;
  let made = copies.get(arena);
  if (!made) copies.set(arena, (made = new Map()));
  let copy = made.get(ds);
  if (!copy) {
    const images = arena.u8(ds.images.length);
    images.set(ds.images);
    copy = { ...ds, images, resident: true };
    made.set(ds, copy);
  }
  return copy;
}
