// One thread's share of the work when several threads train one network.
// The same code runs on the main thread (thread 0) and in every worker
// (worker.ts); they meet at barriers over a shared control block.
//
// Training runs the plan of backprop.ts, thread t doing its own block of
// each step: most steps split the MODEL (a block of each layer's neurons: its
// rows of W and entries of b, those columns of z, a and δ for the whole
// mini-batch), a few split the examples (the gather, softmax's rows). At
// mini-batch 10 a data split of the whole step gains nothing here (each
// thread would write a full gradient and the reduction doubles the memory
// traffic), while the model split divides the big products with no reduction
// at all. Every element is computed by the same arithmetic as on one thread
// (see kernel.ts), so a threaded run gives the same weights, bit for bit, as
// a single-threaded one. Barriers go where plan.ts says.
// A Solo command has one thread train on its own, the plan whole, while the
// others wait: the engine's choice when that is faster (parallel.ts).
// Evaluation splits the DATA: each thread scores its own block of examples.
import { Replay, type ViewLayout } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import { blockEdge } from "../layers/layer.js";
import type { Dataset } from "../data/dataset.js";
import { Backprop, convKernelFor, pairPlans, Workspace } from "./backprop.js";
import { extent, type Planned } from "./plan.js";
import { costBlocks, COST_BLOCK, scoreRange, totalCost, trace } from "./score.js";
import { COST_NAMES, COSTS, type Cost, type CostName } from "./costs.js";
import { Network, type Architecture } from "./network.js";
import { copyParameters } from "./replicas.js";

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
const EPOCH = 71;
const SOLO = 72; // the thread that trains alone on a Solo command
const TIMED = 73; // training: the first example of the part whose time is measured
const CORRECT = 80; // + 16·t
/** Threads a team can have: the control block has a result slot for each. */
export const MAX_THREADS = 64;
const CONTROL_INTS = CORRECT + 16 * MAX_THREADS;
// Float64 slots
const ETA = 0;
const DECAY = 1;
const ELAPSED = 2; // ms from the mini-batch holding example TIMED to the end, as the training thread measured it

export const Command = { Train: 1, Evaluate: 2, Exit: 3, Solo: 4 } as const;
export type Command = (typeof Command)[keyof typeof Command];

/** What a command works on: examples order[start .. end) of a dataset, in mini-batches of `batch` when training. */
export interface Job {
  start: number;
  end: number;
  batch: number;
  eta: number;
  decay: number;
  epoch: number;
  /** Evaluate: the cost to sum. */
  cost?: CostName;
  /** Solo: the thread that trains. */
  solo: number;
  /** Training: the first example of the timed part (elapsed()). */
  timed: number;
}

const NO_JOB: Job = { start: 0, end: 0, batch: 0, eta: 0, decay: 0, epoch: 0, solo: 0, timed: 0 };

/** A workspace's buffers as made in the main thread, to be rebuilt in place by a worker. */
export interface WorkspaceLayout {
  capacity: number;
  layout: readonly ViewLayout[];
}

/** Everything a thread needs, as plain data that can be posted to a worker. */
export interface TeamInit {
  threads: number;
  spin: boolean; // spin at barriers only when there is a core per thread
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  controlF64: SharedArrayBuffer;
  /** The evaluation's cost block sums (score.ts), room for the largest dataset. */
  costBlocks: Float64Array; // shared
  order: Uint32Array; // shared
  datasets: Dataset[]; // shared bytes
  architecture: Architecture;
  network: readonly ViewLayout[];
  /** Each thread's network for training: the network with the thread's own copy of the layers all threads run whole. */
  trainNetwork: (readonly ViewLayout[])[];
  cost: CostName;
  seed: number;
  train: WorkspaceLayout;
  /** A whole mini-batch's workspace for the thread that trains alone (Solo). */
  solo: WorkspaceLayout;
  evaluate: WorkspaceLayout[]; // one per thread
}

export function newControl(): { control: SharedArrayBuffer; controlF64: SharedArrayBuffer } {
  return { control: new SharedArrayBuffer(CONTROL_INTS * 4), controlF64: new SharedArrayBuffer(8 * 8) };
}

export function workspaceLayout(ws: Workspace): WorkspaceLayout {
  return { capacity: ws.capacity, layout: ws.layout };
}

/** [from, to) of n items for thread t of T (blockEdge's blocks). */
function share(n: number, t: number, T: number): [number, number] {
  return [blockEdge(n, t, T), blockEdge(n, t + 1, T)];
}

export class Team {
  private readonly ctl: Int32Array;
  private readonly ctlF: Float64Array;
  /** The SGD steps of even and odd mini-batches (workspace.ts alternates a buffer between them), and their plans. */
  private readonly bps: Backprop[];
  private readonly plans: Planned[][];
  private readonly evalBp: Backprop;
  /** SGD on the network itself, whole mini-batches: this thread alone (Solo). */
  private readonly soloBp: Backprop;
  private readonly predicted: Uint8Array;
  private readonly spinLimit: number;
  private timedStart = 0;
  /** The network this thread trains: the shared one, with its own copy of the layers every thread runs whole. */
  private readonly trainNet: Network;

