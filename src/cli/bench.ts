// The bench command answers the book's chapter-2 exercise question on this
// machine: how much faster is backprop over a whole mini-batch as one matrix
// than example by example? It measures both per kernel, architecture and
// batch size, with GFLOP/s, the speed-up from threads, the GFLOP/s of single
// products and the time of one epoch.
// Configurations that are compared are measured side by side: every round
// runs each of them in turn, so drift on a shared machine hits them alike,
// and the median over rounds is reported. Training runs on real MNIST
// mini-batches in a shuffled order, so the gather is paid as in training.
import os from "node:os";
import { gatherBatch } from "../data/batch.js";
import type { Dataset } from "../data/dataset.js";
import { loadMnist, splitBook } from "../data/mnist.js";
import { Arena, NO_MEMORY } from "../kernel/arena.js";
import { createKernel, type Kernel, type KernelName, type KernelVariant } from "../kernel/index.js";
import { createWasmKernel, wasmModule, wasmVariants } from "../kernel/wasm.js";
import { logLikelihood, quadratic } from "../network/costs.js";
import { parseLayers } from "../layers/spec.js";
import { createEngine } from "../network/engine.js";
import { Network } from "../network/network.js";
import { PerExample } from "../network/per-example.js";
import { Rng } from "../network/rng.js";
import type { RawOptions } from "./options.js";
import { writeLine } from "./output.js";
import { VERSION, warn } from "./version.js";

interface Plan {
  rounds: number;
  /** Least time one configuration runs in one round. */
  seconds: number;
  /** Time spent per configuration before the rounds (JIT, caches, calibration). */
  warmup: number;
  /** Rounds for whole epochs, which cannot be shortened. */
  epochRounds: number;
}

const PLANS: Record<"full" | "quick", Plan> = {
  full: { rounds: 5, seconds: 0.3, warmup: 0.1, epochRounds: 3 },
  quick: { rounds: 3, seconds: 0.1, warmup: 0.03, epochRounds: 1 },
};

const ARCHITECTURES: readonly number[][] = [[784, 30, 10], [784, 100, 10], [784, 300, 100, 10]];
const BATCH_SIZES: readonly number[] = [1, 10, 100];
const EPOCH = { sizes: [784, 30, 10], batchSize: 10 };
const ETA = 3.0; // the book's chapter-1 run, so the weights evolve as in training
const CONV_ETA = 0.1; // network3.py's conv runs

/** Chapter 6's conv nets, trained at the book's mini-batch of 10. */
const CONV_NETS: readonly { name: string; layers: string }[] = [
  { name: "ch6-conv", layers: "conv:20:5x5:pool=2:sigmoid,fc:100:sigmoid,softmax:10" },
  { name: "ch6-conv2", layers: "conv:20:5x5:pool=2:sigmoid,conv:40:5x5:pool=2:sigmoid,fc:100:sigmoid,softmax:10" },
];
const SEED = 1;

type ProductName = "gemmABt" | "gemmAtB" | "gemmAB";

interface ProductSpec {
  product: ProductName;
  m: number;
  n: number;
  k: number;
  role: string;
}

// The products of training 784-30-10 and 784-100-10 at mini-batches 10 and 100.
const PRODUCTS: readonly ProductSpec[] = [
  { product: "gemmABt", m: 10, n: 30, k: 784, role: "forward, 784-30-10, batch 10" },
  { product: "gemmABt", m: 100, n: 100, k: 784, role: "forward, 784-100-10, batch 100" },
  { product: "gemmAtB", m: 30, n: 784, k: 10, role: "weight update, 784-30-10, batch 10" },
  { product: "gemmAtB", m: 100, n: 784, k: 100, role: "weight update, 784-100-10, batch 100" },
  { product: "gemmAB", m: 10, n: 30, k: 10, role: "backward delta, 784-30-10, batch 10" },
];

export async function benchCommand(raw: RawOptions): Promise<number> {
  const plan = raw.quick === true ? PLANS.quick : PLANS.full;
  const out: Output = raw.json === true ? new JsonOutput() : new TableOutput(plan);
  const kernels = availableKernels();
  const cores = os.availableParallelism();
  const threadCounts = cores > 1 ? [1, cores] : [1];
  const { train, test } = await loadMnist();
  const ds = splitBook(train, test, { validationSize: 10000 }).training;

  out.products(benchProducts(productKernels(kernels), plan));
  out.backprop(await benchBackprop(ds, kernels, threadCounts, plan), cores);
  out.epochs(await benchEpochs(ds, kernels, threadCounts, plan));
  out.conv(await benchConv(ds, kernels, threadCounts, plan));
  return 0;
}

