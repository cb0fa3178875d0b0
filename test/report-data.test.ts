// The report's reading and ranking, on files written here: runs split at
// config records, seeds gathered into mean ± sd, the options that differ
// between loose runs found and used as labels.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadMnist, splitBook } from "../src/data/mnist.js";
import { Arena } from "../src/kernel/arena.js";
import { createWasmKernel } from "../src/kernel/wasm.js";
import { confusionMatrix, misclassified } from "../src/network/confusion.js";
import { COSTS } from "../src/network/costs.js";
import { labelRuns } from "../src/report/labels.js";
import { rank, sd } from "../src/report/ranking.js";
import { readRuns } from "../src/report/records.js";
import { csvTable, textTable } from "../src/report/table.js";
import { randomNetwork } from "./helpers.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-report-data-"));

/** A run as mnist-train --json writes it, with these eval accuracies per epoch. */
function runLines(config: Record<string, unknown>, accuracies: number[]): string[] {
  const best = Math.max(...accuracies);
  return [
    JSON.stringify({ type: "config", threads: 2, kernel: "wasm", ...config }),
    ...accuracies.map((accuracy, i) => JSON.stringify({ type: "epoch", epoch: i + 1, correct: accuracy * 100, total: 100, accuracy })),
    JSON.stringify({ type: "summary", epochs: accuracies.length, bestEpoch: accuracies.indexOf(best) + 1, bestAccuracy: best, lastAccuracy: accuracies.at(-1), seconds: 1, stoppedBy: "completed" }),
  ];
}

describe("report data", () => {
  it("a file holding several runs splits at each config record; the options that differ label them", async () => {
    const file = path.join(dir, "two.jsonl");
    fs.writeFileSync(file, [...runLines({ eta: 0.5, lambda: 0, seed: 1, threads: 1 }, [0.5, 0.7]), ...runLines({ eta: 3, lambda: 0, seed: 1, threads: 2 }, [0.6, 0.65, 0.62])].join("\n"));
    const warnings: string[] = [];
    const runs = await readRuns(file, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    expect(runs.map((r) => r.epochs.map((e) => e.accuracy))).toEqual([[0.5, 0.7], [0.6, 0.65, 0.62]]);
    expect(runs.map((r) => r.source)).toEqual([`${file}:1`, `${file}:5`]);
    const labels = labelRuns(runs);
    // threads differ too, but do not change the numbers
    expect(labels.axisNames).toEqual(["eta"]);
    expect(labels.runs.map((r) => [r.label, r.group])).toEqual([["0.5", "0.5"], ["3", "3"]]);
  });

  it("summaries alone (--quiet --json) are one run each, labelled by the options they repeat", async () => {
    const file = path.join(dir, "quiet.jsonl");
    const summary = (eta: number, best: number) => JSON.stringify({ type: "summary", epochs: 3, bestEpoch: 2, bestAccuracy: best, lastAccuracy: best, seconds: 1, stoppedBy: "completed", config: { eta, seed: 1 } });
    fs.writeFileSync(file, [summary(0.5, 0.8), summary(3, 0.9)].join("\n") + "\n");
    const labels = labelRuns(await readRuns(file, () => {}));
    expect(labels.runs.map((r) => r.label)).toEqual(["0.5", "3"]);
    expect(rank(labels.runs).map((r) => [r.axes.eta, r.best, r.bestEpoch])).toEqual([["3", 0.9, 2], ["0.5", 0.8, 2]]);
  });

  it("runs that differ only in seed make one row: mean and sample standard deviation of their best accuracies, ranked", async () => {
    const file = path.join(dir, "seeds.jsonl");
    const best: Record<string, number[]> = { "0.5": [0.8, 0.9, 0.85], "3": [0.9, 0.95, 0.92] };
    fs.writeFileSync(file, Object.entries(best).flatMap(([eta, bs]) => bs.flatMap((b, s) => runLines({ eta: Number(eta), seed: s + 1 }, [b - 0.1, b]))).join("\n"));
    const labels = labelRuns(await readRuns(file, () => {}));
    expect(labels.axisNames).toEqual(["eta", "seed"]);
    expect(new Set(labels.runs.map((r) => r.group))).toEqual(new Set(["0.5", "3"]));
    const rows = rank(labels.runs);
    expect(rows.map((r) => [r.rank, r.axes, r.runs])).toEqual([[1, { eta: "3" }, 3], [2, { eta: "0.5" }, 3]]);
    expect(rows[0].best).toBeCloseTo((0.9 + 0.95 + 0.92) / 3, 12);
    const m = (0.8 + 0.9 + 0.85) / 3;
    expect(rows[1].bestSd).toBeCloseTo(Math.sqrt(((0.8 - m) ** 2 + (0.9 - m) ** 2 + (0.85 - m) ** 2) / 2), 12);
    expect(rows[1].epochs).toBe(2);
    expect(textTable(rows).split("\n")[1]).toMatch(/^ {3}1 {2}3 {4}92\.33 ± 2\.52 {8}3 /);
    expect(csvTable(rows).split("\n")[0]).toBe("rank,eta,runs,best_accuracy,best_accuracy_sd,last_accuracy,best_epoch,epochs,stopped_by,seconds,ids");
  });

  it("sd is the sample standard deviation, and undefined below two values", () => {
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sd([1])).toBeNull();
  });
});

describe("misclassified digits (report --model)", () => {
  it("are exactly the off-diagonal counts of the confusion matrix, in test-set order", async () => {
    const { train, test } = await loadMnist();
    const ds = splitBook(train, test, { validationSize: 0, testSize: 1000 }).test;
    const arena = new Arena();
    const network = randomNetwork([784, 20, 10], arena, 3);
    const kernel = createWasmKernel(arena.memory);
    const { counts } = confusionMatrix(kernel, network, ds, COSTS.quadratic, arena);
    const all = misclassified(kernel, network, ds, arena, Infinity);
    const fromList = new Uint32Array(100);
    for (const w of all) {
      expect(w.label).toBe(ds.labels[w.index]);
      expect(w.predicted).not.toBe(w.label);
      fromList[w.label * 10 + w.predicted]++;
    }
    const offDiagonal = counts.map((c, k) => (Math.floor(k / 10) === k % 10 ? 0 : c));
    expect(fromList).toEqual(offDiagonal);
    expect(all.map((w) => w.index)).toEqual([...all.map((w) => w.index)].sort((a, b) => a - b));
    expect(misclassified(kernel, network, ds, arena, 7)).toEqual(all.slice(0, 7));
  });
});
