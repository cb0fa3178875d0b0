// An engine runs the things an epoch needs, SGD over a run of mini-batches
// and an evaluation pass, on some hardware arrangement. The SGD loop
// (sgd.ts) drives any engine; this one runs on the calling thread.
import type { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Dataset } from "../data/dataset.js";
import { gatherRange } from "../data/batch.js";
import { sumRows } from "../kernel/elementwise.js";
import { Backprop, convKernelFor, Workspace } from "./backprop.js";
import { residentFor } from "./resident.js";
import { costBlocks, scoreRange, totalCost, trace } from "./score.js";
import type { Cost } from "./costs.js";
import type { Network } from "./network.js";
import type { Way } from "./mode-chooser.js";

export interface Score {
  correct: number;
  total: number;
  /** Mean cost per example plus the L2 term, when asked for. */
  cost?: number;
}

export interface Engine {
  readonly network: Network;
  readonly kernel: Kernel;
  readonly threads: number;
  /** Threads only: the share of the examples trained so far that the whole team trained (the rest trained on one
   *  of its threads alone, whichever was fastest at the time: mode-chooser.ts). */
  readonly teamShare?: number;
  /** SGD over examples order[start .. end), in mini-batches of batchSize (the last may be short);
   *  `epoch` and the batch's place in the order key the dropout masks. */
  trainBatches(ds: Dataset, order: Uint32Array, start: number, end: number, batchSize: number, eta: number, decay: number, epoch?: number): void;
  /** Accuracy (and, given a cost, the cost with the L2 term (λ/2n)·Σw², n by default the size of ds) of the network on ds. */
  evaluate(ds: Dataset, cost?: Cost, lambda?: number, n?: number): Score;
  /** ‖∂C/∂b‖ of the mean bias gradient of every hidden layer over the first `count` examples of ds. */
  gradientNorms(ds: Dataset, count: number): number[];
  close(): Promise<void>;
}

export interface EngineOptions {
  kernel: Kernel;
  network: Network;
  cost: Cost;
  batchSize: number;
  arena: Arena;
  threads: number;
  /** Every dataset the engine will see (threads share them from the start). */
  datasets: Dataset[];
  /** The run's seed, for the dropout masks. */
  seed?: number;
  /** Threads only: train every mini-batch this way (tests, benchmarks) instead of the fastest at the time. */
  way?: Way;
}

/** The engine for a thread count: the calling thread alone, or it and worker threads. */
export async function createEngine(o: EngineOptions): Promise<Engine> {
  if (o.threads > 1) return (await import("./parallel.js")).ParallelEngine.start(o);
  return new SerialEngine(o.kernel, o.network, o.cost, o.batchSize, o.arena, o.seed);
}

/** Evaluation works on chunks this many examples high: big products, small buffers. */
export const EVAL_CHUNK = 250;

export class SerialEngine implements Engine {
  readonly threads = 1;
  private readonly bp: Backprop;
  private readonly predicted: Uint8Array;

  constructor(readonly kernel: Kernel, readonly network: Network, cost: Cost, batchSize: number, private readonly arena: Arena, seed = 0) {
    const capacity = Math.max(batchSize, EVAL_CHUNK);
    this.bp = new Backprop(kernel, network, new Workspace(network, capacity, arena), cost, seed, convKernelFor(network, kernel, arena.memory));
    this.predicted = new Uint8Array(capacity); // one per row: evaluation fills the whole workspace
  }

  trainBatches(ds: Dataset, order: Uint32Array, start: number, end: number, batchSize: number, eta: number, decay: number, epoch = 0): void {
    this.bp.trainRange(residentFor(this.arena, ds, this.network, this.kernel), order, start, end, batchSize, eta, decay, epoch);
  }

  evaluate(ds: Dataset, cost?: Cost, lambda = 0, n = ds.count): Score {
    const classes = this.network.outputs;
    const counts = new Uint32Array(classes * classes);
    const blockSums = new Float64Array(costBlocks(ds.count));
    scoreRange(this.bp, this.predicted, ds, 0, ds.count, counts, cost, blockSums);
    const score: Score = { correct: trace(counts, classes), total: ds.count };
    if (cost) score.cost = meanCost(totalCost(blockSums, ds.count), ds.count, this.network, lambda, n);
    return score;
  }

  gradientNorms(ds: Dataset, count: number): number[] {
    const { bp, network } = this;
    const { ws } = bp;
    const hidden = network.layers.slice(0, -1);
    const sums = hidden.map((l) => new Float64Array(l.nOut));
    const total = Math.min(count, ds.count);
    for (let s = 0; s < total; s += ws.capacity) {
      const m = Math.min(ws.capacity, total - s);
      gatherRange(ds, s, m, ws.input, 0, ws.labels);
      bp.run(bp.gradient, m);
      hidden.forEach((l, i) => sumRows(m, l.nOut, 1, ws.io[i].delta, 0, l.nOut, 1, sums[i], 0)); // BP3, summed
    }
    return sums.map((g) => Math.hypot(...g) / total);
  }

  async close(): Promise<void> {}
}

/** network2.py's total_cost: the mean of C_x plus (λ/2n)·Σw², where network2.py's n is the scored set's size. */
export function meanCost(sum: number, count: number, network: Network, lambda = 0, n = count): number {
  return sum / count + (0.5 * lambda / n) * network.sumSquaredWeights();
}
