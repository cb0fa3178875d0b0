// Chapter 3 of the book: saved models in network2.py's JSON, early stopping
// and the eta schedule, monitoring with the L2 term, and the CLI around them
// (--save, --save-best, --load, --preset, evaluate). Expected numbers come
// from the rules and from plain re-computations here, never from past runs.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSizesFitData } from "../src/cli/train.js";
import { slice, type Dataset } from "../src/data/dataset.js";
import { loadMnist, splitBook } from "../src/data/mnist.js";
import { DataError } from "../src/errors.js";
import { argmaxRows } from "../src/kernel/elementwise.js";
import { Arena } from "../src/kernel/arena.js";
import { jsKernel } from "../src/kernel/js.js";
import { feedforward, Workspace } from "../src/network/backprop.js";
import { confusionMatrix, perClass } from "../src/network/confusion.js";
import { COSTS, type CostName } from "../src/network/costs.js";
import { SerialEngine } from "../src/network/engine.js";
import { fromBookJson, toBookJson } from "../src/network/model-file.js";
import { Network } from "../src/network/network.js";
import { Rng } from "../src/network/rng.js";
import { sgd, type Monitor, type SgdOptions } from "../src/network/sgd.js";
import { kernels, randomNetwork, expectOneLineError } from "./helpers.js";

const { train, test } = await loadMnist();

/** network2.py's saved layout: weights[l][j][k] joins neuron k of layer l to neuron j of layer l+1. */
interface BookModel {
  sizes: number[];
  weights: number[][][];
  biases: number[][][];
  cost: string;
}

// ---- plain re-computations, written from the book's formulas ----

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** a' = σ(w·a + b), layer by layer, one column vector at a time. */
function bookFeedforward(model: Pick<BookModel, "weights" | "biases">, x: number[]): number[] {
  return model.weights.reduce(
    (a, w, l) => w.map((row, j) => sigmoid(row.reduce((s, wjk, k) => s + wjk * a[k], 0) + model.biases[l][j][0])),
    x,
  );
}

/** The network's parameters in the book's nested layout, read straight from the row-major arrays. */
function bookLayers(net: Network): Pick<BookModel, "weights" | "biases"> {
  const { sizes } = net;
  return {
    weights: net.weights.map((w, l) =>
      Array.from({ length: sizes[l + 1] }, (_, j) => Array.from({ length: sizes[l] }, (_, k) => w[j * sizes[l] + k]))),
    biases: net.biases.map((b) => Array.from(b, (v) => [v])),
  };
}

const bookCost: Record<CostName, (a: number[], y: number[]) => number> = {
  quadratic: (a, y) => 0.5 * a.reduce((s, aj, j) => s + (aj - y[j]) ** 2, 0),
  "cross-entropy": (a, y) => a.reduce((s, aj, j) => s - y[j] * Math.log(aj) - (1 - y[j]) * Math.log(1 - aj), 0),
};

const pixels = (ds: Dataset, e: number): number[] =>
  Array.from(ds.images.subarray(e * ds.pixels, (e + 1) * ds.pixels), (p) => p / 255);
const oneHot = (label: number): number[] => Array.from({ length: 10 }, (_, j) => (j === label ? 1 : 0));
const argmax = (a: number[]): number => a.indexOf(Math.max(...a));
const sumSquares = (net: Network): number => net.weights.reduce((s, w) => s + w.reduce((t, v) => t + v * v, 0), 0);

/** Accuracy, mean cost without L2, and the confusion counts, one example at a time. */
function bookScore(net: Network, ds: Dataset, cost: CostName) {
  const layers = bookLayers(net);
  const confusion = new Array<number>(100).fill(0);
  let correct = 0;
  let costSum = 0;
  for (let e = 0; e < ds.count; e++) {
    const a = bookFeedforward(layers, pixels(ds, e));
    const label = ds.labels[e];
    if (argmax(a) === label) correct++;
    confusion[label * 10 + argmax(a)]++;
    costSum += bookCost[cost](a, oneHot(label));
  }
  return { correct, meanCost: costSum / ds.count, confusion };
}

