// The evaluation pass shared by every engine and by the confusion matrix:
// feed examples forward chunk by chunk, count (true digit, predicted digit)
// pairs and, when asked, sum the cost.
import { argmaxRows } from "../kernel/elementwise.js";
import type { Dataset } from "../data/dataset.js";
import { gatherRange } from "../data/batch.js";
import type { Backprop } from "./backprop.js";
import type { Cost } from "./costs.js";

/** The cost is summed over blocks of this many examples (from the set's first), each from 0, and then the
 *  blocks' sums in order: threads that score whole blocks give the total of one thread, bit for bit. */
export const COST_BLOCK = 250;

/** Blocks of COST_BLOCK in a set of `count` examples. */
export const costBlocks = (count: number): number => Math.ceil(count / COST_BLOCK);

/**
 * Scores examples [e0, e1) of ds in chunks of the workspace's capacity:
 * counts[t·n + p] += 1 for each example of label t predicted as p (n =
 * outputs). With a cost, blockSums[b] receives Σ C_x over block b of the set
 * for each block in the range (e0 is a block's first example). `predicted`
 * holds capacity bytes of scratch; `all`, when given, receives every
 * example's prediction.
 */
export function scoreRange(
  bp: Backprop, predicted: Uint8Array, ds: Dataset, e0: number, e1: number, counts: Uint32Array,
  cost?: Cost, blockSums?: Float64Array, all?: Uint8Array,
): void {
  if (cost && e0 % COST_BLOCK !== 0) throw new RangeError(`a scored range with a cost must start a block, not at ${e0}`);
  const { ws } = bp;
  const n = bp.net.outputs;
  const A = ws.output;
  let block = 0;
  for (let s = e0; s < e1; s += ws.capacity) {
    const m = Math.min(ws.capacity, e1 - s);
    gatherRange(ds, s, m, ws.input, 0, ws.labels);
    bp.run(bp.infer, m);
    argmaxRows(m, n, A, 0, n, predicted);
    all?.set(predicted.subarray(0, m), s);
    for (let i = 0; i < m; i++) {
      counts[ws.labels[i] * n + predicted[i]]++;
      if (!cost) continue;
      block += cost.fn(n, A, i * n, ws.labels[i]);
      const e = s + i;
      if ((e + 1) % COST_BLOCK === 0 || e + 1 === e1) {
        blockSums![Math.floor(e / COST_BLOCK)] = block;
        block = 0;
      }
    }
  }
}

/** Σ C_x over a whole set of `count` examples from its block sums, in order. */
export function totalCost(blockSums: Float64Array, count: number): number {
  let sum = 0;
  for (let b = 0; b < costBlocks(count); b++) sum += blockSums[b];
  return sum;
}

/** The diagonal of an n x n count matrix: the examples predicted right. */
export function trace(counts: Uint32Array, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += counts[t * n + t];
  return s;
}
