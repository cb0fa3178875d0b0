// The layer model: every activation, cost, dropout and both L2 forms against
// central differences; the matrix form against the per-example loop; the
// --layers grammar; the dropout masks' statistics and independence of the
// thread split.
import { describe, expect, it } from "vitest";
import type { Dataset } from "../src/data/dataset.js";
import { UsageError } from "../src/errors.js";
import type { Arena } from "../src/kernel/arena.js";
import { softmax } from "../src/layers/activations.js";
import { dropColumns, maskKey } from "../src/layers/dropout.js";
import { formatLayers, parseLayers, type LayerSpec } from "../src/layers/spec.js";
import { Backprop, gradients, pairPlans, Workspace } from "../src/network/backprop.js";
import { COSTS, type CostName } from "../src/network/costs.js";
import { SerialEngine } from "../src/network/engine.js";
import { Network, type InitName } from "../src/network/network.js";
import { PerExample } from "../src/network/per-example.js";
import { Rng } from "../src/network/rng.js";
import { sgd, type L2Form } from "../src/network/sgd.js";
import { kernels, maxRelError, randomBatch } from "./helpers.js";

const M = 5;
const INPUTS = 7;

function makeNet(spec: string, arena: Arena, init: InitName = "scaled", seed = 4): Network {
  const net = new Network({ inputs: INPUTS, layers: parseLayers(spec) }, arena);
  net.initialise(init, new Rng(seed));
  // network3's zero softmax weights would make every weight gradient but the last layer's vanish: perturb
  for (const w of net.weights) for (let j = 0; j < w.length; j++) w[j] += 0.01 * Math.sin(j + 1);
  return net;
}

/** The mean cost of the batch in the workspace, forward as training computes it (the same dropout masks every call). */
function batchCost(bp: Backprop, m: number): number {
  bp.run(bp.forward, m);
  const n = bp.net.outputs;
  let s = 0;
  for (let i = 0; i < m; i++) s += bp.cost.fn(n, bp.ws.output, i * n, bp.ws.labels[i]);
  return s / m;
}

/** Central differences of f over every parameter of the network, layer by layer (weights, then biases). */
function numericGradient(net: Network, f: () => number): Float64Array[] {
  const h = 1e-5;
  return [...net.weights, ...net.biases].map((p) => Float64Array.from(p, (_, j) => {
    const keep = p[j];
    p[j] = keep + h;
    const up = f();
    p[j] = keep - h;
    const down = f();
    p[j] = keep;
    return (up - down) / (2 * h);
  }));
}

function expectClose(applied: Float64Array[], numeric: Float64Array[], tolerance = 1e-6): void {
  applied.forEach((g, i) => {
    const scale = Math.max(...numeric[i].map(Math.abs), 1e-3);
    let worst = 0;
    for (let j = 0; j < g.length; j++) worst = Math.max(worst, Math.abs(g[j] - numeric[i][j]));
    expect(worst / scale).toBeLessThan(tolerance);
  });
}

// Every activation in a hidden layer and at the output, under each cost that fits it.
const NETWORKS: [string, CostName][] = [
  ["fc:6:sigmoid,fc:4:tanh,fc:3:sigmoid", "cross-entropy"],
  ["fc:6:tanh,fc:5:relu,fc:3:linear", "quadratic"],
  ["fc:6:relu,fc:3:tanh", "quadratic"],
  ["fc:6:linear,fc:4:sigmoid,softmax:3", "log-likelihood"],
  ["fc:6:relu,softmax:3", "log-likelihood"],
  ["fc:6:sigmoid:dropout=0.3,fc:5:relu:dropout=0.5,softmax:3:dropout=0.4", "log-likelihood"],
  ["fc:6:tanh:dropout=0.5,fc:3:sigmoid:dropout=0.2", "cross-entropy"],
];

