// The honest files every fuzz case starts from: a small MNIST-shaped data set
// (4x4 images) and a 16-3-10 model in network2.py's JSON; and the seeded
// draws the mutators share.
import type { Rng } from "../../src/network/rng.js";
import type { CaseFiles } from "./harness.js";
export const TRAIN = 40;
export const TEST = 20;
export const SIDE = 4;
export const SIZES = [SIDE * SIDE, 3, 10];

export const IMAGE_FILES = ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte"];
export const LABEL_FILES = ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"];
export const IDX_FILES = [...IMAGE_FILES, ...LABEL_FILES];

// ---- drawing from the seed

export const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.below(items.length)] as T;
export const randomBytes = (rng: Rng, n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.below(256));

/** Values of every JSON type, and text no terminal should see raw. */
export const ODD_VALUES: unknown[] = [null, true, "0.5", "\u001b[2J\u001b[31mred\nsecond line\u0007", {}, [], [[[]]], -1, 1.5, 1e308, { sizes: [1, 2] }];

/** A marker value that withDeep() writes as lists nested `depth` deep (JSON.stringify itself overflows the stack on such values). */
export const DEEP = "\u0000deep\u0000";
export const withDeep = (doc: unknown, depth: number): string => JSON.stringify(doc).replace(JSON.stringify(DEEP), `${"[".repeat(depth)}${"]".repeat(depth)}`);

// ---- honest files

export function idx(magic: number, sizes: readonly number[], payload: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + 4 * sizes.length + payload.length);
  out.writeUInt32BE(magic, 0);
  sizes.forEach((s, i) => out.writeUInt32BE(s >>> 0, 4 + 4 * i));
  out.set(payload, 4 + 4 * sizes.length);
  return out;
}

function honestModel(rng: Rng): Record<string, unknown> {
  const layers = SIZES.slice(1).map((n, l) => ({ n, nIn: SIZES[l] as number }));
  return {
    sizes: SIZES,
    weights: layers.map(({ n, nIn }) => Array.from({ length: n }, () => Array.from({ length: nIn }, () => rng.normal() / 4))),
    biases: layers.map(({ n }) => Array.from({ length: n }, () => [rng.normal()])),
    cost: "CrossEntropyCost",
  };
}

export function honestCase(rng: Rng): CaseFiles {
  const labels = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.below(10));
  return {
    "train-images-idx3-ubyte": idx(0x803, [TRAIN, SIDE, SIDE], randomBytes(rng, TRAIN * SIDE * SIDE)),
    "train-labels-idx1-ubyte": idx(0x801, [TRAIN], labels(TRAIN)),
    "t10k-images-idx3-ubyte": idx(0x803, [TEST, SIDE, SIDE], randomBytes(rng, TEST * SIDE * SIDE)),
    "t10k-labels-idx1-ubyte": idx(0x801, [TEST], labels(TEST)),
    "model.json": Buffer.from(JSON.stringify(honestModel(rng))),
  };
}
