// The table of fuzzed file formats. Every case is a folder holding a small
// honest MNIST-shaped data set (4x4 images) and a model, with one file
// damaged or made hostile, read by `mnist-train evaluate` (or, for
// checkpoints, `mnist-train --resume`).
import * as zlib from "node:zlib";
import type { Rng } from "../../src/network/rng.js";
import type { CaseFiles, FuzzFormat, Mutator } from "./harness.js";
import { checkpointFormat } from "./checkpoint-format.js";
import { honestCase, IDX_FILES, IMAGE_FILES, idx, LABEL_FILES, ODD_VALUES, pick, randomBytes, SIDE, TRAIN } from "./honest.js";
import { safetensorsFormat } from "./safetensors-format.js";

const evaluate = (dir: string): string[] => ["evaluate", "--model", `${dir}/model.json`, "--data-dir", dir, "--kernel", "js", "--no-color"];

// ---- IDX mutators: each edits one of the four files, plain or gzipped

/** gzip with the trailer's size field set to `claimed` (a forged trailer) unless undefined. */
function gzip(bytes: Uint8Array, claimed?: number): Uint8Array {
  const gz = zlib.gzipSync(bytes, { level: 1 });
  if (claimed !== undefined) gz.writeUInt32LE(claimed >>> 0, gz.length - 4);
  return gz;
}

/** Applies `edit` to one IDX file (drawn, or the one named); the result is stored plain, or as .gz (then `edit` may also change the compressed bytes). */
function idxMutator(
  edit: (bytes: Buffer, rng: Rng) => Uint8Array,
  options: { gz?: "always" | "never"; editCompressed?: (gz: Buffer, plain: Uint8Array, rng: Rng) => Uint8Array; files?: readonly string[] } = {},
): Mutator {
  return {
    mutate(files, rng) {
      const name = pick(rng, options.files ?? IDX_FILES);
      const plain = edit(Buffer.from(files[name] as Uint8Array), rng);
      const zipped = options.gz === "always" || (options.gz !== "never" && rng.below(2) === 1);
      if (!zipped) return { ...files, [name]: plain };
      const rest = { ...files };
      delete rest[name];
      const gz = options.editCompressed ? options.editCompressed(Buffer.from(gzip(plain)), plain, rng) : gzip(plain);
      return { ...rest, [`${name}.gz`]: gz };
    },
  };
}

const deflatedZeros = new Map<number, Buffer>();

/**
 * gzip of `head` followed by `zeros` zero bytes, built from one cached
 * deflate of the zeros so that a 256 MiB bomb costs no time per case: a
 * stored block holds the head, the cached blocks follow. The CRC is left 0
 * (a reader that gets that far must say "incorrect data check"); the
 * trailer's size field says `claimed`.
 */
function gzipBomb(head: Uint8Array, zeros: number, claimed: number): Buffer {
  let body = deflatedZeros.get(zeros);
  if (!body) deflatedZeros.set(zeros, (body = zlib.deflateRawSync(Buffer.alloc(zeros), { level: 1 })));
  const stored = Buffer.from([0x00, head.length & 0xff, head.length >> 8, ~head.length & 0xff, (~head.length >> 8) & 0xff]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(claimed >>> 0, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]), stored, head, body, trailer]);
}

const headerLength = (bytes: Uint8Array): number => 4 + 4 * ((bytes[3] ?? 1) & 0x0f);
const SPECIAL_SIZES = [0, 1, 2, 3, 4, 5, 10, 39, 41, 255, 65535, 65536, 2 ** 24, 2 ** 31, 2 ** 32 - 1];