describe.each(kernels())("layers with the $name kernel", ({ kernel, arena }) => {
  it.each(NETWORKS)("%s with %s: the SGD step follows the cost's gradient (central differences)", (spec, cost) => {
    const net = makeNet(spec, arena);
    const ws = new Workspace(net, M, arena);
    randomBatch(ws.input, ws.labels, M, 3, 21);
    const bp = new Backprop(kernel, net, ws, COSTS[cost], 9);
    bp.ctx.epoch = 2;
    bp.ctx.batch = 5;
    const numeric = numericGradient(net, () => batchCost(bp, M));
    const before = [...net.weights, ...net.biases].map((p) => p.slice());
    const eta = 1e-3;
    bp.ctx.eta = eta;
    bp.ctx.decay = 1;
    bp.run(bp.forward, M);
    bp.run(bp.backward, M);
    bp.run(bp.update, M);
    const applied = [...net.weights, ...net.biases].map((p, i) => Float64Array.from(p, (v, j) => (before[i][j] - v) / eta));
    expectClose(applied, numeric);
    if (spec.includes("dropout")) {
      // a fixed mask: some inputs really were dropped, and their weights got no gradient
      const mask = ws.io[0].mask!;
      const dropped = Array.from(mask.subarray(0, M * INPUTS)).filter((x) => x === 0).length;
      expect(dropped).toBeGreaterThan(0);
    }
  });

  it.each(NETWORKS)("%s with %s: matrix-based gradients equal the sum of per-example gradients", (spec, cost) => {
    const m = 9;
    const net = makeNet(spec, arena, "scaled", 6);
    const ws = new Workspace(net, m, arena);
    randomBatch(ws.input, ws.labels, m, 3, 8);
    const X = ws.input.slice(0, m * INPUTS);
    const labels = ws.labels.slice();
    const bp = new Backprop(kernel, net, ws, COSTS[cost]);
    bp.run(bp.forward, m);
    bp.run(bp.backward, m);
    const nablaW = net.weights.map((w) => arena.f64(w.length).fill(NaN));
    const nablaB = net.biases.map((b) => arena.f64(b.length).fill(NaN));
    gradients(kernel, net, ws, m, nablaW, nablaB);
    const loop = new PerExample(kernel, net, COSTS[cost], arena);
    loop.gradients(X, labels, m);
    nablaW.forEach((g, l) => expect(maxRelError(g, loop.nablaW[l])).toBeLessThan(1e-10));
    nablaB.forEach((g, l) => expect(maxRelError(g, loop.nablaB[l])).toBeLessThan(1e-10));
    expect(Math.max(...nablaW[0].map(Math.abs))).toBeGreaterThan(1e-6);
  });

  it("at inference a dropout layer multiplies its weighted input by 1 - p, and draws no mask", () => {
    const withDrop = makeNet("fc:6:sigmoid,softmax:3:dropout=0.25", arena, "scaled", 3);
    const plain = makeNet("fc:6:sigmoid,softmax:3", arena, "scaled", 3);
    plain.copyFrom(withDrop);
    for (let j = 0; j < plain.weights[1].length; j++) plain.weights[1][j] *= 0.75; // (1 − p)·W·a, exactly as the weighted input
    const run = (net: Network) => {
      const ws = new Workspace(net, M, arena, false);
      randomBatch(ws.input, ws.labels, M, 3, 2);
      const bp = new Backprop(kernel, net, ws, COSTS["log-likelihood"]);
      bp.run(bp.infer, M);
      return ws.output.slice(0, M * 3);
    };
    expect(maxRelError(run(withDrop), run(plain))).toBeLessThan(1e-15);
  });
});

describe("both L2 forms in the SGD loop", () => {
  const { kernel, arena } = kernels()[0];
  // one mini-batch of m = 4 out of n = 4 images: one step per epoch, in the data's order
  const m = 4;
  const pixels = INPUTS;
  const images = new Uint8Array(m * pixels).map((_, i) => (i * 37) % 256);
  const ds: Dataset = { images, labels: Uint8Array.from([0, 2, 1, 2]), count: m, rows: 1, cols: pixels, pixels };

  it.each([["network2", 1], ["network3", m]] as [L2Form, number][])("%s: the step follows the gradient of the cost plus its L2 term", async (l2, perStep) => {
    const lambda = 3;
    const eta = 1e-3;
    const net = makeNet("fc:5:sigmoid,softmax:3", arena, "scaled", 1);
    const engine = new SerialEngine(kernel, net, COSTS["log-likelihood"], m, arena);
    // the penalty each form adds to the mini-batch's mean cost: (λ/2n)·Σw² with n = 4, or with n/m = 1 mini-batch
    const n = ds.count / perStep;
    const ws = new Workspace(net, m, arena);
    const bp = new Backprop(kernel, net, ws, COSTS["log-likelihood"]);
    const X = ws.input;
    for (let i = 0; i < m * pixels; i++) X[i] = images[i] / 255;
    ws.labels.set(ds.labels);
    const numeric = numericGradient(net, () => batchCost(bp, m) + (0.5 * lambda / n) * net.sumSquaredWeights());
    const before = [...net.weights, ...net.biases].map((p) => p.slice());
    await sgd(engine, { training: ds, evaluation: ds }, {
      epochs: 1, batchSize: m, eta, lambda, l2, cost: COSTS["log-likelihood"], monitor: new Set(), shuffle: false,
    }, new Rng(1), () => {});
    const applied = [...net.weights, ...net.biases].map((p, i) => Float64Array.from(p, (v, j) => (before[i][j] - v) / eta));
    expectClose(applied, numeric);
  });
});

