// `report --model FILE`: score a saved network on the test set for the
// report: the evaluate command's confusion matrix, and the test images it
// gets wrong.
import { CLASSES } from "../data/dataset.js";
import { loadMnistTest, testSlice } from "../data/mnist.js";
import { Arena } from "../kernel/arena.js";
import { createKernel } from "../kernel/index.js";
import { confusionMatrix, confusionRows, misclassified } from "../network/confusion.js";
import { COSTS } from "../network/costs.js";
import { fromModelBytes } from "../network/model-file.js";
import { readModelFile } from "../network/model-precheck.js";
import { trace } from "../network/score.js";
import type { ModelScore } from "../report/html.js";
import { checkSizesFitData } from "./train.js";
import { warn } from "./version.js";

export async function scoreModel(file: string, opts: { dataDir?: string; testSize?: number; gallery: number }): Promise<ModelScore> {
  const arena = new Arena();
  const { network, cost } = fromModelBytes(readModelFile(file), file, arena);
  const { test } = await loadMnistTest(opts.dataDir);
  const ds = testSlice(test, opts.testSize);
  checkSizesFitData(network.sizes, ds, file);
  const kernel = createKernel("wasm", arena.memory, warn);
  const { counts } = confusionMatrix(kernel, network, ds, COSTS[cost], arena);
  const wrong = misclassified(kernel, network, ds, arena, opts.gallery);
  return {
    model: file, sizes: [...network.sizes], correct: trace(counts, CLASSES), total: ds.count,
    confusion: confusionRows(counts).map((row) => Array.from(row)), rows: ds.rows, cols: ds.cols,
    misclassified: wrong.map((w) => ({ ...w, pixels: ds.images.slice(w.index * ds.pixels, (w.index + 1) * ds.pixels) })),
  };
}
