// A checkpoint holds everything a run needs to go on as if it had never
// stopped: the network, the generator, the SGD loop's state (sgd.ts), the best
// network when one is kept, and the options the run was started with. The
// file is one line of JSON naming the format and the SHA-256 of the rest,
// then the content as JSON; parameters and the training order are base64 of
// their little-endian bytes, so every bit comes back. A file that is cut
// short or altered fails the checksum before its content is parsed.
import { createHash } from "node:crypto";
import { getHeapStatistics } from "node:v8";
import { DataError } from "../errors.js";
import type { Alloc } from "../kernel/arena.js";
import { formatBytes } from "../memory.js";
import { excerpt, printable } from "../text.js";
import { COST_NAMES, type CostName } from "./costs.js";
import { bytesOutsideStrings, readParsableFile } from "./model-precheck.js";
import { Network, shapeText } from "./network.js";
import { checkFitsArena, exactBytes, parameterBytes, storedArchitecture } from "./stored-architecture.js";
import type { Shape } from "../layers/layer.js";
import type { RngState } from "./rng.js";
import type { EpochRecord, SgdState, TestAtBest } from "./sgd.js";

const FORMAT = "mnist-train-checkpoint";
/** Raised when what a checkpoint holds changes meaning; older files are then refused by name. */
export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  /** The tool's version that wrote it (for the reader's messages). */
  version: string;
  /** The run's options: `typed` as typed, `resolved` as the JSON config record shows them. */
  config: Record<string, unknown>;
  inputs: number;
  shape: Shape;
  layers: string;
  cost: CostName;
  rng: RngState;
  state: SgdState;
  network: Network;
  bestNetwork?: Network;
}

export function encodeCheckpoint(c: Checkpoint): string {
  const { state } = c;
  const content = JSON.stringify({
    version: c.version,
    config: c.config,
    inputs: c.inputs,
    shape: shapeText(c.shape),
    layers: c.layers,
    cost: c.cost,
    rng: c.rng,
    state: { ...state, order: base64U32(state.order) },
    network: base64F64(parameters(c.network)),
    bestNetwork: c.bestNetwork ? base64F64(parameters(c.bestNetwork)) : null,
  });
  const head = JSON.stringify({ format: FORMAT, formatVersion: CHECKPOINT_VERSION, sha256: sha256(content) });
  return `${head}\n${content}`;
}

/** The first line is short: a longer one is not ours. */
const MAX_HEAD_LINE = 1000;
/** JSON.parse was measured at up to 17 bytes of heap per byte of structure (numbers, lists, objects); a string costs about its length. */
const HEAP_PER_STRUCTURE_BYTE = 20;
const HEAP_PER_STRING_BYTE = 3;

/**
 * Reads and checks a checkpoint file. Its length is judged before it is read:
 * even a checkpoint of base64 text must fit in a string and its parse in the heap.
 */
export function readCheckpoint(file: string, alloc: Alloc): Checkpoint {
  return decodeCheckpoint(readParsableFile(file, HEAP_PER_STRING_BYTE), file, alloc);
}