/** Both kernels, or js alone (with one warning) when the WebAssembly one cannot load. */
function availableKernels(): KernelName[] {
  return createKernel("wasm", new Arena().memory, warn).name === "wasm" ? ["js", "wasm"] : ["js"];
}

/** A kernel as the product table names it: js, and each variant of wasm this runtime runs. */
interface KernelChoice {
  kernel: KernelName;
  variant: KernelVariant;
}

function productKernels(kernels: readonly KernelName[]): KernelChoice[] {
  return kernels.flatMap((kernel): KernelChoice[] => kernel === "js"
    ? [{ kernel, variant: "mul-add" }]
    : wasmVariants().map((variant) => ({ kernel, variant })));
}

/** "js", or "wasm" and its variant. */
function label(r: { kernel: KernelName; variant: KernelVariant }): string {
  return r.kernel === "js" ? "js" : `${r.kernel} ${r.variant}`;
}

// --- measuring -------------------------------------------------------------

/** Something to time: run(units) does `units` units of work (product calls, or mini-batches). */
interface Subject {
  run(units: number): void;
  /** Units per round when fixed (a whole epoch); otherwise calibrated to plan.seconds. */
  fixedUnits?: number;
}

/** Median units per second of each subject, measured in alternating rounds after a warm-up of each. */
function measure(label: string, subjects: readonly Subject[], plan: Plan, rounds = plan.rounds): number[] {
  process.stderr.write(`bench: ${label}: ${subjects.length} configurations, ${rounds} rounds\n`);
  const units = subjects.map((s) => warmUp(s, plan));
  const rates = subjects.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    // rotate the starting configuration so none always runs first
    for (let j = 0; j < subjects.length; j++) {
      const i = (j + r) % subjects.length;
      const n = subjects[i].fixedUnits ?? units[i];
      const rate = n / timed(() => subjects[i].run(n));
      rates[i].push(rate);
      units[i] = unitsFor(rate, plan.seconds);
    }
  }
  return rates.map(median);
}

/** Runs doubling amounts of work for plan.warmup seconds; returns the units that last plan.seconds. */
function warmUp(subject: Subject, plan: Plan): number {
  let spent = 0;
  let rate = 0;
  for (let n = 1; spent < plan.warmup; n *= 2) {
    const t = timed(() => subject.run(n));
    spent += t;
    rate = n / t;
  }
  return unitsFor(rate, plan.seconds);
}

function unitsFor(rate: number, seconds: number): number {
  return Math.max(1, Math.ceil(rate * seconds));
}

