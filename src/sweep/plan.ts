// The sweep plan: a preset, the axes and the base training flags become the
// list of trials, each a command line with a stable id. The plan is what
// sweep.json stores, and what a rerun over the same directory must match.
import { createHash } from "node:crypto";
import { UsageError } from "../errors.js";
import { flagArgs, rawOptions, REPORTING_FLAGS, type Flag, type FlagInfo } from "./flags.js";
import { FIGURE_PRESETS, type FigurePresetName } from "./presets.js";
import { drawRandom, product, type Axis, type RandomAxis } from "./spec.js";

/** Flags that name a file a run writes: one trial may have them, a sweep may not. */
const ONE_FILE_FLAGS: ReadonlySet<string> = new Set(["save", "checkpoint"]);

export interface Trial {
  /** Stable: the same flags give the same id, whatever the order they were typed in or the thread count. */
  id: string;
  /** The swept values: option name -> value. */
  axes: Record<string, string>;
  /** The training flags, without the reporting ones the runner adds (--json, --threads). */
  args: string[];
}

export interface SweepPlan {
  preset: FigurePresetName | null;
  grid: { name: string; values: string[] }[];
  random: RandomAxis[];
  samples: number | null;
  flags: Flag[];
  trials: Trial[];
}

export interface PlanInput {
  preset?: FigurePresetName;
  grid: Axis[];
  random: RandomAxis[];
  samples?: number;
  /** The training flags after `--`. */
  flags: Flag[];
}

/** Checks one trial's raw options as the training command would, throwing a UsageError. */
export type TrialCheck = (raw: Record<string, string | boolean>) => void;

export function makePlan(input: PlanInput, infos: readonly FlagInfo[], check: TrialCheck): SweepPlan {
  const preset = input.preset ? FIGURE_PRESETS[input.preset] : undefined;
  // the user's axes replace the preset's of the same name
  const axes = [...(preset?.axes ?? []).filter((a) => !input.grid.some((g) => g.name === a.name)), ...input.grid];
  checkAxisNames([...axes.map((a) => a.name), ...input.random.map((r) => r.name)], infos);
  const swept = new Set([...axes.map((a) => a.name), ...input.random.map((r) => r.name)]);
  for (const [name] of input.flags) {
    if (swept.has(name)) throw new UsageError(`--${name} is both a sweep axis and a training flag after --; give it in one place`);
    if (name === "quiet") throw new UsageError("training flag --quiet: a trial must record every epoch; leave it out");
  }
  const userSets = new Set(input.flags.map(([n]) => n));
  // the user's flags override the preset's; --json is the runner's to add
  const base: Flag[] = [...(preset?.flags ?? []).filter(([n]) => !userSets.has(n)), ...input.flags].filter(([n]) => n !== "json");
  if (input.random.length === 0 && input.samples !== undefined) throw new UsageError("--samples needs at least one --random axis");
  const samples = input.random.length ? input.samples ?? 10 : undefined;
  const randomAxis = drawRandom(input.random, samples ?? 0, seedOf(base));

  const trials = product([...axes, randomAxis]).map((values): Trial => {
    const axisFlags = values.flatMap((v) => v.flags).filter(([n]) => swept.has(n) || !userSets.has(n));
    const set = new Set(axisFlags.map(([n]) => n));
    const flags: Flag[] = [...base.filter(([n]) => !set.has(n)), ...axisFlags];
    const shown = Object.assign({}, ...values.map((v) => v.shown)) as Record<string, string>;
    checkTrial(flags, shown, infos, check);
    return { id: trialId(shown, flags), axes: shown, args: flagArgs(flags.filter(([n]) => !REPORTING_FLAGS.has(n))) };
  });
  const shared = base.find(([n]) => ONE_FILE_FLAGS.has(n));
  if (trials.length > 1 && shared) {
    throw new UsageError(`training flag --${shared[0]}: every trial would write the same file; sweep without it, or run that one trial by hand`);
  }
  const ids = new Set(trials.map((t) => t.id));
  if (ids.size !== trials.length) throw new UsageError("two trials have the same flags (a random axis drew the same point twice?); change the spec");
  return {
    preset: input.preset ?? null,
    grid: axes.map((a) => ({ name: a.name, values: a.values.map((v) => v.shown[a.name]) })),
    random: input.random,
    samples: samples ?? null,
    flags: base.filter(([n]) => !REPORTING_FLAGS.has(n)),
    trials,
  };
}

