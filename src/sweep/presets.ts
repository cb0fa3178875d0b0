// The book's chapter-3 figures as sweeps: each preset is training flags plus
// grid axes, with the settings of the book's scripts (multiple_eta.py,
// overfitting.py, weight_initialization.py, more_data.py).
import type { Flag } from "./flags.js";
import type { Axis } from "./spec.js";

export interface FigurePreset {
  about: string;
  flags: Flag[];
  axes: Axis[];
}

const flags = (pairs: Record<string, string>): Flag[] => Object.entries(pairs);
const grid = (name: string, values: string[]): Axis => ({ name, values: values.map((v) => ({ shown: { [name]: v }, flags: [[name, v]] })) });

/** The book's training-set sizes for more_data.py, each trained for 1,500,000 / size epochs with lambda = size * 1e-4. */
const MORE_DATA_SIZES = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

export type FigurePresetName = "fig-multiple-eta" | "fig-overfitting" | "fig-weight-init" | "fig-more-data";

export const FIGURE_PRESETS: Record<FigurePresetName, FigurePreset> = {
  "fig-multiple-eta": {
    about: "784-30-10, cross-entropy, eta 0.025 / 0.25 / 2.5, 30 epochs, mini-batch 10, lambda 5.0, training cost per epoch",
    flags: flags({ sizes: "784,30,10", cost: "cross-entropy", epochs: "30", "batch-size": "10", lambda: "5.0", eval: "validation", monitor: "training-cost" }),
    axes: [grid("eta", ["0.025", "0.25", "2.5"])],
  },
  "fig-overfitting": {
    about: "784-30-10, cross-entropy, large init, the first 1,000 training images, mini-batch 10, eta 0.5, 400 epochs, lambda 0 and 0.1 " +
      "(book: peak test accuracy 82.27% and 87.10%)",
    flags: flags({
      sizes: "784,30,10", cost: "cross-entropy", init: "large", "train-size": "1000", "batch-size": "10", eta: "0.5", epochs: "400",
      eval: "test", monitor: "training-cost,training-accuracy,eval-cost",
    }),
    axes: [grid("lambda", ["0", "0.1"])],
  },
  "fig-weight-init": {
    about: "784-30-10 and 784-100-10, cross-entropy, eta 0.1, lambda 5.0, 30 epochs, validation accuracy, large against scaled init",
    flags: flags({ cost: "cross-entropy", eta: "0.1", lambda: "5.0", epochs: "30", "batch-size": "10", eval: "validation" }),
    axes: [grid("sizes", ["784,30,10", "784,100,10"]), grid("init", ["large", "scaled"])],
  },
  "fig-more-data": {
    about: "784-30-10, cross-entropy, large init, training sets of 100 to 50,000 images, epochs = 1,500,000 / size, eta 0.5, " +
      "lambda = size * 1e-4, validation accuracy",
    flags: flags({ sizes: "784,30,10", cost: "cross-entropy", init: "large", "batch-size": "10", eta: "0.5", eval: "validation" }),
    axes: [{
      name: "train-size",
      values: MORE_DATA_SIZES.map((n) => ({
        shown: { "train-size": String(n) },
        flags: [["train-size", String(n)], ["epochs", String(1_500_000 / n)], ["lambda", String(Number((n * 1e-4).toPrecision(6)))]],
      })),
    }],
  },
};
