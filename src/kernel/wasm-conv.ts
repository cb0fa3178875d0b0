// The WebAssembly SIMD convolution: src/kernel/wasm/conv.wat, assembled into
// dist/kernel/wasm/conv.wasm, instantiated on the same shared memory as the
// gemm kernel. Every Float64Array passed in must be a view of that memory: the
// module gets byte addresses, nothing is copied.
// Forward and weight gradient run the direct loops of conv.wat; the input
// gradient is lowered onto the wasm gemm (conv-lowered.ts), which measured
// faster than a direct gather (see conv-choice.ts); pooling is the
// TypeScript loop (it moves memory and does no arithmetic).
import { convOut, jsConv, type ConvKernel } from "./conv.js";
import { loweredConv } from "./conv-lowered.js";
import type { Kernel } from "./kernel.js";
import { loadWasmModule } from "./wasm-module.js";

// The exports of conv.wat: shapes as i32, tensors as byte addresses.
interface ConvExports {
  conv_forward(m: number, C: number, H: number, W: number, F: number, kh: number, kw: number,
    px: number, pk: number, pz: number, f0: number, f1: number): void;
  conv_weight_grad(m: number, C: number, H: number, W: number, F: number, kh: number, kw: number,
    pz: number, px: number, alpha: number, beta: number, pk: number, f0: number, f1: number): void;
}

export function wasmConvModule(): WebAssembly.Module {
  return loadWasmModule("conv.wasm");
}

/** The wasm convolution on `memory`; `gemm` (the wasm Kernel on the same memory) serves the input gradient. */
export function createWasmConv(memory: WebAssembly.Memory, module: WebAssembly.Module, gemm: Kernel): ConvKernel {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const { conv_forward, conv_weight_grad } = instance.exports as unknown as ConvExports;
  const lowered = loweredConv(gemm);
  return {
    name: "wasm-direct",
    // the lowered input gradient's one example of dcols
    workspace(s) {
      const { OH, OW } = convOut(s);
      return OH * OW * s.C * s.kh * s.kw;
    },

    // X (m, C, H, W), K (F, C, kh, kw) -> Z (m, F, OH, OW), filters f0..f1
    convForward(s, X, K, Z, f0, f1) {
      conv_forward(s.m, s.C, s.H, s.W, s.F, s.kh, s.kw, X.byteOffset, K.byteOffset, Z.byteOffset, f0, f1);
    },

    // dZ (m, F, OH, OW), X (m, C, H, W) -> dK (F, C, kh, kw) = beta·dK + alpha·Σ dZ·X, filters f0..f1
    convWeightGrad(s, dZ, X, alpha, beta, dK, f0, f1) {
      conv_weight_grad(s.m, s.C, s.H, s.W, s.F, s.kh, s.kw, dZ.byteOffset, X.byteOffset, alpha, beta, dK.byteOffset, f0, f1);
    },

    convInputGrad: lowered.convInputGrad,
    maxPoolForward: jsConv.maxPoolForward,
    maxPoolBackward: jsConv.maxPoolBackward,
  };
}
