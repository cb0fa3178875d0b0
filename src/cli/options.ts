// Turns the strings commander collects into a typed, validated config.
// Every check throws a one-line UsageError naming the option, the bad value
// and what was expected. Presets fill in what the command line leaves out.
import os from "node:os";
import { UsageError } from "../errors.js";
import { KERNEL_CHOICES, type KernelChoice } from "../kernel/index.js";
import { parseLayers, type LayerSpec } from "../layers/spec.js";
import { COST_NAMES, type CostName } from "../network/costs.js";
import type { InitName } from "../network/network.js";
import type { EtaSchedule, L2Form, Monitor } from "../network/sgd.js";
import { MAX_THREADS } from "../network/team.js";

export interface TrainConfig {
  /** The option keys typed on the command line (not those a preset or default filled in). */
  given: ReadonlySet<string>;
  /** The book's sizes (the --sizes form), when --layers is not used. */
  sizes: number[];
  /** The --layers form: the spec as typed, and parsed. */
  layersSpec?: string;
  layers?: LayerSpec[];
  epochs: number;
  batchSize: number;
  eta: number;
  lambda: number;
  l2: L2Form;
  cost: CostName;
  /** Typed or set by a preset (otherwise the output layer decides, see resolveCost). */
  costGiven: boolean;
  init: InitName;
  shuffle: boolean;
  /** Train on expand_mnist.py's 5x data: each image and its one-pixel shifts. */
  expandData: boolean;
  seed: number;
  trainSize?: number;
  validationSize: number;
  testSize?: number;
  eval: "test" | "validation";
  dataDir?: string;
  monitor: Monitor[];
  earlyStopping?: number;
  etaSchedule?: EtaSchedule;
  save?: string;
  saveBest: boolean;
  load?: string;
  /** Written after every epoch (default with --resume: the file resumed from). */
  checkpoint?: string;
  resume?: string;
  preset?: PresetName;
  kernel: KernelChoice;
  threads: number;
  json: boolean;
  quiet: boolean;
  progress: boolean;
  color: boolean;
}

/** What commander hands over: every value as typed, nothing defaulted. */
export type RawOptions = Record<string, string | boolean | undefined>;

export const DEFAULTS = {
  sizes: "784,30,10",
  epochs: "30",
  batchSize: "10",
  eta: "3.0",
  lambda: "0",
  cost: "quadratic",
  seed: "1",
  validationSize: "10000",
  eval: "test",
  kernel: "wasm",
} as const;

export type PresetName = "ch1" | "ch3" | "ch3-long" | "ch5-depth-1" | "ch5-depth-2" | "ch5-depth-3" | "ch5-depth-4"
  | "ch6-shallow" | "ch6-conv" | "ch6-conv2" | "ch6-relu" | "ch6-expanded" | "ch6-dropout";

/** network3.py's protocol: log-likelihood, its init and L2, no shuffling, mini-batch 10, test accuracy at the best validation epoch. */
const NETWORK3 = { batchSize: "10", cost: "log-likelihood", init: "network3", l2: "network3", shuffle: "false", eval: "validation" };
const CONV = (f: string, act: string): string => `conv:${f}:5x5:pool=2:${act}`;
const CONV2 = (act: string): string => `${CONV("20", act)},${CONV("40", act)}`;

/** A chapter-6 preset: its layers, epochs, eta, lambda and data, with network3.py's protocol. */
function ch6(about: string, layers: string, epochs: string, eta: string, lambda: string, expand = false) {
  return { about: `chapter 6 (network3.py): ${about}`, values: { ...NETWORK3, layers, epochs, eta, lambda, ...(expand ? { expandData: "true" } : {}) } };
}

/** Chapter 5's deep nets: 784, then `hidden` layers of 30, then 10; network2.py's settings. */
function ch5(hidden: number, book: string): { about: string; values: Record<string, string> } {
  const sizes = ["784", ...Array<string>(hidden).fill("30"), "10"].join(",");
  return {
    about: `chapter 5: ${sizes.replaceAll(",", "-")}, cross-entropy, scaled init, eta 0.1, lambda 5.0, 30 epochs, mini-batch 10, scored on validation (book: ${book}; 1-2 min)`,
    values: {
      sizes, epochs: "30", batchSize: "10", eta: "0.1", lambda: "5.0", cost: "cross-entropy", init: "scaled", eval: "validation",
    },
  };
}

