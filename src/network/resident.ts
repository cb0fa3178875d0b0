// Training data put where the wasm kernel's gather can read it, in the arena,
// so that a mini-batch is gathered in one call (SIMD) instead of by the
// TypeScript gather reading the JavaScript heap. For a network whose first
// layer takes the input's nonzero pairs, the images' lists of them
// (image-pairs.ts: 21 MB for MNIST's 60,000, under half the images' bytes,
// and nothing left to list); otherwise the images themselves (47 MB). An
// engine trains on its copy; one copy per arena, dataset and form, shared by
// the engines on it.
import type { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Dataset } from "../data/dataset.js";
import type { Network } from "./network.js";
import { takesPairs } from "./workspace.js";

const copies = new WeakMap<Arena, Map<Dataset, { images?: Dataset; pairs?: Dataset | null }>>();

/** ds gather-ready in the arena (the same examples and labels): with its images' lists of pairs, made by the kernel
 *  `pairs`, when given one and the lists pay (imagePairs), else with its images in the arena. A copy is returned as
 *  it is. */
export function resident(arena: Arena, ds: Dataset, pairs?: Kernel): Dataset {
  if (ds.resident || ds.pairs) return ds;
  let made = copies.get(arena);
  if (!made) copies.set(arena, (made = new Map()));
  let forms = made.get(ds);
  if (!forms) made.set(ds, (forms = {}));
  if (pairs && forms.pairs === undefined) {
    const listed = pairs.listPairs(ds.images, ds.count, ds.pixels, arena);
    forms.pairs = listed ? { ...ds, pairs: listed } : null; // null: they do not pay
  }
  if (pairs && forms.pairs) return forms.pairs;
  if (!forms.images) {
    const images = arena.u8(ds.images.length);
    images.set(ds.images);
    forms.images = { ...ds, images, resident: true };
  }
  return forms.images;
}

/** ds as an engine training `net` with `kernel` gathers it: the lists of pairs when its first layer takes them. */
export function residentFor(arena: Arena, ds: Dataset, net: Network, kernel: Kernel): Dataset {
  return resident(arena, ds, takesPairs(net) ? kernel : undefined);
}