function timed(work: () => void): number {
  const t0 = performance.now();
  work();
  return (performance.now() - t0) / 1000;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

// --- products --------------------------------------------------------------

interface ProductRecord extends ProductSpec, KernelChoice {
  seconds: number; // per call
  gflops: number;
}

function benchProducts(kernels: readonly KernelChoice[], plan: Plan): ProductRecord[] {
  const cases = PRODUCTS.flatMap((spec) => kernels.map((choice) => ({ spec, choice })));
  const rates = measure("matrix products", cases.map((c) => productSubject(c.choice, c.spec)), plan);
  return cases.map(({ spec, choice }, i) => ({
    ...spec, ...choice, seconds: 1 / rates[i], gflops: (2 * spec.m * spec.n * spec.k * rates[i]) / 1e9,
  }));
}

/** Calls of one product on random operands in the kernel's own arena (units = calls). */
function productSubject(choice: KernelChoice, { product, m, n, k }: ProductSpec): Subject {
  const arena = new Arena();
  const kernel = choice.kernel === "wasm"
    ? createWasmKernel(arena.memory, wasmModule(choice.variant))
    : createKernel(choice.kernel, arena.memory, warn);
  const rng = new Rng(SEED);
  const random = (length: number): Float64Array => {
    const a = arena.f64(length); // filled in place: map() would copy it out of the arena
    for (let i = 0; i < length; i++) a[i] = rng.uniform();
    return a;
  };
  // A is (m, k) or, for Aᵀ·B, (k, m); B is (n, k) or (k, n): m·k and n·k elements either way
  const A = random(m * k);
  const B = random(n * k);
  const C = arena.f64(m * n);
  const call = productCall(kernel, product, m, n, k, A, B, C);
  return { run: (calls) => { for (let i = 0; i < calls; i++) call(); } };
}

function productCall(
  kernel: Kernel, product: ProductName, m: number, n: number, k: number, A: Float64Array, B: Float64Array, C: Float64Array,
): () => void {
  switch (product) {
    case "gemmABt": return () => kernel.gemmABt(m, n, k, A, 0, k, B, 0, k, C, 0, n);
    case "gemmAB": return () => kernel.gemmAB(m, n, k, A, 0, k, B, 0, n, C, 0, n);
    // as the weight update uses it: a small step accumulated in place
    case "gemmAtB": return () => kernel.gemmAtB(m, n, k, -1e-3, A, 0, m, B, 0, n, 1, C, 0, n);
  }
}

// --- backprop --------------------------------------------------------------

type Method = "per-example" | "matrix";

interface Config {
  method: Method;
  kernel: KernelName;
  sizes: readonly number[];
  /** Instead of sigmoid `sizes`: layers in the --layers grammar (trained as network3.py does: log-likelihood, eta 0.1). */
  layers?: string;
  batchSize: number;
  threadsRequested: number;
}

/** A configuration ready to run: units are mini-batches. */
interface Case extends Config, Subject {
  variant: KernelVariant;
  threads: number; // as the engine reports it
  close(): Promise<void>;
}

interface BackpropRecord extends Config {
  variant: KernelVariant;
  threads: number;
  parameters: number;
  examplesPerSecond: number;
  gflops: number;
  nsPerParameter: number;
}

/** Per-example and matrix-based backprop, one batch size at a time so that few engines (and their threads) live at once. */
async function benchBackprop(ds: Dataset, kernels: readonly KernelName[], threadCounts: readonly number[], plan: Plan): Promise<BackpropRecord[]> {
  const records: BackpropRecord[] = [];
  for (const batchSize of BATCH_SIZES) {
    const configs: Config[] = kernels.flatMap((kernel) => ARCHITECTURES.flatMap((sizes) => [
      { method: "per-example" as const, kernel, sizes, batchSize, threadsRequested: 1 },
      ...threadCounts.map((threadsRequested) => ({ method: "matrix" as const, kernel, sizes, batchSize, threadsRequested })),
    ]));
    const rates = await measureCases(`backprop, mini-batch ${batchSize}`, ds, configs, plan, plan.rounds);
    records.push(...rates.map(({ c, rate }) => backpropRecord(c, rate * batchSize)));
  }
  return records;
}

/** Sets up each configuration, measures them side by side and closes them. */
async function measureCases(
  label: string, ds: Dataset, configs: readonly Config[], plan: Plan, rounds: number, fixedUnits?: number,
): Promise<{ c: Case; rate: number }[]> {
  const cases: Case[] = [];
  try {
    for (const config of configs) cases.push({ ...(await makeCase(ds, config)), fixedUnits });
    const rates = measure(label, cases, plan, rounds);
    return cases.map((c, i) => ({ c, rate: rates[i] }));
  } finally {
    await Promise.all(cases.map((c) => c.close()));
  }
}

/** A fresh network (seed 1, the book's N(0, 1) init) on its own arena and kernel, trained one way. */
async function makeCase(ds: Dataset, config: Config): Promise<Case> {
  const arena = new Arena();
  const kernel = createKernel(config.kernel, arena.memory, warn);
  const network = config.layers
    ? new Network({ inputs: ds.pixels, shape: { C: 1, H: ds.rows, W: ds.cols }, layers: parseLayers(config.layers) }, arena)
    : new Network(config.sizes, arena);
  network.initialise(config.layers ? "network3" : "large", new Rng(SEED));
  const cost = config.layers ? logLikelihood : quadratic;
  const eta = config.layers ? CONV_ETA : ETA;
  const walk = new Walk(ds, config.batchSize);
  const m = config.batchSize;
  if (config.method === "per-example") {
    const reference = new PerExample(kernel, network, cost, arena);
    const X = arena.f64(m * ds.pixels);
    const labels = new Uint8Array(m);
    const step = (order: Uint32Array, start: number, end: number): void => {
      for (let s = start; s < end; s += m) {
        gatherBatch(ds, order, s, m, X, 0, labels);
        reference.step(X, labels, m, eta, 1);
      }
    };
    return { ...config, variant: kernel.variant, threads: 1, run: (batches) => walk.run(batches, step), close: async () => {} };
  }
  const engine = await createEngine({
    kernel, network, cost, batchSize: m, arena, threads: config.threadsRequested, datasets: [ds],
  });
  const step = (order: Uint32Array, start: number, end: number): void => engine.trainBatches(ds, order, start, end, m, eta, 1);
  return { ...config, variant: kernel.variant, threads: engine.threads, run: (batches) => walk.run(batches, step), close: () => engine.close() };
}

/** Walks the training set in mini-batches as SGD does: in a shuffled order, reshuffled after every pass. */
class Walk {
  private readonly order: Uint32Array;
  private readonly rng = new Rng(SEED);
  private cursor: number;

  constructor(private readonly ds: Dataset, private readonly batchSize: number) {
    this.order = Uint32Array.from({ length: ds.count }, (_, i) => i);
    this.cursor = ds.count; // the first batch shuffles
  }

  /** Hands `visit` runs of whole mini-batches of the order, `batches` in all. */
  run(batches: number, visit: (order: Uint32Array, start: number, end: number) => void): void {
    const m = this.batchSize;
    for (let left = batches * m; left > 0;) {
      if (this.cursor + m > this.ds.count) {
        this.rng.shuffle(this.order);
        this.cursor = 0;
      }
      const take = Math.min(left, Math.floor((this.ds.count - this.cursor) / m) * m);
      visit(this.order, this.cursor, this.cursor + take);
      this.cursor += take;
      left -= take;
    }
  }
}

function backpropRecord(c: Case, examplesPerSecond: number): BackpropRecord {
  const parameters = parameterCount(c.sizes);
  return {
    method: c.method, kernel: c.kernel, variant: c.variant, sizes: c.sizes, batchSize: c.batchSize,
    threads: c.threads, threadsRequested: c.threadsRequested, parameters, examplesPerSecond,
    gflops: (flopsPerExample(c.sizes) * examplesPerSecond) / 1e9,
    nsPerParameter: 1e9 / examplesPerSecond / parameters,
  };
}

function parameterCount(sizes: readonly number[]): number {
  let p = 0;
  for (let l = 0; l + 1 < sizes.length; l++) p += sizes[l] * sizes[l + 1] + sizes[l + 1];
  return p;
}

/** Flops of the three products per example: forward and weight update 2·n_in·n_out each per layer, and
 *  the backward product 2·n_out·n_next for every hidden layer (the input layer's delta is never computed). */
function flopsPerExample(sizes: readonly number[]): number {
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) f += (l > 0 ? 6 : 4) * sizes[l] * sizes[l + 1];
  return f;
}

