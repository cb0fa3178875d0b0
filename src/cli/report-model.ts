// `report --model FILE`: score a saved network on the test set for the
// report, with the evaluate command's confusion matrix and, from the same
// forward pass done chunk by chunk, which test images it got wrong.
import { loadMnist, splitBook } from "../data/mnist.js";
import { CLASSES } from "../data/dataset.js";
import { Arena } from "../kernel/arena.js";
import { createKernel } from "../kernel/index.js";
import { Workspace } from "../network/backprop.js";
import { confusionMatrix, confusionRows } from "../network/confusion.js";
import { COSTS } from "../network/costs.js";
import { EVAL_CHUNK } from "../network/engine.js";
import { fromBookJson } from "../network/model-file.js";
import { scoreRange, trace } from "../network/score.js";
import type { ModelScore } from "../report/html.js";
import { readTextFile } from "./files.js";
import { checkSizesFitData } from "./train.js";
import { warn } from "./version.js";

export function scoreModel(file: string, opts: { dataDir?: string; testSize?: number; gallery: number }): ModelScore {
  const arena = new Arena();
  const { network, cost } = fromBookJson(readTextFile(file), file, arena);
  const { train, test } = loadMnist(opts.dataDir);
  const ds = splitBook(train, test, { validationSize: 0, testSize: opts.testSize }).test;
  checkSizesFitData(network.sizes, ds, file);
  const kernel = createKernel("wasm", arena.memory, warn);
  const { counts } = confusionMatrix(kernel, network, ds, COSTS[cost], arena);

  // the same pass chunk by chunk: scoreRange leaves the chunk's predictions in `predicted`
  const ws = new Workspace(network.sizes, EVAL_CHUNK, arena);
  const predicted = new Uint8Array(EVAL_CHUNK);
  const scratch = new Uint32Array(CLASSES * CLASSES);
  const wrong: ModelScore["misclassified"] = [];
  for (let s = 0; s < ds.count && wrong.length < opts.gallery; s += EVAL_CHUNK) {
    const m = Math.min(EVAL_CHUNK, ds.count - s);
    scoreRange(kernel, network, ws, predicted, ds, s, s + m, scratch);
    for (let i = 0; i < m && wrong.length < opts.gallery; i++) {
      const label = ds.labels[s + i];
      if (predicted[i] !== label) {
        wrong.push({ index: s + i, label, predicted: predicted[i], pixels: ds.images.slice((s + i) * ds.pixels, (s + i + 1) * ds.pixels) });
      }
    }
  }
  return {
    model: file, sizes: [...network.sizes], correct: trace(counts, CLASSES), total: ds.count,
    confusion: confusionRows(counts).map((row) => Array.from(row)), rows: ds.rows, cols: ds.cols, misclassified: wrong,
  };
}