// ---- model files ----

describe("model files in network2.py's JSON", () => {
  const arena = new Arena();

  it.each(["quadratic", "cross-entropy"] as const)("save -> load is exact, in the book's layout (%s)", (cost) => {
    const sizes = [5, 4, 3]; // no square matrix, so a transposed layout cannot pass
    const net = randomNetwork(sizes, arena, 3);
    net.weights[0].set([1e-300, 5e-324, -1.7976931348623157e308, 1 / 3], 0); // digits JSON must not lose
    const text = toBookJson(net, cost);
    const doc = JSON.parse(text) as BookModel;

    expect(Object.keys(doc).sort()).toEqual(["biases", "cost", "sizes", "weights"]);
    expect(doc.sizes).toEqual(sizes);
    expect(doc.cost).toBe(cost === "quadratic" ? "QuadraticCost" : "CrossEntropyCost");
    expect(doc).toEqual({ ...doc, ...bookLayers(net) });
    doc.weights.forEach((w, l) => {
      expect(w).toHaveLength(sizes[l + 1]);
      for (const row of w) expect(row).toHaveLength(sizes[l]);
    });
    doc.biases.forEach((b, l) => {
      expect(b).toHaveLength(sizes[l + 1]);
      for (const row of b) expect(row).toHaveLength(1);
    });

    const loaded = fromBookJson(text, "m.json", arena);
    expect(loaded.cost).toBe(cost);
    expect(loaded.network.sizes).toEqual(sizes);
    loaded.network.weights.forEach((w, l) => expect(w).toEqual(net.weights[l]));
    loaded.network.biases.forEach((b, l) => expect(b).toEqual(net.biases[l]));
  });

  const HAND: BookModel = {
    sizes: [4, 3, 2],
    weights: [
      [[0.5, -1, 0.25, 2], [-0.75, 0.3, 1.5, -0.2], [1, 1, -1, 0.1]],
      [[1.2, -0.7, 0.4], [-1.1, 0.9, 0.6]],
    ],
    biases: [[[0.1], [-0.4], [0.2]], [[-0.3], [0.25]]],
    cost: "CrossEntropyCost",
  };
  const INPUTS = [[0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0.2, 0.9, 0.1, 0.7], [1, 1, 1, 1]];

  it.each(kernels())("a model written by hand gives the book's outputs and predictions ($name kernel)", ({ kernel, arena: ka }) => {
    const { network, cost } = fromBookJson(JSON.stringify(HAND), "hand.json", ka);
    expect(cost).toBe("cross-entropy");
    const m = INPUTS.length;
    const ws = new Workspace(network, m, ka);
    ws.activations[0].set(INPUTS.flat());
    feedforward(kernel, network, ws, m);
    const predicted = new Uint8Array(m);
    argmaxRows(m, 2, ws.activations[2], 0, 2, predicted);

    const expected = INPUTS.map((x) => bookFeedforward(HAND, x));
    expect(new Set(expected.map(argmax)).size).toBe(2); // the inputs exercise both classes
    expected.forEach((a, i) => {
      expect(ws.activations[2][2 * i]).toBeCloseTo(a[0], 14);
      expect(ws.activations[2][2 * i + 1]).toBeCloseTo(a[1], 14);
      expect(predicted[i]).toBe(argmax(a));
    });
  });
});

// ---- bad model files ----

/** A valid 784-3-10 model, and ways to break it. */
const GOOD = JSON.parse(toBookJson(randomNetwork([784, 3, 10], new Arena(), 5), "quadratic")) as BookModel;
const edit = (change: (doc: BookModel) => void): string => {
  const doc = structuredClone(GOOD);
  change(doc);
  return JSON.stringify(doc);
};
/** GOOD with one key set to any value; undefined drops the key. */
const withKey = (key: keyof BookModel, value: unknown): string => JSON.stringify({ ...GOOD, [key]: value });

