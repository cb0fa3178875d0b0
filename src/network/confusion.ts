// Which digit the network predicts for each true digit, counted over a whole
// dataset in one pass that also sums the cost. Accuracy and per-class
// accuracy follow from the counts, so they need no pass of their own.
import { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import { CLASSES, type Dataset } from "../data/dataset.js";
import { Backprop, convKernelFor, Workspace } from "./backprop.js";
import { costBlocks, scoreRange, totalCost } from "./score.js";
import { quadratic, type Cost } from "./costs.js";
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

/** `predictions`, when given, receives the digit predicted for each example. */
export function confusionMatrix(kernel: Kernel, network: Network, ds: Dataset, cost: Cost, arena: Arena, predictions?: Uint8Array): Confusion {
  const nOut = network.outputs;
  // a prediction must be a digit, or it would index another row's counts
  if (nOut !== CLASSES) throw new RangeError(`the network has ${nOut} outputs, but there are ${CLASSES} classes`);
  const bp = new Backprop(kernel, network, new Workspace(network, EVAL_CHUNK, arena, false), cost, 0, convKernelFor(network, kernel, arena.memory));
  const counts = new Uint32Array(CLASSES * CLASSES);
  const blockSums = new Float64Array(costBlocks(ds.count));
  scoreRange(bp, new Uint8Array(EVAL_CHUNK), ds, 0, ds.count, counts, cost, blockSums, predictions);
  return { counts, meanCost: meanCost(totalCost(blockSums, ds.count), ds.count, network) };
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

/** The confusion counts of given predictions. */
export function countsOf(ds: Dataset, predictions: Uint8Array): Uint32Array {
  const counts = new Uint32Array(CLASSES * CLASSES);
  for (let i = 0; i < ds.count; i++) counts[ds.labels[i] * CLASSES + predictions[i]]++;
  return counts;
}

/** The ensemble's prediction per example: the digit most members predict, a tie going to the lowest digit. */
export function plurality(members: readonly Uint8Array[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  const votes = new Uint16Array(CLASSES);
  for (let i = 0; i < count; i++) {
    votes.fill(0);
    for (const p of members) votes[p[i]]++;
    let best = 0;
    for (let d = 1; d < CLASSES; d++) if (votes[d] > votes[best]) best = d;
    out[i] = best;
  }
  return out;
}

export interface Mistake {
  index: number;
  label: number;
  predicted: number;
}

/** The first `limit` examples the network gets wrong, in dataset order. */
export function misclassified(kernel: Kernel, network: Network, ds: Dataset, arena: Arena, limit: number): Mistake[] {
  const bp = new Backprop(kernel, network, new Workspace(network, EVAL_CHUNK, arena, false), quadratic, 0, convKernelFor(network, kernel, arena.memory));
  const predictions = new Uint8Array(ds.count);
  scoreRange(bp, new Uint8Array(EVAL_CHUNK), ds, 0, ds.count, new Uint32Array(CLASSES * CLASSES), undefined, undefined, predictions);
  const wrong: Mistake[] = [];
  for (let i = 0; i < ds.count && wrong.length < limit; i++) {
    if (predictions[i] !== ds.labels[i]) wrong.push({ index: i, label: ds.labels[i], predicted: predictions[i] });
  }
  return wrong;
}
