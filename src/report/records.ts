// Reads mnist-train's JSON Lines (a training run's --json output, or a sweep
// trial's file) into runs. Every byte is untrusted: a line is read only if
// it is one of our records with fields of the right types, and only those
// fields are kept; any other line is skipped with a warning naming the file
// and line.
import fs from "node:fs";
import readline from "node:readline";
import { DataError } from "../errors.js";

export interface EpochPoint {
  epoch: number;
  accuracy: number;
  trainingCost?: number;
  trainingAccuracy?: number;
  evalCost?: number;
}

export interface RunSummary {
  epochs: number;
  bestEpoch: number | null;
  bestAccuracy: number | null;
  lastAccuracy: number | null;
  seconds: number;
  stoppedBy: string;
}

export type Scalar = string | number | boolean | null;

export interface Run {
  /** The file and the line the run starts on. */
  source: string;
  /** The sweep trial's id, command and swept values, when the file is a trial's. */
  trialId?: string;
  command?: string;
  axes?: Record<string, string>;
  /** The resolved options (scalars and lists of scalars only). */
  config: Record<string, Scalar | Scalar[]>;
  epochs: EpochPoint[];
  summary?: RunSummary;
}

export type Warn = (message: string) => void;

const MONITORED = ["trainingCost", "trainingAccuracy", "evalCost"] as const;

/** The runs in one JSON Lines file, read line by line. */
export async function readRuns(file: string, warn: Warn): Promise<Run[]> {
  const runs: Run[] = [];
  let stream: fs.ReadStream;
  try {
    stream = fs.createReadStream(file, { encoding: "utf8" });
    await new Promise<void>((resolve, reject) => stream.once("open", () => resolve()).once("error", reject));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code ?? (e as Error).message}`);
  }
  let n = 0;
  let run: Run | undefined;
  const current = (): Run => {
    if (!run) runs.push((run = { source: `${file}:${n}`, config: {}, epochs: [] }));
    return run;
  };
  for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === "") continue;
    const skip = (why: string): void => warn(`${file}:${n}: ${why}, skipped`);
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      skip("not JSON");
      continue;
    }
    const r = (typeof doc === "object" && doc !== null && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
    if (r.type === "trial") {
      if (typeof r.id !== "string" || typeof r.command !== "string" || !isStringMap(r.axes)) {
        skip("a trial record without a string id, command and axes");
        continue;
      }
      runs.push((run = { source: `${file}:${n}`, trialId: r.id, command: r.command, axes: { ...r.axes }, config: {}, epochs: [] }));
    } else if (r.type === "config") {
      // a config record starts a new run, unless it follows its trial record
      if (!run || Object.keys(run.config).length > 0 || run.epochs.length > 0 || run.summary) run = undefined;
      current().config = scalars(r);
    } else if (r.type === "epoch") {
      const point = epochPoint(r);
      if (!point) skip("an epoch record without a whole epoch number and an accuracy from 0 to 1");
      else current().epochs.push(point);
    } else if (r.type === "summary") {
      const summary = runSummary(r);
      if (!summary) {
        skip("a summary record without epochs, seconds and stoppedBy");
        continue;
      }
      if (run?.summary) run = undefined; // a second summary is another run's (--quiet --json prints only summaries)
      const target = current();
      target.summary = summary;
      // the summary repeats the run's options: enough to label a run whose config record was not printed
      if (Object.keys(target.config).length === 0 && typeof r.config === "object" && r.config !== null && !Array.isArray(r.config)) {
        target.config = scalars(r.config as Record<string, unknown>);
      }
    } else {
      skip("not a mnist-train record");
    }
  }
  return runs;
}

function isStringMap(x: unknown): x is Record<string, string> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === "string");
}

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const fraction = (x: unknown): x is number => finite(x) && x >= 0 && x <= 1;
const count = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function epochPoint(r: Record<string, unknown>): EpochPoint | undefined {
  if (!count(r.epoch) || r.epoch < 1 || !fraction(r.accuracy)) return undefined;
  const point: EpochPoint = { epoch: r.epoch, accuracy: r.accuracy };
  for (const key of MONITORED) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    if (!finite(v) || (key === "trainingAccuracy" && !fraction(v))) return undefined;
    point[key] = v;
  }
  return point;
}

function runSummary(r: Record<string, unknown>): RunSummary | undefined {
  const orNull = (x: unknown, ok: (x: unknown) => boolean): number | null | undefined => (x === null || x === undefined ? null : ok(x) ? (x as number) : undefined);
  const bestEpoch = orNull(r.bestEpoch, count);
  const bestAccuracy = orNull(r.bestAccuracy, fraction);
  const lastAccuracy = orNull(r.lastAccuracy, fraction);
  if (!count(r.epochs) || !finite(r.seconds) || typeof r.stoppedBy !== "string" || bestEpoch === undefined ||
    bestAccuracy === undefined || lastAccuracy === undefined) return undefined;
  return { epochs: r.epochs, bestEpoch, bestAccuracy, lastAccuracy, seconds: r.seconds, stoppedBy: r.stoppedBy };
}

/** The record's scalar fields and lists of scalars; nested objects are dropped. */
function scalars(r: Record<string, unknown>): Record<string, Scalar | Scalar[]> {
  const out: Record<string, Scalar | Scalar[]> = {};
  const isScalar = (v: unknown): v is Scalar => v === null || ["string", "number", "boolean"].includes(typeof v);
  for (const [k, v] of Object.entries(r)) {
    if (k === "type") continue;
    if (isScalar(v)) out[k] = v;
    else if (Array.isArray(v) && v.every(isScalar)) out[k] = v;
  }
  return out;
}
