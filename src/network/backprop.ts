// Fully matrix-based backpropagation over a mini-batch (the chapter-2
// exercise): the m examples are the rows of one matrix, so each layer is one
// product for the whole batch. With δˡ = ∂C/∂zˡ of layer l's outputs:
//   BP1  δᴸ = the cost's own output error (costs.ts)
//   BP2  δˡ = (δˡ⁺¹ · Wˡ⁺¹) ∘ f'(zˡ)
//   BP3  ∂C/∂bˡ = Σ over the batch of δˡ
//   BP4  ∂C/∂Wˡ = (δˡ)ᵀ · aˡ⁻¹
// The layers contribute the steps (src/layers/); this file strings them into
// the plans of a mini-batch, written once for every engine: the serial
// engine runs each step whole, a team's thread its own block of each.
import { gatherBatch } from "../data/batch.js";
import type { Dataset } from "../data/dataset.js";
import type { ConvKernel } from "../kernel/conv.js";
import { createConvKernel, jsChoice } from "../kernel/conv-choice.js";
import type { Kernel, OutputDelta } from "../kernel/kernel.js";
import { sparseRows } from "../kernel/pairs.js";
import type { LayerIO, Ops, Step, StepContext } from "../layers/layer.js";
import type { Cost } from "./costs.js";
import type { Network } from "./network.js";
import { extent, placeBarriers, type Planned } from "./plan.js";
import { Workspace } from "./workspace.js";

export { Workspace } from "./workspace.js";

/** Where the next mini-batch comes from: examples order[start ..] of ds. */
interface Source {
  ds?: Dataset;
  order: Uint32Array;
  start: number;
}

export class Backprop {
  readonly ctx: StepContext = { m: 0, eta: 0, decay: 1, seed: 0, epoch: 0, batch: 0, row0: 0 };
  /** Training, in order: forward (with dropout), BP1 and BP2, the SGD update. */
  readonly forward: Step[];
  readonly backward: Step[];
  readonly update: Step[];
  /** A whole SGD step: the gather, then forward, backward and update. */
  readonly steps: Step[] = [];
  /** The steps with the barriers a team needs, batch after batch. */
  readonly plan: Planned[];
  /** The buffers and parameters that are this thread's own copies (workspace.ts). */
  readonly own = new Set<Float64Array | Uint8Array | Int32Array>();
  /** Inference: the forward pass as the trained network computes it (dropout scaled, no masks). */
  readonly infer: Step[];
  /** Inference forward and backward: the gradient of the network as it stands (for monitors). */
  readonly gradient: Step[];
  private readonly source: Source = { order: new Uint32Array(0), start: 0 };
  readonly ops: Ops;

  /** `conv` defaults to the TypeScript convolutions (any memory will do for them); `parity`: the steps of even or odd
   *  mini-batches (workspace.ts), which differ in a team only. */
  constructor(readonly kernel: Kernel, readonly net: Network, readonly ws: Workspace, readonly cost: Cost, seed = 0, conv: ConvKernel = jsChoice, parity = 0) {
    const { ctx } = this;
    const ops: Ops = { gemm: kernel, conv };
    this.ops = ops;
    ctx.seed = seed;
    const { layers } = net;
    const io = ws.ioOf(parity);
    this.infer = layers.flatMap((l, i) => l.forward(ops, ctx, io[i], false));
    if (!ws.training) {
      this.forward = this.backward = this.update = this.gradient = [];
      this.plan = [];
      return;
    }
    const output = outputDelta(kernel, cost, net, io[io.length - 1], ws.labels, ctx);
    const down = [...layers.keys()].reverse(); // L-1 .. 0
    const bp2 = (l: number, training: boolean): Step[] => layers[l].backward(ops, ctx, io[l], training);
    const step = (l: number): Step[] => layers[l].update(ops, ctx, io[l]);
    this.forward = layers.flatMap((l, i) => l.forward(ops, ctx, io[i], true));
    this.backward = [output, ...down.flatMap((l) => bp2(l, true))];
    this.update = down.flatMap(step);
    this.gradient = [...this.infer, output, ...down.flatMap((l) => bp2(l, false))];
    // each layer's update right after its BP2, the last product that reads its weights
    this.steps = [this.gatherStep(), ...this.forward, output, ...down.flatMap((l) => [...bp2(l, true), ...step(l)])];
    // a thread with its own copies of buffers has its own copy of those layers' parameters too (replicas.ts)
    this.own = new Set(ws.own);
    if (this.own.size > 0) for (const l of layers.slice(ws.copiedFrom)) this.own.add(l.weight).add(l.bias);
    this.plan = placeBarriers(this.steps, this.own);
  }

