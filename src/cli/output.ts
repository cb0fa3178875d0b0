// The two ways a run reports: lines for people (stdout, coloured only on a
// terminal) or JSON Lines for scripts (stdout, one object per event, the
// schema in README.md). Diagnostics always go to stderr.
import chalk, { Chalk, type ChalkInstance } from "chalk";
import type { EpochRecord, StopReason, TestAtBest, TrainResult } from "../network/sgd.js";

export interface RunInfo {
  version: string;
  config: Record<string, unknown>;
  data: { training: number; validation: number; test: number; rows: number; cols: number; dataDir: string; evalSet: string };
  startupSeconds: number;
}

export interface Summary {
  epochs: number;
  best?: EpochRecord;
  testAtBest?: TestAtBest;
  last?: EpochRecord;
  /** The epoch whose weights or cost became NaN or infinite, when stoppedBy is "diverged". */
  divergedEpoch?: number;
  seconds: number;
  stoppedBy: StopReason;
  saved?: string;
  /** With threads: the share of the examples the whole team trained (Engine.teamShare). */
  teamShare?: number;
}

export interface Reporter {
  start(info: RunInfo): void;
  epoch(record: EpochRecord, isBest: boolean, testAtBest?: TestAtBest): void;
  summary(summary: Summary): void;
}

export function summarise(result: TrainResult, seconds: number, saved?: string, teamShare?: number): Summary {
  return {
    epochs: result.epochs.length, best: result.best, testAtBest: result.testAtBest, last: result.epochs.at(-1), seconds, stoppedBy: result.stoppedBy, saved,
    teamShare,
  };
}

export function writeLine(line: string): void {
  process.stdout.write(line + "\n");
}

export class JsonReporter implements Reporter {
  private config: Record<string, unknown> = {};

  /** quiet: only the summary record, which repeats the resolved options. */
  constructor(private readonly quiet = false) {}

  start(info: RunInfo): void {
    // every option is a key, unset ones null, so scripts need not know the defaults
    this.config = Object.fromEntries(Object.entries(info.config).map(([k, v]) => [k, v ?? null]));
    if (this.quiet) return;
    writeLine(JSON.stringify({ type: "config", version: info.version, ...this.config, data: info.data, startupSeconds: info.startupSeconds }));
  }

  epoch(record: EpochRecord): void {
    if (this.quiet) return;
    writeLine(JSON.stringify({ type: "epoch", ...record }));
  }

  summary(s: Summary): void {
    writeLine(JSON.stringify({
      type: "summary",
      epochs: s.epochs,
      bestEpoch: s.best?.epoch ?? null,
      bestCorrect: s.best?.correct ?? null,
      total: s.best?.total ?? null,
      bestAccuracy: s.best?.accuracy ?? null,
      testAtBest: s.testAtBest ?? null,
      lastEpoch: s.last?.epoch ?? null,
      lastCorrect: s.last?.correct ?? null,
      lastAccuracy: s.last?.accuracy ?? null,
      seconds: s.seconds,
      teamShare: s.teamShare ?? null,
      stoppedBy: s.stoppedBy,
      divergedEpoch: s.divergedEpoch ?? null,
      saved: s.saved ?? null,
      config: this.config,
    }));
  }
}

/** Colour only when asked for (no --no-color, no NO_COLOR) and stdout is a terminal. */
export function makeChalk(color: boolean): ChalkInstance {
  return new Chalk({ level: color && process.stdout.isTTY ? Math.max(chalk.level, 1) as 1 | 2 | 3 : 0 });
}

/** The book's sigmoid networks by their sizes (784-30-10), any other by its input and layers. */
export function describeNetwork(sizes: readonly number[], layers: string): string {
  return /^fc:\d+:sigmoid(,fc:\d+:sigmoid)*$/.test(layers) ? sizes.join("-") : `${sizes[0]} -> ${layers}`;
}

export const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;

export class HumanReporter implements Reporter {
  constructor(private readonly c: ChalkInstance, private readonly quiet: boolean) {}

  start(info: RunInfo): void {
    if (this.quiet) return;
    const k = info.config;
    const d = info.data;
    writeLine(this.c.bold(`mnist-train ${info.version}: network ${describeNetwork(k.sizes as number[], k.layers as string)}, ${k.cost} cost, ${k.init} init`));
    writeLine(`data: ${d.training} training, ${d.validation} validation, ${d.test} test images of ${d.rows}x${d.cols} from ${d.dataDir}; scoring ${d.evalSet}`);
    const extras = [
      k.lambda ? `lambda ${k.lambda} (${k.l2} L2)` : "", k.shuffle === false ? "no shuffling" : "", k.preset ? `preset ${k.preset}` : "",
    ].filter(Boolean).join(", ");
    writeLine(`SGD: ${k.epochs} epochs, mini-batch ${k.batchSize}, eta ${k.eta}${extras ? ", " + extras : ""}, seed ${k.seed}; ${k.kernel} kernel${k.kernel === "wasm" ? ` (${k.kernelVariant})` : ""}, ${k.threads} thread${k.threads === 1 ? "" : "s"}`);
  }

  epoch(r: EpochRecord, isBest: boolean, testAtBest?: TestAtBest): void {
    if (this.quiet) return;
    const test = testAtBest?.epoch === r.epoch ? this.c.dim(`  test ${testAtBest.correct} / ${testAtBest.total} (${percent(testAtBest.accuracy)})`) : "";
    const score = `${r.correct} / ${r.total}`;
    const acc = `(${percent(r.accuracy)})`;
    const monitors = [
      r.trainingCost !== undefined ? `training cost ${r.trainingCost.toFixed(4)}` : "",
      r.trainingAccuracy !== undefined ? `training accuracy ${percent(r.trainingAccuracy)}` : "",
      r.evalCost !== undefined ? `eval cost ${r.evalCost.toFixed(4)}` : "",
      r.gradientNorms ? `gradient norms ${r.gradientNorms.map((g) => g.toPrecision(3)).join(", ")}` : "",
    ].filter(Boolean);
    writeLine(
      `Epoch ${r.epoch}: ${isBest ? this.c.green(score) : score} ${acc}` +
      this.c.dim(`  ${r.seconds.toFixed(2)} s`) + test +
      (monitors.length ? "  " + monitors.join(", ") : ""),
    );
  }

  summary(s: Summary): void {
    const why: Record<StopReason, string> = {
      completed: "",
      "early-stopping": " (early stopping: no better accuracy in the last epochs)",
      "eta-schedule": " (eta schedule: eta fell to its floor)",
      interrupted: " (interrupted)",
      diverged: ` (diverged in epoch ${s.divergedEpoch})`,
    };
    const best = s.best
      ? `Best: epoch ${s.best.epoch}, ${s.best.correct} / ${s.best.total} (${percent(s.best.accuracy)})`
      : "No epoch finished";
    const t = s.testAtBest;
    const test = t ? `; test accuracy at the best validation epoch (${t.epoch}): ${t.correct} / ${t.total} (${percent(t.accuracy)})` : "";
    writeLine(this.c.bold(best) + test + `; ${s.epochs} epoch${s.epochs === 1 ? "" : "s"} in ${s.seconds.toFixed(1)} s${why[s.stoppedBy]}`);
    if (s.saved) writeLine(`Saved the network to ${s.saved}`);
  }
}
