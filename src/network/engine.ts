// An engine runs the two things an epoch needs, SGD over a run of
// mini-batches and an evaluation pass, on some hardware arrangement. The SGD
// loop (sgd.ts) drives any engine; this one runs on the calling thread.
import { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Dataset } from "../data/dataset.js";
import { gatherBatch } from "../data/batch.js";
import { backward, feedforward, update, Workspace } from "./backprop.js";
import { scoreRange, trace } from "./score.js";
import type { Cost } from "./costs.js";
import type { Network } from "./network.js";

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
  /** SGD over examples order[start .. end), in mini-batches of batchSize (the last may be short). */
  trainBatches(ds: Dataset, order: Uint32Array, start: number, end: number, batchSize: number, eta: number, decay: number): void;
  /** Accuracy (and, given a cost, the cost) of the network on ds. */
  evaluate(ds: Dataset, cost?: Cost, lambda?: number): Score;
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
}

/** The engine for a thread count: the calling thread alone, or it and worker threads. */
export async function createEngine(o: EngineOptions): Promise<Engine> {
  if (o.threads > 1) return (await import("./parallel.js")).ParallelEngine.start(o);
  return new SerialEngine(o.kernel, o.network, o.cost, o.batchSize, o.arena);
}

/** Evaluation works on chunks this many examples high: big products, small buffers. */
export const EVAL_CHUNK = 250;

export class SerialEngine implements Engine {
  readonly threads = 1;
  private readonly ws: Workspace;
  private readonly predicted = new Uint8Array(EVAL_CHUNK);

  constructor(readonly kernel: Kernel, readonly network: Network, private readonly cost: Cost, batchSize: number, arena: Arena) {
    this.ws = new Workspace(network.sizes, Math.max(batchSize, EVAL_CHUNK), arena);
  }

  trainBatches(ds: Dataset, order: Uint32Array, start: number, end: number, batchSize: number, eta: number, decay: number): void {
    const { kernel, network, ws } = this;
    for (let s = start; s < end; s += batchSize) {
      const m = Math.min(batchSize, end - s);
      gatherBatch(ds, order, s, m, ws.activations[0], 0, ws.labels);
      feedforward(kernel, network, ws, m);
      backward(kernel, network, ws, m, this.cost);
      update(kernel, network, ws, m, eta, decay);
    }
  }

  evaluate(ds: Dataset, cost?: Cost, lambda = 0): Score {
    const n = this.network.sizes[this.network.layers];
    const counts = new Uint32Array(n * n);
    const costSum = scoreRange(this.kernel, this.network, this.ws, this.predicted, ds, 0, ds.count, counts, cost);
    const score: Score = { correct: trace(counts, n), total: ds.count };
    if (cost) score.cost = meanCost(costSum, ds.count, lambda, this.network);
    return score;
  }

  async close(): Promise<void> {}
}

/** network2.py's total_cost: mean of C_x plus (lambda/2n)·Σw², n the set's size. */
export function meanCost(sum: number, n: number, lambda: number, network: Network): number {
  return sum / n + (0.5 * lambda / n) * network.sumSquaredWeights();
}
