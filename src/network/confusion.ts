// Which digit the network predicts for each true digit, counted over a whole
// dataset in one pass that also sums the cost. Accuracy and per-class
// accuracy follow from the counts, so they need no pass of their own.
import { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import { CLASSES, type Dataset } from "../data/dataset.js";
import { Workspace } from "./backprop.js";
import { scoreRange } from "./score.js";
import type { Cost } from "./costs.js";
import { EVAL_CHUNK, meanCost } from "./engine.js";
import type { Network } from "./network.js";

export interface Confusion {
  /** counts[t * CLASSES + p]: the examples of digit t predicted as p. */
  counts: Uint32Array;
  /** The mean cost per example, without the L2 term. */
  meanCost: number;
}

export interface ClassScore {
  digit: number;
  correct: number;
  total: number;
  /** null when the dataset holds no example of the digit. */
  accuracy: number | null;
}

export function confusionMatrix(kernel: Kernel, network: Network, ds: Dataset, cost: Cost, arena: Arena): Confusion {
  const L = network.layers;
  const nOut = network.sizes[L];
  // a prediction must be a digit, or it would index another row's counts
  if (nOut !== CLASSES) throw new RangeError(`the network has ${nOut} outputs, but there are ${CLASSES} classes`);
  const ws = new Workspace(network.sizes, EVAL_CHUNK, arena);
  const counts = new Uint32Array(CLASSES * CLASSES);
  const costSum = scoreRange(kernel, network, ws, new Uint8Array(EVAL_CHUNK), ds, 0, ds.count, counts, cost);
  return { counts, meanCost: meanCost(costSum, ds.count, 0, network) };
}

/** The counts as one row per true digit (views, no copy). */
export function confusionRows(counts: Uint32Array): Uint32Array[] {
  return Array.from({ length: CLASSES }, (_, t) => counts.subarray(t * CLASSES, (t + 1) * CLASSES));
}

/** Per true digit: its diagonal count over its row's total. */
export function perClass(counts: Uint32Array): ClassScore[] {
  return confusionRows(counts).map((row, digit) => {
    const total = row.reduce((a, b) => a + b, 0);
    const correct = row[digit];
    return { digit, correct, total, accuracy: total ? correct / total : null };
  });
}

export interface Mistake {
  index: number;
  label: number;
  predicted: number;
}

/** The first `limit` examples the network gets wrong, in dataset order (the same pass as the confusion matrix, chunk by chunk). */
export function misclassified(kernel: Kernel, network: Network, ds: Dataset, arena: Arena, limit: number): Mistake[] {
  const ws = new Workspace(network.sizes, EVAL_CHUNK, arena);
  const predicted = new Uint8Array(EVAL_CHUNK);
  const counts = new Uint32Array(CLASSES * CLASSES);
  const wrong: Mistake[] = [];
  for (let s = 0; s < ds.count && wrong.length < limit; s += EVAL_CHUNK) {
    const m = Math.min(EVAL_CHUNK, ds.count - s);
    scoreRange(kernel, network, ws, predicted, ds, s, s + m, counts); // leaves the chunk's predictions in `predicted`
    for (let i = 0; i < m && wrong.length < limit; i++) {
      if (predicted[i] !== ds.labels[s + i]) wrong.push({ index: s + i, label: ds.labels[s + i], predicted: predicted[i] });
    }
  }
  return wrong;
}