describe("dropout masks", () => {
  const ctx = { m: 0, eta: 0, decay: 1, seed: 7, epoch: 3, batch: 11, row0: 0 };
  const m = 40;
  const n = 500;
  const X = Float64Array.from({ length: m * n }, (_, i) => 1 + (i % 13));

  function mask(p: number, blocks: number[][], c = ctx, layer = 1): Float64Array {
    const M = new Float64Array(m * n).fill(NaN);
    const XD = new Float64Array(m * n);
    for (const [c0, c1] of blocks) dropColumns(maskKey(c, layer), p, 0, m, n, c0, c1, X, M, XD);
    for (let i = 0; i < m * n; i++) expect(XD[i]).toBe(M[i] * X[i]);
    return M;
  }

  it.each([0.2, 0.5, 0.8])("keep each unit with probability 1 - p (p = %f, 20,000 draws)", (p) => {
    const kept = mask(p, [[0, n]]).reduce((a, b) => a + b, 0) / (m * n);
    // binomial standard deviation sqrt(p(1-p)/20000) < 0.0036: 5 of them
    expect(Math.abs(kept - (1 - p))).toBeLessThan(0.018);
  });

  it("the same bits whichever blocks of units compute them (the thread split)", () => {
    const whole = mask(0.5, [[0, n]]);
    expect(mask(0.5, [[0, 133], [133, 134], [134, n]])).toEqual(whole);
  });

  it("differ by epoch, mini-batch, layer and seed", () => {
    const base = mask(0.5, [[0, n]]);
    for (const other of [
      mask(0.5, [[0, n]], { ...ctx, epoch: 4 }), mask(0.5, [[0, n]], { ...ctx, batch: 12 }),
      mask(0.5, [[0, n]], ctx, 2), mask(0.5, [[0, n]], { ...ctx, seed: 8 }),
    ]) {
      const same = other.filter((v, i) => v === base[i]).length / (m * n);
      expect(same).toBeGreaterThan(0.45); // independent halves agree about half the time
      expect(same).toBeLessThan(0.55);
    }
  });
});

describe("softmax", () => {
  it("rows sum to 1 and large weighted inputs do not overflow", () => {
    const A = Float64Array.from([1000, 1001, 999, -5, 0, 5]);
    softmax.normalise!(0, 2, 3, A);
    expect(A[0] + A[1] + A[2]).toBeCloseTo(1, 15);
    expect(A[1]).toBeCloseTo(Math.exp(1) / (1 + Math.exp(1) + Math.exp(-1)), 14);
    expect(A[3] + A[4] + A[5]).toBeCloseTo(1, 15);
    expect(A.every(Number.isFinite)).toBe(true);
  });
});

