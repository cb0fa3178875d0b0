// A checkpoint holds everything a run needs to go on as if it had never
// stopped: the network, the generator, the SGD loop's state (sgd.ts), the best
// network when one is kept, and the options the run was started with. The
// file is one line of JSON naming the format and the SHA-256 of the rest,
// then the content as JSON; parameters and the training order are base64 of
// their little-endian bytes, so every bit comes back. A file that is cut
// short or altered fails the checksum before its content is parsed.
import { createHash } from "node:crypto";
import { DataError, UsageError } from "../errors.js";
import type { Alloc } from "../kernel/arena.js";
import { parseLayers } from "../layers/spec.js";
import { COST_NAMES, type CostName } from "./costs.js";
import { architectureProblem, Network, parseShape, shapeText } from "./network.js";
import type { Shape } from "../layers/layer.js";
import type { RngState } from "./rng.js";
import type { EpochRecord, SgdState, TestAtBest } from "./sgd.js";

const FORMAT = "mnist-train-checkpoint";
/** Raised when what a checkpoint holds changes meaning; older files are then refused by name. */
export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  /** The tool's version that wrote it (for the reader's messages). */
  version: string;
  /** The run's resolved training options, as the JSON config record shows them. */
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

/** Parses and checks a checkpoint; `source` names the file in errors. Networks are made in `alloc`. */
export function decodeCheckpoint(bytes: Uint8Array, source: string, alloc: Alloc): Checkpoint {
  const bad = (what: string): DataError => new DataError(`${source}: ${what}`);
  const newline = bytes.indexOf(0x0a);
  let head: Record<string, unknown> | undefined;
  try {
    head = JSON.parse(Buffer.from(bytes.subarray(0, newline < 0 ? Math.min(bytes.length, 200) : newline)).toString("utf8"));
  } catch {
    // not ours: said below
  }
  if (!head || head.format !== FORMAT) throw bad("not a checkpoint of mnist-train (its first line does not name the format)");
  if (head.formatVersion !== CHECKPOINT_VERSION) {
    throw bad(`a checkpoint of format version ${JSON.stringify(head.formatVersion)}, but this mnist-train reads version ${CHECKPOINT_VERSION}`);
  }
  const content = Buffer.from(bytes.subarray(newline + 1)).toString("utf8");
  if (sha256(content) !== head.sha256) throw bad("the checksum does not match the content: the file is truncated or altered");
  const doc = JSON.parse(content) as Record<string, unknown>;
  // the checksum vouches for the bytes, not for the writer: the shapes are checked before anything is allocated
  const inputs = doc.inputs as number;
  if (!Number.isSafeInteger(inputs) || inputs < 1) throw bad(`"inputs" is ${JSON.stringify(doc.inputs)}, expected a positive integer`);
  let layers;
  try {
    layers = parseLayers(String(doc.layers), `"layers"`);
  } catch (e) {
    throw e instanceof UsageError ? bad(e.message) : e;
  }
  if (!(COST_NAMES as unknown[]).includes(doc.cost)) throw bad(`"cost" is ${JSON.stringify(doc.cost)}`);
  const shape = parseShape(String(doc.shape));
  if (!shape || shape.C * shape.H * shape.W !== inputs) throw bad(`"shape" is ${JSON.stringify(doc.shape)}, expected CxHxW of ${inputs} inputs`);
  const problem = architectureProblem({ inputs, shape, layers });
  if (problem) throw bad(`its layers cannot be built: ${problem}`);
  const state = doc.state as Record<string, unknown> & SgdState;
  const rng = doc.rng as RngState;
  if (!isObject(doc.config) || !isObject(state) || !isObject(rng)) throw bad("lacks its config, state or generator");
  const words = rng.s;
  if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) ||
    !(rng.spare === null || Number.isFinite(rng.spare))) throw bad("the generator's state is malformed");
  const epoch = state.epoch;
  if (!Number.isSafeInteger(epoch) || epoch < 1 || !Array.isArray(state.epochs) || state.epochs.length !== epoch) {
    throw bad(`the state holds ${JSON.stringify(epoch)} epochs but ${Array.isArray(state.epochs) ? state.epochs.length : "no"} epoch records`);
  }
  if (!(Number.isFinite(state.eta) && state.eta > 0) || !(Number.isSafeInteger(state.since) && state.since >= 0)) throw bad("the schedule's state is malformed");
  const order = fromBase64U32(String(state.order as unknown), "state.order", bad);
  checkPermutation(order, bad);

  const network = new Network({ inputs, shape, layers }, alloc);
  fillParameters(network, String(doc.network), "network", bad);
  let bestNetwork: Network | undefined;
  if (doc.bestNetwork !== null && doc.bestNetwork !== undefined) {
    bestNetwork = new Network({ inputs, shape, layers }, alloc);
    fillParameters(bestNetwork, String(doc.bestNetwork), "bestNetwork", bad);
  }
  return {
    version: String(doc.version), config: doc.config as Record<string, unknown>, inputs, shape, layers: String(doc.layers),
    cost: doc.cost as CostName, rng,
    state: {
      epoch, order, eta: state.eta, since: state.since, epochs: state.epochs as EpochRecord[],
      best: (state.best ?? undefined) as EpochRecord | undefined, testAtBest: (state.testAtBest ?? undefined) as TestAtBest | undefined,
    },
    network, bestNetwork,
  };
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