const BAD_FILES: [string, string, RegExp][] = [
  ["not JSON", JSON.stringify(GOOD).slice(0, 200), /not JSON/],
  ["a list, not an object", "[784, 3, 10]", /expected a JSON object with keys sizes, weights, biases, cost/],
  ["a missing key", withKey("cost", undefined), /missing key "cost"/],
  ["another missing key", withKey("biases", undefined), /missing key "biases"/],
  ["sizes as a string", withKey("sizes", "784,3,10"), /"sizes" must be a list of at least two positive integers/],
  ["a fractional size", withKey("sizes", [784, 3.5, 10]), /"sizes" must be a list/],
  ["an unknown cost", withKey("cost", "HingeCost"), /"cost" is "HingeCost", expected "QuadraticCost" or "CrossEntropyCost"/],
  ["weights as an object", withKey("weights", {}), /"weights" must hold 2 layers/],
  ["biases as plain numbers", withKey("biases", [[0.1, 0.2, 0.3], GOOD.biases[1]]), /biases\[0\]\[0\] must be a list of 1 numbers/],
  ["a ragged row", edit((d) => d.weights[0][1].pop()), /weights\[0\]\[1\] must be a list of 784 numbers/],
  ["a missing row", edit((d) => d.weights[1].pop()), /weights\[1\] must be a list of 10 rows/],
  ["a string entry", edit((d) => (d.weights[1][2][0] = "0.5" as never)), /weights\[1\]\[2\]\[0\] is "0.5", expected a finite number/],
  ["a null entry", edit((d) => (d.biases[1][4][0] = null as never)), /biases\[1\]\[4\]\[0\] is null, expected a finite number/],
  ["an extra layer of weights", edit((d) => d.weights.push(d.weights[1])), /"weights" must hold 2 layers/],
  ["one layer fewer in sizes", withKey("sizes", [784, 10]), /"weights" must hold 1 layers/],
];

/** Models that parse but do not fit 28x28 MNIST with 10 classes. */
const MISFITS: [string, string, RegExp][] = [
  ["a 100-input network", edit((d) => {
    d.sizes = [100, 3, 10];
    d.weights[0] = d.weights[0].map((row) => row.slice(0, 100));
  }), /the network starts with 100 inputs, but the images have 28x28 = 784 pixels/],
  ["a 9-output network", edit((d) => {
    d.sizes = [784, 3, 9];
    d.weights[1].pop();
    d.biases[1].pop();
  }), /the network ends with 9 outputs, but there are 10 classes/],
];

describe("bad model files", () => {
  it.each(BAD_FILES)("%s: a one-line DataError naming the file", (_what, text, message) => {
    const load = () => fromBookJson(text, "bad.json", new Arena());
    expect(load).toThrow(DataError);
    expect(load).toThrow(message);
    expect(load).toThrow(/^bad\.json: [^\n]+$/);
  });

  it.each(MISFITS)("%s loads, but does not fit the data: DataError", (_what, text, message) => {
    const { network } = fromBookJson(text, "bad.json", new Arena());
    const check = () => checkSizesFitData(network.sizes, test, "bad.json");
    expect(check).toThrow(DataError);
    expect(check).toThrow(message);
  });
});

// ---- early stopping and the eta schedule ----

