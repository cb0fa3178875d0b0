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
  const { sizes, weights, biases } = net;
  for (let l = 0; l < net.layers; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    const z = ws.activations[l + 1]; // holds z, then σ(z) in place
    kernel.gemmABt(m, nOut, nIn, ws.activations[l], 0, nIn, weights[l], 0, nIn, z, 0, nOut);
    addBiasSigmoid(m, nOut, z, 0, nOut, biases[l], 0);
  }
}

/** Backward pass after feedforward: fills ws.delta for every layer (BP1, BP2). */
export function backward(kernel: Kernel, net: Network, ws: Workspace, m: number, cost: Cost): void {
  const { sizes, weights } = net;
  const L = net.layers;
  const { activations, delta } = ws;
  cost.delta(m, sizes[L], 0, sizes[L], activations[L], ws.labels, delta[L - 1]); // BP1
  for (let l = L - 1; l > 0; l--) {
    const n = sizes[l];
    const nNext = sizes[l + 1];
    kernel.gemmAB(m, n, nNext, delta[l], 0, nNext, weights[l], 0, n, delta[l - 1], 0, n); // BP2
    mulSigmoidPrime(m, n, delta[l - 1], 0, n, activations[l], 0, n);
  }
}

/**
 * The SGD step from the deltas, without a gradient buffer:
 *   W ← decay·W − (eta/m)·(δ)ᵀ·a   (BP4),   b ← b − (eta/m)·Σδ   (BP3),
 * where decay = 1 − eta·lambda/n is L2 regularisation's weight decay.
 */
export function update(kernel: Kernel, net: Network, ws: Workspace, m: number, eta: number, decay: number): void {
  const { sizes, weights, biases } = net;
  const step = -eta / m;
  for (let l = 0; l < net.layers; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    kernel.gemmAtB(nOut, nIn, m, step, ws.delta[l], 0, nOut, ws.activations[l], 0, nIn, decay, weights[l], 0, nIn);
    sumRows(m, nOut, step, ws.delta[l], 0, nOut, 1, biases[l], 0);
  }
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
