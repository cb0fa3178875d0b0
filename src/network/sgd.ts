// Mini-batch stochastic gradient descent, the book's SGD(): shuffle, walk
// the training set in mini-batches, score the evaluation set after each
// epoch. One loop for every caller (CLI, tests, benchmark); it reports
// through events and knows no terminal.
import { DataError } from "../errors.js";
import type { Dataset } from "../data/dataset.js";
import type { Cost } from "./costs.js";
import type { Engine } from "./engine.js";
import { PROBE_RUN } from "./mode-chooser.js";
import { Network } from "./network.js";
import { Arena } from "../kernel/arena.js";
import type { Rng } from "./rng.js";

export type Monitor = "training-cost" | "training-accuracy" | "eval-cost" | "eval-accuracy" | "gradient-norms";

/**
 * How λ enters: `network2` (network2.py) decays the weights by 1 − ηλ/n per
 * step and adds (λ/2n)·Σw² to a set's cost, n that set's size; `network3`
 * (network3.py) adds 0.5·λ·Σw² divided by the number of mini-batches n/m to
 * every mini-batch's cost: a decay of 1 − ηλm/n per step, m times stronger.
 */
export type L2Form = "network2" | "network3";

/** Training examples whose mean bias gradient `gradient-norms` reports (chapter 5's figure). */
export const GRADIENT_SAMPLE = 1000;

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
  /** Default network2. */
  l2?: L2Form;
  cost: Cost;
  monitor: ReadonlySet<Monitor>;
  /** Reshuffle the training set before every epoch (network.py, network2.py), or keep its order (network3.py). Default true. */
  shuffle?: boolean;
  earlyStopping?: number;
  etaSchedule?: EtaSchedule;
  /** Keep a copy of the network at its best eval accuracy. */
  keepBest?: boolean;
  /** Keep a copy of the network as the last finished epoch left it (what an interrupted run saves). */
  keepLast?: boolean;
  /** Go on from a checkpoint's state (the network and the generator are restored by the caller)... */
  resume?: SgdState;
  /** ...and its best network, with keepBest. */
  resumeBest?: Network;
  /** Called after every finished epoch with the state a checkpoint needs. */
  onEpochEnd?: (state: SgdState, result: TrainResult) => void;
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
  /** ‖∂C/∂b‖ per hidden layer, first to last, before the epoch trained. */
  gradientNorms?: number[];
}

/** The test set's score at the best validation epoch (network3.py's protocol). */
export interface TestAtBest {
  epoch: number;
  correct: number;
  total: number;
  accuracy: number;
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
  /** With a test set beside the evaluation set: its score at the last epoch with the best evaluation accuracy. */
  testAtBest?: TestAtBest;
  stoppedBy: StopReason;
  /** The network at its best epoch, when keepBest was asked for. */
  bestNetwork?: Network;
  /** The network after the last finished epoch, when keepLast was asked for. */
  lastNetwork?: Network;
}

/** What the loop carries from one epoch to the next, besides the network and the generator. */
export interface SgdState {
  /** Epochs finished. */
  epoch: number;
  /** The training order as the last epoch's shuffle left it. */
  order: Uint32Array;
  /** The rate and the epochs without improvement (early stopping, the schedule). */
  eta: number;
  since: number;
  epochs: EpochRecord[];
  best?: EpochRecord;
  testAtBest?: TestAtBest;
}

export type TrainEvent =
  | { type: "epoch-start"; epoch: number; batches: number }
  | { type: "batch"; epoch: number; done: number; batches: number }
  | { type: "epoch"; record: EpochRecord; isBest: boolean; testAtBest?: TestAtBest };

/**
 * Slices of work between two yields to the event loop, so that a signal is
 * heard: about a second of mini-batches (a scheduler's SIGKILL follows its
 * SIGTERM by 30 s), at least enough for the threaded engine to take a probe
 * of another way from (mode-chooser.ts), at most 5,000 (an epoch of
 * mini-batches of 10; the progress bar moves at least that often). Long
 * slices let the threaded engine hand fewer commands between its threads
 * (parallel.ts). How a run is sliced changes no number.
 */
const SLICE = { seconds: 1, min: PROBE_RUN, max: 5000 };

