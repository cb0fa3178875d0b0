// Fuzzed safetensors models (src/network/safetensors.ts), read by
// `mnist-train evaluate --model`: the 8-byte header length, the JSON header
// (its keys, types, shapes, offsets, dtypes, nesting and encoding), the
// metadata that rebuilds the network (layers, shape, inputs, cost), and the
// tensors' bytes.
import { parseLayers } from "../../src/layers/spec.js";
import type { CostName } from "../../src/network/costs.js";
import { Network } from "../../src/network/network.js";
import type { Rng } from "../../src/network/rng.js";
import { toSafetensors } from "../../src/network/safetensors.js";
import { sparse, type CaseFiles, type FuzzFormat, type Mutator } from "./harness.js";
import { DEEP, honestCase, ODD_VALUES, withDeep, pick, randomBytes, SIDE } from "./honest.js";

const FILE = "model.safetensors";
const ARCHITECTURES: [string, CostName][] = [
  ["conv:2:3x3:pool=2:relu,fc:5:tanh:dropout=0.2,softmax:10", "log-likelihood"],
  ["fc:3:relu,softmax:10", "log-likelihood"],
  ["fc:4:tanh,fc:10", "cross-entropy"],
  ["conv:3:2x2:pool=3:relu,fc:10", "quadratic"],
];
const plain = { f64: (n: number) => new Float64Array(n), u8: (n: number) => new Uint8Array(n) };

function network(layers: string): Network {
  return new Network({ inputs: SIDE * SIDE, shape: { C: 1, H: SIDE, W: SIDE }, layers: parseLayers(layers) }, plain);
}

function honest(rng: Rng): CaseFiles {
  const [layers, cost] = pick(rng, ARCHITECTURES);
  const net = network(layers);
  net.initialise("scaled", rng);
  return { ...honestCase(rng), [FILE]: toSafetensors(net, cost) };
}

// ---- the file's parts

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a header as JSON, edited freely

function parts(files: CaseFiles): { header: Doc; data: Buffer } {
  const b = Buffer.from(files[FILE] as Uint8Array);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString("utf8")) as Doc, data: b.subarray(8 + n) };
}

/** A file of this header and data; the length field says the header's true length unless `length` is given. */
function file(header: Doc | string | Uint8Array, data: Uint8Array, length?: bigint): Buffer {
  const h = header instanceof Uint8Array ? Buffer.from(header) : Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(h.length));
  return Buffer.concat([prefix, h, data]);
}

const withFile = (files: CaseFiles, bytes: Uint8Array): CaseFiles => ({ ...files, [FILE]: bytes });
const bytesMutator = (edit: (b: Buffer, rng: Rng) => Uint8Array): Mutator => ({ mutate: (files, rng) => withFile(files, edit(Buffer.from(files[FILE] as Uint8Array), rng)) });
const headerMutator = (edit: (header: Doc, rng: Rng, data: Buffer) => Doc | string | Uint8Array): Mutator => ({
  mutate(files, rng) {
    const { header, data } = parts(files);
    return withFile(files, file(edit(header, rng, data), data));
  },
});

const tensorKeys = (h: Doc): string[] => Object.keys(h).filter((k) => k !== "__metadata__");
const someTensor = (h: Doc, rng: Rng): Doc => h[pick(rng, tensorKeys(h))] as Doc;

/** Header entries for `layers` laid out as toSafetensors would (shapes and offsets consistent, whatever their size). */
function consistentTensors(layers: string): Doc {
  const skeleton = new Network({ inputs: SIDE * SIDE, shape: { C: 1, H: SIDE, W: SIDE }, layers: parseLayers(layers) }, { f64: () => new Float64Array(0), u8: () => new Uint8Array(0) });
  const out: Doc = {};
  let at = 0;
  skeleton.layers.forEach((l, i) => {
    for (const [name, shape] of [[`layers.${i}.weight`, [...l.weightShape]], [`layers.${i}.bias`, [l.spec.size]]] as const) {
      const bytes = 8 * shape.reduce((a, b) => a * b, 1);
      out[name] = { dtype: "F64", shape, data_offsets: [at, at + bytes] };
      at += bytes;
    }
  });
  return out;
}

