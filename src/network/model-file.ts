// Saved networks in exactly the JSON that network2.py's save() writes, so
// models move both ways between this tool and the book's code:
//   {"sizes": [784, 30, 10], "weights": [layer][n_out][n_in],
//    "biases": [layer][n_out][1], "cost": "QuadraticCost" | "CrossEntropyCost"}
import { DataError } from "../errors.js";
import type { Alloc } from "../kernel/arena.js";
import { excerpt, printable } from "../text.js";
import { COSTS, type CostName } from "./costs.js";
import { Network } from "./network.js";
import { fromSafetensors, looksLikeSafetensors, toSafetensors } from "./safetensors.js";

export type ModelFormat = "network2-json" | "safetensors";

/** network2.py's JSON for the book's networks (sigmoid layers, its two costs), safetensors for every other. */
export function formatFor(net: Network, cost: CostName): ModelFormat {
  return net.isBookNetwork && COSTS[cost].bookName ? "network2-json" : "safetensors";
}

export function modelBytes(net: Network, cost: CostName, format: ModelFormat = formatFor(net, cost)): string | Uint8Array {
  return format === "network2-json" ? toBookJson(net, cost) : toSafetensors(net, cost);
}

/** A saved model of either format, told apart by its first byte. */
export function fromModelBytes(bytes: Uint8Array, source: string, alloc: Alloc): LoadedModel {
  if (looksLikeSafetensors(bytes)) return fromSafetensors(bytes, source, alloc);
  return fromBookJson(new TextDecoder().decode(bytes), source, alloc);
}

export function toBookJson(net: Network, cost: CostName): string {
  const { bookName } = COSTS[cost];
  if (!net.isBookNetwork || !bookName) throw new Error(`network2.py's JSON holds sigmoid networks under its two costs, not ${net.describe()} with ${cost}`);
  const { sizes } = net;
  const weights = net.weights.map((w, l) =>
    Array.from({ length: sizes[l + 1] }, (_, j) => Array.from(w.subarray(j * sizes[l], (j + 1) * sizes[l]))),
  );
  const biases = net.biases.map((b) => Array.from(b, (v) => [v]));
  return JSON.stringify({ sizes, weights, biases, cost: bookName });
}

export interface LoadedModel {
  network: Network;
  cost: CostName;
}

/** Parses and checks a saved network; `source` names the file in errors. */
export function fromBookJson(text: string, source: string, arena: Alloc): LoadedModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${source}: not JSON (${printable((e as Error).message, 100)})`);
  }
  const bad = (what: string): DataError => new DataError(`${source}: ${what}`);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw bad("expected a JSON object with keys sizes, weights, biases, cost");
  const { sizes, weights, biases, cost } = doc as Record<string, unknown>;
  for (const [key, v] of Object.entries({ sizes, weights, biases, cost })) if (v === undefined) throw bad(`missing key "${key}"`);
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw bad(`"sizes" must be a list of at least two positive integers, got ${excerpt(sizes)}`);
  }
  const costName = (Object.keys(COSTS) as CostName[]).find((c) => COSTS[c].bookName === cost);
  if (!costName) throw bad(`"cost" is ${excerpt(cost)}, expected "QuadraticCost" or "CrossEntropyCost"`);
  const L = sizes.length - 1;
  if (!Array.isArray(weights) || weights.length !== L) throw bad(`"weights" must hold ${L} layers`);
  if (!Array.isArray(biases) || biases.length !== L) throw bad(`"biases" must hold ${L} layers`);
  // check every shape before allocating, so a huge "sizes" cannot ask for memory the file does not hold
  for (let l = 0; l < L; l++) {
    checkShape(weights[l], sizes[l + 1], sizes[l], `weights[${l}]`, bad);
    checkShape(biases[l], sizes[l + 1], 1, `biases[${l}]`, bad);
  }
  const network = new Network(sizes as number[], arena);
  for (let l = 0; l < L; l++) {
    fillMatrix(weights[l] as unknown[][], network.weights[l], `weights[${l}]`, bad);
    fillMatrix(biases[l] as unknown[][], network.biases[l], `biases[${l}]`, bad);
  }
  return { network, cost: costName };
}

/** Says where `v` is not a list of `rows` lists of `cols` entries. */
function checkShape(v: unknown, rows: number, cols: number, name: string, bad: (what: string) => DataError): void {
  if (!Array.isArray(v) || v.length !== rows) throw bad(`${name} must be a list of ${rows} rows`);
  v.forEach((row: unknown, j) => {
    if (!Array.isArray(row) || row.length !== cols) throw bad(`${name}[${j}] must be a list of ${cols} numbers`);
  });
}

/** Copies a checked list of rows into `out`, or says which entry is not a finite number. */
function fillMatrix(rows: unknown[][], out: Float64Array, name: string, bad: (what: string) => DataError): void {
  rows.forEach((row, j) => {
    row.forEach((x, i) => {
      if (typeof x !== "number" || !Number.isFinite(x)) throw bad(`${name}[${j}][${i}] is ${excerpt(x)}, expected a finite number`);
      out[j * row.length + i] = x;
    });
  });
}
