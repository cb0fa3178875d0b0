// Fuzzed checkpoints (src/network/checkpoint.ts), read by `mnist-train
// --resume`. Two honest checkpoints are made once by the CLI itself (a
// 16-3-10 sigmoid network, and a conv, dropout and softmax network scored on
// validation) on a small data set that every case resumes on. Mutators damage
// the bytes (caught by the checksum), or edit the content and reseal it with
// a valid checksum, so that the checks behind the checksum are reached.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../../src/network/rng.js";
import { sparse, type CaseFiles, type FuzzFormat, type Mutator } from "./harness.js";
import { DEEP, honestCase, ODD_VALUES, withDeep, pick, randomBytes } from "./honest.js";

const FILE = "run.ckpt";
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../bin/mnist-train.js");
const RUNS = [
  ["--sizes", "16,3,10", "--validation-size", "10", "--monitor", "training-cost,eval-accuracy"],
  ["--layers", "conv:2:3x3:pool=2:relu,fc:5:tanh:dropout=0.2,softmax:10", "--validation-size", "10", "--eval", "validation"],
];
const honestFiles: Uint8Array[] = [];

/** Makes the honest checkpoints with the built CLI, on a data set in `root` that the cases' checkpoints name. */
function prepare(root: string): void {
  const data = path.join(root, "checkpoint-data");
  fs.mkdirSync(data, { recursive: true });
  const { "model.json": _, ...idx } = honestCase(new Rng(1));
  for (const [name, bytes] of Object.entries(idx)) fs.writeFileSync(path.join(data, name), bytes);
  honestFiles.length = 0;
  RUNS.forEach((args, i) => {
    const file = path.join(data, `${i}.ckpt`);
    execFileSync(process.execPath, [BIN, "--data-dir", data, ...args, "--epochs", "1", "--kernel", "js", "--threads", "1", "--checkpoint", file, "--quiet"], {
      stdio: "ignore", env: { ...process.env, NO_COLOR: "1" },
    });
    honestFiles.push(fs.readFileSync(file));
  });
}

const honest = (rng: Rng): CaseFiles => ({ [FILE]: pick(rng, honestFiles) });

// ---- the file's parts

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a checkpoint's content, edited freely

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function parts(files: CaseFiles): { head: Doc; doc: Doc } {
  const text = Buffer.from(files[FILE] as Uint8Array).toString("utf8");
  const nl = text.indexOf("\n");
  return { head: JSON.parse(text.slice(0, nl)) as Doc, doc: JSON.parse(text.slice(nl + 1)) as Doc };
}

/** A checkpoint of this content (JSON text, or a document) with a valid checksum. */
function sealed(head: Doc, content: Doc | string): Buffer {
  const text = typeof content === "string" ? content : JSON.stringify(content);
  return Buffer.from(`${JSON.stringify({ ...head, sha256: sha256(text) })}\n${text}`);
}

const withFile = (files: CaseFiles, bytes: Uint8Array): CaseFiles => ({ ...files, [FILE]: bytes });
const bytesMutator = (edit: (b: Buffer, rng: Rng) => Uint8Array): Mutator => ({ mutate: (files, rng) => withFile(files, edit(Buffer.from(files[FILE] as Uint8Array), rng)) });
/** Edits the content and reseals it: what the checksum cannot catch, the content checks must. */
const resealed = (edit: (doc: Doc, rng: Rng) => Doc | string | void): Mutator => ({
  mutate(files, rng) {
    const { head, doc } = parts(files);
    return withFile(files, sealed(head, edit(doc, rng) ?? doc));
  },
});

const nested = (depth: number): unknown => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);
const u32Base64 = (values: number[]): string => {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
  return b.toString("base64");
};
const orderOf = (doc: Doc): number[] => {
  const b = Buffer.from(doc.state.order as string, "base64");
  return Array.from({ length: b.length / 4 }, (_, i) => b.readUInt32LE(4 * i));
};
const record = (doc: Doc): Doc => doc.state.epochs[0] as Doc;