const HUGE_LAYERS = [
  "fc:2000000000,softmax:10", "fc:2000000,softmax:10", "fc:300000:relu,softmax:10", "fc:100000,fc:100000,softmax:10",
  "conv:100000000:3x3:pool=2,fc:10", "conv:2:3x3,fc:9007199254740991", "fc:1000000:relu:dropout=0.5,fc:10",
];
const UNFIT_LAYERS = [
  "conv:2:5x5,fc:10", "conv:2:3x3:pool=3,fc:10", "conv:2:1000x1000,fc:10", "conv:2:3x3,conv:2:3x3,conv:2:3x3,fc:10",
  "conv:2:0x3,fc:10", "conv:2:3x3:pool=16,fc:10", "conv:2:2x2,conv:2:2x2,conv:2:2x2,conv:2:2x2,fc:10",
];
const GARBAGE_LAYERS = [
  "", ",,,", "fc:0,softmax:10", "softmax:10,fc:3", "fc:3:\u001b[31mred\u0007,softmax:10", "fc:3,softmax:10".repeat(5000),
  "fc:3:relu:dropout=NaN,softmax:10", "fc:1e9,softmax:10", "fc:9007199254740993,softmax:10", "fc:-3,fc:10", "conv:2:3x3",
  "fc:3:relu:relu,softmax:10", "\u202efc:3,softmax:10", "fc:3,softmax:10\n", "fc:3:dropout=1,softmax:10", "fc:10", "softmax:10",
];
const NON_FINITE = [NaN, Infinity, -Infinity, -0, 1e308, 5e-324];

