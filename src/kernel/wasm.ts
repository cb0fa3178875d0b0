// The WebAssembly SIMD kernel: src/kernel/wasm/gemm.wat, assembled at build
// time into dist/kernel/wasm/gemm.wasm, run on the Arena's shared memory.
// Operands are handed over as byte addresses inside that memory, so nothing
// is copied: every Float64Array passed in must be a view of that memory.
import type { Kernel } from "./kernel.js";
import { loadWasmModule } from "./wasm-module.js";

// The exports of gemm.wat: byte pointers, dims and leading dimensions as i32.
interface GemmExports {
  gemm_abt(m: number, n: number, k: number,
    pa: number, lda: number, pb: number, ldb: number, pc: number, ldc: number): void;
  gemm_ab(m: number, n: number, k: number,
    pa: number, lda: number, pb: number, ldb: number, pc: number, ldc: number): void;
  gemm_atb(m: number, n: number, k: number, alpha: number,
    pa: number, lda: number, pb: number, ldb: number, beta: number, pc: number, ldc: number): void;
}

/** Compiles dist/kernel/wasm/gemm.wasm once per process (see wasm-module.ts). */
export function wasmModule(): WebAssembly.Module {
  return loadWasmModule("gemm.wasm");
}

/** Bytes of B per column panel of gemmAtB: twice the 48 KiB L1 data cache measured best here (+8-12% at k = 100). */
const PANEL_BYTES = 96 * 1024;

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
    // The kernel sweeps all of B once per block of 4 rows of C; when B outgrows
    // the L1 cache (large mini-batches) it goes by panels of columns instead, so
    // a panel of B stays cached for every row block. Elements do not depend on
    // the tiling (kernel.ts), so the result is the same to the bit.
    gemmAtB(m, n, k, alpha, A, a, lda, B, b, ldb, beta, C, c, ldc) {
      const pa = A.byteOffset + a * 8;
      const pb = B.byteOffset + b * 8;
      const pc = C.byteOffset + c * 8;
      const panel = k * n * 8 > PANEL_BYTES ? Math.max(16, Math.floor(PANEL_BYTES / (8 * k)) & ~3) : n;
      for (let j = 0; j < n; j += panel) {
        // a last panel narrower than 4 columns would fall to the scalar path: fold it into this one
        const width = n - j < panel + 4 ? n - j : panel;
        gemm_atb(m, width, k, alpha, pa, lda, pb + j * 8, ldb, beta, pc + j * 8, ldc);
        if (width !== panel) break;
      }
    },
  };
}