// --- epochs ----------------------------------------------------------------

interface EpochRecord extends BackpropRecord {
  examples: number;
  seconds: number;
}

/** Whole epochs (shuffle and every mini-batch of the training set, no evaluation), as training times them. */
async function benchEpochs(ds: Dataset, kernels: readonly KernelName[], threadCounts: readonly number[], plan: Plan): Promise<EpochRecord[]> {
  const { sizes, batchSize } = EPOCH;
  const configs = kernels.flatMap((kernel) => threadCounts.map((threadsRequested) => (
    { method: "matrix" as const, kernel, sizes, batchSize, threadsRequested })));
  const batches = ds.count / batchSize;
  const rates = await measureCases(`epochs of ${ds.count} examples`, ds, configs, plan, plan.epochRounds, batches);
  return rates.map(({ c, rate }) => ({
    ...backpropRecord(c, rate * batchSize), examples: ds.count, seconds: batches / rate,
  }));
}

// --- output ----------------------------------------------------------------

// --- conv nets ----------------------------------------------------------------

interface ConvRecord {
  net: string;
  layers: string;
  kernel: KernelName;
  batchSize: number;
  threadsRequested: number;
  threads: number;
  examplesPerSecond: number;
  gflops: number;
}

/** Training mini-batches of chapter 6's conv nets, per kernel and thread count, side by side. */
async function benchConv(ds: Dataset, kernels: readonly KernelName[], threadCounts: readonly number[], plan: Plan): Promise<ConvRecord[]> {
  const batchSize = 10;
  const configs: Config[] = CONV_NETS.flatMap(({ layers }) => kernels.flatMap((kernel) => threadCounts.map((threadsRequested) => (
    { method: "matrix" as const, kernel, sizes: [], layers, batchSize, threadsRequested }))));
  const rates = await measureCases("conv nets, mini-batch 10", ds, configs, plan, plan.rounds);
  return rates.map(({ c, rate }) => {
    const net = CONV_NETS.find((n) => n.layers === c.layers)!;
    const flops = trainingFlops(new Network({ inputs: ds.pixels, shape: { C: 1, H: ds.rows, W: ds.cols }, layers: parseLayers(net.layers) }, NO_MEMORY));
    const examplesPerSecond = rate * batchSize;
    return {
      net: net.name, layers: net.layers, kernel: c.kernel, batchSize, threadsRequested: c.threadsRequested, threads: c.threads,
      examplesPerSecond, gflops: (flops * examplesPerSecond) / 1e9,
    };
  });
}

