// The threaded engine, as built (it starts worker threads from dist/).
import { describe, expect, it, vi } from "vitest";
import { loadMnist, splitBook } from "../dist/data/mnist.js";
import { Arena } from "../dist/kernel/arena.js";
import { jsKernel } from "../dist/kernel/js.js";
import type { Kernel } from "../dist/kernel/kernel.js";
import { createWasmKernel, wasmModule, wasmVariants } from "../dist/kernel/wasm.js";
import { COSTS } from "../dist/network/costs.js";
import { createEngine } from "../dist/network/engine.js";
import { TEAM } from "../dist/network/mode-chooser.js";
import { Network } from "../dist/network/network.js";
import { Rng } from "../dist/network/rng.js";
import { sgd } from "../dist/network/sgd.js";

const { train, test } = await loadMnist();
const split = splitBook(train, test, { trainSize: 10000, validationSize: 10000, testSize: 2000 });

// each wasm variant this runtime runs: the workers must get the same one
const KERNELS: [string, () => { arena: Arena; kernel: Kernel }][] = [
  ["js", () => ({ arena: new Arena(), kernel: jsKernel })],
  ...wasmVariants().map((variant): [string, () => { arena: Arena; kernel: Kernel }] =>
    [`wasm ${variant}`, () => { const arena = new Arena(); return { arena, kernel: createWasmKernel(arena.memory, wasmModule(variant)) }; }]),
];

async function run(
  makeKernel: (typeof KERNELS)[number][1], threads: number, sizes: number[], batchSize: number,
  lambda = 0, costName: "quadratic" | "cross-entropy" = "quadratic", epochs = 2, way?: number, training = split.training,
) {
  const { arena, kernel } = makeKernel();
  const rng = new Rng(3);
  const network = new Network(sizes, arena);
  network.initialise("large", rng);
  const cost = COSTS[costName];
  const engine = await createEngine({ kernel, network, cost, batchSize, arena, threads, datasets: [training, split.test], way });
  try {
    const result = await sgd(engine, { training, evaluation: split.test },
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
    // 50 and 33-34 rows a thread: the first layer's update in pieces (fully-connected.ts's ROWS_AT_ONCE)
    [[784, 100, 10], 10, 0, "quadratic"],
  ] as const)("sizes %j, mini-batch %i, lambda %i, %s: 2 and 3 threads give one thread's weights bit for bit", async (sizes, m, lambda, cost) => {
    const one = await run(makeKernel, 1, [...sizes], m, lambda, cost);
    for (const threads of [2, 3]) {
      const many = await run(makeKernel, threads, [...sizes], m, lambda, cost);
      expect(many.threads).toBe(threads);
      many.network.weights.forEach((w: Float64Array, l: number) => expect(w).toEqual(one.network.weights[l]));
      many.network.biases.forEach((b: Float64Array, l: number) => expect(b).toEqual(one.network.biases[l]));
      expect(many.result.epochs.map((e: { correct: number }) => e.correct)).toEqual(one.result.epochs.map((e: { correct: number }) => e.correct));
      // evaluation sums its cost in fixed blocks, whichever thread scores them
      expect(many.result.epochs.map((e: { evalCost?: number }) => e.evalCost)).toEqual(one.result.epochs.map((e: { evalCost?: number }) => e.evalCost));
    }
  });

  // 60% of the images made dense (64% of their pairs nonzero): mini-batches fall on both sides of the first layer's
  // choice between its products over pairs and its dense ones (which need whole rows of X: a wasm gather writes
  // only the listed pairs otherwise); each thread of a team gathers into its own X and must choose as one thread does
  it("with mini-batches dense and sparse by turns, 2 threads give one thread's weights bit for bit", async () => {
    const rng = new Rng(11);
    const { pixels } = split.training;
    const images = Uint8Array.from(split.training.images);
    for (let e = 0; e < split.training.count; e++) {
      if (rng.uniform() < 0.6) for (let p = 0; p < pixels; p++) images[e * pixels + p] = rng.uniform() < 0.4 ? 1 + Math.floor(rng.uniform() * 255) : 0;
    }
    const mixed = { ...split.training, images };
    const one = await run(makeKernel, 1, [784, 30, 10], 10, 0, "quadratic", 1, undefined, mixed);
    const many = await run(makeKernel, 2, [784, 30, 10], 10, 0, "quadratic", 1, TEAM, mixed);
    many.network.weights.forEach((w: Float64Array, l: number) => expect(w).toEqual(one.network.weights[l]));
  });

  // the engine trains whichever way is fastest at the time (mode-chooser.ts): each must be one thread's arithmetic
  it("each way of a 2-thread engine, the team and each thread alone, gives one thread's weights bit for bit", async () => {
    const one = await run(makeKernel, 1, [784, 30, 10], 10, 5, "cross-entropy", 1);
    for (const way of [TEAM, 0, 1]) {
      const many = await run(makeKernel, 2, [784, 30, 10], 10, 5, "cross-entropy", 1, way);
      many.network.weights.forEach((w: Float64Array, l: number) => expect(w).toEqual(one.network.weights[l]));
      many.network.biases.forEach((b: Float64Array, l: number) => expect(b).toEqual(one.network.biases[l]));
    }
  });

  it("a threaded run on real MNIST passes the accuracy bar", async () => {
    const { result } = await run(makeKernel, 2, [784, 30, 10], 10, 0, "quadratic", 3);
    expect(result.best.accuracy).toBeGreaterThan(0.8);
  });
});

