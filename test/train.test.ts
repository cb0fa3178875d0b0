// Training on the real MNIST: short runs must learn, and a seed must fix the numbers.
import { describe, expect, it } from "vitest";
import { loadMnist, splitBook } from "../src/data/mnist.js";
import { COSTS } from "../src/network/costs.js";
import { SerialEngine } from "../src/network/engine.js";
import { Network } from "../src/network/network.js";
import { Rng } from "../src/network/rng.js";
import { sgd, type SgdOptions, type TrainResult } from "../src/network/sgd.js";
import { kernels } from "./helpers.js";

const { train, test } = await loadMnist();
const data = (() => {
  const s = splitBook(train, test, { trainSize: 10000, validationSize: 10000, testSize: 2000 });
  return { training: s.training, evaluation: s.test };
})();

const OPTIONS: SgdOptions = {
  epochs: 3, batchSize: 10, eta: 3.0, lambda: 0, cost: COSTS.quadratic, monitor: new Set(),
};

async function run(k: ReturnType<typeof kernels>[number], seed: number, opts: Partial<SgdOptions> = {}): Promise<TrainResult> {
  const rng = new Rng(seed);
  const net = new Network([784, 30, 10], k.arena);
  net.initialise("large", rng);
  const engine = new SerialEngine(k.kernel, net, COSTS.quadratic, 10, k.arena);
  return sgd(engine, data, { ...OPTIONS, ...opts }, rng, () => {});
}

describe.each(kernels())("SGD on real MNIST with the $name kernel", (k) => {
  it("784-30-10 learns: 10,000 examples, 3 epochs reach 80% on 2,000 test images", async () => {
    const result = await run(k, 1);
    // chance is 10%; a network with a broken gradient stays far below this bar
    expect(result.best!.accuracy).toBeGreaterThan(0.8);
    expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
  });

  it("the same seed gives the same numbers, bit for bit; another seed does not", async () => {
    const strip = (r: TrainResult) => r.epochs.map(({ correct, total }) => [correct, total]);
    const a = await run(k, 42, { epochs: 2 });
    const b = await run(k, 42, { epochs: 2 });
    const c = await run(k, 43, { epochs: 2 });
    expect(strip(a)).toEqual(strip(b));
    expect(strip(c)).not.toEqual(strip(a));
  });
});