  /** SGD over examples order[start .. end) of ds in mini-batches of batchSize, each whole, on this thread;
   *  `before(s)` runs before the mini-batch starting at s. */
  trainRange(
    ds: Dataset, order: Uint32Array, start: number, end: number, batchSize: number, eta: number, decay: number, epoch: number,
    before?: (s: number) => void,
  ): void {
    const { ctx } = this;
    ctx.eta = eta;
    ctx.decay = decay;
    ctx.epoch = epoch;
    for (let s = start; s < end; s += batchSize) {
      before?.(s);
      ctx.batch = s / batchSize;
      this.trainBatch(ds, order, s, Math.min(batchSize, end - s));
    }
  }

  /** One SGD step on examples order[start .. start+m) of ds, whole, on this thread. */
  trainBatch(ds: Dataset, order: Uint32Array, start: number, m: number): void {
    this.setBatch(ds, order, start, m);
    for (const { step } of this.plan) step.run(0, extent(step, m), 0);
  }

  setBatch(ds: Dataset, order: Uint32Array, start: number, m: number): void {
    this.source.ds = ds;
    this.source.order = order;
    this.source.start = start;
    this.ctx.m = m;
  }

  /** Runs steps whole on the m examples in the workspace. */
  run(steps: readonly Step[], m: number): void {
    this.ctx.m = m;
    for (const step of steps) step.run(0, extent(step, m), 0);
  }

  private gatherStep(): Step {
    const { input: X, labels, picks } = this.ws;
    const pairs = this.ws.io[0].pairs;
    const n = this.net.inputs;
    const src = this.source;
    const { kernel } = this;
    const index = pairs ? [{ buffer: pairs.rows.list, all: false }, { buffer: pairs.rows.count, all: false }] : [];
    // training: the gather from the images' lists makes the update's columns index too
    const cols = pairs && this.ws.training ? pairs.cols : undefined;
    if (cols) index.push({ buffer: cols.list, all: true }, { buffer: cols.count, all: true });
    return {
      name: "gather", split: "examples", units: 0, reads: [],
      writes: [{ buffer: X, all: false }, { buffer: labels, all: false }, { buffer: picks, all: false }, ...index],
      run: (i0, i1) => {
        const ds = src.ds!;
        const lists = pairs ? ds.pairs : undefined;
        if (!ds.resident && !lists) return gatherBatch(ds, src.order, src.start + i0, i1 - i0, X, i0 * n, labels, i0);
        // the images or their lists are in the kernel's memory (resident.ts)
        for (let i = i0; i < i1; i++) {
          const e = src.order[src.start + i];
          if (!(e < ds.count)) throw new RangeError(`example ${e} is not among the ${ds.count} examples`);
          picks[i] = e;
          labels[i] = ds.labels[e];
        }
        // the first layer's rows index with the rows, from the images' lists or from the bytes (fully-connected.ts)
        if (lists) kernel.gatherPairs(i0, i1, n, lists, picks, X, 0, n, pairs!.rows, cols);
        else kernel.gatherRows(i0, i1, n, ds.images, picks, X, 0, n, pairs?.rows);
        if (!pairs) return;
        pairs.gathered = true;
        pairs.colsGathered = lists !== undefined && cols !== undefined;
        // that wrote of X only what the products over pairs read: when they will not be used (a dense batch, as the
        // forward step decides from the same whole index), the rows whole (from the lists: the other pairs are 0)
        if (i0 === 0 && i1 === this.ctx.m && sparseRows(i1, n, pairs.rows)) return;
        if (!lists) return kernel.gatherRows(i0, i1, n, ds.images, picks, X, 0, n);
        X.fill(0, i0 * n, i1 * n);
        kernel.gatherPairs(i0, i1, n, lists, picks, X, 0, n, pairs.rows, cols);
      },
    };
  }
}