/** Multiply-adds (x2) of one training example: each layer's forward product and weight gradient, and the input
 *  gradient of every layer but the first (the input's is never computed); pooling and activations not counted. */
function trainingFlops(net: Network): number {
  return net.layers.reduce((f, layer, l) => {
    const macs = layer.spec.type === "conv" ? convMacs(layer) : layer.nIn * layer.nOut;
    return f + 2 * macs * (l > 0 ? 3 : 2);
  }, 0);
}

function convMacs(layer: Network["layers"][number]): number {
  const [kh, kw] = layer.spec.kernel!;
  const { C, H, W } = layer.inShape;
  return layer.spec.size * C * kh * kw * (H - kh + 1) * (W - kw + 1);
}

interface Output {
  products(records: readonly ProductRecord[]): void;
  backprop(records: readonly BackpropRecord[], cores: number): void;
  epochs(records: readonly EpochRecord[]): void;
  conv(records: readonly ConvRecord[]): void;
}

/** One JSON object per measurement. */
class JsonOutput implements Output {
  products(records: readonly ProductRecord[]): void {
    for (const r of records) writeLine(JSON.stringify({ type: "product", ...r, threads: 1 }));
  }

  backprop(records: readonly BackpropRecord[]): void {
    for (const r of records) writeLine(JSON.stringify({ type: "backprop", ...r }));
  }

  epochs(records: readonly EpochRecord[]): void {
    for (const r of records) writeLine(JSON.stringify({ type: "epoch", ...r }));
  }

  conv(records: readonly ConvRecord[]): void {
    for (const r of records) writeLine(JSON.stringify({ type: "conv", ...r }));
  }
}

const fixed = (x: number, digits = 2): string => x.toFixed(digits);
const count = (x: number): string => Math.round(x).toLocaleString("en-US");
const times = (x: number): string => `${x.toFixed(1)}x`;
const times2 = (x: number): string => `${x.toFixed(2)}x`;
const dashed = (sizes: readonly number[]): string => sizes.join("-");

/** Aligned tables on stdout. */
class TableOutput implements Output {
  constructor(private readonly plan: Plan) {
    const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
    writeLine(`mnist-train ${VERSION} bench: ${cpu}, ${os.availableParallelism()} cores, Node ${process.version}`);
    writeLine(`median of ${plan.rounds} rounds of >= ${plan.seconds} s per configuration, configurations alternating; ` +
      `real MNIST mini-batches, quadratic cost, eta ${ETA}`);
  }

  products(records: readonly ProductRecord[]): void {
    const kernels = [...new Set(records.map(label))];
    // wasm (its preferred variant, listed first) against js; fma against mul-add
    const ratios: [string, string, string][] = [];
    const wasm = kernels.filter((k) => k !== "js");
    if (kernels.includes("js") && wasm.length > 0) ratios.push(["wasm/js", wasm[0], "js"]);
    if (wasm.length > 1) ratios.push(["fma/mul-add", "wasm fma", "wasm mul-add"]);
    const rows = PRODUCTS.map((spec) => {
      const gflops = new Map(kernels.map((k) => [k, records.find((r) => label(r) === k && sameProduct(r, spec))!.gflops]));
      return [`${spec.product} (${spec.m}, ${spec.n}, ${spec.k})`, spec.role, ...kernels.map((k) => fixed(gflops.get(k)!)),
        ...ratios.map(([name, a, b]) => (name === "wasm/js" ? times : times2)(gflops.get(a)! / gflops.get(b)!))];
    });
    const head = ["product (m, n, k)", "use", ...kernels.map((k) => `${k} GFLOP/s`), ...ratios.map(([name]) => name)];
    table("Matrix products, 1 thread", head, rows, 2);
  }