/** The book's runs. Values are what the command line would say. */
export const PRESETS: Record<PresetName, { about: string; values: Record<string, string> }> = {
  ch1: {
    about: "chapter 1: 784-30-10, 30 epochs, mini-batch 10, eta 3.0, quadratic cost, large init (book: ~95%)",
    values: { sizes: "784,30,10", epochs: "30", batchSize: "10", eta: "3.0", cost: "quadratic", init: "large" },
  },
  ch3: {
    about: "chapter 3: 784-100-10, cross-entropy, scaled init, eta 0.5, lambda 5.0, 30 epochs, mini-batch 10, scored on validation (book: 97.92%)",
    values: {
      sizes: "784,100,10", epochs: "30", batchSize: "10", eta: "0.5", lambda: "5.0",
      cost: "cross-entropy", init: "scaled", eval: "validation",
    },
  },
  "ch3-long": {
    about: "ch3 with 60 epochs and eta 0.1 (book: 98.04%)",
    values: {
      sizes: "784,100,10", epochs: "60", batchSize: "10", eta: "0.1", lambda: "5.0",
      cost: "cross-entropy", init: "scaled", eval: "validation",
    },
  },
  "ch5-depth-1": ch5(1, "96.48%"),
  "ch5-depth-2": ch5(2, "96.90%"),
  "ch5-depth-3": ch5(3, "96.57%"),
  "ch5-depth-4": ch5(4, "96.53%"),
  "ch6-shallow": ch6("fc 100 sigmoid, softmax 10, eta 0.1, 60 epochs (book: 97.80%; about 6 min on 2 cores)", "fc:100:sigmoid,softmax:10", "60", "0.1", "0"),
  "ch6-conv": ch6("conv 20 5x5 pool 2, fc 100, sigmoid, eta 0.1, 60 epochs (book: 98.78%; about 35 min on 2 cores)",
    `${CONV("20", "sigmoid")},fc:100:sigmoid,softmax:10`, "60", "0.1", "0"),
  "ch6-conv2": ch6("two conv-pool layers (20, 40 filters), fc 100, sigmoid, eta 0.1, 60 epochs (book: 99.06%; about 1 h on 2 cores)",
    `${CONV2("sigmoid")},fc:100:sigmoid,softmax:10`, "60", "0.1", "0"),
  "ch6-relu": ch6("ch6-conv2 with ReLU, eta 0.03, lambda 0.1 (book: 99.23%; about 1 h on 2 cores)", `${CONV2("relu")},fc:100:relu,softmax:10`, "60", "0.03", "0.1"),
  "ch6-expanded": ch6("ch6-relu on the expanded training data (book: 99.37%; about 6 h on 2 cores: use --checkpoint)", `${CONV2("relu")},fc:100:relu,softmax:10`, "60", "0.03", "0.1", true),
  "ch6-dropout": ch6("two ReLU conv-pool layers, fc 1000 and fc 1000 ReLU, dropout 0.5 on the fc and softmax layers, expanded data, " +
    "eta 0.03, 40 epochs (book: 99.60%; about 10 h on 2 cores: use --checkpoint)",
    `${CONV2("relu")},fc:1000:relu:dropout=0.5,fc:1000:relu:dropout=0.5,softmax:10:dropout=0.5`, "40", "0.03", "0", true),
};

const MONITORS: readonly Monitor[] = ["training-cost", "training-accuracy", "eval-cost", "eval-accuracy", "gradient-norms"];
const INITS: readonly InitName[] = ["large", "scaled", "network3"];

export function resolveTrainConfig(raw: RawOptions, env: NodeJS.ProcessEnv = process.env): TrainConfig {
  const preset = raw.preset === undefined ? undefined : oneOf("--preset", str(raw.preset), Object.keys(PRESETS) as PresetName[]);
  const pick = (key: string): string | undefined => {
    const v = raw[key];
    if (v !== undefined) return typeof v === "string" ? v : String(v);
    return preset ? PRESETS[preset].values[key] : undefined;
  };
  const get = (key: keyof typeof DEFAULTS): string => pick(key) ?? DEFAULTS[key];
  const shape = networkShape(raw, preset);
  const costText = pick("cost");
  // the output layer decides an unset cost: log-likelihood after softmax, else the book's quadratic
  const lastIsSoftmax = shape.layers?.[shape.layers.length - 1].type === "softmax";
  const cost = oneOf("--cost", costText ?? (lastIsSoftmax ? "log-likelihood" : DEFAULTS.cost), COST_NAMES);
  const optional = (key: string, flag: string, parse: (flag: string, v: string) => number): number | undefined => {
    const v = pick(key);
    return v === undefined ? undefined : parse(flag, v);
  };
  const save = pick("save");
  if (raw.saveBest && save === undefined) throw new UsageError("--save-best needs --save FILE");
  const given = new Set(Object.keys(raw).filter((k) => raw[k] !== undefined));
  return {
    given,
    ...shape,
    epochs: positiveInt("--epochs", get("epochs")),
    batchSize: positiveInt("--batch-size", get("batchSize")),
    eta: positiveNumber("--eta", get("eta")),
    lambda: nonNegativeNumber("--lambda", get("lambda")),
    l2: oneOf("--l2", pick("l2") ?? "network2", ["network2", "network3"] as const),
    cost,
    costGiven: costText !== undefined,
    init: oneOf("--init", pick("init") ?? (shape.layers ? "network3" : cost === "cross-entropy" ? "scaled" : "large"), INITS),
    shuffle: (pick("shuffle") ?? "true") !== "false",
    expandData: (pick("expandData") ?? "false") !== "false",
    seed: seed(get("seed")),
    trainSize: optional("trainSize", "--train-size", positiveInt),
    validationSize: nonNegativeInt("--validation-size", get("validationSize")),
    testSize: optional("testSize", "--test-size", positiveInt),
    eval: oneOf("--eval", get("eval"), ["test", "validation"] as const),
    dataDir: pick("dataDir"),
    monitor: parseMonitors(pick("monitor")),
    earlyStopping: optional("earlyStopping", "--early-stopping", positiveInt),
    etaSchedule: pick("etaSchedule") === undefined ? undefined : parseSchedule(str(pick("etaSchedule"))),
    save,
    saveBest: raw.saveBest === true,
    load: pick("load"),
    checkpoint: pick("checkpoint") ?? pick("resume"),
    resume: pick("resume"),
    preset,
    kernel: oneOf("--kernel", get("kernel"), KERNEL_CHOICES),
    threads: optional("threads", "--threads", threadCount) ?? Math.min(os.availableParallelism(), MAX_THREADS),
    json: raw.json === true,
    quiet: raw.quiet === true,
    progress: raw.progress !== false,
    color: colorWanted(raw, env),
  };
}

