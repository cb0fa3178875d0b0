// A sweep directory: sweep.json holds the plan, and each finished trial is
// one JSON Lines file named by its id. A trial is written under a temporary
// dot-name and renamed when it has finished, so a file under a final name
// is always complete; a rerun runs only the trials with no final file.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataError, UsageError } from "../errors.js";
import { makeDirectory, writeFileAtomic } from "../cli/files.js";
import { planDifference, type SweepPlan } from "./plan.js";

export const PLAN_FILE = "sweep.json";

export function trialFile(dir: string, id: string): string {
  return path.join(dir, `${id}.jsonl`);
}

/** A trial's checkpoint while it runs: a killed sweep's rerun resumes the trial from its last finished epoch. */
export function checkpointFile(dir: string, id: string): string {
  return path.join(dir, `.${id}.ckpt`);
}

/** Named by host and process, so that shards sharing a directory never write the same temporary file. */
export function tempFile(dir: string, id: string): string {
  return path.join(dir, `.${id}.jsonl.${os.hostname()}.${process.pid}.tmp`);
}

/** Creates DIR with this plan, or checks that the plan it holds is this one. */
export function openSweepDir(dir: string, plan: SweepPlan): void {
  makeDirectory(dir, "--out");
  const old = readPlan(dir);
  if (!old) {
    writeFileAtomic(path.join(dir, PLAN_FILE), JSON.stringify({ type: "sweep", ...plan }, null, 1) + "\n");
    return;
  }
  const difference = planDifference(old, plan);
  if (difference) {
    throw new UsageError(`--out ${dir} holds a different sweep (${difference}); use another --out directory, or the same spec to resume`);
  }
}

/** The plan in DIR/sweep.json, or undefined when there is none. */
/** A plan is a few kilobytes; a sweep.json far larger is not one (and is not read into memory). */
const MAX_PLAN_BYTES = 1 << 20;

export function readPlan(dir: string): SweepPlan | undefined {
  const file = path.join(dir, PLAN_FILE);
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_PLAN_BYTES) throw new DataError(`${file}: ${size} bytes, more than the ${MAX_PLAN_BYTES} a sweep's plan can take`);
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof DataError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DataError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new DataError(`${file}: not JSON; expected the plan a sweep wrote`);
  }
  const p = doc as Partial<SweepPlan> & { type?: unknown };
  const ok = typeof p === "object" && p !== null && p.type === "sweep" && Array.isArray(p.grid) && Array.isArray(p.random) &&
    Array.isArray(p.flags) && Array.isArray(p.trials) &&
    p.trials.every((t) => typeof t?.id === "string" && /^[A-Za-z0-9.=_-]+$/.test(t.id) && typeof t.axes === "object" && t.axes !== null && Array.isArray(t.args)) &&
    p.grid.every((g) => typeof g?.name === "string" && Array.isArray(g.values));
  if (!ok) throw new DataError(`${file}: not a sweep plan (expected "type": "sweep", grid, random, flags and trials)`);
  return p as SweepPlan;
}

/** The ids of the trials whose final file exists. */
export function finishedIds(dir: string): Set<string> {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  return new Set(names.filter((n) => n.endsWith(".jsonl") && !n.startsWith(".")).map((n) => n.slice(0, -".jsonl".length)));
}

/** Removes what killed sweeps leave behind: this host's temporary files whose writer has died, and the checkpoints
 *  of the `finished` trials (an earlier version removed them after the final file appeared). */
export function removeLeftovers(dir: string, finished: ReadonlySet<string>): void {
  const host = os.hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^\\..+\\.jsonl\\.${host}\\.(\\d+)\\.tmp$`);
  for (const name of fs.readdirSync(dir)) {
    const m = pattern.exec(name);
    if (m && !alive(Number(m[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
  for (const id of finished) fs.rmSync(checkpointFile(dir, id), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