describe("early stopping and the eta schedule on real MNIST", () => {
  const s = splitBook(train, test, { trainSize: 100, validationSize: 10000, testSize: 200 });
  const data = { training: s.training, evaluation: s.test };
  // an eta this small leaves the network as it was: accuracy can never beat epoch 1
  const FROZEN: SgdOptions = { epochs: 40, batchSize: 10, eta: 1e-12, lambda: 0, cost: COSTS.quadratic, monitor: new Set() };

  async function frozenRun(opts: Partial<SgdOptions>) {
    const arena = new Arena();
    const rng = new Rng(1);
    const net = new Network([784, 10, 10], arena);
    net.initialise("large", rng);
    const engine = new SerialEngine(jsKernel, net, COSTS.quadratic, 10, arena);
    return sgd(engine, data, { ...FROZEN, ...opts }, rng, () => {});
  }

  it("without a stopping rule the run completes every epoch", async () => {
    const r = await frozenRun({ epochs: 6 });
    expect(r.stoppedBy).toBe("completed");
    expect(r.epochs).toHaveLength(6);
    expect(new Set(r.epochs.map((e) => e.correct)).size).toBe(1); // the premise: nothing changes
  });

  it.each([1, 3, 5])("early stopping N = %i stops after exactly 1 + N epochs", async (n) => {
    const r = await frozenRun({ earlyStopping: n });
    expect(r.stoppedBy).toBe("early-stopping");
    expect(r.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 1 + n }, (_, i) => i + 1));
    expect(r.best!.epoch).toBe(1);
  });

  /** The rule: after epoch 1, every `patience` epochs without improvement halve eta; stop once eta <= eta0/factor. */
  function expectedEtas(eta0: number, patience: number, factor: number): number[] {
    const etas = [eta0];
    for (let eta = eta0; eta > eta0 / factor; eta /= 2) etas.push(...Array<number>(patience).fill(eta));
    return etas;
  }

  it.each([
    [2, 8, 7], // 3 halvings reach eta0/8: 1 + 3·2 epochs
    [3, 2, 4], // 1 halving
    [1, 5, 4], // eta0/4 > eta0/5, so a third halving is needed
  ])("the eta schedule halve:%i:%i halves eta on the rule's epochs and stops after epoch %i", async (patience, factor, last) => {
    const r = await frozenRun({ etaSchedule: { patience, factor } });
    expect(r.stoppedBy).toBe("eta-schedule");
    expect(r.epochs).toHaveLength(last);
    expect(r.epochs.map((e) => e.eta)).toEqual(expectedEtas(FROZEN.eta, patience, factor));
  });
});

// ---- monitoring ----

describe("monitoring training and evaluation cost", () => {
  const s = splitBook(train, test, { trainSize: 300, validationSize: 10000, testSize: 200 });
  const data = { training: s.training, evaluation: s.test };
  const LAMBDA = 5;

  it.each(kernels())("epoch records carry the monitored values, the costs with the L2 term ($name kernel)", async (k) => {
    const rng = new Rng(2);
    const net = new Network([784, 20, 10], k.arena);
    net.initialise("scaled", rng);
    const cost = COSTS["cross-entropy"];
    const engine = new SerialEngine(k.kernel, net, cost, 10, k.arena);
    const monitor = new Set<Monitor>(["training-cost", "training-accuracy", "eval-cost"]);
    const r = await sgd(engine, data, { epochs: 1, batchSize: 10, eta: 0.5, lambda: LAMBDA, cost, monitor }, rng, () => {});
    const [e] = r.epochs;
    for (const v of [e.trainingCost, e.trainingAccuracy, e.evalCost]) expect(Number.isFinite(v)).toBe(true);

    // the network after epoch 1 is the engine's now: score it by hand
    const l2 = (n: number) => (0.5 * LAMBDA / n) * sumSquares(net);
    const tr = bookScore(net, data.training, "cross-entropy");
    const ev = bookScore(net, data.evaluation, "cross-entropy");
    expect(e.trainingCost).toBeCloseTo(tr.meanCost + l2(300), 10);
    expect(e.trainingAccuracy).toBe(tr.correct / 300);
    expect(e.evalCost).toBeCloseTo(ev.meanCost + l2(200), 10);
    expect(e.correct).toBe(ev.correct);
    expect(l2(200)).toBeGreaterThan(1e-3); // the L2 term is not negligible here

    const diff = engine.evaluate(data.evaluation, cost, LAMBDA).cost! - engine.evaluate(data.evaluation, cost, 0).cost!;
    expect(diff).toBeCloseTo(l2(200), 12);
  });
});

// ---- the confusion matrix behind `evaluate` ----

