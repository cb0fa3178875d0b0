// The threaded engine, as built (it starts worker threads from dist/).
import { describe, expect, it } from "vitest";
import { loadMnist, splitBook } from "../dist/data/mnist.js";
import { Arena } from "../dist/kernel/arena.js";
import { jsKernel } from "../dist/kernel/js.js";
import type { Kernel } from "../dist/kernel/kernel.js";
import { createWasmKernel, wasmModule, wasmVariants } from "../dist/kernel/wasm.js";
import { COSTS } from "../dist/network/costs.js";
import { createEngine } from "../dist/network/engine.js";
import { Network } from "../dist/network/network.js";
import { Rng } from "../dist/network/rng.js";
import { sgd } from "../dist/network/sgd.js";

const { train, test } = loadMnist();
const split = splitBook(train, test, { trainSize: 10000, validationSize: 10000, testSize: 2000 });

// each wasm variant this runtime runs: the workers must get the same one
const KERNELS: [string, () => { arena: Arena; kernel: Kernel }][] = [
  ["js", () => ({ arena: new Arena(), kernel: jsKernel })],
  ...wasmVariants().map((variant): [string, () => { arena: Arena; kernel: Kernel }] =>
    [`wasm ${variant}`, () => { const arena = new Arena(); return { arena, kernel: createWasmKernel(arena.memory, wasmModule(variant)) }; }]),
];

async function run(
  makeKernel: (typeof KERNELS)[number][1], threads: number, sizes: number[], batchSize: number,
  lambda = 0, costName: "quadratic" | "cross-entropy" = "quadratic", epochs = 2,
) {
  const { arena, kernel } = makeKernel();
  const rng = new Rng(3);
  const network = new Network(sizes, arena);
  network.initialise("large", rng);
  const cost = COSTS[costName];
  const engine = await createEngine({ kernel, network, cost, batchSize, arena, threads, datasets: [split.training, split.test] });
  try {
    const result = await sgd(engine, { training: split.training, evaluation: split.test },
      { epochs, batchSize, eta: costName === "quadratic" ? 3.0 : 0.5, lambda, cost, monitor: new Set(["eval-cost"]) }, rng, () => {});
    return { result, network, threads: engine.threads };
  } finally {
    await engine.close();
  }
}

describe.each(KERNELS)("threaded training with the %s kernel", (_name, makeKernel) => {
  it.each([
    [[784, 30, 10], 10, 0, "quadratic"],
    [[784, 31, 17, 10], 7, 5, "cross-entropy"],
  ] as const)("sizes %j, mini-batch %i, lambda %i, %s: 2 and 3 threads give one thread's weights bit for bit", async (sizes, m, lambda, cost) => {
    const one = await run(makeKernel, 1, [...sizes], m, lambda, cost);
    for (const threads of [2, 3]) {
      const many = await run(makeKernel, threads, [...sizes], m, lambda, cost);
      expect(many.threads).toBe(threads);
      many.network.weights.forEach((w: Float64Array, l: number) => expect(w).toEqual(one.network.weights[l]));
      many.network.biases.forEach((b: Float64Array, l: number) => expect(b).toEqual(one.network.biases[l]));
      expect(many.result.epochs.map((e: { correct: number }) => e.correct)).toEqual(one.result.epochs.map((e: { correct: number }) => e.correct));
      // evaluation sums its cost in per-thread parts: equal to rounding
      many.result.epochs.forEach((e: { evalCost: number }, i: number) => expect(e.evalCost).toBeCloseTo(one.result.epochs[i].evalCost!, 10));
    }
  });

  it("a threaded run on real MNIST passes the accuracy bar", async () => {
    const { result } = await run(makeKernel, 2, [784, 30, 10], 10, 0, "quadratic", 3);
    expect(result.best.accuracy).toBeGreaterThan(0.8);
  });
});
