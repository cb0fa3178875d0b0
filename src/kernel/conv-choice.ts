// The convolution kernel training uses: per operation, the faster of the
// direct loops and the im2col lowering, as measured by
// scripts/bench-conv.mjs (figures below).
import { jsConv, type ConvKernel } from "./conv.js";
import type { Kernel, KernelName } from "./kernel.js";
import { createWasmConv, wasmConvModule } from "./wasm-conv.js";

/** The conv kernel for `name`; `gemm` is the matrix kernel already made for the same memory. */
export function createConvKernel(name: KernelName, memory: WebAssembly.Memory, gemm: Kernel): ConvKernel {
  if (name === "js" || gemm.name === "js") return { ...jsConv, name: "js" };
  return createWasmConv(memory, wasmConvModule(), gemm);
}
