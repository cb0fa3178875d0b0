// The evaluation pass shared by every engine and by the confusion matrix:
// feed examples forward chunk by chunk, count (true digit, predicted digit)
// pairs and, when asked, sum the cost.
import { argmaxRows } from "../kernel/elementwise.js";
import type { Dataset } from "../data/dataset.js";
import { gatherRange } from "../data/batch.js";
import type { Backprop } from "./backprop.js";
import type { Cost } from "./costs.js";

/**
 * Scores examples [e0, e1) of ds in chunks of the workspace's capacity:
 * counts[t·n + p] += 1 for each example of label t predicted as p (n =
 * outputs). Returns Σ C_x, or 0 without a cost. `predicted` holds capacity
 * bytes of scratch; `all`, when given, receives every example's prediction.
 */
export function scoreRange(
  bp: Backprop, predicted: Uint8Array, ds: Dataset, e0: number, e1: number, counts: Uint32Array, cost?: Cost, all?: Uint8Array,
): number {
  const { ws } = bp;
  const n = bp.net.outputs;
  const A = ws.output;
  let costSum = 0;
  for (let s = e0; s < e1; s += ws.capacity) {
    const m = Math.min(ws.capacity, e1 - s);
    gatherRange(ds, s, m, ws.input, 0, ws.labels);
    bp.run(bp.infer, m);
    argmaxRows(m, n, A, 0, n, predicted);
    all?.set(predicted.subarray(0, m), s);
    for (let i = 0; i < m; i++) {
      counts[ws.labels[i] * n + predicted[i]]++;
      if (cost) costSum += cost.fn(n, A, i * n, ws.labels[i]);
    }
  }
  return costSum;
}

/** The diagonal of an n x n count matrix: the examples predicted right. */
export function trace(counts: Uint32Array, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += counts[t * n + t];
  return s;
}
