// The engine for several threads: the calling thread and threads - 1
// workers run a Team (team.ts) over one shared WebAssembly.Memory that holds
// the network and every buffer. Datasets are shared, not copied: their bytes
// live in SharedArrayBuffers.
//
// A team meets at a few barriers per mini-batch, which is fast while each
// thread has a core and very slow when other work takes one. Since the team
// computes exactly what one thread computes, the engine may train any run of
// mini-batches on one of its threads alone without changing a single bit: it
// times the ways on a few mini-batches now and then and trains with the
// fastest (mode-chooser.ts). Evaluation (one barrier per pass) always uses the team.
import os from "node:os";
import { Worker } from "node:worker_threads";
import type { Dataset } from "../data/dataset.js";
import { wasmModule } from "../kernel/wasm.js";
import { Workspace } from "./backprop.js";
import { ModeChooser, TEAM, type Run } from "./mode-chooser.js";
import { copiedFrom, copyLayout } from "./replicas.js";
import { residentFor } from "./resident.js";
import { costBlocks } from "./score.js";
import type { Cost } from "./costs.js";
import { EVAL_CHUNK, meanCost, SerialEngine, type Engine, type EngineOptions, type Score } from "./engine.js";
import { Command, newControl, Team, workspaceLayout, type TeamInit } from "./team.js";

/** Examples per decision among the ways to train (mode-chooser.ts), in whole mini-batches: 250 of 10, and at
 *  least 64 (a probe takes 24). By mini-batches alone, an epoch of 500 mini-batches of 100 was two slices, and
 *  a 3-epoch run saw two probes at most (the first waits four slices). */
const SLICE_EXAMPLES = 2500;
const sliceBatches = (batchSize: number): number => Math.min(250, Math.max(64, Math.round(SLICE_EXAMPLES / batchSize)));

export class ParallelEngine implements Engine {
  private constructor(
    readonly kernel: EngineOptions["kernel"],
    readonly network: EngineOptions["network"],
    readonly threads: number,
    private readonly team: Team,
    private readonly order: Uint32Array,
    private readonly ids: Map<Dataset, number>,
    private readonly workers: Worker[],
    private readonly alone: SerialEngine,
    private readonly chooser: ModeChooser,
  ) {}

  static async start(o: EngineOptions): Promise<ParallelEngine> {
    const { arena, network, threads } = o;
    const largest = Math.max(1, ...o.datasets.map((d) => d.count));
    const order = new Uint32Array(new SharedArrayBuffer(4 * largest));
    const init: TeamInit = {
      threads,
      spin: threads <= os.availableParallelism(),
      memory: arena.memory,
      ...newControl(),
      costBlocks: new Float64Array(new SharedArrayBuffer(8 * costBlocks(largest))),
      order,
      datasets: o.datasets.map((ds) => residentFor(arena, ds, network, o.kernel)),
      architecture: network.architecture,
      network: network.layout,
      // thread 0 trains the network itself, every other thread its own copy of the layers all run whole
      trainNetwork: Array.from({ length: threads }, (_, t) => (t === 0 ? network.layout : copyLayout(network, copiedFrom(network.layers, threads), arena))),
      cost: o.cost.name,
      seed: o.seed ?? 0,
      train: workspaceLayout(new Workspace(network, o.batchSize, arena, true, threads)),
      solo: workspaceLayout(new Workspace(network, o.batchSize, arena)),
      evaluate: Array.from({ length: threads }, () => workspaceLayout(new Workspace(network, EVAL_CHUNK, arena, false))),
    };
    const module = o.kernel.name === "wasm" ? wasmModule(o.kernel.variant) : undefined;
    const workers = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => spawn(init, i + 1, module)));
    const ids = new Map(o.datasets.map((d, i) => [d, i]));
    const alone = new SerialEngine(o.kernel, network, o.cost, o.batchSize, arena, o.seed);
    const chooser = new ModeChooser(threads, o.way);
    return new ParallelEngine(o.kernel, network, threads, new Team(init, 0, o.kernel), order, ids, workers, alone, chooser);
  }

  get teamShare(): number {
    return this.chooser.teamShare;
  }

  trainBatches(ds: Dataset, order: Uint32Array, start: number, end: number, batchSize: number, eta: number, decay: number, epoch = 0): void {
    const id = this.id(ds);
    this.order.set(order.subarray(start, end), start);
    // The chooser decides slice by slice, however long a run the caller asks for; slices that go the same way
    // with no probe between them are one command. Each command costs a hand-over between the threads: 0.4 ms when
    // a worker trains alone (the calling thread sleeps meanwhile and must be woken), 3-5% of 784-30-10 mb 10.
    const slice = sliceBatches(batchSize) * batchSize;
    let pending: Run | undefined;
    const train = (run: Run): void => {
      const cmd = run.way === TEAM ? Command.Train : Command.Solo;
      this.team.issue(cmd, id, { start: run.start, end: run.end, batch: batchSize, eta, decay, epoch, solo: run.way, timed: run.timed });
      this.team.run();
      this.chooser.record(run, this.team.elapsed());
    };
    for (let s = start; s < end; s += slice) {
      for (const run of this.chooser.plan(s, Math.min(end, s + slice), batchSize)) {
        if (pending && pending.way === run.way && !isProbe(pending) && !isProbe(run)) {
          pending.end = run.end;
          continue;
        }
        if (pending) train(pending);
        pending = { ...run };
      }
    }
    if (pending) train(pending);
  }

  evaluate(ds: Dataset, cost?: Cost, lambda = 0, n = ds.count): Score {
    this.team.issue(Command.Evaluate, this.id(ds), { cost: cost?.name });
    this.team.run();
    const { correct, costSum } = this.team.results(ds.count);
    const score: Score = { correct, total: ds.count };
    if (cost) score.cost = meanCost(costSum, ds.count, this.network, lambda, n);
    return score;
  }

  /** A short pass (a thousand examples): the calling thread alone. */
  gradientNorms(ds: Dataset, count: number): number[] {
    return this.alone.gradientNorms(ds, count);
  }

  async close(): Promise<void> {
    const exited = this.workers.map((w) => new Promise((resolve) => w.once("exit", resolve)));
    this.team.issue(Command.Exit, 0);
    await Promise.all(exited);
  }

  private id(ds: Dataset): number {
    const id = this.ids.get(ds);
    if (id === undefined) throw new Error("this dataset was not given to the parallel engine when it started");
    return id;
  }
}

/** A probe's run times only its part after a warm-up (mode-chooser.ts); it is never joined to another run. */
const isProbe = (run: Run): boolean => run.timed > run.start;

/** Starts worker t and resolves once it has built its view of the shared state. */
function spawn(init: TeamInit, t: number, module?: WebAssembly.Module): Promise<Worker> {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: { init, t, module } });
  return new Promise((resolve, reject) => {
    worker.once("message", () => resolve(worker));
    worker.once("error", reject);
  });
}
