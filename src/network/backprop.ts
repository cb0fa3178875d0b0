// Fully matrix-based backpropagation over a mini-batch (the chapter-2
// exercise): the m examples are the rows of one matrix, so each layer is one
// product for the whole batch. With δˡ the error of layer l's outputs:
//   BP1  δᴸ = ∇ₐC ∘ σ'(zᴸ)                 (the cost's own delta)
//   BP2  δˡ = (δˡ⁺¹ · Wˡ⁺¹) ∘ σ'(zˡ)
//   BP3  ∂C/∂bˡ = Σ over the batch of δˡ
//   BP4  ∂C/∂Wˡ = (δˡ)ᵀ · aˡ⁻¹
import { Arena } from "../kernel/arena.js";
import type { Kernel } from "../kernel/kernel.js";
import { addBiasSigmoid, mulSigmoidPrime, sumRows } from "../kernel/activations.js";
import type { Cost } from "./costs.js";
import type { Network } from "./network.js";

/** Buffers for batches of up to `capacity` examples, made once. */
export class Workspace {
  readonly capacity: number;
  /** activations[0] is the input batch X (m, sizes[0]); activations[l] is (m, sizes[l]). */
  readonly activations: Float64Array[];
  /** delta[l] is the error of the outputs of weight layer l, (m, sizes[l+1]). */
  readonly delta: Float64Array[];
  readonly labels: Uint8Array;

  /** New buffers in `arena`, or views of buffers that already exist (in a worker thread). */
  constructor(sizes: readonly number[], capacity: number, from: Arena | Omit<Workspace, "capacity">) {
    this.capacity = capacity;
    if (from instanceof Arena) {
      this.activations = sizes.map((n) => from.f64(capacity * n));
      this.delta = sizes.slice(1).map((n) => from.f64(capacity * n));
      this.labels = from.u8(capacity);
    } else {
      ({ activations: this.activations, delta: this.delta, labels: this.labels } = from);
    }
  }
}

/** Forward pass of m examples: activations[l+1] = σ(activations[l] · W[l]ᵀ + b[l]). */
export function feedforward(kernel: Kernel, net: Network, ws: Workspace, m: number): void {
  for (let l = 0; l < net.layers; l++) forwardLayer(kernel, net, ws, m, l, 0, net.sizes[l + 1]);
}

/** Backward pass after feedforward: fills ws.delta for every layer (BP1, BP2). */
export function backward(kernel: Kernel, net: Network, ws: Workspace, m: number, cost: Cost): void {
  const L = net.layers;
  outputDelta(net, ws, m, cost, 0, net.sizes[L]);
  for (let l = L - 1; l > 0; l--) backwardLayer(kernel, net, ws, m, l, 0, net.sizes[l]);
}

/**
 * The SGD step from the deltas, without a gradient buffer:
 *   W ← decay·W − (eta/m)·(δ)ᵀ·a   (BP4),   b ← b − (eta/m)·Σδ   (BP3),
 * where decay = 1 − eta·lambda/n is L2 regularisation's weight decay.
 */
export function update(kernel: Kernel, net: Network, ws: Workspace, m: number, eta: number, decay: number): void {
  for (let l = 0; l < net.layers; l++) updateLayer(kernel, net, ws, m, l, eta, decay, 0, net.sizes[l + 1]);
}

// The same steps one layer at a time, for neurons r0..r1 of the layer only:
// a thread of a team (team.ts) runs them on its own block of neurons.

/** Outputs r0..r1 of weight layer l: z = a·W[l]ᵀ + b[l], then σ(z) in place. */
export function forwardLayer(kernel: Kernel, net: Network, ws: Workspace, m: number, l: number, r0: number, r1: number): void {
  if (r1 <= r0) return;
  const nIn = net.sizes[l];
  const nOut = net.sizes[l + 1];
  const z = ws.activations[l + 1];
  kernel.gemmABt(m, r1 - r0, nIn, ws.activations[l], 0, nIn, net.weights[l], r0 * nIn, nIn, z, r0, nOut);
  addBiasSigmoid(m, r1 - r0, z, r0, nOut, net.biases[l], r0);
}

/** BP1 for output neurons j0..j1: the cost's own δᴸ. */
export function outputDelta(net: Network, ws: Workspace, m: number, cost: Cost, j0: number, j1: number): void {
  const L = net.layers;
  cost.delta(m, net.sizes[L], j0, j1, ws.activations[L], ws.labels, ws.delta[L - 1]); // BP1
}

/** BP2 for neurons c0..c1 of layer l (the inputs of weight layer l): δ[l-1] from δ[l] and W[l]. */
export function backwardLayer(kernel: Kernel, net: Network, ws: Workspace, m: number, l: number, c0: number, c1: number): void {
  if (c1 <= c0) return;
  const n = net.sizes[l];
  const nNext = net.sizes[l + 1];
  const { delta } = ws;
  kernel.gemmAB(m, c1 - c0, nNext, delta[l], 0, nNext, net.weights[l], c0, n, delta[l - 1], c0, n); // BP2
  mulSigmoidPrime(m, c1 - c0, delta[l - 1], c0, n, ws.activations[l], c0, n);
}

/** BP4 and BP3 with the SGD step for rows r0..r1 of W[l] and entries r0..r1 of b[l]. */
export function updateLayer(
  kernel: Kernel, net: Network, ws: Workspace, m: number, l: number, eta: number, decay: number, r0: number, r1: number,
): void {
  if (r1 <= r0) return;
  const nIn = net.sizes[l];
  const nOut = net.sizes[l + 1];
  const step = -eta / m;
  const { delta } = ws;
  kernel.gemmAtB(r1 - r0, nIn, m, step, delta[l], r0, nOut, ws.activations[l], 0, nIn, decay, net.weights[l], r0 * nIn, nIn); // BP4
  sumRows(m, r1 - r0, step, delta[l], r0, nOut, 1, net.biases[l], r0); // BP3
}

/** The summed gradients of the batch's cost (BP3, BP4) into nablaW, nablaB. */
export function gradients(
  kernel: Kernel, net: Network, ws: Workspace, m: number, nablaW: Float64Array[], nablaB: Float64Array[],
): void {
  const { sizes } = net;
  for (let l = 0; l < net.layers; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    kernel.gemmAtB(nOut, nIn, m, 1, ws.delta[l], 0, nOut, ws.activations[l], 0, nIn, 0, nablaW[l], 0, nIn);
    sumRows(m, nOut, 1, ws.delta[l], 0, nOut, 0, nablaB[l], 0);
  }
}
