// The activations' forward steps in WebAssembly SIMD (src/kernel/wasm/activations.wat),
// on the gemm kernel's shared memory: the same bits as the TypeScript loops of
// src/layers/activations.ts (whose names select them), two elements at a time. Only the sigmoid so far: its
// exp is most of a sigmoid network's element-wise work (784-30-10: 1.5 million a
// epoch, 25 ms of TypeScript).
import type { ActivationStep } from "./kernel.js";
import { loadWasmModule } from "./wasm-module.js";

interface ActivationExports {
  sigmoid_forward(m: number, n: number, pz: number, ldz: number, pb: number, s: number): void;
  exp(x: number): number;
  exp2(a: number, b: number, p: number): void;
}

export interface WasmActivations {
  /** The forward step of an activation, where this module has one. */
  forward(name: string): ActivationStep | undefined;
  /** exp as the module computes it, one value and two at a time (p: 16 bytes of the memory for the pair): for tests. */
  exp(x: number): number;
  exp2(a: number, b: number, p: number): void;
}

export function createWasmActivations(memory: WebAssembly.Memory): WasmActivations {
  const instance = new WebAssembly.Instance(loadWasmModule("activations.wasm"), { env: { memory } });
  const { sigmoid_forward, exp, exp2 } = instance.exports as unknown as ActivationExports;
  // Z (m, n) at z, row stride ldz; b (n) at bo -> Z = σ(s·Z + b) in place
  const sigmoid: ActivationStep = (m, n, Z, z, ldz, b, bo, s) =>
    sigmoid_forward(m, n, Z.byteOffset + z * 8, ldz, b.byteOffset + bo * 8, s);
  return { forward: (name) => (name === "sigmoid" ? sigmoid : undefined), exp, exp2 };
}