const idxMutators: Record<string, Mutator> = {
  "honest": { ...idxMutator((b) => b), exit: 0 },
  "header byte": idxMutator((b, rng) => {
    b[rng.below(Math.min(b.length, 16))] = rng.below(256);
    return b;
  }),
  "dimension": idxMutator((b, rng) => {
    const dims = (headerLength(b) - 4) / 4;
    b.writeUInt32BE(rng.below(2) ? pick(rng, SPECIAL_SIZES) : rng.u32(), 4 + 4 * rng.below(dims));
    return b;
  }),
  "magic": idxMutator((b, rng) => {
    b.writeUInt32BE(pick(rng, [0x801, 0x802, 0x803, 0x804, 0x903, 0xd03, 0x0b01, 0x08030000, rng.u32()]), 0);
    return b;
  }),
  "truncate": idxMutator((b, rng) => b.subarray(0, rng.below(b.length))),
  "append": idxMutator((b, rng) => Buffer.concat([b, randomBytes(rng, 1 + rng.below(64))])),
  "payload bytes": idxMutator((b, rng) => {
    for (let k = 1 + rng.below(4); k > 0; k--) b[headerLength(b) + rng.below(b.length - headerLength(b))] = rng.below(256);
    return b;
  }),
  "labels out of range": idxMutator((b, rng) => {
    b[8 + rng.below(b.length - 8)] = 10 + rng.below(246);
    return b;
  }, { files: LABEL_FILES }),
  "images and labels swapped": {
    mutate(files, rng) {
      const i = rng.below(2);
      return { ...files, [IMAGE_FILES[i] as string]: files[LABEL_FILES[i] as string] as Uint8Array, [LABEL_FILES[i] as string]: files[IMAGE_FILES[i] as string] as Uint8Array };
    },
  },
  "consistent new shape": idxMutator((_, rng) => {
    const [count, side] = [1 + rng.below(50), 1 + rng.below(7)];
    return idx(0x803, [count, side, side], randomBytes(rng, count * side * side));
  }, { files: IMAGE_FILES }),
  "empty file": idxMutator(() => new Uint8Array(0)),
  "gzip byte flips": idxMutator((b) => b, {
    gz: "always",
    editCompressed: (gz, _, rng) => {
      for (let k = 1 + rng.below(3); k > 0; k--) gz[rng.below(gz.length)] = rng.below(256);
      return gz;
    },
  }),
  "gzip truncated": idxMutator((b) => b, { gz: "always", editCompressed: (gz, _, rng) => gz.subarray(0, rng.below(gz.length)) }),
  "gzip trailing garbage": idxMutator((b) => b, { gz: "always", editCompressed: (gz, _, rng) => Buffer.concat([gz, randomBytes(rng, 1 + rng.below(100))]) }),
  "gzip forged trailer": idxMutator((b) => b, { gz: "always", editCompressed: (gz, _, rng) => {
    gz.writeUInt32LE(rng.u32(), gz.length - 4);
    return gz;
  } }),
  "gzip two members": idxMutator((b) => b, { gz: "always", editCompressed: (_, plain, rng) => {
    const cut = rng.below(plain.length + 1);
    return Buffer.concat([gzip(plain.subarray(0, cut)), gzip(plain.subarray(cut))]);
  } }),
  // the bomb, smaller: a header that declares much, then up to 256 MiB of zeros; the trailer honest or forged to agree
  "gzip bomb": {
    mutate(files, rng) {
      const name = pick(rng, IDX_FILES);
      const head = Buffer.from((files[name] as Uint8Array).subarray(0, headerLength(files[name] as Uint8Array)));
      const count = pick(rng, [TRAIN, 1000, 100000, 2000000]);
      head.writeUInt32BE(count, 4);
      const zeros = pick(rng, [1, 16, 256]) << 20;
      const declared = head.length + count * (head.length === 16 ? SIDE * SIDE : 1);
      const rest = { ...files };
      delete rest[name];
      return { ...rest, [`${name}.gz`]: gzipBomb(head, zeros, rng.below(2) ? declared : head.length + zeros) };
    },
  },
};

// ---- model JSON mutators

type Doc = Record<string, unknown>;

const text = (files: CaseFiles): string => Buffer.from(files["model.json"] as Uint8Array).toString("utf8");
const withText = (files: CaseFiles, t: string | Uint8Array): CaseFiles => ({ ...files, "model.json": typeof t === "string" ? Buffer.from(t) : t });
const docMutator = (edit: (doc: Doc, rng: Rng) => unknown): Mutator => ({
  mutate: (files, rng) => withText(files, JSON.stringify(edit(JSON.parse(text(files)) as Doc, rng)) ?? ""),
});

/** A random array inside the document (a layer, a row, or a bias pair), found by walking down from a key. */
function randomArray(doc: Doc, rng: Rng): unknown[] {
  let node = doc[pick(rng, ["weights", "biases", "sizes"])] as unknown[];
  while (rng.below(3) > 0 && Array.isArray(node[0])) node = pick(rng, node) as unknown[];
  return node;
}