  constructor(private readonly init: TeamInit, private readonly t: number, kernel: Kernel) {
    const { memory } = init;
    this.ctl = new Int32Array(init.control);
    this.ctlF = new Float64Array(init.controlF64);
    const net = new Network(init.architecture, new Replay(memory, init.network));
    this.trainNet = new Network(init.architecture, new Replay(memory, init.trainNetwork[t]));
    const cost = COSTS[init.cost];
    const conv = convKernelFor(net, kernel, memory);
    // even and odd mini-batches: the same steps on the two buffers the workspace alternates between, planned as a pair
    const trainWs = new Workspace(this.trainNet, init.train.capacity, new Replay(memory, init.train.layout), true, init.threads, t);
    const [even, odd] = [0, 1].map((parity) => new Backprop(kernel, this.trainNet, trainWs, cost, init.seed, conv, parity));
    this.bps = [even, odd];
    this.plans = pairPlans(even, odd);
    const evalWs = new Workspace(net, init.evaluate[t].capacity, new Replay(memory, init.evaluate[t].layout), false);
    this.evalBp = new Backprop(kernel, net, evalWs, cost, 0, conv);
    this.soloBp = new Backprop(kernel, net, new Workspace(net, init.solo.capacity, new Replay(memory, init.solo.layout)), cost, init.seed, conv);
    this.predicted = new Uint8Array(init.evaluate[t].capacity);
    this.spinLimit = init.spin ? 1 << 14 : 0; // about 20 µs: a fair wait, not a stolen time slice
  }

  // ---- the main thread's side -------------------------------------------

  /** Starts a command on every worker; the caller then runs its own share with run(). */
  issue(cmd: Command, dataset: number, job: Partial<Job> = {}): void {
    const { start, end, batch, eta, decay, epoch, cost, solo, timed } = { ...NO_JOB, ...job };
    const c = this.ctl;
    c[CMD] = cmd;
    c[SOLO] = solo;
    c[TIMED] = timed;
    c[EPOCH] = epoch;
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

  /** The time of the last training command's timed part, ms: a probe's warm-up and the wake-up of sleeping threads
   *  left out (a worker's wake-up took a fifth to a half of a 16-batch probe's time here). */
  elapsed(): number {
    return this.ctlF[ELAPSED];
  }

  /** The results of the last Evaluate command, on a set of `count` examples: the threads' counts, the cost's blocks in order. */
  results(count: number): { correct: number; costSum: number } {
    let correct = 0;
    for (let t = 0; t < this.init.threads; t++) correct += this.ctl[CORRECT + 16 * t];
    return { correct, costSum: totalCost(this.init.costBlocks, count) };
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
    if (c[CMD] === Command.Train) this.train(ds, c[START], c[END], c[BATCH], this.ctlF[ETA], this.ctlF[DECAY], c[EPOCH]);
    else if (c[CMD] === Command.Solo) {
      if (c[SOLO] === this.t) {
        this.solo(ds, c[START], c[END], c[BATCH], this.ctlF[ETA], this.ctlF[DECAY], c[EPOCH]);
        this.ctlF[ELAPSED] = performance.now() - this.timedStart; // before the barrier that releases the main thread
      }
    } else this.evaluate(ds, c[COST] < 0 ? undefined : COSTS[COST_NAMES[c[COST]]]);
    this.barrier();
    if (c[CMD] === Command.Train && this.t === 0) this.ctlF[ELAPSED] = performance.now() - this.timedStart;
  }

  /** Marks the team as failed so that no thread waits for ever at a barrier. */
  abort(): void {
    Atomics.store(this.ctl, ABORT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }

  private train(ds: Dataset, start: number, end: number, batchSize: number, eta: number, decay: number, epoch: number): void {
    // this thread's copies start from the network's values (thread 0 trains the network itself),
    // and no thread changes those before every thread has copied them
    const from = this.bps[0].ws.copiedFrom;
    if (this.t > 0) copyParameters(this.evalBp.net, this.trainNet, from);
    if (from < this.trainNet.layers.length) this.barrier();
    for (const { ctx } of this.bps) {
      ctx.eta = eta;
      ctx.decay = decay;
      ctx.epoch = epoch;
    }
    for (let s = start, b = 0; s < end; s += batchSize, b ^= 1) {
      this.startTimer(s, batchSize);
      this.bps[b].ctx.batch = s / batchSize;
      this.step(b, ds, s, Math.min(batchSize, end - s));
    }
  }

  /** The same SGD as the team's, by this thread alone on whole mini-batches, as the serial engine does it. */
  private solo(ds: Dataset, start: number, end: number, batchSize: number, eta: number, decay: number, epoch: number): void {
    this.soloBp.trainRange(ds, this.init.order, start, end, batchSize, eta, decay, epoch, (s) => this.startTimer(s, batchSize));
  }

  /** Notes the time at the first mini-batch of the timed part (the one holding example TIMED). */
  private startTimer(s: number, batchSize: number): void {
    const timed = this.ctl[TIMED];
    if (s <= timed && timed < s + batchSize) this.timedStart = performance.now();
  }

  /** One SGD step on mini-batch order[s .. s+m), the command's b-th mod 2: this thread's block of every step of the plan. */
  private step(b: number, ds: Dataset, s: number, m: number): void {
    const { t } = this;
    const T = this.init.threads;
    this.bps[b].setBatch(ds, this.init.order, s, m);
    for (const { step, barrier, whole } of this.plans[b]) {
      if (barrier) this.barrier();
      const n = extent(step, m);
      const from = whole ? 0 : blockEdge(n, t, T);
      const to = whole ? n : blockEdge(n, t + 1, T);
      if (to > from) step.run(from, to, t);
    }
  }

  private evaluate(ds: Dataset, cost?: Cost): void {
    const n = this.evalBp.net.outputs;
    const counts = new Uint32Array(n * n);
    // whole blocks of the cost's sum to each thread
    const [b0, b1] = share(costBlocks(ds.count), this.t, this.init.threads);
    const [e0, e1] = [b0 * COST_BLOCK, Math.min(b1 * COST_BLOCK, ds.count)];
    scoreRange(this.evalBp, this.predicted, ds, e0, e1, counts, cost, this.init.costBlocks);
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
