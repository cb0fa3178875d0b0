// The book's update_mini_batch: backprop one example at a time and sum the
// gradients. It runs the same steps as the matrix form with m = 1, so the
// two differ only in how the batch is walked: tests use it as the reference
// for the matrix form, and the benchmark to answer the chapter-2 question.
import { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import { Backprop, convKernelFor, Workspace } from "./backprop.js";
import type { Cost } from "./costs.js";
import type { Network } from "./network.js";

export class PerExample {
  private readonly bp: Backprop;
  private readonly deltaW: Float64Array[];
  private readonly deltaB: Float64Array[];
  readonly nablaW: Float64Array[];
  readonly nablaB: Float64Array[];

  constructor(kernel: Kernel, private readonly net: Network, cost: Cost, arena: Arena) {
    this.bp = new Backprop(kernel, net, new Workspace(net, 1, arena), cost, 0, convKernelFor(net, kernel, arena.memory));
    this.deltaW = net.weights.map((w) => arena.f64(w.length));
    this.deltaB = net.biases.map((b) => arena.f64(b.length));
    this.nablaW = net.weights.map((w) => arena.f64(w.length));
    this.nablaB = net.biases.map((b) => arena.f64(b.length));
  }

  /** nablaW, nablaB = Σ over the m rows of X (m, inputs) of each example's gradient. */
  gradients(X: Float64Array, labels: Uint8Array, m: number): void {
    const { bp, net } = this;
    const { ws } = bp;
    const nIn = net.inputs;
    for (const v of [...this.nablaW, ...this.nablaB]) v.fill(0);
    for (let i = 0; i < m; i++) {
      ws.input.set(X.subarray(i * nIn, (i + 1) * nIn));
      ws.labels[0] = labels[i];
      bp.ctx.row0 = i; // the dropout mask of row i of the batch
      bp.run(bp.forward, 1);
      bp.run(bp.backward, 1);
      net.layers.forEach((l, k) => l.gradient(bp.ops, 1, ws.io[k], this.deltaW[k], this.deltaB[k], 0));
      addInto(this.nablaW, this.deltaW);
      addInto(this.nablaB, this.deltaB);
    }
    bp.ctx.row0 = 0;
  }

  /** One SGD step as update_mini_batch takes it: W ← decay·W − (eta/m)·∇W, b ← b − (eta/m)·∇b. */
  step(X: Float64Array, labels: Uint8Array, m: number, eta: number, decay: number): void {
    this.gradients(X, labels, m);
    const step = eta / m;
    this.net.weights.forEach((w, l) => {
      const g = this.nablaW[l];
      for (let j = 0; j < w.length; j++) w[j] = decay * w[j] - step * g[j];
    });
    this.net.biases.forEach((b, l) => {
      const g = this.nablaB[l];
      for (let j = 0; j < b.length; j++) b[j] -= step * g[j];
    });
  }
}

function addInto(sums: Float64Array[], terms: Float64Array[]): void {
  sums.forEach((s, l) => {
    const t = terms[l];
    for (let j = 0; j < s.length; j++) s[j] += t[j];
  });
}