function checkAxisNames(names: string[], infos: readonly FlagInfo[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    const info = infos.find((i) => i.name === name);
    if (!info) throw new UsageError(`sweep axis "${name}": not a training option (see mnist-train --help)`);
    if (!info.takesValue || REPORTING_FLAGS.has(name) || ONE_FILE_FLAGS.has(name)) throw new UsageError(`sweep axis "${name}": --${name} cannot be swept; sweep an option that changes training`);
    if (seen.has(name)) throw new UsageError(`sweep axis "${name}" is given twice`);
    seen.add(name);
  }
}

/** The seed that draws the random points: the training --seed, as the run would read it. */
function seedOf(flags: readonly Flag[]): number {
  const text = flags.find(([n]) => n === "seed")?.[1] ?? "1";
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`--seed "${text}": expected an integer from 0 to 4294967295`);
  return Number(text);
}

/** Each trial's options are checked as the training command would check them, before anything runs. */
function checkTrial(flags: readonly Flag[], shown: Record<string, string>, infos: readonly FlagInfo[], check: TrialCheck): void {
  try {
    check(rawOptions(flags, infos));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const where = Object.entries(shown).map(([k, v]) => `${k}=${v}`).join(" ");
    throw new UsageError(where ? `trial ${where}: ${e.message}` : e.message);
  }
}

/** A readable name of the swept values plus a hash of every flag that changes the numbers. */
export function trialId(axes: Record<string, string>, flags: readonly Flag[]): string {
  const identity = flags.filter(([n]) => !REPORTING_FLAGS.has(n)).map(([n, v]) => `--${n}=${v ?? ""}`).sort();
  const hash = createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 10);
  const readable = Object.entries(axes).map(([k, v]) => `${k}=${v}`).join("_").replace(/[^A-Za-z0-9.=_-]+/g, "-").slice(0, 80);
  return `${readable || "trial"}_${hash}`;
}

/** The first difference between the plan a directory holds and this one, in words; undefined when they agree. */
export function planDifference(old: SweepPlan, now: SweepPlan): string | undefined {
  const show = (x: unknown): string => JSON.stringify(x ?? null);
  if (old.preset !== now.preset) return `preset ${show(old.preset)} there, ${show(now.preset)} here`;
  for (const axis of [...old.grid, ...now.grid]) {
    const a = old.grid.find((g) => g.name === axis.name);
    const b = now.grid.find((g) => g.name === axis.name);
    if (!a) return `grid axis ${axis.name} is new here`;
    if (!b) return `grid axis ${axis.name} is missing here`;
    if (a.values.join("\n") !== b.values.join("\n")) return `grid ${axis.name} is ${a.values.join(",")} there, ${b.values.join(",")} here`;
  }
  if (show(old.random) !== show(now.random)) return `random axes ${show(old.random)} there, ${show(now.random)} here`;
  if (old.samples !== now.samples) return `--samples ${old.samples} there, ${now.samples} here`;
  const flagText = (f: readonly Flag[]): string => flagArgs([...f].sort()).join(" ") || "(none)";
  if (flagText(old.flags) !== flagText(now.flags)) return `training flags "${flagText(old.flags)}" there, "${flagText(now.flags)}" here`;
  if (show(old.trials.map((t) => t.id)) !== show(now.trials.map((t) => t.id))) return "the trial lists differ";
  return undefined;
}

/** The I-th of N disjoint slices, dealt round-robin so that each slice gets a share of every kind of trial. */
export function shardOf<T>(items: readonly T[], index: number, count: number): T[] {
  return items.filter((_, k) => k % count === index);
}
