// Mini-batch stochastic gradient descent, the book's SGD(): shuffle, walk
// the training set in mini-batches, score the evaluation set after each
// epoch. One loop for every caller (CLI, tests, benchmark); it reports
// through events and knows no terminal.
import { DataError } from "../errors.js";
import type { Dataset } from "../data/dataset.js";
import type { Cost } from "./costs.js";
import type { Engine } from "./engine.js";
import { Network } from "./network.js";
import { Arena } from "../kernel/arena.js";
import type { Rng } from "./rng.js";

export type Monitor = "training-cost" | "training-accuracy" | "eval-cost" | "eval-accuracy";

export interface EtaSchedule {
  /** Halve eta after this many epochs without a better eval accuracy... */
  patience: number;
  /** ...and stop once eta has fallen to eta0 / factor. */
  factor: number;
}

export interface SgdOptions {
  epochs: number;
  batchSize: number;
  eta: number;
  lambda: number;
  cost: Cost;
  monitor: ReadonlySet<Monitor>;
  earlyStopping?: number;
  etaSchedule?: EtaSchedule;
  /** Keep a copy of the network at its best eval accuracy. */
  keepBest?: boolean;
}

export interface EpochRecord {
  epoch: number; // from 1
  correct: number; // on the evaluation set
  total: number;
  accuracy: number;
  eta: number; // the rate this epoch trained with
  seconds: number; // training time
  evalSeconds: number;
  trainingCost?: number;
  trainingAccuracy?: number;
  evalCost?: number;
}

export type StopReason = "completed" | "early-stopping" | "eta-schedule" | "interrupted" | "diverged";

/** Training produced NaN or infinite weights or cost; `epoch` is the epoch it happened in. */
export class DivergedError extends DataError {
  constructor(readonly epoch: number, what: string) {
    super(`training diverged in epoch ${epoch}: ${what}`);
  }
}

export interface TrainResult {
  epochs: EpochRecord[];
  best?: EpochRecord;
  stoppedBy: StopReason;
  /** The network at its best epoch, when keepBest was asked for. */
  bestNetwork?: Network;
}

export type TrainEvent =
  | { type: "epoch-start"; epoch: number; batches: number }
  | { type: "batch"; epoch: number; done: number; batches: number }
  | { type: "epoch"; record: EpochRecord; isBest: boolean };

/** Batches per slice of work between two yields to the event loop (so Ctrl-C is heard). */
const BATCHES_PER_SLICE = 250;

export async function sgd(
  engine: Engine,
  data: { training: Dataset; evaluation: Dataset },
  opts: SgdOptions,
  rng: Rng,
  onEvent: (e: TrainEvent) => void,
  interrupted: () => boolean = () => false,
): Promise<TrainResult> {
  const { training } = data;
  const n = training.count;
  const m = opts.batchSize;
  const batches = Math.ceil(n / m);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const result: TrainResult = { epochs: [], stoppedBy: "completed" };
  const stall = new Stall(opts);
  if (opts.keepBest) result.bestNetwork = new Network(engine.network.sizes, new Arena());

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const eta = stall.eta;
    const decay = 1 - (eta * opts.lambda) / n; // L2 weight decay, as in network2.py
    const t0 = performance.now();
    rng.shuffle(order);
    onEvent({ type: "epoch-start", epoch, batches });
    for (let b = 0; b < batches; b += BATCHES_PER_SLICE) {
      const end = Math.min(b + BATCHES_PER_SLICE, batches);
      engine.trainBatches(training, order, b * m, Math.min(end * m, n), m, eta, decay);
      onEvent({ type: "batch", epoch, done: end, batches });
      await yieldToEventLoop();
      if (interrupted()) return { ...result, stoppedBy: "interrupted" };
    }
    const seconds = (performance.now() - t0) / 1000;
    if (!engine.network.isFinite()) {
      throw new DivergedError(epoch, "weights became NaN or infinite (try a smaller --eta)");
    }
    const record = score(engine, data, opts, epoch, eta, seconds);
    result.epochs.push(record);
    const isBest = !result.best || record.correct > result.best.correct;
    if (isBest) {
      result.best = record;
      result.bestNetwork?.copyFrom(engine.network);
    }
    onEvent({ type: "epoch", record, isBest });
    const stop = stall.after(isBest);
    if (stop) return { ...result, stoppedBy: stop };
    if (interrupted()) return { ...result, stoppedBy: "interrupted" };
  }
  return result;
}

function score(
  engine: Engine, data: { training: Dataset; evaluation: Dataset }, opts: SgdOptions,
  epoch: number, eta: number, seconds: number,
): EpochRecord {
  const t0 = performance.now();
  const wantEvalCost = opts.monitor.has("eval-cost");
  const ev = engine.evaluate(data.evaluation, wantEvalCost ? opts.cost : undefined, opts.lambda);
  const record: EpochRecord = {
    epoch, correct: ev.correct, total: ev.total, accuracy: ev.total ? ev.correct / ev.total : 0, eta, seconds, evalSeconds: 0,
  };
  if (wantEvalCost) record.evalCost = ev.cost;
  if (opts.monitor.has("training-cost") || opts.monitor.has("training-accuracy")) {
    const wantCost = opts.monitor.has("training-cost");
    const tr = engine.evaluate(data.training, wantCost ? opts.cost : undefined, opts.lambda);
    if (wantCost) record.trainingCost = tr.cost;
    if (opts.monitor.has("training-accuracy")) record.trainingAccuracy = tr.correct / tr.total;
  }
  for (const c of [record.evalCost, record.trainingCost]) {
    if (c !== undefined && !Number.isFinite(c)) throw new DivergedError(epoch, `the cost is ${c}`);
  }
  record.evalSeconds = (performance.now() - t0) / 1000;
  return record;
}

/** Early stopping and the halving schedule: both count epochs without a better eval accuracy. */
class Stall {
  private since = 0;

  /** The rate the next epoch trains with. */
  eta: number;

  constructor(private readonly opts: SgdOptions) {
    this.eta = opts.eta;
  }

  /** After an epoch: whether to stop, given whether its eval accuracy was the best yet. */
  after(isBest: boolean): StopReason | undefined {
    if (isBest) {
      this.since = 0;
      return undefined;
    }
    this.since++;
    const { earlyStopping, etaSchedule } = this.opts;
    if (earlyStopping !== undefined && this.since >= earlyStopping) return "early-stopping";
    if (etaSchedule && this.since >= etaSchedule.patience) {
      this.eta /= 2;
      this.since = 0;
      if (this.eta <= this.opts.eta / etaSchedule.factor) return "eta-schedule";
    }
    return undefined;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