// The layer model under the team: ReLU, tanh, softmax (whose rows split by examples) and dropout (whose masks
// must not depend on which thread draws them), with network3's init and L2 form.
async function runLayers(makeKernel: (typeof KERNELS)[number][1], threads: number, spec: string, batchSize: number, way?: number) {
  const { parseLayers } = await import("../dist/layers/spec.js");
  const { arena, kernel } = makeKernel();
  const rng = new Rng(5);
  const network = new Network({ inputs: 784, shape: { C: 1, H: 28, W: 28 }, layers: parseLayers(spec) }, arena);
  network.initialise("network3", rng);
  const cost = COSTS["log-likelihood"];
  const engine = await createEngine({ kernel, network, cost, batchSize, arena, threads, datasets: [split.training, split.test], seed: 5, way });
  try {
    const result = await sgd(engine, { training: split.training, evaluation: split.test },
      { epochs: 2, batchSize, eta: 0.1, lambda: 0.1, l2: "network3", cost, monitor: new Set(["eval-cost"]) }, rng, () => {});
    return { result, network, threads: engine.threads };
  } finally {
    await engine.close();
  }
}

describe.each(KERNELS)("threaded layers with the %s kernel", (_name, makeKernel) => {
  it.each([
    ["fc:31:relu,fc:17:tanh:dropout=0.3,softmax:10:dropout=0.5", 10],
    ["fc:20:relu:dropout=0.2,softmax:10", 7],
    ["conv:5:5x5:pool=2:relu,conv:3:3x3:pool=2:tanh,fc:20:relu:dropout=0.5,softmax:10", 10],
    // the top layer copied to every thread, over a convolution's two output buffers (workspace.ts)
    ["conv:2:5x5:pool=4:sigmoid,softmax:10", 10],
  ])("%s, mini-batch %i: 2 and 3 threads give one thread's weights bit for bit", async (spec, m) => {
    const one = await runLayers(makeKernel, 1, spec, m);
    expect(one.result.best.accuracy).toBeGreaterThan(0.8); // it learns
    for (const threads of [2, 3]) {
      const many = await runLayers(makeKernel, threads, spec, m);
      expect(many.threads).toBe(threads);
      many.network.weights.forEach((w: Float64Array, l: number) => expect(w).toEqual(one.network.weights[l]));
      many.network.biases.forEach((b: Float64Array, l: number) => expect(b).toEqual(one.network.biases[l]));
      expect(many.result.epochs.map((e: { correct: number }) => e.correct)).toEqual(one.result.epochs.map((e: { correct: number }) => e.correct));
    }
    // the worker alone (its own whole-batch workspace, convolution scratch and dropout masks)
    const worker = await runLayers(makeKernel, 2, spec, m, 1);
    worker.network.weights.forEach((w: Float64Array, l: number) => expect(w).toEqual(one.network.weights[l]));
    worker.network.biases.forEach((b: Float64Array, l: number) => expect(b).toEqual(one.network.biases[l]));
  });
});

describe("the threaded engine's commands", async () => {
  const { Command, Team } = await import("../dist/network/team.js");

  /** The commands a 2-thread engine (784-30-10, mini-batch 10; `way` fixed or chosen) issues while `train` runs. */
  async function commands(way: number | undefined, train: (engine: Awaited<ReturnType<typeof createEngine>>, order: Uint32Array) => void) {
    const arena = new Arena();
    const network = new Network([784, 30, 10], arena);
    network.initialise("large", new Rng(3));
    const kernel = createWasmKernel(arena.memory, wasmModule());
    const engine = await createEngine({ kernel, network, cost: COSTS.quadratic, batchSize: 10, arena, threads: 2, datasets: [split.training], way });
    const issue = vi.spyOn(Team.prototype, "issue");
    try {
      train(engine, Uint32Array.from({ length: 10000 }, (_, i) => i));
      return issue.mock.calls.map(([cmd, , job]) => ({ cmd, ...job! }));
    } finally {
      issue.mockRestore();
      await engine.close();
    }
  }

  it("trains slices that go one way with no probe between them in one command, not one command a slice", async () => {
    // four of the chooser's slices of 2,500 examples
    const issued = await commands(1, (engine, order) => engine.trainBatches(split.training, order, 0, 10000, 10, 3, 1, 1));
    expect(issued.map((c) => [c.cmd, c.start, c.end, c.solo])).toEqual([[Command.Solo, 0, 10000, 1]]);
  });

  it("choosing its way, covers the examples in order, a command for each probe and for each run of one way between them", async () => {
    const issued = await commands(undefined, (engine, order) => {
      for (let epoch = 1; epoch <= 3; epoch++) engine.trainBatches(split.training, order, 0, 10000, 10, 3, 1, epoch);
    });
    const runs = issued.map((c) => ({ ...c, way: c.cmd === Command.Train ? -1 : c.solo }));
    // probes (8 mini-batches warm-up, 16 timed) and trials (a whole slice of 250, timed after the same warm-up)
    const probes = runs.filter((r) => r.timed > r.start);
    expect(probes.length).toBeGreaterThan(0); // 12 slices: probes from the fourth on
    for (const p of probes) expect([[80, 160], [80, 2420]]).toContainEqual([p.timed - p.start, p.end - p.timed]);
    for (let i = 0; i < runs.length; i++) {
      const [prev, run] = [runs[i - 1], runs[i]];
      expect(run.start).toBe(prev && prev.end < 10000 ? prev.end : 0);
      if (prev && prev.end < 10000 && prev.timed === prev.start && run.timed === run.start) expect(run.way).not.toBe(prev.way);
    }
  });
});