export async function sgd(
  engine: Engine,
  data: { training: Dataset; evaluation: Dataset; test?: Dataset },
  opts: SgdOptions,
  rng: Rng,
  onEvent: (e: TrainEvent) => void,
  interrupted: () => boolean = () => false,
): Promise<TrainResult> {
  const { training } = data;
  const n = training.count;
  const m = opts.batchSize;
  const batches = Math.ceil(n / m);
  const from = opts.resume;
  const order = from ? from.order.slice() : Uint32Array.from({ length: n }, (_, i) => i);
  const result: TrainResult = { epochs: from ? [...from.epochs] : [], best: from?.best, testAtBest: from?.testAtBest, stoppedBy: "completed" };
  const stall = new Stall(opts, from);
  const copy = (of: Network): Network => {
    const net = new Network(of.architecture, new Arena());
    net.copyFrom(of);
    return net;
  };
  if (opts.keepBest) result.bestNetwork = copy(opts.resumeBest ?? engine.network);
  if (opts.keepLast) result.lastNetwork = copy(engine.network);
  const perStep = opts.l2 === "network3" ? m : 1;
  let slice = SLICE.min;

  for (let epoch = (from?.epoch ?? 0) + 1; epoch <= opts.epochs; epoch++) {
    const eta = stall.eta;
    const decay = 1 - (eta * opts.lambda * perStep) / n; // L2 as weight decay (L2Form)
    const norms = opts.monitor.has("gradient-norms") ? engine.gradientNorms(training, GRADIENT_SAMPLE) : undefined;
    const t0 = performance.now();
    if (opts.shuffle !== false) rng.shuffle(order);
    onEvent({ type: "epoch-start", epoch, batches });
    for (let b = 0, end = 0; b < batches; b = end) {
      end = Math.min(b + slice, batches);
      const s0 = performance.now();
      engine.trainBatches(training, order, b * m, Math.min(end * m, n), m, eta, decay, epoch);
      const perBatch = (performance.now() - s0) / 1000 / (end - b);
      slice = Math.max(SLICE.min, Math.min(SLICE.max, Math.round(SLICE.seconds / perBatch)));
      onEvent({ type: "batch", epoch, done: end, batches });
      await yieldToEventLoop();
      if (interrupted()) return { ...result, stoppedBy: "interrupted" };
    }
    const seconds = (performance.now() - t0) / 1000;
    if (!engine.network.isFinite()) {
      throw new DivergedError(epoch, "weights became NaN or infinite (try a smaller --eta)");
    }
    const record = score(engine, data, opts, epoch, eta, seconds);
    if (norms) record.gradientNorms = norms;
    // network3.py scores the test set whenever validation is at least as good as ever
    if (data.test && (!result.testAtBest || record.correct >= result.best!.correct)) {
      const t = engine.evaluate(data.test);
      result.testAtBest = { epoch, correct: t.correct, total: t.total, accuracy: t.total ? t.correct / t.total : 0 };
    }
    result.epochs.push(record);
    const isBest = !result.best || record.correct > result.best.correct;
    if (isBest) {
      result.best = record;
      result.bestNetwork?.copyFrom(engine.network);
    }
    result.lastNetwork?.copyFrom(engine.network);
    onEvent({ type: "epoch", record, isBest, testAtBest: result.testAtBest });
    const stop = stall.after(isBest);
    opts.onEpochEnd?.({
      epoch, order, eta: stall.eta, since: stall.since, epochs: result.epochs, best: result.best, testAtBest: result.testAtBest,
    }, result);
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
  // the L2 term's n (L2Form): the scored set's size in network2.py, the number of mini-batches in network3.py
  const n = (set: Dataset): number => (opts.l2 === "network3" ? data.training.count / opts.batchSize : set.count);
  const ev = engine.evaluate(data.evaluation, wantEvalCost ? opts.cost : undefined, opts.lambda, n(data.evaluation));
  const record: EpochRecord = {
    epoch, correct: ev.correct, total: ev.total, accuracy: ev.total ? ev.correct / ev.total : 0, eta, seconds, evalSeconds: 0,
  };
  if (wantEvalCost) record.evalCost = ev.cost;
  if (opts.monitor.has("training-cost") || opts.monitor.has("training-accuracy")) {
    const wantCost = opts.monitor.has("training-cost");
    const tr = engine.evaluate(data.training, wantCost ? opts.cost : undefined, opts.lambda, n(data.training));
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
  /** Epochs since the last better eval accuracy. */
  since: number;

  /** The rate the next epoch trains with. */
  eta: number;

  constructor(private readonly opts: SgdOptions, from?: { eta: number; since: number }) {
    this.eta = from?.eta ?? opts.eta;
    this.since = from?.since ?? 0;
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
