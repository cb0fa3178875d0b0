// The sweep table: runs ranked by best eval accuracy. When seed is one of the
// swept options, the runs that differ only in seed form one row, with the
// mean and the sample standard deviation of their best accuracies.
import type { Run } from "./records.js";

export interface RankedRow {
  rank: number;
  /** The swept values, seed left out when rows gather seeds. */
  axes: Record<string, string>;
  /** Runs in the row (seeds, or 1). */
  runs: number;
  /** Best eval accuracy (the mean over seeds), null when no epoch finished. */
  best: number | null;
  /** Its standard deviation over seeds, null for fewer than two. */
  bestSd: number | null;
  /** The last epoch's accuracy (mean over seeds). */
  last: number | null;
  /** With a single run: its best epoch. */
  bestEpoch: number | null;
  epochs: number | null;
  stoppedBy: string;
  seconds: number | null;
  ids: string[];
}

/** A run with the values it was swept at. */
export interface SweptRun {
  id: string;
  axes: Record<string, string>;
  run: Run;
}

export function bestOf(run: Run): number | null {
  if (run.summary?.bestAccuracy != null) return run.summary.bestAccuracy;
  return run.epochs.length ? Math.max(...run.epochs.map((e) => e.accuracy)) : null;
}

function lastOf(run: Run): number | null {
  return run.summary?.lastAccuracy ?? run.epochs.at(-1)?.accuracy ?? null;
}

export function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Sample standard deviation (n - 1), null below two values. */
export function sd(xs: readonly number[]): number | null {
  const m = mean(xs);
  if (m === null || xs.length < 2) return null;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export function rank(runs: readonly SweptRun[]): RankedRow[] {
  const bySeed = runs.some((r) => "seed" in r.axes);
  const groups = new Map<string, SweptRun[]>();
  for (const r of runs) {
    const axes = Object.fromEntries(Object.entries(r.axes).filter(([k]) => !(bySeed && k === "seed")));
    const key = JSON.stringify(Object.entries(axes));
    groups.set(key, [...(groups.get(key) ?? []), { ...r, axes }]);
  }
  const rows = [...groups.values()].map((g): RankedRow => {
    const bests = g.map((r) => bestOf(r.run)).filter((x): x is number => x !== null);
    const lasts = g.map((r) => lastOf(r.run)).filter((x): x is number => x !== null);
    const single = g.length === 1 ? g[0].run : undefined;
    const seconds = g.map((r) => r.run.summary?.seconds).filter((x): x is number => x !== undefined);
    return {
      rank: 0,
      axes: g[0].axes,
      runs: g.length,
      best: bests.length === g.length ? mean(bests) : null,
      bestSd: bests.length === g.length ? sd(bests) : null,
      last: lasts.length === g.length ? mean(lasts) : null,
      bestEpoch: single?.summary?.bestEpoch ?? (single ? bestEpochOf(single) : null),
      epochs: same(g.map((r) => r.run.summary?.epochs ?? r.run.epochs.length)),
      stoppedBy: [...new Set(g.map((r) => r.run.summary?.stoppedBy ?? "unfinished"))].join(","),
      seconds: seconds.length ? seconds.reduce((a, b) => a + b, 0) : null,
      ids: g.map((r) => r.id),
    };
  });
  rows.sort((a, b) => (b.best ?? -1) - (a.best ?? -1));
  rows.forEach((r, i) => (r.rank = i + 1));
  return rows;
}

/** The value when every run has it, else null. */
function same(xs: readonly number[]): number | null {
  return xs.every((x) => x === xs[0]) ? xs[0] ?? null : null;
}

function bestEpochOf(run: Run): number | null {
  let best: { epoch: number; accuracy: number } | undefined;
  for (const e of run.epochs) if (!best || e.accuracy > best.accuracy) best = e;
  return best?.epoch ?? null;
}