describe("the --layers grammar", () => {
  it("reads every field and writes it back", () => {
    const layers = parseLayers("conv:20:5x4:relu:pool=2,conv:40:3x3,fc:100:relu,fc:1000:relu:dropout=0.5, fc:20 ,softmax:10:dropout=0.5");
    expect(layers).toEqual<LayerSpec[]>([
      { type: "conv", size: 20, activation: "relu", dropout: 0, kernel: [5, 4], pool: 2 },
      { type: "conv", size: 40, activation: "sigmoid", dropout: 0, kernel: [3, 3], pool: 1 },
      { type: "fc", size: 100, activation: "relu", dropout: 0 },
      { type: "fc", size: 1000, activation: "relu", dropout: 0.5 },
      { type: "fc", size: 20, activation: "sigmoid", dropout: 0 },
      { type: "softmax", size: 10, activation: "softmax", dropout: 0.5 },
    ]);
    expect(parseLayers(formatLayers(layers))).toEqual(layers);
  });

  it.each([
    ["", /layer 1 "": unknown layer type ""/],
    ["conv2d:3", /layer 1 "conv2d:3": unknown layer type "conv2d": expected fc, softmax or conv/],
    ["conv:20:5,softmax:10", /layer 1 "conv:20:5": filter size "5": expected HEIGHTxWIDTH, e.g. conv:20:5x5:pool=2/],
    ["conv:20:5x5:pool=16,softmax:10", /pool "16": expected a window side from 1 to 15/],
    ["conv:20:5x5:dropout=0.5,softmax:10", /unknown key "dropout": a conv layer takes pool/],
    ["fc:100,conv:20:5x5,softmax:10", /layer 2 is conv after a fc layer: convolutions come first/],
    ["conv:20:5x5", /the last layer is conv: end with fc or softmax/],
    ["fc", /layer 1 "fc": size "": expected a positive integer/],
    ["fc:0,softmax:10", /layer 1 "fc:0": size "0": expected a positive integer/],
    ["fc:1e3,softmax:10", /size "1e3": expected a positive integer/],
    ["fc:100:swish,softmax:10", /activation "swish": expected one of sigmoid, tanh, relu, linear/],
    ["fc:100:relu:tanh,softmax:10", /"tanh": the activation is given twice/],
    ["fc:100:relu,softmax:10:relu", /layer 2 "softmax:10:relu": "relu": a softmax layer takes no activation/],
    ["fc:100:dropout=1,softmax:10", /dropout "1": expected a probability from 0 up to \(not including\) 1/],
    ["fc:100:dropout=-0.1,softmax:10", /dropout "-0.1"/],
    ["fc:100:dropout=x,softmax:10", /dropout "x"/],
    ["fc:100:dropout=0.1:dropout=0.2,softmax:10", /"dropout" is given twice/],
    ["fc:100:rate=0.1,softmax:10", /unknown key "rate": a fc layer takes dropout/],
    ["softmax:10,fc:10", /layer 1 is softmax, which can only be the last \(output\) layer/],
  ])("%j is a one-line usage error", (spec, message) => {
    let error: unknown;
    try {
      parseLayers(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^--layers "/);
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("gradient norms (chapter 5's speed of learning)", () => {
  it("are the norms of the mean bias gradient of each hidden layer, as the per-example loop computes it", () => {
    const { kernel, arena } = kernels()[1];
    const sizes = [INPUTS, 6, 5, 4, 3];
    const net = new Network(sizes, arena);
    net.initialise("scaled", new Rng(5));
    const count = 23;
    const images = Uint8Array.from({ length: count * INPUTS }, (_, i) => (i * 97) % 256);
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
    const ds: Dataset = { images, labels, count, rows: 1, cols: INPUTS, pixels: INPUTS };
    const engine = new SerialEngine(kernel, net, COSTS["cross-entropy"], 10, arena);
    const norms = engine.gradientNorms(ds, 20);
    const loop = new PerExample(kernel, net, COSTS["cross-entropy"], arena);
    const X = Float64Array.from(images.subarray(0, 20 * INPUTS), (v) => v / 255);
    loop.gradients(X, labels, 20);
    const expected = loop.nablaB.slice(0, -1).map((g) => Math.hypot(...g) / 20);
    expect(norms).toHaveLength(3);
    norms.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 14));
  });
});


describe("the plan of a mini-batch", () => {
  const { kernel, arena } = kernels()[0];
  const plan = (net: Network, cost: CostName): string =>
    new Backprop(kernel, net, new Workspace(net, 10, arena), COSTS[cost]).plan.map((p) => (p.barrier ? "| " : "") + p.step.name).join("  ");

  it("784-30-10 meets at four barriers: the input's index adds none, a layer's update follows its backward step at once", () => {
    expect(plan(new Network([784, 30, 10], arena), "quadratic"))
      .toBe("| gather  index rows 0  | forward 0  index columns 0  | forward 1  output delta  | backward 1  update 1  update 0");
  });

  it("in a team, each thread gathers the whole batch and runs the small top layer whole (*): one barrier for 784-30-10", () => {
    const net = new Network([784, 30, 10], arena);
    const ws = new Workspace(net, 10, arena, true, 2, 1);
    const [even, odd] = [0, 1].map((parity) => new Backprop(kernel, net, ws, COSTS.quadratic, 0, undefined, parity));
    const batch = "gather*  index rows 0*  forward 0  index columns 0*  | forward 1*  output delta*  backward 1*  update 1*  update 0";
    expect(pairPlans(even, odd).map((plan) => plan.map((p) => (p.barrier ? "| " : "") + p.step.name + (p.whole ? "*" : "")).join("  ")))
      .toEqual([batch, batch]);
    // with a single buffer for the first layer's outputs, a thread must wait before writing the next batch's
    expect(even.plan.filter((p) => p.barrier).map((p) => p.step.name)).toEqual(["forward 0", "forward 1"]);
  });

  it("softmax rows wait for every thread's columns; dropout masks a layer's input before its product", () => {
    const net = new Network({ inputs: 784, layers: parseLayers("fc:100:relu:dropout=0.5,softmax:10:dropout=0.5") }, arena);
    // no barrier before the gather: X and the labels were last read before the barrier at backward 1
    expect(plan(net, "log-likelihood"))
      .toBe("gather  | mask 0  | forward 0  mask 1  | forward 1  | softmax 1  output delta  | backward 1  update 1  update 0");
  });
});

describe.each(kernels())("convolution and pooling layers with the $name kernel", ({ kernel, arena }) => {
  // 2 maps of 9x8 -> 3 filters 3x2 (7x7), pooled 2x2 with the border ignored (3x3) -> 2 filters 2x2 (2x2), unpooled -> fc -> softmax
  const shape = { C: 2, H: 9, W: 8 };
  const spec = "conv:3:3x2:pool=2:tanh,conv:2:2x2:relu,fc:5:sigmoid:dropout=0.2,softmax:3";
  const make = (seed: number): Network => {
    const net = new Network({ inputs: 144, shape, layers: parseLayers(spec) }, arena);
    net.initialise("scaled", new Rng(seed));
    return net;
  };
  const batch = (net: Network, m: number) => {
    const ws = new Workspace(net, m, arena);
    randomBatch(ws.input, ws.labels, m, 3, 17);
    return ws;
  };

  it("the SGD step follows the gradient of the cost through both convolutions and the pooling (central differences)", () => {
    const net = make(2);
    const ws = batch(net, M);
    const bp = new Backprop(kernel, net, ws, COSTS["log-likelihood"], 3);
    const numeric = numericGradient(net, () => batchCost(bp, M));
    const before = [...net.weights, ...net.biases].map((p) => p.slice());
    const eta = 1e-3;
    Object.assign(bp.ctx, { eta, decay: 1 });
    bp.run(bp.forward, M);
    bp.run(bp.backward, M);
    bp.run(bp.update, M);
    const applied = [...net.weights, ...net.biases].map((p, i) => Float64Array.from(p, (v, j) => (before[i][j] - v) / eta));
    expectClose(applied, numeric);
    expect(Math.max(...applied[0].map(Math.abs))).toBeGreaterThan(1e-4); // the first filters learn: the input gradient got through
  });

  it("matrix-based gradients equal the sum of per-example gradients", () => {
    const m = 6;
    const net = make(4);
    const ws = batch(net, m);
    const X = ws.input.slice(0, m * 144);
    const labels = ws.labels.slice();
    const bp = new Backprop(kernel, net, ws, COSTS["log-likelihood"]);
    bp.run(bp.forward, m);
    bp.run(bp.backward, m);
    const nablaW = net.weights.map((w) => arena.f64(w.length).fill(NaN));
    const nablaB = net.biases.map((b) => arena.f64(b.length).fill(NaN));
    gradients(kernel, net, ws, m, nablaW, nablaB);
    const loop = new PerExample(kernel, net, COSTS["log-likelihood"], arena);
    loop.gradients(X, labels, m);
    nablaW.forEach((g, l) => expect(maxRelError(g, loop.nablaW[l])).toBeLessThan(1e-10));
    nablaB.forEach((g, l) => expect(maxRelError(g, loop.nablaB[l])).toBeLessThan(1e-10));
  });

  it("filters or pooling that do not fit the maps are refused by name", async () => {
    const { architectureProblem } = await import("../src/network/network.js");
    const image = { inputs: 784, shape: { C: 1, H: 28, W: 28 } };
    expect(architectureProblem({ ...image, layers: parseLayers("conv:2:29x5,softmax:10") })).toBe("29x5 filters do not fit in the 28x28 maps they read");
    expect(architectureProblem({ ...image, layers: parseLayers("conv:2:5x5:pool=15,conv:2:1x1:pool=2,softmax:10") }))
      .toBe("pool=2 windows do not fit in the 1x1 maps of 1x1 filters on 1x1");
    expect(architectureProblem({ ...image, layers: parseLayers("conv:20:5x5:pool=2,conv:40:5x5:pool=2,fc:100,softmax:10") })).toBeUndefined();
  });
});

describe("the ensemble's plurality vote", () => {
  it("takes the digit most members predict, a tie going to the lowest digit", async () => {
    const { plurality } = await import("../src/network/confusion.js");
    const members = [Uint8Array.from([3, 7, 1, 9]), Uint8Array.from([3, 2, 5, 9]), Uint8Array.from([4, 2, 6, 0])];
    expect(Array.from(plurality(members, 4))).toEqual([3, 2, 1, 9]);
  });
});
