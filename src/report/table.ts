// The ranked sweep table as text (aligned columns), CSV, or JSON.
import type { RankedRow } from "./ranking.js";

const pct = (x: number | null): string => (x === null ? "" : (100 * x).toFixed(2));

/** Column titles and cell text, shared by the text, CSV and HTML tables. */
export function tableCells(rows: readonly RankedRow[]): { head: string[]; body: string[][] } {
  const axisNames = [...new Set(rows.flatMap((r) => Object.keys(r.axes)))];
  const seeds = rows.some((r) => r.runs > 1);
  const head = ["rank", ...axisNames, seeds ? "best % (mean ± sd)" : "best %", ...(seeds ? ["seeds"] : ["best epoch"]),
    "last %", "epochs", "stopped by", "seconds"];
  const body = rows.map((r) => [
    String(r.rank),
    ...axisNames.map((a) => r.axes[a] ?? ""),
    pct(r.best) + (r.bestSd === null ? "" : ` ± ${pct(r.bestSd)}`),
    ...(seeds ? [String(r.runs)] : [r.bestEpoch === null ? "" : String(r.bestEpoch)]),
    pct(r.last),
    r.epochs === null ? "" : String(r.epochs),
    r.stoppedBy,
    r.seconds === null ? "" : r.seconds.toFixed(1),
  ]);
  return { head, body };
}

export function textTable(rows: readonly RankedRow[]): string {
  const { head, body } = tableCells(rows);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(head), ...body.map(line)].join("\n");
}

export function csvTable(rows: readonly RankedRow[]): string {
  const axisNames = [...new Set(rows.flatMap((r) => Object.keys(r.axes)))];
  const cell = (v: string | number | null): string => {
    const s = v === null ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ["rank", ...axisNames, "runs", "best_accuracy", "best_accuracy_sd", "last_accuracy", "best_epoch", "epochs", "stopped_by", "seconds", "ids"];
  const body = rows.map((r) => [r.rank, ...axisNames.map((a) => r.axes[a] ?? null), r.runs, r.best, r.bestSd, r.last, r.bestEpoch, r.epochs,
    r.stoppedBy, r.seconds, r.ids.join(" ")].map(cell).join(","));
  return [head.map(cell).join(","), ...body].join("\n");
}
