// Picks the kernel: WebAssembly SIMD by default, the TypeScript kernel on
// request or when the .wasm cannot be loaded (with one warning, not a crash).
import type { Kernel, KernelName } from "./kernel.js";
import { jsKernel } from "./js.js";
import { createWasmKernel } from "./wasm.js";

export type { Kernel, KernelName, KernelVariant } from "./kernel.js";

export function createKernel(name: KernelName, memory: WebAssembly.Memory, warn: (message: string) => void): Kernel {
  if (name === "js") return jsKernel;
  try {
    return createWasmKernel(memory);
  } catch (e) {
    warn(`the WebAssembly kernel could not be loaded (${(e as Error).message}); using the JavaScript kernel`);
    return jsKernel;
  }
}
