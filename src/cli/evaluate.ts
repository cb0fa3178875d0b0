// The evaluate command: score a saved network on the test set. It reports
// accuracy, the mean cost under the model's own cost function (without the
// L2 term, which belongs to training), the confusion matrix and per-class
// accuracy, as lines for people or as one JSON object. Given several models
// it scores their ensemble as chapter 6 does: the plurality vote of their
// predictions, beside each member's own accuracy.
import type { ChalkInstance } from "chalk";
import { loadMnistTest, testSlice } from "../data/mnist.js";
import { Arena } from "../kernel/arena.js";
import { createKernel, KERNEL_CHOICES, type KernelChoice } from "../kernel/index.js";
import { confusionMatrix, confusionRows, countsOf, perClass, plurality, type ClassScore, type Confusion } from "../network/confusion.js";
import { COSTS, type CostName } from "../network/costs.js";
import { fromModelBytes } from "../network/model-file.js";
import { readModelFile } from "../network/model-precheck.js";
import { colorWanted, DEFAULTS, oneOf, positiveInt, type RawOptions } from "./options.js";
import { describeNetwork, makeChalk, percent, writeLine } from "./output.js";
import { checkCostFits, checkSizesFitData } from "./train.js";
import { warn } from "./version.js";

interface EvaluateConfig {
  models: string[];
  dataDir?: string;
  testSize?: number;
  kernel: KernelChoice;
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
  // the models first: a bad file fails before the data is read
  const models = config.models.map((file) => ({ file, ...fromModelBytes(readModelFile(file), file, arena) }));
  const { test, dataDir } = await loadMnistTest(config.dataDir);
  const ds = testSlice(test, config.testSize);
  for (const { file, network, cost } of models) {
    checkSizesFitData(network.sizes, ds, file);
    checkCostFits(network, cost, file);
  }
  const kernel = createKernel(config.kernel, arena.memory, warn);
  const c = makeChalk(config.color);
  const predictions = models.map(() => new Uint8Array(ds.count));
  const results = models.map(({ file, network, cost }, i) =>
    summarise(file, network.sizes, network.describe(), cost, confusionMatrix(kernel, network, ds, COSTS[cost], arena, predictions[i])));
  if (results.length === 1) {
    if (config.json) writeLine(JSON.stringify({ type: "evaluation", ...results[0] }));
    else printEvaluation(results[0], dataDir, c);
    return 0;
  }
  const { correct, total, accuracy, perClass: classes, confusion } = scores(countsOf(ds, plurality(predictions, ds.count)));
  const members = results.map(({ model, layers, cost, correct, total, accuracy }) => ({ model, layers, cost, correct, total, accuracy }));
  if (config.json) {
    writeLine(JSON.stringify({ type: "ensemble", models: members, correct, total, accuracy, perClass: classes, confusion }));
    return 0;
  }
  writeLine(c.bold(`Ensemble of ${members.length} networks (plurality vote, ties to the lowest digit); ${total} test images from ${dataDir}`));
  for (const m of members) writeLine(`  ${m.model}: ${m.correct} / ${m.total} (${percent(m.accuracy)})  ${m.layers}`);
  writeLine(`Ensemble accuracy: ${c.bold(`${correct} / ${total} (${percent(accuracy)})`)}`);
  writeLine("");
  printConfusion(confusion, c);
  writeLine("");
  printPerClass(classes);
  return 0;
}

function summarise(model: string, sizes: readonly number[], layers: string, cost: CostName, { counts, meanCost }: Confusion): Evaluation {
  return { model, sizes, layers, cost, ...scores(counts), meanCost };
}

/** Accuracy overall and per digit, both read off the confusion counts. */
function scores(counts: Uint32Array): Pick<Evaluation, "correct" | "total" | "accuracy" | "perClass" | "confusion"> {
  const classes = perClass(counts);
  const correct = classes.reduce((sum, c) => sum + c.correct, 0);
  const total = classes.reduce((sum, c) => sum + c.total, 0);
  return { correct, total, accuracy: correct / total, perClass: classes, confusion: confusionRows(counts).map((row) => Array.from(row)) };
}

function resolveEvaluateConfig(raw: RawOptions): EvaluateConfig {
  return {
    models: (raw.model as unknown as string[]).map(String),
    dataDir: raw.dataDir === undefined ? undefined : String(raw.dataDir),
    testSize: raw.testSize === undefined ? undefined : positiveInt("--test-size", String(raw.testSize)),
    kernel: oneOf("--kernel", String(raw.kernel ?? DEFAULTS.kernel), KERNEL_CHOICES),
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
  printPerClass(r.perClass);
}

function printPerClass(classes: readonly ClassScore[]): void {
  writeLine("Per-class accuracy:");
  for (const k of classes) {
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