/** Parses and checks a checkpoint; `source` names the file in errors. Networks are made in `alloc`. */
function decodeCheckpoint(bytes: Uint8Array, source: string, alloc: Alloc): Checkpoint {
  const bad = (what: string): DataError => new DataError(`${source}: ${what}`);
  const newline = bytes.subarray(0, MAX_HEAD_LINE).indexOf(0x0a);
  let head: unknown;
  try {
    head = JSON.parse(Buffer.from(bytes.subarray(0, newline < 0 ? Math.min(bytes.length, 200) : newline)).toString("utf8"));
  } catch {
    // not ours: said below
  }
  if (!isObject(head) || head.format !== FORMAT) throw bad("not a checkpoint of mnist-train (its first line does not name the format)");
  if (head.formatVersion !== CHECKPOINT_VERSION) {
    throw bad(`a checkpoint of format version ${excerpt(head.formatVersion)}, but this mnist-train reads version ${CHECKPOINT_VERSION}`);
  }
  const contentBytes = bytes.subarray(newline + 1);
  const content = Buffer.from(contentBytes).toString("utf8");
  if (sha256(content) !== head.sha256) throw bad("the checksum does not match the content: the file is truncated or altered");
  // the checksum vouches for the bytes, not for the writer: everything is checked, the sizes before anything is allocated
  const structure = bytesOutsideStrings(contentBytes);
  const heap = structure * HEAP_PER_STRUCTURE_BYTE + (contentBytes.length - structure) * HEAP_PER_STRING_BYTE;
  const limit = getHeapStatistics().heap_size_limit;
  if (heap > limit) {
    throw bad(`its ${formatBytes(structure)} of JSON outside strings may take ${formatBytes(heap)} of JavaScript heap to parse, more than the ${formatBytes(limit)} limit`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch (e) {
    throw bad(`its content is not JSON (${printable((e as Error).message, 100)})`);
  }
  if (!isObject(doc)) throw bad(`its content is ${excerpt(doc)}, expected a JSON object`);
  const architecture = storedArchitecture({ inputs: doc.inputs, shape: doc.shape, layers: doc.layers }, bad);
  if (!(COST_NAMES as unknown[]).includes(doc.cost)) throw bad(`"cost" is ${excerpt(doc.cost)}, expected one of ${COST_NAMES.join(", ")}`);
  // the parameters' size: layers declared far larger than the file are refused by what they would cost
  const needed = parameterBytes(architecture);
  for (const key of ["network", "bestNetwork"]) {
    const v = doc[key];
    if (key === "bestNetwork" && (v === null || v === undefined)) continue;
    if (typeof v !== "string" || base64Bytes(v) !== needed) {
      throw bad(`"${key}" holds ${typeof v === "string" ? exactBytes(base64Bytes(v)) : excerpt(v)}, but the layers "${printable(String(doc.layers), 100)}" take ${exactBytes(needed)} of parameters`);
    }
  }
  checkFitsArena(needed, architecture, bad);
  const state = doc.state;
  const rng = doc.rng;
  if (!isObject(doc.config) || !isObject(state) || !isObject(rng)) throw bad("lacks its config, state or generator");
  const words = rng.s;
  if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) ||
    !(rng.spare === null || Number.isFinite(rng.spare))) throw bad("the generator's state is malformed");
  const epoch = state.epoch;
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 1 || !Array.isArray(state.epochs) || state.epochs.length !== epoch) {
    throw bad(`the state holds ${excerpt(epoch)} epochs but ${Array.isArray(state.epochs) ? state.epochs.length : "no"} epoch records`);
  }
  state.epochs.forEach((r, i) => checkRecord(r, i + 1, `state.epochs[${i}]`, bad));
  if (state.best !== null && state.best !== undefined) checkRecord(state.best, undefined, "state.best", bad);
  if (state.testAtBest !== null && state.testAtBest !== undefined) checkRecord(state.testAtBest, undefined, "state.testAtBest", bad);
  if (!(isNumber(state.eta) && state.eta > 0) || !(Number.isSafeInteger(state.since) && (state.since as number) >= 0)) throw bad("the schedule's state is malformed");
  if (typeof state.order !== "string") throw bad(`"state.order" is ${excerpt(state.order)}, expected base64 text`);
  const order = fromBase64U32(state.order, "state.order", bad);
  checkPermutation(order, bad);

  const network = new Network(architecture, alloc);
  fillParameters(network, doc.network as string, "network", bad);
  let bestNetwork: Network | undefined;
  if (typeof doc.bestNetwork === "string") {
    bestNetwork = new Network(architecture, alloc);
    fillParameters(bestNetwork, doc.bestNetwork, "bestNetwork", bad);
  }
  return {
    version: printable(String(doc.version), 40), config: doc.config, inputs: architecture.inputs, shape: architecture.shape!,
    layers: doc.layers as string, cost: doc.cost as CostName, rng: rng as unknown as RngState,
    state: {
      epoch: epoch as number, order, eta: state.eta, since: state.since as number, epochs: state.epochs as EpochRecord[],
      best: (state.best ?? undefined) as EpochRecord | undefined, testAtBest: (state.testAtBest ?? undefined) as TestAtBest | undefined,
    },
    network, bestNetwork,
  };
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** An epoch record (or the test's score at the best epoch) as sgd.ts writes it: counts, finite numbers. */
function checkRecord(r: unknown, epoch: number | undefined, name: string, bad: (what: string) => DataError): void {
  const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const ok = isObject(r) && count(r.epoch) && (epoch === undefined || r.epoch === epoch) && count(r.correct) && count(r.total) &&
    (r.correct as number) <= (r.total as number) && isNumber(r.accuracy) &&
    ["eta", "seconds", "evalSeconds", "trainingCost", "trainingAccuracy", "evalCost"].every((k) => r[k] === undefined || r[k] === null || isNumber(r[k])) &&
    (r.gradientNorms === undefined || (Array.isArray(r.gradientNorms) && r.gradientNorms.every(isNumber)));
  if (!ok) throw bad(`${name} is ${excerpt(r)}, expected a record of epoch ${epoch ?? "N"} with its counts and scores`);
}

/** The bytes that base64 text of this length decodes to (Buffer.from ignores what is not base64; honest text has no such bytes). */
function base64Bytes(text: string): number {
  return Buffer.byteLength(text, "base64");
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parameters(net: Network): Float64Array[] {
  return net.layers.flatMap((l) => [l.weight, l.bias]);
}

function base64F64(arrays: Float64Array[]): string {
  const bytes = Buffer.alloc(8 * arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++, at += 8) bytes.writeDoubleLE(a[i], at);
  return bytes.toString("base64");
}

function fillParameters(net: Network, text: string, name: string, bad: (what: string) => DataError): void {
  const bytes = Buffer.from(text, "base64");
  const arrays = parameters(net);
  const want = 8 * arrays.reduce((n, a) => n + a.length, 0);
  if (bytes.length !== want) throw bad(`"${name}" holds ${bytes.length} bytes, but its layers need ${want}`);
  let at = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++, at += 8) {
      const v = bytes.readDoubleLE(at);
      if (!Number.isFinite(v)) throw bad(`"${name}" holds ${v}, expected finite numbers`);
      a[i] = v;
    }
  }
}

function base64U32(a: Uint32Array): string {
  const bytes = Buffer.alloc(4 * a.length);
  for (let i = 0; i < a.length; i++) bytes.writeUInt32LE(a[i], 4 * i);
  return bytes.toString("base64");
}

function fromBase64U32(text: string, name: string, bad: (what: string) => DataError): Uint32Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 4) throw bad(`"${name}" is not a list of 32-bit integers`);
  return Uint32Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32LE(4 * i));
}

/** The training order must hold each example once: anything else would read outside the data. */
function checkPermutation(order: Uint32Array, bad: (what: string) => DataError): void {
  const seen = new Uint8Array(order.length);
  for (const e of order) {
    if (e >= order.length || seen[e]) throw bad("the training order is not a permutation of the training examples");
    seen[e] = 1;
  }
}
