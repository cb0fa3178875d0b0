// The WebAssembly SIMD kernel: src/kernel/wasm/gemm.wat, assembled at build
// time into dist/kernel/wasm/gemm.wasm, run on the Arena's shared memory.
// Operands are handed over as byte addresses inside that memory, so nothing
// is copied: every Float64Array passed in must be a view of that memory.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Kernel } from "./kernel.js";

// The exports of gemm.wat: byte pointers, dims and leading dimensions as i32.
interface GemmExports {
  gemm_abt(m: number, n: number, k: number,
    pa: number, lda: number, pb: number, ldb: number, pc: number, ldc: number): void;
  gemm_ab(m: number, n: number, k: number,
    pa: number, lda: number, pb: number, ldb: number, pc: number, ldc: number): void;
  gemm_atb(m: number, n: number, k: number, alpha: number,
    pa: number, lda: number, pb: number, ldb: number, beta: number, pc: number, ldc: number): void;
}

// Where the binary is: next to this module once compiled (dist/kernel/wasm.js
// -> dist/kernel/wasm/gemm.wasm); from the sources (src/kernel/wasm.ts, as
// vitest runs them) the built copy in dist.
const CANDIDATES = [
  new URL("./wasm/gemm.wasm", import.meta.url),
  new URL("../../dist/kernel/wasm/gemm.wasm", import.meta.url),
];

let compiled: WebAssembly.Module | undefined;

/** Compiles dist/kernel/wasm/gemm.wasm once per process (synchronously),
 * located relative to this module with new URL("./wasm/gemm.wasm",
 * import.meta.url) — the compiled file is dist/kernel/wasm.js, so the path
 * works from dist (from src it falls back to the built copy in dist).
 * Throws an Error with a one-line message if missing or invalid. */
export function wasmModule(): WebAssembly.Module {
  if (compiled) return compiled;
  let bytes: Buffer | undefined;
  let where = fileURLToPath(CANDIDATES[0]);
  for (const url of CANDIDATES) {
    try {
      bytes = readFileSync(url);
      where = fileURLToPath(url);
      break;
    } catch {
      // try the next place
    }
  }
  if (!bytes) throw new Error(`WebAssembly kernel not found at ${where} (run npm run build)`);
  try {
    compiled = new WebAssembly.Module(bytes);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new Error(`WebAssembly kernel ${where} is invalid: ${reason}`);
  }
  return compiled;
}

/** A Kernel running the wasm module on `memory` (the Arena's memory).
 * Instantiates synchronously. */
export function createWasmKernel(memory: WebAssembly.Memory, module: WebAssembly.Module = wasmModule()): Kernel {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const { gemm_abt, gemm_ab, gemm_atb } = instance.exports as unknown as GemmExports;
  // Called ~20,000 times per epoch: only turn (array, element offset) into a
  // byte address and call through.
  return {
    name: "wasm",

    // A is (m, k), B is (n, k) -> C (m, n) = A · Bᵀ
    gemmABt(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
      gemm_abt(m, n, k, A.byteOffset + a * 8, lda, B.byteOffset + b * 8, ldb, C.byteOffset + c * 8, ldc);
    },

    // A is (m, k), B is (k, n) -> C (m, n) = A · B
    gemmAB(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
      gemm_ab(m, n, k, A.byteOffset + a * 8, lda, B.byteOffset + b * 8, ldb, C.byteOffset + c * 8, ldc);
    },

    // A is (k, m), B is (k, n) -> C (m, n) = beta·C + alpha·Aᵀ·B
    gemmAtB(m, n, k, alpha, A, a, lda, B, b, ldb, beta, C, c, ldc) {
      gemm_atb(m, n, k, alpha, A.byteOffset + a * 8, lda, B.byteOffset + b * 8, ldb, beta, C.byteOffset + c * 8, ldc);
    },
  };
}
