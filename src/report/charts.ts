// The report's charts as Vega-Lite specifications: learning curves per
// metric, the best accuracy over a two-axis grid, the confusion matrix.
// Only fixed field names are used; every value from a file is data.
import type { TopLevelSpec } from "vega-lite";
import type { RankedRow } from "./ranking.js";
import type { EpochPoint } from "./records.js";

export interface Chart {
  /** A file name for --svg and an element id: letters, digits and dashes only. */
  name: string;
  spec: TopLevelSpec;
}

/** A run as the charts see it. */
export interface CurveRun {
  /** One line per run... */
  run: string;
  /** ...coloured by its group (the swept values without the seed). */
  group: string;
  evalSet: string;
  epochs: readonly EpochPoint[];
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

export const METRICS: { key: keyof EpochPoint; title: (evalSet: string) => string; cost: boolean }[] = [
  { key: "accuracy", title: (set) => `Accuracy on the ${set} set`, cost: false },
  { key: "trainingCost", title: () => "Cost on the training data", cost: true },
  { key: "trainingAccuracy", title: () => "Accuracy on the training data", cost: false },
  { key: "evalCost", title: (set) => `Cost on the ${set} set`, cost: true },
];

/** One chart per metric some run recorded, one line per run. */
export function learningCurves(runs: readonly CurveRun[], legendTitle: string, groupOrder: readonly string[]): Chart[] {
  const evalSets = [...new Set(runs.map((r) => r.evalSet))];
  const evalSet = evalSets.length === 1 ? evalSets[0] : "evaluation";
  const longest = Math.max(0, ...runs.map((r) => r.epochs.length));
  return METRICS.filter((m) => runs.some((r) => r.epochs.some((e) => e[m.key] !== undefined))).map((m) => {
    const values = runs.flatMap((r) => r.epochs.filter((e) => e[m.key] !== undefined).map((e) => ({ run: r.run, group: r.group, epoch: e.epoch, value: e[m.key] })));
    return {
      name: `curve-${m.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      spec: {
        $schema: SCHEMA,
        title: m.title(evalSet),
        width: 560,
        height: 300,
        data: { values },
        mark: { type: "line", strokeWidth: 1.5, point: longest <= 12 },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
          y: { field: "value", type: "quantitative", title: m.cost ? "cost" : "accuracy", scale: { zero: false }, ...(m.cost ? {} : { axis: { format: ".1%" } }) },
          color: { field: "group", type: "nominal", title: legendTitle, sort: [...groupOrder] },
          detail: { field: "run", type: "nominal" },
          tooltip: [{ field: "run", type: "nominal" }, { field: "epoch", type: "quantitative" }, { field: "value", type: "quantitative", format: m.cost ? ".4f" : ".2%" }],
        },
      },
    };
  });
}

/** Best eval accuracy over the two swept options (the mean over seeds). */
export function bestHeatmap(rows: readonly RankedRow[], xName: string, yName: string, xOrder: string[], yOrder: string[]): Chart {
  const values = rows.map((r) => ({ x: r.axes[xName], y: r.axes[yName], best: r.best, text: r.best === null ? "" : (100 * r.best).toFixed(2) }));
  return {
    name: "best-accuracy-heatmap",
    spec: {
      $schema: SCHEMA,
      title: "Best accuracy",
      data: { values },
      encoding: {
        x: { field: "x", type: "ordinal", title: xName, sort: xOrder },
        y: { field: "y", type: "ordinal", title: yName, sort: yOrder },
      },
      layer: [
        { mark: "rect", encoding: { color: { field: "best", type: "quantitative", title: "best accuracy", scale: { scheme: "viridis" }, legend: { format: ".1%" } } } },
        { mark: { type: "text", color: "white", fontWeight: "bold" }, encoding: { text: { field: "text", type: "nominal" } } },
      ],
      config: { view: { step: 60 } },
    },
  };
}

/** confusion[t][p]: the test images of digit t the network called p. */
export function confusionHeatmap(confusion: readonly (readonly number[])[]): Chart {
  const values = confusion.flatMap((row, t) => row.map((count, p) => ({ truth: t, predicted: p, count })));
  return {
    name: "confusion-matrix",
    spec: {
      $schema: SCHEMA,
      title: "Confusion matrix (test set)",
      data: { values },
      encoding: {
        x: { field: "predicted", type: "ordinal", title: "predicted digit", axis: { orient: "top", labelAngle: 0 } },
        y: { field: "truth", type: "ordinal", title: "true digit" },
      },
      layer: [
        { mark: "rect", encoding: { color: { field: "count", type: "quantitative", title: "images", scale: { type: "symlog", scheme: "blues" } } } },
        {
          mark: { type: "text", fontSize: 10 },
          encoding: {
            text: { field: "count", type: "quantitative" },
            // white on the dark cells: a count above half the largest
            color: { condition: { test: `datum.count > ${Math.max(0, ...values.map((v) => v.count)) / 2}`, value: "white" }, value: "black" },
          },
        },
      ],
      config: { view: { step: 34 } },
    },
  };
}
