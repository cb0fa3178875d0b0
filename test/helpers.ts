// Shared test fixtures: kernels to run every check with, small random networks and batches, and the check
// that a failed command said one line.
import { expect } from "vitest";
import { Arena } from "../src/kernel/arena.js";
import type { Kernel } from "../src/kernel/kernel.js";
import { jsKernel } from "../src/kernel/js.js";
import { createWasmKernel, wasmModule, wasmVariants } from "../src/kernel/wasm.js";
import { Network } from "../src/network/network.js";
import { Rng } from "../src/network/rng.js";

/** Every kernel, each wasm variant this runtime runs ("fma" needs relaxed
 * SIMD and FMA hardware), each bound to its own arena. */
export function kernels(): { name: string; kernel: Kernel; arena: Arena }[] {
  return [
    { name: "js", kernel: jsKernel, arena: new Arena() },
    ...wasmVariants().map((variant) => {
      const arena = new Arena();
      return { name: `wasm ${variant}`, kernel: createWasmKernel(arena.memory, wasmModule(variant)), arena };
    }),
  ];
}

export function randomNetwork(sizes: number[], arena: Arena, seed = 7): Network {
  const net = new Network(sizes, arena);
  net.initialise("scaled", new Rng(seed));
  return net;
}

/** Fills X with uniform [0, 1) inputs and labels with classes below `classes`. */
export function randomBatch(X: Float64Array, labels: Uint8Array, m: number, classes: number, seed = 11): void {
  const rng = new Rng(seed);
  for (let i = 0; i < X.length; i++) X[i] = rng.uniform();
  for (let i = 0; i < m; i++) labels[i] = rng.below(classes);
}

/** max |x - y| / max(1, |y|) over two arrays of the same length. */
export function maxRelError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  return worst;
}

/** A command that failed as the CLI must: this exit code, one line on stderr matching `message`, no stack trace,
 *  and (unless `stdoutMayHold`) nothing on stdout. */
export function expectOneLineError(
  r: { code: number | null; stdout: string; stderr: string }, code: number, message: RegExp, stdoutMayHold = false,
): void {
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(code);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (!stdoutMayHold) expect(r.stdout).toBe("");
}