/** Colour unless --no-color or NO_COLOR (chalk does not read NO_COLOR itself). */
export function colorWanted(raw: RawOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return raw.color !== false && !env.NO_COLOR;
}

function str(v: string | boolean | undefined): string {
  return typeof v === "string" ? v : String(v);
}

/** --sizes or --layers (not both), typed or from the preset; --sizes 784,30,10 when neither. */
function networkShape(raw: RawOptions, preset: PresetName | undefined): { sizes: number[]; layersSpec?: string; layers?: LayerSpec[] } {
  if (raw.sizes !== undefined && raw.layers !== undefined) {
    throw new UsageError("--sizes and --layers both describe the network: give one of them");
  }
  const values = preset ? PRESETS[preset].values : {};
  const typed = raw.sizes !== undefined ? "sizes" : raw.layers !== undefined ? "layers" : undefined;
  const from = typed ?? (values.layers !== undefined ? "layers" : "sizes");
  if (from === "sizes") return { sizes: parseSizes(str(raw.sizes ?? values.sizes ?? DEFAULTS.sizes)) };
  const layersSpec = str(raw.layers ?? values.layers);
  const layers = parseLayers(layersSpec);
  return { sizes: [], layersSpec, layers };
}

function parseSizes(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const sizes = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 1)) {
    throw new UsageError(`--sizes "${text}": expected comma-separated positive integers, e.g. 784,30,10`);
  }
  if (sizes.length < 2) throw new UsageError(`--sizes "${text}": expected at least two layers (input and output), e.g. 784,30,10`);
  return sizes;
}

export function positiveInt(flag: string, text: string): number {
  const v = /^\+?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`${flag} "${text}": expected a positive integer`);
  return v;
}

function threadCount(flag: string, text: string): number {
  const v = positiveInt(flag, text);
  if (v > MAX_THREADS) throw new UsageError(`${flag} "${text}": expected at most ${MAX_THREADS} threads`);
  return v;
}

function nonNegativeInt(flag: string, text: string): number {
  const v = /^\+?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v)) throw new UsageError(`${flag} "${text}": expected a non-negative integer`);
  return v;
}

function seed(text: string): number {
  const v = nonNegativeInt("--seed", text);
  if (v > 0xffffffff) throw new UsageError(`--seed "${text}": expected an integer from 0 to 4294967295`);
  return v;
}

function finiteNumber(flag: string, text: string, what: string): number {
  const v = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new UsageError(`${flag} "${text}": expected ${what}`);
  return v;
}

function positiveNumber(flag: string, text: string): number {
  const v = finiteNumber(flag, text, "a positive finite number");
  if (v <= 0) throw new UsageError(`${flag} "${text}": expected a positive finite number`);
  return v;
}

function nonNegativeNumber(flag: string, text: string): number {
  const v = finiteNumber(flag, text, "a finite number >= 0");
  if (v < 0) throw new UsageError(`${flag} "${text}": expected a finite number >= 0`);
  return v;
}

export function oneOf<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`${flag} "${text}": expected one of ${choices.join(", ")}`);
  }
  return text as T;
}

function parseMonitors(text: string | undefined): Monitor[] {
  if (text === undefined) return [];
  return [...new Set(text.split(",").map((s) => oneOf("--monitor", s.trim(), MONITORS)))];
}

function parseSchedule(text: string): EtaSchedule {
  const m = /^halve:(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  const patience = m ? Number(m[1]) : NaN;
  const factor = m ? Number(m[2]) : NaN;
  if (!(patience >= 1 && factor > 1)) {
    throw new UsageError(`--eta-schedule "${text}": expected halve:N:F with N >= 1 epochs and F > 1, e.g. halve:10:128`);
  }
  return { patience, factor };
}