const mutators: Record<string, Mutator> = {
  "honest": { mutate: (files) => files, exit: 0 },
  "header length": bytesMutator((b, rng) => {
    const n = b.readBigUInt64LE(0);
    const len = BigInt(b.length);
    b.writeBigUInt64LE(pick(rng, [0n, 1n, n - 1n, n + 1n, n + 8n, len - 8n, len - 7n, len, 2n ** 32n, 2n ** 47n, 2n ** 48n - 1n, 2n ** 63n, BigInt(rng.u32())]));
    return b;
  }),
  "truncate": bytesMutator((b, rng) => b.subarray(0, rng.below(b.length))),
  "append": bytesMutator((b, rng) => Buffer.concat([b, randomBytes(rng, 1 + rng.below(64))])),
  "data byte flips": {
    mutate(files, rng) {
      const { header, data } = parts(files);
      for (let k = 1 + rng.below(4); k > 0; k--) data[rng.below(data.length)] = rng.below(256);
      return withFile(files, file(header, data));
    },
  },
  "non-finite values": {
    mutate(files, rng) {
      const { header, data } = parts(files);
      data.writeDoubleLE(pick(rng, NON_FINITE), 8 * rng.below(data.length / 8));
      return withFile(files, file(header, data));
    },
  },
  "missing key": headerMutator((h, rng) => {
    const where = rng.below(3);
    if (where === 0) delete h[pick(rng, Object.keys(h))];
    else if (where === 1) delete h.__metadata__[pick(rng, ["format", "inputs", "shape", "layers", "cost"])];
    else delete someTensor(h, rng)[pick(rng, ["dtype", "shape", "data_offsets"])];
    return h;
  }),
  "extra key": headerMutator((h, rng) => {
    const info = structuredClone(someTensor(h, rng));
    const name = pick(rng, [`layers.${tensorKeys(h).length / 2}.weight`, "layers.0.gamma", "\u001b[2Jevil\u202e\nname", "__proto__", "x".repeat(100000), "layers.00.bias"]);
    if (rng.below(4) === 0) someTensor(h, rng).extra = pick(rng, ODD_VALUES);
    else if (rng.below(3) === 0) h.__metadata__[name] = "1";
    else h[name] = info;
    return h;
  }),
  "wrong type": headerMutator((h, rng) => {
    const odd = pick(rng, ODD_VALUES);
    const where = rng.below(5);
    if (where === 0) h[pick(rng, Object.keys(h))] = odd;
    else if (where === 1) h.__metadata__[pick(rng, ["format", "inputs", "shape", "layers", "cost"])] = odd;
    else if (where === 2) someTensor(h, rng)[pick(rng, ["dtype", "shape", "data_offsets"])] = odd;
    else {
      const arr = someTensor(h, rng)[where === 3 ? "shape" : "data_offsets"] as unknown[];
      arr[rng.below(arr.length)] = odd;
    }
    return rng.below(8) === 0 ? pick(rng, ["null", "[]", "42", '"x"', "{}"]) : h;
  }),
  "huge shape": headerMutator((h, rng) => {
    const t = someTensor(h, rng);
    if (rng.below(4) === 0) t.shape = pick(rng, [[], [1, 1, 1, 1, 1, 1, 1], Array(100000).fill(1), [2 ** 31, 2 ** 31]]);
    else (t.shape as number[])[rng.below(t.shape.length)] = pick(rng, [2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e300, -1, 0, 3.5, 2 ** 64]);
    return h;
  }),
  "data offsets": headerMutator((h, rng, data) => {
    const t = someTensor(h, rng);
    const [s, e] = t.data_offsets as number[];
    t.data_offsets = pick(rng, [
      [-8, e], [s - 8, e - 8], [s + 8, e + 8], [e, s], [s, s], [0, data.length], [data.length, data.length + e - s],
      [2 ** 64, 2 ** 64 + e - s], [0.5, e], [s, e, e], [s], [2 ** 53, 2 ** 53 + 8], [0, 2 ** 63],
    ]);
    return h;
  }),
  "dtype": headerMutator((h, rng) => {
    someTensor(h, rng).dtype = pick(rng, ["F32", "F16", "BF16", "I64", "U8", "f64", "", "F64 ", "\u001b[31mF64\u0007", "F".repeat(10000)]);
    return h;
  }),
  "deep nesting": headerMutator((h, rng) => {
    const depth = pick(rng, [5, 100, 10000, 100000]);
    const where = rng.below(4);
    if (where === 0) h.__metadata__[pick(rng, ["inputs", "shape", "layers", "cost", "format"])] = DEEP;
    else if (where === 1) someTensor(h, rng)[pick(rng, ["shape", "data_offsets", "dtype"])] = DEEP;
    else if (where === 2) h[pick(rng, Object.keys(h))] = DEEP;
    return withDeep(where === 3 ? DEEP : h, depth);
  }),
  "non-UTF-8 header": headerMutator((h, rng) => {
    const text = Buffer.from(JSON.stringify(h));
    const strings = [...text.toString("latin1").matchAll(/"[^"]*"/g)];
    const at = (pick(rng, strings).index as number) + 1;
    const bad = Buffer.from(pick(rng, [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0x00], [0x1b]]));
    return Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]);
  }),
  "layers garbage": headerMutator((h, rng) => {
    h.__metadata__.layers = pick(rng, GARBAGE_LAYERS);
    return h;
  }),
  "layers that do not fit": headerMutator((h, rng) => {
    h.__metadata__.layers = pick(rng, UNFIT_LAYERS);
    return h;
  }),
  // the header is consistent with the huge layers it names; the data is the honest file's: refused by size, before allocating
  "huge layers": headerMutator((h, rng) => {
    const layers = pick(rng, HUGE_LAYERS);
    return { __metadata__: { ...h.__metadata__, layers }, ...consistentTensors(layers) };
  }),
  "shape text": headerMutator((h, rng) => {
    h.__metadata__.shape = pick(rng, ["4x4", "1x4x4x1", "0x4x4", "1x2x8", "16x1x1", "-1x4x4", "1x4x4\n", "999999x999999x999999", 16, "1x4x4 ",
      "\uff11x4x4", "01x04x04", "1e0x4x4", "1x4x4\u001b[2J", "1x1x16", "2x2x4"]);
    return h;
  }),
  "metadata values": headerMutator((h, rng) => {
    const key = pick(rng, ["inputs", "cost", "format"]);
    h.__metadata__[key] = pick(rng, {
      inputs: ["16.0", "1e1", "-16", "0", "9007199254740993", "0x10", " 16", "784", "", "1".repeat(400), "16\u0000"],
      cost: ["quadratic", "cross-entropy", "log-likelihood", "Quadratic", "\u001b[31mcost\u0007", "x".repeat(100000), "CrossEntropyCost"],
      format: ["mnist-train ", "MNIST-TRAIN", "", "\u001b]0;title\u0007", "safetensors"],
    }[key] as string[]);
    return h;
  }),
  "header padding": headerMutator((h, rng) => JSON.stringify(h) + " ".repeat(pick(rng, [1000, 100000, 1024 * 1024, 3 * 1024 * 1024]))),
  "binary garbage": {
    mutate(files, rng) {
      const b = Buffer.from(randomBytes(rng, 8 + rng.below(4096)));
      b[6] = 0;
      b[7] = 0;
      return withFile(files, b);
    },
  },
  // a file far larger than memory: the honest header, or one consistent with huge layers, then a hole of that size
  "file larger than memory": {
    mutate(files, rng) {
      const { header, data } = parts(files);
      if (rng.below(2)) return withFile(files, sparse(file(header, data), pick(rng, [2 ** 33, 2 ** 36, 2 ** 40])));
      const layers = pick(rng, ["fc:2000000000,softmax:10", "fc:100000000,fc:10", "fc:30000000,softmax:10"]);
      const tensors = consistentTensors(layers);
      const head = file({ __metadata__: { ...header.__metadata__, layers }, ...tensors }, new Uint8Array(0));
      const dataBytes = Math.max(...Object.values(tensors).map((t) => (t as Doc).data_offsets[1] as number));
      return withFile(files, sparse(head, head.length + dataBytes));
    },
  },
};

export const safetensorsFormat: FuzzFormat = {
  name: "safetensors",
  honest,
  args: (dir) => ["evaluate", "--model", `${dir}/${FILE}`, "--data-dir", dir, "--kernel", "js", "--no-color"],
  mutators,
};
