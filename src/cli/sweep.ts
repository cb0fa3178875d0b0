// The sweep command: a grid or random search over training options, each
// trial a child process running a command line a user could type. Results
// go to one file per trial in --out DIR; reruns resume; --shard and the
// Slurm array variables split the list; --list hands it to other runners.
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import cliProgress from "cli-progress";
import { Command, Option } from "commander";
import { DataError, UsageError } from "../errors.js";
import { readRuns } from "../report/records.js";
import { rank, type SweptRun } from "../report/ranking.js";
import { csvTable, textTable } from "../report/table.js";
import { parseFlags, shellLine, type FlagInfo } from "../sweep/flags.js";
import { makePlan, shardOf, type SweepPlan, type Trial } from "../sweep/plan.js";
import { FIGURE_PRESETS, type FigurePresetName } from "../sweep/presets.js";
import { TrialRunner, type TrialOutcome } from "../sweep/runner.js";
import { parseGrid, parseRandom } from "../sweep/spec.js";
import { finishedIds, openSweepDir, readPlan, removeLeftovers, trialFile } from "../sweep/store.js";
import { positiveInt, resolveTrainConfig, type RawOptions } from "./options.js";
import { writeLine } from "./output.js";
import { warn } from "./version.js";

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/mnist-train.js");
const EXIT_INTERRUPTED = 130;
const EXIT_TERMINATED = 143;

interface SweepOptions {
  grid?: string[];
  random?: string[];
  samples?: string;
  preset?: FigurePresetName;
  jobs?: string;
  shard?: string;
  list?: boolean;
  summary?: boolean;
  out: string;
  json?: boolean;
  csv?: boolean;
  progress?: boolean;
}

export function addSweepCommand(program: Command, setExit: (code: number) => void): void {
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
  const presets = Object.entries(FIGURE_PRESETS).map(([name, p]) => `  ${name.padEnd(17)} ${p.about}`).join("\n");
  program
    .command("sweep")
    .description("run training over a grid or random sample of options, in parallel, resumable, sharded for Slurm or GNU parallel")
    .usage("[options] --out DIR -- [training flags]")
    .argument("[training-flags...]", "training flags after --, the same for every trial (see mnist-train --help)")
    .option("--grid <NAME=VALUES>", "an axis: a training option and comma-separated values (';' when a value holds commas), A..B for integers; repeatable", collect)
    .option("--random <NAME=LO..HI[:log]>", "draw the option uniformly (log-uniformly with :log) from LO..HI with the trials' --seed; repeatable", collect)
    .option("--samples <n>", "random points to draw (default: 10 with --random)")
    .addOption(new Option("--preset <name>", "one of the book's figures (see below): its axes and training flags").choices(Object.keys(FIGURE_PRESETS)))
    .option("--jobs <n>", "trials at once (default: the cores, or SLURM_CPUS_PER_TASK, divided by the threads per trial)")
    .option("--shard <I/N>", "run only the I-th of N disjoint slices of the trials (default: from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT)")
    .option("--list", "print one trial command line per line (for GNU parallel or any runner) and exit")
    .option("--summary", "print the ranked table of the trials finished in --out DIR and exit")
    .requiredOption("--out <dir>", "the sweep's directory: sweep.json and one JSON Lines file per finished trial")
    .option("--json", "the summary as one JSON object")
    .option("--csv", "the summary as CSV")
    .option("--no-progress", "no progress bar (it is shown only when stderr is a terminal)")
    .addHelpText("after", `\nFigure presets:\n${presets}\n\nExamples:\n` +
      "  mnist-train sweep --grid eta=0.1,0.5,1 --grid seed=1..3 --out runs -- --epochs 10\n" +
      "  mnist-train sweep --preset fig-multiple-eta --out multiple-eta && mnist-train report multiple-eta")
    .action(async (training: string[], opts: SweepOptions) => setExit(await sweepCommand(opts, training, trainingFlags(program))));
}

/** What the sweep needs of each training option, read off the main command's definition. */
function trainingFlags(program: Command): FlagInfo[] {
  return program.options
    .filter((o) => o.long && o.long !== "--version" && o.long !== "--help")
    .map((o) => ({ name: o.long!.slice(2), key: o.attributeName(), takesValue: o.required || o.optional, negate: o.negate }));
}

