// The costs of the book. Each gives its value for one example and the
// output layer's error δᴸ = ∂C/∂z for a block of a mini-batch (BP1), and says
// which output activation it fits. Targets are one-hot vectors given by
// their label.
import type { Activation } from "../layers/activations.js";

export type CostName = "quadratic" | "cross-entropy" | "log-likelihood";

export interface Cost {
  readonly name: CostName;
  /** The class name network2.py writes in a saved model (its two costs only). */
  readonly bookName?: "QuadraticCost" | "CrossEntropyCost";
  /** The output activations it fits, and in words for the error message. */
  fits(f: Activation): boolean;
  readonly needs: string;
  // a (n) at ao, one-hot target of `label` -> C_x
  fn(n: number, A: Float64Array, ao: number, label: number): number;
  // A (m, n) output activations f(z), labels (m) -> rows i0..i1, columns j0..j1 of D (m, n) = δᴸ (BP1)
  delta(i0: number, i1: number, j0: number, j1: number, n: number, A: Float64Array, labels: Uint8Array, D: Float64Array, f: Activation): void;
}

const MAX_FINITE = Number.MAX_VALUE; // numpy's nan_to_num turns an infinite cost into this

// δ = a − y: for cross-entropy after a sigmoid and log-likelihood after a softmax, f' cancels
function aMinusY(i0: number, i1: number, j0: number, j1: number, n: number, A: Float64Array, labels: Uint8Array, D: Float64Array): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) D[i * n + j] = A[i * n + j] - (j === labels[i] ? 1 : 0);
  }
}

export const quadratic: Cost = {
  name: "quadratic",
  bookName: "QuadraticCost",
  fits: (f) => !f.rowWise,
  needs: "an element-wise output activation (not softmax)",
  fn(n, A, ao, label) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      const e = A[ao + j] - (j === label ? 1 : 0);
      s += e * e;
    }
    return 0.5 * s;
  },
  // δ = (a − y) ∘ f'(z)
  delta(i0, i1, j0, j1, n, A, labels, D, f) {
    for (let i = i0; i < i1; i++) {
      for (let j = j0; j < j1; j++) {
        const a = A[i * n + j];
        D[i * n + j] = f.times(a - (j === labels[i] ? 1 : 0), a);
      }
    }
  },
};

export const crossEntropy: Cost = {
  name: "cross-entropy",
  bookName: "CrossEntropyCost",
  fits: (f) => f.name === "sigmoid",
  needs: "a sigmoid output layer",
  // -y ln a - (1 - y) ln(1 - a), where 0·ln 0 counts as 0 as in the book
  fn(n, A, ao, label) {
    let s = 0;
    for (let j = 0; j < n; j++) s -= Math.log(j === label ? A[ao + j] : 1 - A[ao + j]);
    return Math.min(s, MAX_FINITE);
  },
  delta: aMinusY,
};

// network3.py's cost: the negative log of the probability the softmax gives the right digit
export const logLikelihood: Cost = {
  name: "log-likelihood",
  fits: (f) => f.name === "softmax",
  needs: "a softmax output layer",
  fn(_n, A, ao, label) {
    return Math.min(-Math.log(A[ao + label]), MAX_FINITE);
  },
  delta: aMinusY,
};

export const COSTS: Record<CostName, Cost> = { quadratic, "cross-entropy": crossEntropy, "log-likelihood": logLikelihood };
export const COST_NAMES = Object.keys(COSTS) as CostName[];
