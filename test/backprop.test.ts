// Backprop against the definition of a derivative, and the matrix form
// against the book's one-example-at-a-time loop.
import { describe, expect, it } from "vitest";
import { backward, feedforward, gradients, update, Workspace } from "../src/network/backprop.js";
import { COSTS, type CostName } from "../src/network/costs.js";
import type { Network } from "../src/network/network.js";
import { PerExample } from "../src/network/per-example.js";
import type { Kernel } from "../src/kernel/kernel.js";
import { kernels, maxRelError, randomBatch, randomNetwork } from "./helpers.js";

const M = 4; // examples in the test batch
const SIZES = [6, 5, 4, 3];

/** network2.py's total cost over the batch: mean C_x plus (lambda/2n)·Σw². */
function totalCost(kernel: Kernel, net: Network, ws: Workspace, cost: CostName, lambda: number, n: number): number {
  feedforward(kernel, net, ws, M);
  const L = net.layers.length;
  const nOut = net.sizes[L];
  let s = 0;
  for (let i = 0; i < M; i++) s += COSTS[cost].fn(nOut, ws.activations[L], i * nOut, ws.labels[i]);
  return s / M + (0.5 * lambda / n) * net.sumSquaredWeights();
}

describe.each(kernels())("backprop with the $name kernel", ({ kernel, arena }) => {
  for (const cost of ["quadratic", "cross-entropy"] as const) {
    for (const lambda of [0, 5]) {
      it(`the SGD step follows the gradient of the ${cost} cost with lambda ${lambda} (central differences)`, () => {
        const net = randomNetwork(SIZES, arena);
        const ws = new Workspace(net, M, arena);
        randomBatch(ws.activations[0], ws.labels, M, SIZES[3]);
        const X = ws.activations[0].slice(0, M * SIZES[0]);
        const n = 50; // training-set size in the L2 term
        const eta = 1e-3;

        // numerical gradient of the total cost, parameter by parameter
        const params = [...net.weights, ...net.biases];
        const numeric = params.map((p) =>
          Array.from(p, (_, j) => {
            const keep = p[j];
            const h = 1e-5;
            p[j] = keep + h;
            const up = totalCost(kernel, net, ws, cost, lambda, n);
            p[j] = keep - h;
            const down = totalCost(kernel, net, ws, cost, lambda, n);
            p[j] = keep;
            return (up - down) / (2 * h);
          }),
        );

        // the gradient the update applies: (before - after) / eta
        const before = params.map((p) => p.slice());
        ws.activations[0].set(X);
        feedforward(kernel, net, ws, M);
        backward(kernel, net, ws, M, COSTS[cost]);
        update(kernel, net, ws, M, eta, 1 - (eta * lambda) / n);
        params.forEach((p, i) => {
          const applied = Array.from(p, (v, j) => (before[i][j] - v) / eta);
          const scale = Math.max(...numeric[i].map(Math.abs), 1e-3);
          const err = Math.max(...applied.map((g, j) => Math.abs(g - numeric[i][j]))) / scale;
          expect(err).toBeLessThan(1e-6);
        });
      });
    }
  }

  it("matrix-based gradients equal the sum of per-example gradients", () => {
    const sizes = [30, 17, 9, 10];
    const m = 13;
    const net = randomNetwork(sizes, arena, 3);
    const ws = new Workspace(net, m, arena);
    randomBatch(ws.activations[0], ws.labels, m, 10, 5);
    const X = ws.activations[0].slice();
    const labels = ws.labels.slice();
    for (const cost of ["quadratic", "cross-entropy"] as const) {
      // in the arena, where the kernels can reach them; NaN shows any element left unwritten
      const nablaW = net.weights.map((w) => arena.f64(w.length).fill(NaN));
      const nablaB = net.biases.map((b) => arena.f64(b.length).fill(NaN));
      ws.activations[0].set(X);
      feedforward(kernel, net, ws, m);
      backward(kernel, net, ws, m, COSTS[cost]);
      gradients(kernel, net, ws, m, nablaW, nablaB);

      const loop = new PerExample(kernel, net, COSTS[cost], arena);
      loop.gradients(X, labels, m);
      nablaW.forEach((g, l) => expect(maxRelError(g, loop.nablaW[l])).toBeLessThan(1e-10));
      nablaB.forEach((g, l) => expect(maxRelError(g, loop.nablaB[l])).toBeLessThan(1e-10));
      expect(Math.max(...nablaW[0].map(Math.abs))).toBeGreaterThan(1e-6); // not trivially zero
    }
  });

  it("the per-example SGD step equals the matrix SGD step", () => {
    const sizes = [12, 8, 10];
    const m = 7;
    const a = randomNetwork(sizes, arena, 9);
    const b = randomNetwork(sizes, arena, 9);
    const ws = new Workspace(a, m, arena);
    randomBatch(ws.activations[0], ws.labels, m, 10, 2);
    const X = ws.activations[0].slice();
    new PerExample(kernel, b, COSTS.quadratic, arena).step(X, ws.labels, m, 3.0, 0.999);
    feedforward(kernel, a, ws, m);
    backward(kernel, a, ws, m, COSTS.quadratic);
    update(kernel, a, ws, m, 3.0, 0.999);
    a.weights.forEach((w, l) => expect(maxRelError(w, b.weights[l])).toBeLessThan(1e-12));
    a.biases.forEach((v, l) => expect(maxRelError(v, b.biases[l])).toBeLessThan(1e-12));
  });
});
