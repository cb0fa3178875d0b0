// Picks the kernel: WebAssembly SIMD by default, the TypeScript kernel on
// request or when the .wasm cannot be loaded (with one warning, not a crash).
import type { Kernel } from "./kernel.js";
import { jsKernel } from "./js.js";
import { createWasmKernel, wasmModule } from "./wasm.js";

export type { Kernel, KernelName, KernelVariant } from "./kernel.js";

/** What `--kernel` takes: wasm (its preferred variant), js, or wasm-mul-add, the variant without fused multiply-adds,
 *  on any runtime and CPU: the same bits everywhere (kernel.ts). */
export const KERNEL_CHOICES = ["wasm", "js", "wasm-mul-add"] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

export function createKernel(choice: KernelChoice, memory: WebAssembly.Memory, warn: (message: string) => void): Kernel {
  if (choice === "js") return jsKernel;
  try {
    return createWasmKernel(memory, choice === "wasm-mul-add" ? wasmModule("mul-add") : undefined);
  } catch (e) {
    warn(`the WebAssembly kernel could not be loaded (${(e as Error).message}); using the JavaScript kernel`);
    return jsKernel;
  }
}
