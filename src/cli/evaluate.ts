// The evaluate command: score a saved network on the test set. It reports
// accuracy, the mean cost under the model's own cost function (without the
// L2 term, which belongs to training), the confusion matrix and per-class
// accuracy, as lines for people or as one JSON object.
import type { ChalkInstance } from "chalk";
import { loadMnistTest, testSlice } from "../data/mnist.js";
import { Arena } from "../kernel/arena.js";
import { createKernel, type KernelName } from "../kernel/index.js";
import { confusionMatrix, confusionRows, perClass, type ClassScore, type Confusion } from "../network/confusion.js";
import { COSTS, type CostName } from "../network/costs.js";
import { fromModelBytes } from "../network/model-file.js";
import { readModelFile } from "../network/model-precheck.js";
import { colorWanted, DEFAULTS, oneOf, positiveInt, type RawOptions } from "./options.js";
import { describeNetwork, makeChalk, percent, writeLine } from "./output.js";
import { checkCostFits, checkSizesFitData } from "./train.js";
import { warn } from "./version.js";

interface EvaluateConfig {
  model: string;
  dataDir?: string;
  testSize?: number;
  kernel: KernelName;
  json: boolean;
  color: boolean;
}

interface Evaluation {
  model: string;
  sizes: readonly number[];
  layers: string;
  cost: CostName;
  correct: number;
  total: number;
  accuracy: number;
  meanCost: number;
  perClass: ClassScore[];
  /** confusion[t][p]: test images of digit t predicted as p. */
  confusion: number[][];
}

export async function evaluateCommand(raw: RawOptions): Promise<number> {
  const config = resolveEvaluateConfig(raw);
  const arena = new Arena();
  // the model first: a bad file fails before the data is read
  const { network, cost } = fromModelBytes(readModelFile(config.model), config.model, arena);
  const { test, dataDir } = await loadMnistTest(config.dataDir);
  const ds = testSlice(test, config.testSize);
  checkSizesFitData(network.sizes, ds, config.model);
  checkCostFits(network, cost, config.model);
  const kernel = createKernel(config.kernel, arena.memory, warn);
  const result = summarise(config.model, network.sizes, network.describe(), cost, confusionMatrix(kernel, network, ds, COSTS[cost], arena));
  if (config.json) writeLine(JSON.stringify({ type: "evaluation", ...result }));
  else printEvaluation(result, dataDir, makeChalk(config.color));
  return 0;
}

/** Accuracy overall and per digit, both read off the confusion counts. */
function summarise(model: string, sizes: readonly number[], layers: string, cost: CostName, { counts, meanCost }: Confusion): Evaluation {
  const classes = perClass(counts);
  const correct = classes.reduce((sum, c) => sum + c.correct, 0);
  const total = classes.reduce((sum, c) => sum + c.total, 0);
  return {
    model, sizes, layers, cost, correct, total, accuracy: correct / total, meanCost,
    perClass: classes, confusion: confusionRows(counts).map((row) => Array.from(row)),
  };
}

function resolveEvaluateConfig(raw: RawOptions): EvaluateConfig {
  return {
    model: String(raw.model),
    dataDir: raw.dataDir === undefined ? undefined : String(raw.dataDir),
    testSize: raw.testSize === undefined ? undefined : positiveInt("--test-size", String(raw.testSize)),
    kernel: oneOf("--kernel", String(raw.kernel ?? DEFAULTS.kernel), ["wasm", "js"] as const),
    json: raw.json === true,
    color: colorWanted(raw),
  };
}

function printEvaluation(r: Evaluation, dataDir: string, c: ChalkInstance): void {
  writeLine(c.bold(`${r.model}: network ${describeNetwork(r.sizes, r.layers)}, ${r.cost} cost; ${r.total} test images from ${dataDir}`));
  writeLine(`Accuracy: ${r.correct} / ${r.total} (${percent(r.accuracy)})`);
  writeLine(`Mean cost: ${r.meanCost.toFixed(6)} (${r.cost}, without the L2 term)`);
  writeLine("");
  printConfusion(r.confusion, c);
  writeLine("");
  writeLine("Per-class accuracy:");
  for (const k of r.perClass) {
    writeLine(`  digit ${k.digit}: ${k.correct} / ${k.total}` + (k.accuracy === null ? "" : ` (${percent(k.accuracy)})`));
  }
}

/** The matrix in right-aligned columns, the correct predictions (the diagonal) in green. */
function printConfusion(confusion: number[][], c: ChalkInstance): void {
  // pad before colouring: escape codes would count as width
  const width = Math.max(...confusion.flat().map((n) => String(n).length)) + 2;
  const cell = (text: string | number): string => String(text).padStart(width);
  writeLine("Confusion matrix (rows: true digit, columns: predicted digit):");
  writeLine("   " + confusion.map((_, p) => cell(p)).join(""));
  confusion.forEach((row, t) => {
    writeLine(`  ${t}` + row.map((n, p) => (p === t ? c.green(cell(n)) : cell(n))).join(""));
  });
}
