// The two costs of the book. Each gives its value for one example and the
// output-layer error δᴸ for a whole mini-batch (BP1). Targets are one-hot
// vectors given by their label.

export type CostName = "quadratic" | "cross-entropy";

export interface Cost {
  readonly name: CostName;
  /** The class name network2.py writes in a saved model. */
  readonly bookName: "QuadraticCost" | "CrossEntropyCost";
  // a (n) at ao, one-hot target of `label` -> C_x
  fn(n: number, A: Float64Array, ao: number, label: number): number;
  // A (m, n) output activations, labels (m) -> columns j0..j1 of D (m, n) = ∂C/∂z (BP1)
  delta(m: number, n: number, j0: number, j1: number, A: Float64Array, labels: Uint8Array, D: Float64Array): void;
}

const MAX_FINITE = Number.MAX_VALUE; // numpy's nan_to_num turns an infinite cost into this

export const quadratic: Cost = {
  name: "quadratic",
  bookName: "QuadraticCost",
  fn(n, A, ao, label) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      const e = A[ao + j] - (j === label ? 1 : 0);
      s += e * e;
    }
    return 0.5 * s;
  },
  // δ = (a - y) ∘ σ'(z), with σ'(z) = a(1 - a)
  delta(m, n, j0, j1, A, labels, D) {
    for (let i = 0; i < m; i++) {
      for (let j = j0; j < j1; j++) {
        const a = A[i * n + j];
        D[i * n + j] = (a - (j === labels[i] ? 1 : 0)) * a * (1 - a);
      }
    }
  },
};

export const crossEntropy: Cost = {
  name: "cross-entropy",
  bookName: "CrossEntropyCost",
  // -y ln a - (1 - y) ln(1 - a), where 0·ln 0 counts as 0 as in the book
  fn(n, A, ao, label) {
    let s = 0;
    for (let j = 0; j < n; j++) s -= Math.log(j === label ? A[ao + j] : 1 - A[ao + j]);
    return Math.min(s, MAX_FINITE);
  },
  // δ = a - y: σ'(z) cancels, which is why this cost learns faster
  delta(m, n, j0, j1, A, labels, D) {
    for (let i = 0; i < m; i++) {
      for (let j = j0; j < j1; j++) D[i * n + j] = A[i * n + j] - (j === labels[i] ? 1 : 0);
    }
  },
};

export const COSTS: Record<CostName, Cost> = { quadratic, "cross-entropy": crossEntropy };
