// The convolution kernel training uses: per operation, the faster of the
// direct loops and the im2col lowering onto the matrix products, as measured
// side by side by `node scripts/bench-conv.mjs` (median of interleaved rounds,
// mini-batch 10, one thread, Node 20, on the shared 2-core machine; examples/s
// and GFLOP/s of the direct definition's multiply-adds):
//
//   conv 20 5x5 on 28x28x1       js direct   js lowered  wasm direct  wasm lowered
//     forward                    2760  1.59  2528  1.46  13193  7.60   8394  4.83
//     weight gradient            1881  1.08  1496  0.86   7873  4.54   3257  1.88
//     input gradient             1325  0.76  3432  1.98      -         9651  5.56
//   conv 40 5x5 on 12x12x20
//     forward                     430  1.10   461  1.18   2665  6.82   1196  3.06
//     weight gradient             599  1.53   475  1.21   2001  5.12   1418  3.63
//     input gradient              148  0.38   461  1.18      -         2347  6.01
//
// So: forward and weight gradient direct (wasm: conv.wat), the input gradient
// lowered (for wasm that is what wasm-conv.ts does already). The TypeScript
// forward is a tie; the direct loop stays, it needs no scratch.
import { jsConv, type ConvKernel } from "./conv.js";
import { colsLength, loweredConv } from "./conv-lowered.js";
import type { Kernel, KernelName } from "./kernel.js";
import { jsKernel } from "./js.js";
import { createWasmConv, wasmConvModule } from "./wasm-conv.js";

const jsChoice: ConvKernel = {
  ...jsConv,
  name: "js",
  workspace: colsLength,
  convInputGrad: loweredConv(jsKernel).convInputGrad,
};

/** The conv kernel for `name`; `gemm` is the matrix kernel already made for the same memory
 * (if it fell back to js, so does this). Throws if conv.wasm cannot be loaded. */
export function createConvKernel(name: KernelName, memory: WebAssembly.Memory, gemm: Kernel): ConvKernel {
  if (name === "js" || gemm.name === "js") return jsChoice;
  return { ...createWasmConv(memory, wasmConvModule(), gemm), name: "wasm" };
}