/** The plans of a team's even and odd mini-batches (workspace.ts), placed as one cycle of two batches. */
export function pairPlans(even: Backprop, odd: Backprop): [Planned[], Planned[]] {
  const plan = placeBarriers([...even.steps, ...odd.steps], new Set([...even.own, ...odd.own]));
  return [plan.slice(0, even.steps.length), plan.slice(even.steps.length)];
}

/** BP1: δᴸ from the output activations and the labels, split as the output layer's last forward step is. */
function outputDelta(kernel: Kernel, cost: Cost, net: Network, io: LayerIO, labels: Uint8Array, ctx: StepContext): Step {
  const last = net.layers[net.layers.length - 1];
  const f = last.activation;
  const n = last.nOut;
  const { out: A, delta: D } = io;
  const byRows = f.rowWise;
  // the kernel's own where it has one (the same bits)
  const delta: OutputDelta = kernel.outputDelta?.(cost.name, f.name) ?? ((i0, i1, j0, j1, n, A, labels, D) => cost.delta(i0, i1, j0, j1, n, A, labels, D, f));
  return {
    name: "output delta", split: byRows ? "examples" : "units", units: n,
    reads: [{ buffer: A, all: false }, { buffer: labels, all: !byRows }],
    writes: [{ buffer: D, all: false }],
    run: byRows
      ? (i0, i1) => delta(i0, i1, 0, n, n, A, labels, D)
      : (j0, j1) => delta(0, ctx.m, j0, j1, n, A, labels, D),
  };
}

/** The convolution kernel to go with `kernel` on `memory`, for a network that has convolutions. */
export function convKernelFor(net: Network, kernel: Kernel, memory: WebAssembly.Memory): ConvKernel | undefined {
  return net.layers.some((l) => l.spec.type === "conv") ? createConvKernel(kernel.name, memory, kernel) : undefined;
}

// The steps as the book names them, for callers that drive one mini-batch by hand
// (tests, the per-example reference). Each builds its plans anew: not for hot loops.

/** Forward pass of the m examples in ws.input (training mode: dropout masks for epoch 0, batch 0). */
export function feedforward(kernel: Kernel, net: Network, ws: Workspace, m: number, cost?: Cost): void {
  const bp = new Backprop(kernel, net, ws, cost ?? anyCost);
  bp.run(ws.training ? bp.forward : bp.infer, m);
}

/** BP1 and BP2 after feedforward: fills every layer's δ. */
export function backward(kernel: Kernel, net: Network, ws: Workspace, m: number, cost: Cost): void {
  const bp = new Backprop(kernel, net, ws, cost);
  bp.run(bp.backward, m);
}

/** The SGD step from the deltas: W ← decay·W − (η/m)·δᵀ·a (BP4), b ← b − (η/m)·Σδ (BP3). */
export function update(kernel: Kernel, net: Network, ws: Workspace, m: number, eta: number, decay: number): void {
  const bp = new Backprop(kernel, net, ws, anyCost);
  bp.ctx.eta = eta;
  bp.ctx.decay = decay;
  bp.run(bp.update, m);
}

/** The summed gradients of the batch's cost (BP3, BP4) into nablaW, nablaB, after backward. */
export function gradients(kernel: Kernel, net: Network, ws: Workspace, m: number, nablaW: Float64Array[], nablaB: Float64Array[]): void {
  const ops = { gemm: kernel, conv: jsChoice };
  net.layers.forEach((l, i) => l.gradient(ops, m, ws.io[i], nablaW[i], nablaB[i], 0));
}

// forward and update steps do not use the cost; any one builds the plans
const anyCost: Cost = {
  name: "quadratic", fits: () => true, needs: "", fn: () => 0, delta: () => {},
};
