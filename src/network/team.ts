// One thread's share of the work when several threads train one network.
// The same code runs on the main thread (thread 0) and in every worker
// (worker.ts); they meet at barriers over a shared control block.
//
// Training splits the MODEL: thread t owns a contiguous block of each
// layer's neurons, i.e. its rows of W and entries of b, and computes those
// columns of z, a and δ for the whole mini-batch. At mini-batch 10 a
// data split gains nothing here (each thread would write a full gradient and
// the reduction doubles the memory traffic), while the model split divides
// the two big products with no reduction at all. Every element is computed
// by the same arithmetic as on one thread (see kernel.ts), so a threaded run
// gives the same weights, bit for bit, as a single-threaded one.
// Evaluation splits the DATA: each thread scores its own block of examples.
import { f64View, layoutOf, u8View, type ViewLayout } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Dataset } from "../data/dataset.js";
import { gatherBatch } from "../data/batch.js";
import { backwardLayer, forwardLayer, outputDelta, updateLayer, Workspace } from "./backprop.js";
import { scoreRange, trace } from "./score.js";
import { COSTS, type Cost, type CostName } from "./costs.js";

const COST_NAMES = Object.keys(COSTS) as CostName[];
import { Network } from "./network.js";

// Int32 slots of the control block, barrier words on their own cache lines.
const COUNT = 0;
const GEN = 16;
const WAITERS = 32;
const ABORT = 48;
const CMD_GEN = 64;
const CMD = 65;
const DATASET = 66;
const START = 67;
const END = 68;
const BATCH = 69;
const COST = 70; // index in COST_NAMES, or -1 for none
const CORRECT = 80; // + 16·t
/** Threads a team can have: the control block has a result slot for each. */
export const MAX_THREADS = 64;
const CONTROL_INTS = CORRECT + 16 * MAX_THREADS;
// Float64 slots
const ETA = 0;
const DECAY = 1;
const COST_SUM = 8; // + 8·t

export const Command = { Train: 1, Evaluate: 2, Exit: 3 } as const;
export type Command = (typeof Command)[keyof typeof Command];

/** Everything a thread needs, as plain data that can be posted to a worker. */
export interface TeamInit {
  threads: number;
  spin: boolean; // spin at barriers only when there is a core per thread
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  controlF64: SharedArrayBuffer;
  order: Uint32Array; // shared
  datasets: Dataset[]; // shared bytes
  sizes: number[];
  cost: CostName;
  weights: ViewLayout[];
  biases: ViewLayout[];
  train: WorkspaceLayout;
  evaluate: WorkspaceLayout[]; // one per thread
}

export interface WorkspaceLayout {
  capacity: number;
  activations: ViewLayout[];
  delta: ViewLayout[];
  labels: ViewLayout;
}

export function newControl(): { control: SharedArrayBuffer; controlF64: SharedArrayBuffer } {
  return { control: new SharedArrayBuffer(CONTROL_INTS * 4), controlF64: new SharedArrayBuffer((COST_SUM + 8 * MAX_THREADS) * 8) };
}

export function workspaceLayout(ws: Workspace): WorkspaceLayout {
  return { capacity: ws.capacity, activations: ws.activations.map(layoutOf), delta: ws.delta.map(layoutOf), labels: layoutOf(ws.labels) };
}

function workspaceFrom(init: TeamInit, w: WorkspaceLayout): Workspace {
  const { memory } = init;
  return new Workspace(init.sizes, w.capacity, {
    activations: w.activations.map((v) => f64View(memory, v)),
    delta: w.delta.map((v) => f64View(memory, v)),
    labels: u8View(memory, w.labels),
  });
}

/** [from, to) of n items for thread t of T: contiguous, sizes differing by at most one. */
function share(n: number, t: number, T: number): [number, number] {
  return [Math.floor((n * t) / T), Math.floor((n * (t + 1)) / T)];
}

export class Team {
  private readonly ctl: Int32Array;
  private readonly ctlF: Float64Array;
  private readonly net: Network;
  private readonly ws: Workspace;
  private readonly evalWs: Workspace;
  private readonly predicted: Uint8Array;
  private readonly own: [number, number][]; // this thread's neurons of each weight layer's outputs
  private readonly spinLimit: number;
  private readonly cost: Cost;
  private labelsAt = -1; // this thread's slice of the batch labels, kept while its start is the same
  private labels: Uint8Array;

  constructor(private readonly init: TeamInit, private readonly t: number, private readonly kernel: Kernel) {
    this.ctl = new Int32Array(init.control);
    this.ctlF = new Float64Array(init.controlF64);
    this.net = new Network(init.sizes, {
      weights: init.weights.map((v) => f64View(init.memory, v)),
      biases: init.biases.map((v) => f64View(init.memory, v)),
    });
    this.ws = workspaceFrom(init, init.train);
    this.evalWs = workspaceFrom(init, init.evaluate[t]);
    this.predicted = new Uint8Array(this.evalWs.capacity);
    this.own = init.sizes.slice(1).map((n) => share(n, t, init.threads));
    this.spinLimit = init.spin ? 1 << 14 : 0; // about 20 µs: a fair wait, not a stolen time slice
    this.labels = this.ws.labels;
    this.cost = COSTS[init.cost];
  }