describe.each(kernels())("confusionMatrix ($name kernel)", (k) => {
  it("counts each test image once, by true and predicted digit, and gives the mean cost without L2", () => {
    const net = randomNetwork([784, 30, 10], k.arena, 4);
    const ds = slice(test, 0, 600); // not a multiple of the evaluation chunk
    const { counts, meanCost } = confusionMatrix(k.kernel, net, ds, COSTS.quadratic, k.arena);
    const book = bookScore(net, ds, "quadratic");
    expect(Array.from(counts)).toEqual(book.confusion);
    expect(meanCost).toBeCloseTo(book.meanCost, 12);
    const classes = perClass(counts);
    expect(classes.map((c) => c.total)).toEqual(Array.from({ length: 10 }, (_, d) => ds.labels.filter((l) => l === d).length));
    expect(classes.reduce((s, c) => s + c.correct, 0)).toBe(book.correct);
  });
});

// ---- the command line ----

const BIN = path.resolve(import.meta.dirname, "../bin/mnist-train.js");
const SMALL = ["--train-size", "2000", "--test-size", "500", "--validation-size", "1000", "--epochs", "1"];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON Lines of a run that must succeed, by type (epoch records in order). */
function jsonRun(args: string[]) {
  const r = cli([...args, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const records = r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  const one = (type: string) => records.find((x) => x.type === type);
  return { config: one("config"), epochs: records.filter((x) => x.type === "epoch"), summary: one("summary"), evaluation: one("evaluation") };
}


describe("mnist-train chapter-3 options (built bin)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-ch3-"));
  const model = path.join(dir, "saved", "model.json");
  let saved: ReturnType<typeof jsonRun>;

  beforeAll(() => {
    fs.mkdirSync(path.dirname(model));
    saved = jsonRun([...SMALL, "--cost", "cross-entropy", "--eta", "0.5", "--monitor", "eval-cost", "--save", model]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("--save writes a model that evaluate scores exactly as the run's last epoch", () => {
    expect(saved.summary.saved).toBe(model);
    expect(fs.readdirSync(path.dirname(model))).toEqual(["model.json"]); // no temporary file left
    const { evaluation: ev } = jsonRun(["evaluate", "--model", model, "--test-size", "500"]);
    const last = saved.epochs.at(-1);
    expect(ev).toMatchObject({ type: "evaluation", model, sizes: [784, 30, 10], cost: "cross-entropy", total: 500 });
    expect(ev.correct).toBe(last.correct);
    expect(ev.accuracy).toBe(last.accuracy);
    expect(ev.meanCost).toBeCloseTo(last.evalCost, 12); // lambda 0: the monitored cost has no L2 term
    expect(ev.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(500);
    expect(ev.perClass.map((c: { correct: number }) => c.correct)).toEqual(ev.confusion.map((row: number[], t: number) => row[t]));
    expect(ev.perClass.reduce((s: number, c: { total: number }) => s + c.total, 0)).toBe(500);
  });

  it("evaluate prints the accuracy, a 10x10 confusion matrix and per-class accuracy", () => {
    const r = cli(["evaluate", "--model", model, "--test-size", "500"]);
    expect(r.code).toBe(0);
    const { evaluation: ev } = jsonRun(["evaluate", "--model", model, "--test-size", "500"]);
    const lines = r.stdout.split("\n");
    expect(r.stdout).toContain(`${ev.correct} / 500`);
    const header = lines.findIndex((l) => /confusion matrix/i.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    expect(lines[header + 1].trim().split(/\s+/)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    const rows = lines.slice(header + 2, header + 12).map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows).toEqual(ev.confusion.map((row: number[], t: number) => [t, ...row]));
    const perClass = lines.map((l) => /^\s*digit (\d): (\d+) \/ (\d+)/.exec(l)).filter((m) => m !== null);
    expect(perClass.map((m) => m.slice(1).map(Number))).toEqual(ev.perClass.map((c: { digit: number; correct: number; total: number }) => [c.digit, c.correct, c.total]));
    expect(r.stdout).not.toContain("\x1b[");
  });

  it("--save-best saves the best epoch, not the last", () => {
    // weight decay alone (eta tiny, lambda huge) halves every weight each epoch, pulling the network
    // towards a constant output; early stopping ends the run on the first epoch that did not improve
    const n = 2000;
    const batches = n / 10;
    const eta = 1e-6;
    const lambda = (n * (1 - 0.5 ** (1 / batches))) / eta;
    const best = path.join(dir, "best.json");
    const run = jsonRun([...SMALL, "--epochs", "5", "--load", model, "--eta", String(eta), "--lambda", String(lambda),
      "--early-stopping", "1", "--save-best", "--save", best]);
    expect(run.summary.stoppedBy).toBe("early-stopping");
    const last = run.epochs.at(-1);
    expect(last.correct).toBeLessThan(run.summary.bestCorrect); // the premise: best and last differ
    const { evaluation: ev } = jsonRun(["evaluate", "--model", best, "--test-size", "500"]);
    expect(ev.accuracy).toBe(run.summary.bestAccuracy);
    expect(ev.correct).toBe(run.summary.bestCorrect);
  });

  it("--load continues from the saved network, with its cost", () => {
    // an eta this small cannot teach a fresh network anything, so a high first score is the loaded one's
    const run = jsonRun([...SMALL, "--load", model, "--eta", "1e-9"]);
    expect(run.config.cost).toBe("cross-entropy");
    const before = saved.epochs.at(-1).accuracy;
    expect(Math.abs(run.epochs[0].accuracy - before)).toBeLessThanOrEqual(0.01);
    expect(run.epochs[0].accuracy).toBeGreaterThan(0.5); // chance is 0.1
  });

  it("--load with --sizes that disagree is a usage error", () => {
    const r = cli([...SMALL, "--load", model, "--sizes", "784,20,10"]);
    expectOneLineError(r, 2, /--sizes 784,20,10 does not match the sizes 784,30,10 of --load/);
  });

  it("--preset ch3 sets the book's chapter-3 run", () => {
    const { config, epochs, summary } = jsonRun(["--preset", "ch3", "--epochs", "1", "--train-size", "1000", "--validation-size", "1000"]);
    expect(config).toMatchObject({ sizes: [784, 100, 10], cost: "cross-entropy", init: "scaled", eta: 0.5, lambda: 5, eval: "validation" });
    expect(config.data.evalSet).toBe("validation");
    expect(epochs[0].total).toBe(1000);
    expect(summary.epochs).toBe(1); // --epochs overrides the preset's 30
  });

  it("explicit flags override the preset", () => {
    const { config } = jsonRun(["--preset", "ch3", "--eta", "0.25", "--lambda", "1", "--epochs", "1", "--train-size", "1000",
      "--validation-size", "1000"]);
    expect(config).toMatchObject({ sizes: [784, 100, 10], cost: "cross-entropy", eta: 0.25, lambda: 1, eval: "validation" });
  });

  it("evaluate checks --test-size", () => {
    expectOneLineError(cli(["evaluate", "--model", model, "--test-size", "0"]), 2, /--test-size "0": expected a positive integer/);
    expectOneLineError(cli(["evaluate", "--model", model, "--test-size", "20000"]), 2, /--test-size 20000 is larger than the 10000 test examples/);
  });

  describe.each([
    ["evaluate --model", (file: string) => ["evaluate", "--model", file]],
    ["--load", (file: string) => [...SMALL, "--train-size", "100", "--load", file]],
  ])("a bad model file through %s", (how, args) => {
    it.each([...BAD_FILES, ...MISFITS])("%s: exit 1, one line on stderr", (what, text, message) => {
      const file = path.join(dir, `${`${how} ${what}`.replace(/\W+/g, "-")}.json`);
      fs.writeFileSync(file, text);
      const r = cli(args(file));
      expectOneLineError(r, 1, message);
      expect(r.stderr).toContain(file);
    });
  });
});