const modelMutators: Record<string, Mutator> = {
  "honest": { mutate: (files) => files, exit: 0 },
  "missing key": docMutator((doc, rng) => {
    delete doc[pick(rng, ["sizes", "weights", "biases", "cost"])];
    return doc;
  }),
  "wrong type": docMutator((doc, rng) => {
    const arr = randomArray(doc, rng);
    if (rng.below(4) === 0) doc[pick(rng, ["sizes", "weights", "biases", "cost"])] = pick(rng, ODD_VALUES);
    else arr[rng.below(arr.length)] = pick(rng, ODD_VALUES);
    return doc;
  }),
  "ragged": docMutator((doc, rng) => {
    const arr = randomArray(doc, rng);
    if (rng.below(2)) arr.pop();
    else arr.push(structuredClone(arr[0]));
    return doc;
  }),
  "huge sizes": docMutator((doc, rng) => {
    const sizes = doc.sizes as number[];
    if (rng.below(5) === 0) doc.sizes = Array.from({ length: 1 + rng.below(100000) }, () => 1);
    else sizes[rng.below(sizes.length)] = pick(rng, [2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e300, 1e6, 1e8, 1e9, -5, 0, 3.5]);
    return doc;
  }),
  "deep nesting": {
    mutate(files, rng) {
      const depth = pick(rng, [5, 17, 100, 10000, 200000]);
      const key = pick(rng, ["sizes", "weights", "biases", "cost", "extra"]);
      const doc = JSON.parse(text(files)) as Doc;
      delete doc[key];
      const body = JSON.stringify(doc).slice(1);
      return withText(files, `{"${key}": ${"[".repeat(depth)}${"]".repeat(depth)},${body}`);
    },
  },
  "truncated text": { mutate: (files, rng) => withText(files, text(files).slice(0, rng.below(text(files).length))) },
  "byte noise": {
    mutate(files, rng) {
      const b = Buffer.from(files["model.json"] as Uint8Array);
      for (let k = 1 + rng.below(4); k > 0; k--) b[rng.below(b.length)] = pick(rng, [0x00, 0x07, 0x0a, 0x1b, 0x22, 0x5b, 0x5d, 0x7b, 0xff, 0xc3, rng.below(256)]);
      return withText(files, b);
    },
  },
  "padding": { mutate: (files, rng) => withText(files, text(files).replace(/}$/, `${" ".repeat(pick(rng, [1000, 3_000_000]))}}`)) },
  "odd number text": {
    mutate(files, rng) {
      const t = text(files);
      const numbers = [...t.matchAll(/-?\d+\.\d+(e-?\d+)?/g)];
      const m = pick(rng, numbers);
      const odd = pick(rng, ["1e999", "-1e999", "NaN", "Infinity", "0x10", "1".padEnd(5000, "0"), "1e-400", "--1", ".5", "1.", "01"]);
      return withText(files, t.slice(0, m.index) + odd + t.slice((m.index as number) + m[0].length));
    },
  },
  "hostile cost text": docMutator((doc, rng) => {
    doc.cost = pick(rng, ["\u001b[31mEvil\u001b[0m\nCost\u0007", "x".repeat(100000), "\u202eTSOC", "Quadratic\u0000Cost"]);
    return doc;
  }),
  "duplicate sizes": {
    mutate: (files, rng) => withText(files, `{"sizes": [${pick(rng, ["1000000, 1000000, 10", "16, 3, 10", "2, 2"])}], ${text(files).slice(1)}`),
  },
  "not an object": { mutate: (files, rng) => withText(files, pick(rng, ["", "[]", "null", "42", '"sizes"', "\ufeff{}", "{", "}", "[[[["])) },
  "binary garbage": { mutate: (files, rng) => withText(files, randomBytes(rng, 1 + rng.below(4096))) },
};

export const FORMATS: readonly FuzzFormat[] = [
  { name: "idx", honest: honestCase, args: evaluate, mutators: idxMutators },
  { name: "model-json", honest: honestCase, args: evaluate, mutators: modelMutators },
  safetensorsFormat,
  checkpointFormat,
];