const mutators: Record<string, Mutator> = {
  "honest": { mutate: (files) => files, exit: 0 },
  "truncate": bytesMutator((b, rng) => b.subarray(0, rng.below(b.length))),
  "byte flips": bytesMutator((b, rng) => {
    for (let k = 1 + rng.below(4); k > 0; k--) b[rng.below(b.length)] = rng.below(256);
    return b;
  }),
  "append": bytesMutator((b, rng) => Buffer.concat([b, pick(rng, [randomBytes(rng, 1 + rng.below(64)), Buffer.from("\n"), Buffer.from(" ")])])),
  "first line": {
    mutate(files, rng) {
      const { head, doc } = parts(files);
      const content = JSON.stringify(doc);
      const edit = rng.below(5);
      if (edit === 0) head.formatVersion = pick(rng, [0, 2, "1", null, 1.5, -1, 1e308, "\u001b[31m1\u0007", nested(1000), undefined]);
      if (edit === 1) head.format = pick(rng, ["mnist-train", "mnist-train-checkpoint ", null, "\u202ekcehc"]);
      if (edit === 2) head.sha256 = pick(rng, [undefined, null, 0, "", sha256(content).toUpperCase(), nested(10)]);
      if (edit === 3) return withFile(files, Buffer.from(`${" ".repeat(pick(rng, [999, 5000, 2 ** 20]))}${JSON.stringify(head)}\n${content}`));
      if (edit === 4) return withFile(files, Buffer.from(`${JSON.stringify(head)}${pick(rng, ["\r\n", "", "\n\n", " "])}${content}`));
      return withFile(files, Buffer.from(`${JSON.stringify(head)}\n${content}`));
    },
  },
  "text edits, resealed": {
    mutate(files, rng) {
      const { head, doc } = parts(files);
      const b = Buffer.from(JSON.stringify(doc));
      for (let k = 1 + rng.below(3); k > 0; k--) b[rng.below(b.length)] = pick(rng, [0x00, 0x1b, 0x22, 0x2c, 0x5b, 0x7d, 0xff, 0xc3, rng.below(256)]);
      return withFile(files, sealed(head, b.toString("latin1")));
    },
  },
  "missing key, resealed": resealed((doc, rng) => {
    const where = pick(rng, [doc, doc, doc.state, doc.rng, doc.config, record(doc)]);
    delete where[pick(rng, Object.keys(where))];
  }),
  "wrong type, resealed": resealed((doc, rng) => {
    const odd = pick(rng, ODD_VALUES);
    const where = pick(rng, [doc, doc, doc.state, doc.state, doc.rng, record(doc), doc.config]);
    if (rng.below(10) === 0) return pick(rng, ["null", "[]", "42", '"x"', ""]);
    where[pick(rng, Object.keys(where))] = odd;
    return doc;
  }),
  "epochs, resealed": resealed((doc, rng) => {
    const edit = rng.below(4);
    if (edit === 0) doc.state.epoch = pick(rng, [0, -1, 2, 1.5, 2 ** 53, 1e308, 1e6]);
    if (edit === 1) doc.state.epochs = pick(rng, [[], [record(doc), record(doc)], Array(100000).fill(record(doc)), [null], [nested(100)]]);
    if (edit === 2) record(doc)[pick(rng, ["epoch", "correct", "total", "accuracy", "eta", "seconds", "trainingCost", "gradientNorms"])] = pick(rng, [-1, 1e308, 2 ** 53 + 2, "1", null, [1, "x"], 1000, 0.5]);
    if (edit === 3) {
      const n = pick(rng, [2, 1000, 2 ** 31]);
      doc.state.epoch = n;
      doc.state.epochs = Array.from({ length: Math.min(n, 1000) }, (_, i) => ({ ...record(doc), epoch: i + 1 }));
    }
  }),
  "order, resealed": resealed((doc, rng) => {
    const order = orderOf(doc);
    const edit = rng.below(7);
    if (edit === 0) order[rng.below(order.length)] = order[rng.below(order.length)] as number; // a duplicate, perhaps
    if (edit === 1) order[rng.below(order.length)] = pick(rng, [order.length, 2 ** 32 - 1, 2 ** 31]);
    if (edit === 2) order.pop();
    if (edit === 3) order.push(order.length);
    if (edit === 4) doc.state.order = (doc.state.order as string).slice(0, -1 - rng.below(3));
    else if (edit === 5) doc.state.order = pick(rng, ["", "!!!!", "\u001b[2J", "A".repeat(1_000_000), u32Base64(Array.from({ length: 100000 }, (_, i) => i))]);
    else if (edit !== 6) doc.state.order = u32Base64(order);
    else doc.state.order = pick(rng, [null, 42, [0, 1, 2], nested(50)]);
  }),
  "parameters, resealed": resealed((doc, rng) => {
    const key = pick(rng, ["network", "bestNetwork"]);
    const honestText = doc.network as string;
    const b = Buffer.from(honestText, "base64");
    const edit = rng.below(5);
    if (edit === 0) b.writeDoubleLE(pick(rng, [NaN, Infinity, -Infinity]), 8 * rng.below(b.length / 8));
    if (edit <= 1) doc[key] = b.toString("base64");
    if (edit === 2) doc[key] = honestText.slice(0, -1 - rng.below(8));
    if (edit === 3) doc[key] = honestText + pick(rng, ["AAAA", "AAAAAAAAAAA=", "!!", "\n"]);
    if (edit === 4) doc[key] = pick(rng, [42, [honestText], {}, true, "", nested(20)]);
  }),
  // layers far larger than the parameters the file holds: refused by size, before allocating
  "huge layers, resealed": resealed((doc, rng) => {
    const edit = rng.below(3);
    if (edit === 0) doc.layers = pick(rng, ["fc:2000000000,fc:10", "fc:100000000,softmax:10", "fc:300000:relu,softmax:10", "conv:100000000:3x3,fc:10", "fc:9007199254740991,fc:10"]);
    if (edit === 1) [doc.inputs, doc.shape] = pick(rng, [[2 ** 31, "2x32768x32768"], [999999 ** 2, "1x999999x999999"], [2 ** 53, "1x4x4"]]);
    if (edit === 2) doc.network = Buffer.alloc(pick(rng, [8, 8 * 1000000])).toString("base64");
  }),
  "architecture text, resealed": resealed((doc, rng) => {
    const key = pick(rng, ["layers", "shape", "inputs", "cost"]);
    doc[key] = pick(rng, [
      "", "fc:3:\u001b[31mred\u0007,fc:10", "conv:2:9x9,fc:10", "softmax:10,fc:3", "fc:3,fc:10".repeat(3000), "4x4", "1x2x8", "0x4x4", "16",
      16, 784, "quadratic", "log-likelihood", "\u202ecost", DEEP, 1e308, -16,
    ]);
    return withDeep(doc, 100000);
  }),
  "generator, resealed": resealed((doc, rng) => {
    const edit = rng.below(3);
    if (edit === 0) doc.rng.s = pick(rng, [[1, 2, 3], [1, 2, 3, 4, 5], [-1, 0, 0, 0], [2 ** 32, 0, 0, 0], [0.5, 0, 0, 0], "1,2,3,4", [0, 0, 0, 0]]);
    if (edit === 1) doc.rng.spare = pick(rng, ["0.5", NaN, {}, [], 1e308]);
    if (edit === 2) doc.rng = pick(rng, [null, [], { s: null }]);
  }),
  "options, resealed": resealed((doc, rng) => {
    const typed = doc.config.typed as Doc;
    const edit = rng.below(4);
    if (edit === 0) typed[pick(rng, Object.keys(typed))] = pick(rng, ["abc", "", "-1", "1e999", "\u001b[31mred", "x".repeat(10000), 42, null, {}, DEEP, true]);
    if (edit === 1) typed[pick(rng, ["eta", "epochs", "batchSize", "sizes", "layers", "kernel", "eval", "seed", "monitor", "etaSchedule", "preset", "trainSize", "lambda"])] =
      pick(rng, ["0", "abc", "16,3", "gpu", "ch1", "fc:1000000000,fc:10", "4294967296", "999999999", "training-cost,oops", "halve:0"]);
    if (edit === 2) doc.config.typed = pick(rng, [null, [], "x", nested(50), { sizes: "16,3,10", layers: "fc:10" }]);
    if (edit === 3) doc.config = pick(rng, [null, [], {}, { typed: {} }]);
    return withDeep(doc, 100000);
  }),
  "schedule and best, resealed": resealed((doc, rng) => {
    const edit = rng.below(3);
    if (edit === 0) doc.state[pick(rng, ["eta", "since"])] = pick(rng, [0, -1, 1e308, "3", null, 2 ** 53, 0.5]);
    if (edit === 1) doc.state.best = pick(rng, [{}, record(doc), { ...record(doc), correct: 1e6 }, "best", [], nested(100)]);
    if (edit === 2) doc.state.testAtBest = pick(rng, [{}, { epoch: 1, correct: -1, total: 20, accuracy: 0 }, "x", { epoch: 1, correct: 1, total: 20, accuracy: NaN }]);
  }),
  "deep nesting, resealed": resealed((doc, rng) => {
    pick(rng, [doc, doc.state, doc.config, doc.rng])[pick(rng, ["extra", "epochs", "typed", "s", "layers"])] = DEEP;
    return withDeep(doc, pick(rng, [17, 1000, 100000]));
  }),
  "binary garbage": { mutate: (files, rng) => withFile(files, randomBytes(rng, 1 + rng.below(4096))) },
  // a file far larger than memory (a hole costs no disk): refused by its length before it is read
  "file larger than memory": { mutate: (files, rng) => withFile(files, sparse(files[FILE] as Uint8Array, pick(rng, [2 ** 30, 2 ** 33, 2 ** 40]))) },
};

export const checkpointFormat: FuzzFormat = {
  name: "checkpoint",
  honest,
  prepare,
  // written to another file, so that a case that runs twice (batched, then alone) resumes from the same one
  args: (dir) => ["--resume", `${dir}/${FILE}`, "--epochs", "2", "--checkpoint", `${dir}/next.ckpt`, "--threads", "1", "--no-color"],
  mutators,
};