export async function sweepCommand(opts: SweepOptions, training: string[], infos: FlagInfo[]): Promise<number> {
  const dir = opts.out;
  if (opts.json && opts.csv) throw new UsageError("--json and --csv: choose one summary format");
  if (opts.summary) {
    const plan = readPlan(dir);
    if (!plan) throw new DataError(`--out ${dir}: no sweep.json there; expected the directory of a sweep`);
    await printSummary(plan, dir, opts);
    return 0;
  }
  const flags = parseFlags(training, infos);
  const plan = makePlan({
    preset: opts.preset,
    grid: (opts.grid ?? []).map(parseGrid),
    random: (opts.random ?? []).map(parseRandom),
    samples: opts.samples === undefined ? undefined : positiveInt("--samples", opts.samples),
    flags,
  }, infos, (raw) => void resolveTrainConfig(raw as RawOptions, {}));
  const { index, count } = shardWanted(opts.shard, process.env);
  const slice = shardOf(plan.trials, index, count);
  // each trial's --threads is the runner's to add: from the training flags if given, else from the cores per job
  const threadsGiven = flags.find(([n]) => n === "threads")?.[1];
  const cores = coresGiven(process.env);
  const perTrial = threadsGiven == null ? undefined : positiveInt("--threads", threadsGiven);
  const jobs = opts.jobs === undefined ? Math.max(1, Math.floor(cores / (perTrial ?? 1))) : positiveInt("--jobs", opts.jobs);
  const threads = perTrial ?? Math.max(1, Math.floor(cores / jobs));
  const extraArgs = ["--json", "--threads", String(threads)];
  const command = (t: Trial): string => shellLine(["mnist-train", ...t.args, ...extraArgs]);

  openSweepDir(dir, plan);
  if (opts.list) {
    for (const t of slice) {
      const [part, final] = [path.join(dir, `.${t.id}.jsonl.part`), trialFile(dir, t.id)];
      writeLine(`${command(t)} > ${shellLine([part])} && mv ${shellLine([part, final])}`);
    }
    return 0;
  }
  const done = finishedIds(dir);
  removeLeftovers(dir, done);
  const todo = slice.filter((t) => !done.has(t.id));
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;
  process.stderr.write(`mnist-train sweep: ${plural(plan.trials.length, "trial")}` + (count > 1 ? `, shard ${index}/${count} has ${slice.length}` : "") +
    `; ${slice.length - todo.length} finished already, running ${todo.length}, ${Math.max(1, Math.min(jobs, todo.length))} at a time ` +
    `with ${plural(threads, "thread")} each\n`);

  const runner = new TrialRunner();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    runner.stop();
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  const bar = opts.progress !== false && process.stderr.isTTY
    ? new cliProgress.SingleBar({ stream: process.stderr, format: "Sweep [{bar}] {value}/{total} trials  {eta_formatted} left", hideCursor: true, barsize: 30 })
    : undefined;
  bar?.start(todo.length, 0);
  const failed: TrialOutcome[] = [];
  try {
    await runner.run(todo, {
      dir, jobs, bin: BIN, extraArgs, command,
      onOutcome: (o) => {
        bar?.increment();
        if (!o.finished && !interrupted) failed.push(o);
      },
    });
  } finally {
    bar?.stop();
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
  for (const o of failed) warn(`trial ${o.trial.id} failed (${o.message}); rerun the sweep to retry it`);
  if (interrupted) return interrupted === "SIGTERM" ? EXIT_TERMINATED : EXIT_INTERRUPTED;
  await printSummary(plan, dir, opts);
  return failed.length ? 1 : 0;
}

/** The cores this sweep may use: a Slurm task's allocation (not the whole node's), else the machine's. */
function coresGiven(env: NodeJS.ProcessEnv): number {
  const slurm = Number(env.SLURM_CPUS_PER_TASK);
  return Number.isSafeInteger(slurm) && slurm >= 1 ? slurm : os.availableParallelism();
}

/** --shard I/N, or the Slurm job array's task id and count; the whole list otherwise. */
export function shardWanted(shard: string | undefined, env: NodeJS.ProcessEnv): { index: number; count: number } {
  if (shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(shard.trim());
    const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    if (!(count >= 1 && index < count)) throw new UsageError(`--shard "${shard}": expected I/N with 0 <= I < N, e.g. 0/4`);
    return { index, count };
  }
  const id = env.SLURM_ARRAY_TASK_ID;
  const n = env.SLURM_ARRAY_TASK_COUNT;
  if (id === undefined || n === undefined) return { index: 0, count: 1 };
  // arrays may start at any index (--array=1-4): count from the smallest
  const index = Number(id) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
  const count = Number(n);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new UsageError(`SLURM_ARRAY_TASK_ID=${id} with SLURM_ARRAY_TASK_COUNT=${n}: expected consecutive array indices; or give --shard I/N`);
  }
  return { index, count };
}

async function printSummary(plan: SweepPlan, dir: string, opts: SweepOptions): Promise<void> {
  const done = finishedIds(dir);
  const runs: SweptRun[] = [];
  for (const t of plan.trials) {
    if (!done.has(t.id)) continue;
    const [run] = await readRuns(trialFile(dir, t.id), warn);
    if (run) runs.push({ id: t.id, axes: t.axes, run });
  }
  const rows = rank(runs);
  if (opts.json) writeLine(JSON.stringify({ type: "sweep-summary", trials: plan.trials.length, finished: runs.length, rows }));
  else if (opts.csv) writeLine(csvTable(rows));
  else {
    writeLine(`${runs.length} of ${plan.trials.length} trials finished in ${dir}, ranked by best eval accuracy:`);
    writeLine(textTable(rows));
  }
}
