// Saved networks in exactly the JSON that network2.py's save() writes, so
// models move both ways between this tool and the book's code:
//   {"sizes": [784, 30, 10], "weights": [layer][n_out][n_in],
//    "biases": [layer][n_out][1], "cost": "QuadraticCost" | "CrossEntropyCost"}
import { DataError } from "../errors.js";
import { Arena } from "../kernel/arena.js";
import { COSTS, type CostName } from "./costs.js";
import { Network } from "./network.js";

export function toBookJson(net: Network, cost: CostName): string {
  const { sizes } = net;
  const weights = net.weights.map((w, l) =>
    Array.from({ length: sizes[l + 1] }, (_, j) => Array.from(w.subarray(j * sizes[l], (j + 1) * sizes[l]))),
  );
  const biases = net.biases.map((b) => Array.from(b, (v) => [v]));
  return JSON.stringify({ sizes, weights, biases, cost: COSTS[cost].bookName });
}

export interface LoadedModel {
  network: Network;
  cost: CostName;
}

/** Parses and checks a saved network; `source` names the file in errors. */
export function fromBookJson(text: string, source: string, arena: Arena): LoadedModel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataError(`${source}: not JSON (${(e as Error).message})`);
  }
  const bad = (what: string): DataError => new DataError(`${source}: ${what}`);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw bad("expected a JSON object with keys sizes, weights, biases, cost");
  const { sizes, weights, biases, cost } = doc as Record<string, unknown>;
  for (const [key, v] of Object.entries({ sizes, weights, biases, cost })) if (v === undefined) throw bad(`missing key "${key}"`);
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isSafeInteger(s) && s > 0)) {
    throw bad(`"sizes" must be a list of at least two positive integers, got ${JSON.stringify(sizes)}`);
  }
  const costName = (Object.keys(COSTS) as CostName[]).find((c) => COSTS[c].bookName === cost);
  if (!costName) throw bad(`"cost" is ${JSON.stringify(cost)}, expected "QuadraticCost" or "CrossEntropyCost"`);
  const network = new Network(sizes as number[], arena);
  const L = network.layers;
  if (!Array.isArray(weights) || weights.length !== L) throw bad(`"weights" must hold ${L} layers`);
  if (!Array.isArray(biases) || biases.length !== L) throw bad(`"biases" must hold ${L} layers`);
  for (let l = 0; l < L; l++) {
    const nIn = network.sizes[l];
    const nOut = network.sizes[l + 1];
    fillMatrix(weights[l], nOut, nIn, network.weights[l], `weights[${l}]`, bad);
    fillMatrix(biases[l], nOut, 1, network.biases[l], `biases[${l}]`, bad);
  }
  return { network, cost: costName };
}

/** Copies a rows x cols list of lists of finite numbers into `out`, or says where it is wrong. */
function fillMatrix(
  v: unknown, rows: number, cols: number, out: Float64Array, name: string, bad: (what: string) => DataError,
): void {
  if (!Array.isArray(v) || v.length !== rows) throw bad(`${name} must be a list of ${rows} rows`);
  v.forEach((row: unknown, j) => {
    if (!Array.isArray(row) || row.length !== cols) throw bad(`${name}[${j}] must be a list of ${cols} numbers`);
    row.forEach((x: unknown, i) => {
      if (typeof x !== "number" || !Number.isFinite(x)) throw bad(`${name}[${j}][${i}] is ${JSON.stringify(x)}, expected a finite number`);
      out[j * cols + i] = x;
    });
  });
}
