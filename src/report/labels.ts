// What tells the runs apart: the swept values of a sweep's trials, or for
// loose JSON Lines files the options whose values differ between runs. From
// them, each run's line label and colour group (the values without seed).
import path from "node:path";
import type { Run } from "./records.js";
import type { SweptRun } from "./ranking.js";

/** Options that change how a run reports, not what it computes. */
const NOT_SWEPT = new Set(["version", "startupSeconds", "threads", "json", "quiet", "progress", "color", "save", "saveBest", "dataDir", "kernel", "checkpoint", "resume"]);

export interface Labelled extends SweptRun {
  label: string;
  group: string;
}

export interface Labelling {
  runs: Labelled[];
  /** The options that vary, seed included, in order of first appearance. */
  axisNames: string[];
  /** Each option's values in display order: numeric order when all are numbers, else first appearance. */
  orders: Record<string, string[]>;
  groupOrder: string[];
  legendTitle: string;
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const text = (v: unknown): string => (Array.isArray(v) ? v.join(",") : v === null || v === undefined ? "none" : String(v));

export function labelRuns(runs: readonly Run[]): Labelling {
  // loose runs: the config keys whose values differ between them
  const loose = runs.filter((r) => !r.axes);
  const keys = [...new Set(loose.flatMap((r) => Object.keys(r.config)))].filter((k) => !NOT_SWEPT.has(k));
  const varying = keys.filter((k) => new Set(loose.map((r) => text(r.config[k]))).size > 1);
  const swept: SweptRun[] = runs.map((run) => ({
    id: run.trialId ?? run.source,
    axes: run.axes ?? Object.fromEntries(varying.map((k) => [kebab(k), text(run.config[k])])),
    run,
  }));
  const axisNames = [...new Set(swept.flatMap((r) => Object.keys(r.axes)))];
  const orders = Object.fromEntries(axisNames.map((a) => [a, valueOrder(swept.map((r) => r.axes[a]).filter((v): v is string => v !== undefined))]));
  const shown = axisNames.filter((a) => a !== "seed");
  const show = (axes: Record<string, string>, names: string[]): string =>
    names.length === 1 && names[0] !== "seed" ? axes[names[0]] ?? "" : names.filter((a) => a in axes).map((a) => `${a}=${axes[a]}`).join(" ");
  const labelled = swept.map((r): Labelled => {
    const name = path.basename(r.run.source.replace(/:\d+$/, ""));
    return { ...r, label: show(r.axes, axisNames) || name, group: show(r.axes, shown) || (axisNames.length ? "all" : name) };
  });
  // the same label twice (the same flags in two files): tell them apart by source
  const counts = new Map<string, number>();
  for (const r of labelled) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  for (const r of labelled) if ((counts.get(r.label) ?? 0) > 1) r.label += ` (${r.run.source})`;
  const groupOrder = [...new Set(labelled.map((r) => r.group))].sort((a, b) => compareBy(labelled, shown, orders, a, b));
  return { runs: labelled, axisNames, orders, groupOrder, legendTitle: shown.length ? shown.join(", ") : "run" };
}

function valueOrder(values: readonly string[]): string[] {
  const unique = [...new Set(values)];
  return unique.every((v) => v.trim() !== "" && Number.isFinite(Number(v))) ? unique.sort((a, b) => Number(a) - Number(b)) : unique;
}

/** Groups in the order of their axes' values, first axis first. */
function compareBy(runs: readonly Labelled[], names: string[], orders: Record<string, string[]>, a: string, b: string): number {
  const ra = runs.find((r) => r.group === a)!;
  const rb = runs.find((r) => r.group === b)!;
  for (const n of names) {
    const d = orders[n].indexOf(ra.axes[n]) - orders[n].indexOf(rb.axes[n]);
    if (d !== 0) return d;
  }
  return 0;
}
