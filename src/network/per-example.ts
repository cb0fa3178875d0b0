// The book's update_mini_batch: backprop one example at a time and sum the
// gradients. It runs the same code as the matrix form with m = 1, so the
// two differ only in how the batch is walked: tests use it as the reference
// for the matrix form, and the benchmark to answer the chapter-2 question.
import { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import { backward, feedforward, gradients, Workspace } from "./backprop.js";
import type { Cost } from "./costs.js";
import type { Network } from "./network.js";

export class PerExample {
  private readonly ws: Workspace;
  private readonly deltaW: Float64Array[];
  private readonly deltaB: Float64Array[];
  readonly nablaW: Float64Array[];
  readonly nablaB: Float64Array[];

  constructor(private readonly kernel: Kernel, private readonly net: Network, private readonly cost: Cost, arena: Arena) {
    this.ws = new Workspace(net.sizes, 1, arena);
    this.deltaW = net.weights.map((w) => arena.f64(w.length));
    this.deltaB = net.biases.map((b) => arena.f64(b.length));
    this.nablaW = net.weights.map((w) => arena.f64(w.length));
    this.nablaB = net.biases.map((b) => arena.f64(b.length));
  }

  /** nablaW, nablaB = Σ over the m rows of X (m, sizes[0]) of each example's gradient. */
  gradients(X: Float64Array, labels: Uint8Array, m: number): void {
    const nIn = this.net.sizes[0];
    for (const v of [...this.nablaW, ...this.nablaB]) v.fill(0);
    for (let i = 0; i < m; i++) {
      this.ws.activations[0].set(X.subarray(i * nIn, (i + 1) * nIn));
      this.ws.labels[0] = labels[i];
      feedforward(this.kernel, this.net, this.ws, 1);
      backward(this.kernel, this.net, this.ws, 1, this.cost);
      gradients(this.kernel, this.net, this.ws, 1, this.deltaW, this.deltaB);
      addInto(this.nablaW, this.deltaW);
      addInto(this.nablaB, this.deltaB);
    }
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