  backprop(records: readonly BackpropRecord[], cores: number): void {
    const serial = records.filter((r) => r.method === "matrix" && r.threadsRequested === 1);
    const find = (r: BackpropRecord, method: Method, threadsRequested: number): BackpropRecord | undefined =>
      records.find((o) => o.method === method && o.threadsRequested === threadsRequested && o.kernel === r.kernel &&
        o.batchSize === r.batchSize && dashed(o.sizes) === dashed(r.sizes));
    const ordered = [...serial].sort((a, b) => a.kernel.localeCompare(b.kernel) || a.batchSize - b.batchSize);
    table("Backprop, examples per second, 1 thread: per-example (the book's update_mini_batch) vs matrix-based (whole mini-batch)",
      ["kernel", "sizes", "params", "batch", "per-example", "GFLOP/s*", "matrix", "GFLOP/s*", "speed-up", "ns/param"],
      ordered.map((r) => {
        const pe = find(r, "per-example", 1)!;
        return [label(r), dashed(r.sizes), count(r.parameters), String(r.batchSize), count(pe.examplesPerSecond), fixed(pe.gflops),
          count(r.examplesPerSecond), fixed(r.gflops), times(r.examplesPerSecond / pe.examplesPerSecond), fixed(r.nsPerParameter, 3)];
      }), 2);
    writeLine("speed-up = matrix / per-example; ns/param = matrix-based time per example / parameters (flat when cost grows with the parameters)");
    if (cores > 1) this.threadScaling(ordered, find, cores);
    else writeLine("\nThread scaling: skipped, this machine has 1 core");
  }

  private threadScaling(
    ordered: readonly BackpropRecord[], find: (r: BackpropRecord, method: Method, threadsRequested: number) => BackpropRecord | undefined, cores: number,
  ): void {
    table(`Thread scaling, matrix-based examples per second (asked for 1 and ${cores} threads; threads = what the engine ran)`,
      ["kernel", "sizes", "batch", "1 thread", "threads", "examples/s", "speed-up"],
      ordered.map((r) => {
        const many = find(r, "matrix", cores)!;
        return [label(r), dashed(r.sizes), String(r.batchSize), count(r.examplesPerSecond), String(many.threads),
          count(many.examplesPerSecond), times(many.examplesPerSecond / r.examplesPerSecond)];
      }), 2);
  }

  conv(records: readonly ConvRecord[]): void {
    table("Chapter 6's conv nets, training examples per second, mini-batch 10 (GFLOP/s of the convolutions and products)",
      ["net", "kernel", "threads", "examples/s", "GFLOP/s"],
      records.map((r) => [r.net, r.kernel, String(r.threads), count(r.examplesPerSecond), fixed(r.gflops)]), 2);
    writeLine(CONV_NETS.map((n) => `${n.name}: ${n.layers}`).join("; "));
  }

  epochs(records: readonly EpochRecord[]): void {
    const r0 = records[0];
    table(`One epoch: ${count(r0.examples)} examples, ${dashed(r0.sizes)}, mini-batch ${r0.batchSize} ` +
      `(median of ${this.plan.epochRounds}; training only, no evaluation)`,
      ["kernel", "threads", "s/epoch", "examples/s", "GFLOP/s*"],
      records.map((r) => [label(r), String(r.threads), fixed(r.seconds), count(r.examplesPerSecond), fixed(r.gflops)]), 1);
    writeLine("* the flops of the dense products: the first layer leaves out MNIST's zero pixel pairs (78%), so these are " +
      "dense-equivalent rates, above what the kernels themselves run at");
  }
}

function sameProduct(a: ProductSpec, b: ProductSpec): boolean {
  return a.product === b.product && a.m === b.m && a.n === b.n && a.k === b.k;
}

/** A title and rows with padded columns: the first `left` columns left-aligned, the rest (numbers) right-aligned. */
function table(title: string, head: readonly string[], rows: readonly string[][], left: number): void {
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, j) => (j < left ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ").trimEnd();
  writeLine("");
  writeLine(title);
  writeLine(line(head));
  for (const r of rows) writeLine(line(r));
}