  // ---- the main thread's side -------------------------------------------

  /** Starts a command on every worker; the caller then runs its own share with run(). */
  issue(cmd: Command, dataset: number, start = 0, end = 0, batch = 0, eta = 0, decay = 0, cost?: CostName): void {
    const c = this.ctl;
    c[CMD] = cmd;
    c[DATASET] = dataset;
    c[START] = start;
    c[END] = end;
    c[BATCH] = batch;
    c[COST] = cost === undefined ? -1 : COST_NAMES.indexOf(cost);
    this.ctlF[ETA] = eta;
    this.ctlF[DECAY] = decay;
    Atomics.add(c, CMD_GEN, 1);
    Atomics.notify(c, CMD_GEN);
  }

  /** Sums the per-thread evaluation results of the last Evaluate command. */
  results(): { correct: number; costSum: number } {
    let correct = 0;
    let costSum = 0;
    for (let t = 0; t < this.init.threads; t++) {
      correct += this.ctl[CORRECT + 16 * t];
      costSum += this.ctlF[COST_SUM + 8 * t];
    }
    return { correct, costSum };
  }

  // ---- every thread ------------------------------------------------------

  /** A worker's life: wait for a command, run its share, until told to exit. */
  serve(): void {
    let seen = 0;
    for (;;) {
      Atomics.wait(this.ctl, CMD_GEN, seen);
      seen = Atomics.load(this.ctl, CMD_GEN);
      if (this.ctl[CMD] === Command.Exit) return;
      this.run();
    }
  }

  /** Runs this thread's share of the current command, ending at a barrier. */
  run(): void {
    const c = this.ctl;
    const ds = this.init.datasets[c[DATASET]];
    if (c[CMD] === Command.Train) this.train(ds, c[START], c[END], c[BATCH], this.ctlF[ETA], this.ctlF[DECAY]);
    else this.evaluate(ds, c[COST] < 0 ? undefined : COSTS[COST_NAMES[c[COST]]]);
    this.barrier();
  }

  /** Marks the team as failed so that no thread waits for ever at a barrier. */
  abort(): void {
    Atomics.store(this.ctl, ABORT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }

  private train(ds: Dataset, start: number, end: number, batchSize: number, eta: number, decay: number): void {
    for (let s = start; s < end; s += batchSize) this.step(ds, s, Math.min(batchSize, end - s), eta, decay);
  }

  /** One SGD step on mini-batch order[s .. s+m), this thread's neurons only. */
  private step(ds: Dataset, s: number, m: number, eta: number, decay: number): void {
    const { kernel, net, ws, own } = this;
    const L = net.layers;
    this.barrier(); // nobody still reads the previous batch's X
    const [g0, g1] = share(m, this.t, this.init.threads);
    if (g0 !== this.labelsAt) {
      this.labels = ws.labels.subarray(g0);
      this.labelsAt = g0;
    }
    if (g1 > g0) gatherBatch(ds, this.init.order, s + g0, g1 - g0, ws.activations[0], g0 * net.sizes[0], this.labels);
    this.barrier();
    for (let l = 0; l < L; l++) {
      forwardLayer(kernel, net, ws, m, l, own[l][0], own[l][1]);
      if (l < L - 1) this.barrier(); // the next layer needs all of a
    }
    outputDelta(net, ws, m, this.cost, own[L - 1][0], own[L - 1][1]);
    this.barrier();
    for (let l = L - 1; l >= 0; l--) {
      if (l > 0) {
        backwardLayer(kernel, net, ws, m, l, own[l - 1][0], own[l - 1][1]);
        this.barrier(); // all of δ is ready, and nobody reads W[l] any more
      }
      updateLayer(kernel, net, ws, m, l, eta, decay, own[l][0], own[l][1]);
    }
  }

  private evaluate(ds: Dataset, cost?: Cost): void {
    const n = this.net.sizes[this.net.layers];
    const counts = new Uint32Array(n * n);
    const [e0, e1] = share(ds.count, this.t, this.init.threads);
    this.ctlF[COST_SUM + 8 * this.t] = scoreRange(this.kernel, this.net, this.evalWs, this.predicted, ds, e0, e1, counts, cost);
    this.ctl[CORRECT + 16 * this.t] = trace(counts, n);
  }

  /** All threads meet here. Spins while it has a core to itself, then sleeps. */
  private barrier(): void {
    const c = this.ctl;
    const gen = Atomics.load(c, GEN);
    if (Atomics.add(c, COUNT, 1) === this.init.threads - 1) {
      Atomics.store(c, COUNT, 0);
      Atomics.add(c, GEN, 1);
      if (Atomics.load(c, WAITERS) > 0) Atomics.notify(c, GEN);
    } else {
      for (let i = 0; i < this.spinLimit && Atomics.load(c, GEN) === gen; i++);
      while (Atomics.load(c, GEN) === gen) {
        Atomics.add(c, WAITERS, 1);
        Atomics.wait(c, GEN, gen, 100);
        Atomics.sub(c, WAITERS, 1);
      }
    }
    if (Atomics.load(c, ABORT)) throw new Error("another thread of the team failed");
  }
}
