// The convolution kernel training uses: per operation, the faster of the
// direct loops and the im2col lowering onto the matrix products, as measured
// side by side by `node scripts/bench-conv.mjs --rounds 9` (median of
// interleaved rounds, mini-batch 10, one thread, Node 20; examples/s, then
// GFLOP/s counting the direct definition's multiply-adds). The 2-core machine
// was shared (load average about 10), so the absolute figures are low; the
// ranking was the same in all four runs.
//
//   conv 20 5x5 on 28x28x1       js direct   js lowered  wasm direct  wasm lowered
//     forward                    1648  0.95  1591  0.92  8128  4.68   3877  2.23
//     weight gradient            1603  0.92  1186  0.68  5412  3.12   2386  1.37
//     input gradient              650  0.37  1828  1.05  8529  4.91*  5217  3.01
//   conv 40 5x5 on 12x12x20
//     forward                     395  1.01   369  0.94  2243  5.74   1445  3.70
//     weight gradient             355  0.91   325  0.83  1683  4.31   1079  2.76
//     input gradient              167  0.43   597  1.53  2880  7.37*  1840  4.71
//   * the wasm input gradient is lowered too: the wasm gemm with conv.wat's
//     col2im (the "lowered" column has the TypeScript col2im).
//
// So: forward and weight gradient direct (wasm: conv.wat), the input gradient
// lowered. The TypeScript forward is a tie; the direct loop stays, it needs no
// scratch. 2x2 max-pooling (examples/s, forward/backward): conv.wat 80878/56342
// against TypeScript 10140/15971 on 24x24 maps, 337684/388980 against
// 159583/98456 on 8x8 maps.
import { jsConv, type ConvKernel } from "./conv.js";
import { colsLength, loweredConv } from "./conv-lowered.js";
import type { Kernel, KernelName } from "./kernel.js";
import { jsKernel } from "./js.js";
import { createWasmConv, wasmConvModule } from "./wasm-conv.js";

export const jsChoice: ConvKernel = {
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
