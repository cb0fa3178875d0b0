// The activation functions of the book, as plain functions a layer is given
// (network3.py passes `activation_fn` the same way). Each works on a block of
// an (m, n) matrix addressed as in the kernel (array, offset, row stride), so
// a thread can apply it to its own columns; each derivative is read off the
// activation a = f(z) itself, so z need not be kept:
//   sigmoid σ' = a(1 − a),  tanh' = 1 − a²,  ReLU' = [a > 0],  linear' = 1.
// Softmax is different: it normalises whole rows, so it runs as a step of its
// own split by examples, and its derivative only ever appears cancelled
// inside the log-likelihood cost's δᴸ = a − y (see costs.ts).

import type { ActivationBackStep, ActivationStep, Kernel } from "../kernel/kernel.js";

export type ActivationName = "sigmoid" | "tanh" | "relu" | "linear" | "softmax";

export interface Activation {
  readonly name: ActivationName;
  /** True for softmax: forward adds the bias only, then `normalise` runs on whole rows. */
  readonly rowWise: boolean;
  // Z (m, n) at z, row stride ldz; b (n) at bo -> Z = f(s·Z + b) in place (s is dropout's 1 − p at inference)
  forward(m: number, n: number, Z: Float64Array, z: number, ldz: number, b: Float64Array, bo: number, s: number): void;
  // D (m, n) ∘= f'(z), with A (m, n) the activations f(z)
  backward(m: number, n: number, D: Float64Array, d: number, ldd: number, A: Float64Array, a: number, lda: number): void;
  /** e·f'(z) for one element given a = f(z): the quadratic cost's δᴸ. */
  times(e: number, a: number): number;
  // rows i0..i1 of A (m, n) -> softmax of each row, in place (row-wise activations only)
  normalise?(i0: number, i1: number, n: number, A: Float64Array): void;
}

// One loop per function and per case of s: the forward step is in the training
// hot loop, and a loop whose body calls through a function value is slower.

export const sigmoid: Activation = {
  name: "sigmoid",
  rowWise: false,
  forward(m, n, Z, z, ldz, b, bo, s) {
    for (let i = 0; i < m; i++) {
      const row = z + i * ldz;
      if (s === 1) for (let j = 0; j < n; j++) Z[row + j] = 1 / (1 + Math.exp(-(Z[row + j] + b[bo + j])));
      else for (let j = 0; j < n; j++) Z[row + j] = 1 / (1 + Math.exp(-(s * Z[row + j] + b[bo + j])));
    }
  },
  backward(m, n, D, d, ldd, A, a, lda) {
    for (let i = 0; i < m; i++) {
      const dr = d + i * ldd;
      const ar = a + i * lda;
      for (let j = 0; j < n; j++) {
        const y = A[ar + j];
        D[dr + j] *= y * (1 - y);
      }
    }
  },
  times: (e, a) => e * a * (1 - a),
};

export const tanh: Activation = {
  name: "tanh",
  rowWise: false,
  forward(m, n, Z, z, ldz, b, bo, s) {
    for (let i = 0; i < m; i++) {
      const row = z + i * ldz;
      for (let j = 0; j < n; j++) Z[row + j] = Math.tanh(s * Z[row + j] + b[bo + j]);
    }
  },
  backward(m, n, D, d, ldd, A, a, lda) {
    for (let i = 0; i < m; i++) {
      const dr = d + i * ldd;
      const ar = a + i * lda;
      for (let j = 0; j < n; j++) {
        const y = A[ar + j];
        D[dr + j] *= 1 - y * y;
      }
    }
  },
  times: (e, a) => e * (1 - a * a),
};

// ReLU's derivative at z = 0 is taken as 0 (a = 0 there), as Theano's max(0, z) did.
export const relu: Activation = {
  name: "relu",
  rowWise: false,
  forward(m, n, Z, z, ldz, b, bo, s) {
    for (let i = 0; i < m; i++) {
      const row = z + i * ldz;
      for (let j = 0; j < n; j++) {
        const v = s * Z[row + j] + b[bo + j];
        Z[row + j] = v > 0 ? v : 0;
      }
    }
  },
  backward(m, n, D, d, ldd, A, a, lda) {
    for (let i = 0; i < m; i++) {
      const dr = d + i * ldd;
      const ar = a + i * lda;
      for (let j = 0; j < n; j++) if (!(A[ar + j] > 0)) D[dr + j] = 0;
    }
  },
  times: (e, a) => (a > 0 ? e : 0),
};

function addBias(m: number, n: number, Z: Float64Array, z: number, ldz: number, b: Float64Array, bo: number, s: number): void {
  for (let i = 0; i < m; i++) {
    const row = z + i * ldz;
    for (let j = 0; j < n; j++) Z[row + j] = s * Z[row + j] + b[bo + j];
  }
}

export const linear: Activation = {
  name: "linear",
  rowWise: false,
  forward: addBias,
  backward() {}, // f' = 1
  times: (e) => e,
};

export const softmax: Activation = {
  name: "softmax",
  rowWise: true,
  forward: addBias,
  backward() {
    throw new Error("softmax is only an output activation, under the log-likelihood cost");
  },
  times() {
    throw new Error("softmax is only an output activation, under the log-likelihood cost");
  },
  // e^(z - max z) / Σ e^(z - max z): the shift keeps exp from overflowing and changes nothing else
  normalise(i0, i1, n, A) {
    for (let i = i0; i < i1; i++) {
      const row = i * n;
      let max = -Infinity;
      for (let j = 0; j < n; j++) if (A[row + j] > max) max = A[row + j];
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(A[row + j] - max);
        A[row + j] = e;
        sum += e;
      }
      for (let j = 0; j < n; j++) A[row + j] /= sum;
    }
  },
};

export const ACTIVATIONS: Record<ActivationName, Activation> = { sigmoid, tanh, relu, linear, softmax };

/** f's forward step as `kernel` runs it: the kernel's own where it has one (the same bits), else f's loop. */
export function forwardOn(kernel: Kernel, f: Activation): ActivationStep {
  return kernel.activationForward?.(f.name) ?? f.forward.bind(f);
}

/** f's backward step as `kernel` runs it, likewise. */
export function backwardOn(kernel: Kernel, f: Activation): ActivationBackStep {
  return kernel.activationBackward?.(f.name) ?? f.backward.bind(f);
}
