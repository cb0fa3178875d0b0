// The WebAssembly SIMD convolution: src/kernel/wasm/conv.wat, assembled into
// dist/kernel/wasm/conv.wasm, instantiated on the same shared memory as the
// gemm kernel. Every Float64Array passed in must be a view of that memory: the
// module gets byte addresses, nothing is copied.
// Forward and weight gradient run the direct loops of conv.wat; the input
// gradient is lowered onto the wasm gemm (conv-lowered.ts) with conv.wat's
// col2im, which measured faster than a direct gather (see conv-choice.ts).
// Pooling over the book's 2x2 windows runs in conv.wat too, other sizes in
// the TypeScript loops.
import { jsConv, poolOut, type ConvKernel } from "./conv.js";
import { colsLength, loweredConv } from "./conv-lowered.js";
import type { Kernel } from "./kernel.js";
import { loadWasmModule } from "./wasm-module.js";

// The exports of conv.wat: shapes as i32, tensors as byte addresses.
interface ConvExports {
  conv_forward(m: number, C: number, H: number, W: number, F: number, kh: number, kw: number,
    px: number, pk: number, pz: number, f0: number, f1: number): void;
  conv_weight_grad(m: number, C: number, H: number, W: number, F: number, kh: number, kw: number,
    pz: number, px: number, alpha: number, beta: number, pk: number, f0: number, f1: number): void;
  max_pool2(planes: number, OH: number, OW: number, pz: number, pp: number, pa: number): void;
  unpool2(planes: number, OH: number, OW: number, pp: number, pa: number, pz: number): void;
  col2im(channels: number, H: number, W: number, kh: number, kw: number, pc: number, px: number): void;
}

export function wasmConvModule(): WebAssembly.Module {
  return loadWasmModule("conv.wasm");
}

/** The wasm convolution on `memory`; `gemm` (the wasm Kernel on the same memory) serves the input gradient. */
export function createWasmConv(memory: WebAssembly.Memory, module: WebAssembly.Module, gemm: Kernel): ConvKernel {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const { conv_forward, conv_weight_grad, max_pool2, unpool2, col2im } = instance.exports as unknown as ConvExports;
  const lowered = loweredConv(gemm, (s, dcols, dX, x, channels) =>
    col2im(channels, s.H, s.W, s.kh, s.kw, dcols.byteOffset, dX.byteOffset + x * 8));
  return {
    name: "wasm-direct",
    // the lowered input gradient's one example of dcols
    workspace: colsLength,

    // X (m, C, H, W), K (F, C, kh, kw) -> Z (m, F, OH, OW), filters f0..f1
    convForward(s, X, K, Z, f0, f1) {
      conv_forward(s.m, s.C, s.H, s.W, s.F, s.kh, s.kw, X.byteOffset, K.byteOffset, Z.byteOffset, f0, f1);
    },

    // dZ (m, F, OH, OW), X (m, C, H, W) -> dK (F, C, kh, kw) = beta·dK + alpha·Σ dZ·X, filters f0..f1
    convWeightGrad(s, dZ, X, alpha, beta, dK, f0, f1) {
      conv_weight_grad(s.m, s.C, s.H, s.W, s.F, s.kh, s.kw, dZ.byteOffset, X.byteOffset, alpha, beta, dK.byteOffset, f0, f1);
    },

    convInputGrad: lowered.convInputGrad,
    // Z (m, F, OH, OW) -> P (m, F, PH, PW), arg, filters f0..f1: the planes of
    // filters f0..f1 are consecutive within an example (all of them when whole)
    maxPoolForward(s, Z, P, arg, f0, f1) {
      if (s.p !== 2) { jsConv.maxPoolForward(s, Z, P, arg, f0, f1); return; }
      const { m, F, OH, OW } = s;
      const { PH, PW } = poolOut(s);
      const runs = f1 - f0 === F ? 1 : m, planes = f1 - f0 === F ? m * F : f1 - f0;
      for (let i = 0; i < runs; i++) {
        const plane = i * F + f0;
        max_pool2(planes, OH, OW, Z.byteOffset + plane * OH * OW * 8, P.byteOffset + plane * PH * PW * 8, arg.byteOffset + plane * PH * PW);
      }
    },

    // dP (m, F, PH, PW), arg -> dZ (m, F, OH, OW), filters f0..f1; with a border, the TypeScript loop
    maxPoolBackward(s, dP, arg, dZ, f0, f1) {
      const { m, F, OH, OW } = s;
      if (s.p !== 2 || OH % 2 !== 0 || OW % 2 !== 0) { jsConv.maxPoolBackward(s, dP, arg, dZ, f0, f1); return; }
      const windows = (OH / 2) * (OW / 2);
      const runs = f1 - f0 === F ? 1 : m, planes = f1 - f0 === F ? m * F : f1 - f0;
      for (let i = 0; i < runs; i++) {
        const plane = i * F + f0;
        unpool2(planes, OH, OW, dP.byteOffset + plane * windows * 8, arg.byteOffset + plane * windows, dZ.byteOffset + plane * OH * OW * 8);
      }
    },
  };
}
