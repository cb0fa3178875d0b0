// The activations' steps in WebAssembly SIMD (src/kernel/wasm/activations.wat),
// on the gemm kernel's shared memory: the same bits as the TypeScript loops of
// src/layers/activations.ts (whose names select them), two elements at a time. Only the sigmoid so far: its
// exp is most of a sigmoid network's element-wise work (784-30-10: 1.5 million a
// epoch, 25 ms of TypeScript). Also the quadratic cost's δᴸ after a sigmoid, and BP3's column sums
// (elementwise.ts's sumRows).
import type { ActivationBackStep, ActivationStep, OutputDelta, SumRows } from "./kernel.js";
import { loadWasmModule } from "./wasm-module.js";

interface ActivationExports {
  sigmoid_forward(m: number, n: number, pz: number, ldz: number, pb: number, s: number): void;
  sigmoid_backward(m: number, n: number, pd: number, ldd: number, pa: number, lda: number): void;
  sum_rows(m: number, n: number, alpha: number, pd: number, ldd: number, beta: number, pv: number): void;
  quadratic_sigmoid_delta(i0: number, i1: number, j0: number, j1: number, n: number, pa: number, pl: number, pd: number): void;
  exp(x: number): number;
  exp4(a: number, b: number, c: number, d: number, p: number): void;
}

export interface WasmActivations {
  /** The forward step of an activation, where this module has one. */
  forward(name: string): ActivationStep | undefined;
  /** Its backward step, likewise. */
  backward(name: string): ActivationBackStep | undefined;
  /** A cost's δᴸ after an output activation, where this module has it. */
  delta(cost: string, activation: string): OutputDelta | undefined;
  sumRows: SumRows;
  /** exp as the module computes it, one value and two pairs at a time (p: 32 bytes of the memory for them): for tests. */
  exp(x: number): number;
  exp4(a: number, b: number, c: number, d: number, p: number): void;
}

export function createWasmActivations(memory: WebAssembly.Memory): WasmActivations {
  const instance = new WebAssembly.Instance(loadWasmModule("activations.wasm"), { env: { memory } });
  const { sigmoid_forward, sigmoid_backward, sum_rows, quadratic_sigmoid_delta, exp, exp4 } = instance.exports as unknown as ActivationExports;
  // Z (m, n) at z, row stride ldz; b (n) at bo -> Z = σ(s·Z + b) in place
  const sigmoid: ActivationStep = (m, n, Z, z, ldz, b, bo, s) =>
    sigmoid_forward(m, n, Z.byteOffset + z * 8, ldz, b.byteOffset + bo * 8, s);
  const sigmoidBack: ActivationBackStep = (m, n, D, d, ldd, A, a, lda) =>
    sigmoid_backward(m, n, D.byteOffset + d * 8, ldd, A.byteOffset + a * 8, lda);
  const quadraticSigmoid: OutputDelta = (i0, i1, j0, j1, n, A, labels, D) =>
    quadratic_sigmoid_delta(i0, i1, j0, j1, n, A.byteOffset, labels.byteOffset, D.byteOffset);
  const sumRows: SumRows = (m, n, alpha, D, d, ldd, beta, v, vo) =>
    sum_rows(m, n, alpha, D.byteOffset + d * 8, ldd, beta, v.byteOffset + vo * 8);
  return {
    forward: (name) => (name === "sigmoid" ? sigmoid : undefined),
    backward: (name) => (name === "sigmoid" ? sigmoidBack : undefined),
    delta: (cost, activation) => (cost === "quadratic" && activation === "sigmoid" ? quadraticSigmoid : undefined),
    sumRows, exp, exp4,
  };
}
