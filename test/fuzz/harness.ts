// The parent side of the fuzz suite: turns a table of file formats and their
// mutators into seeded cases, writes each case's files to its own folder,
// runs the cases in batches through test/fuzz/runner.mjs (two children at a
// time) and judges every case by the same rules: exit 0, 1 or 2; at most one
// line on stderr; no stack trace and no "internal error"; within a time
// limit; under a memory ceiling.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Rng } from "../../src/network/rng.js";

/** The files of one case: name in the case's folder -> bytes (see sparse()). */
export type CaseFiles = Record<string, Uint8Array & { sparseLength?: number }>;

/** `bytes`, written as a file of `length` bytes: the rest a hole that costs no disk (a file "larger than memory"). */
export function sparse(bytes: Uint8Array, length: number): Uint8Array & { sparseLength: number } {
  return Object.assign(Buffer.from(bytes), { sparseLength: length });
}

export interface Mutator {
  /** Edits a copy of the honest files into a damaged or hostile case. */
  mutate(files: CaseFiles, rng: Rng): CaseFiles;
  /** The exit code this mutation must give, when it is certain (e.g. 0 for no change at all). */
  exit?: number;
}

/**
 * One kind of input file. To fuzz another format (safetensors, checkpoints),
 * add an entry to the table in formats.ts: its honest files, the command
 * that reads them, and its mutators.
 */
export interface FuzzFormat {
  readonly name: string;
  honest(rng: Rng): CaseFiles;
  /** The CLI arguments that read the case in `dir`. */
  args(dir: string): string[];
  readonly mutators: Record<string, Mutator>;
  /** Run once before the cases are made, with the folder they are made in (e.g. to make an honest file with the CLI). */
  prepare?(root: string): void;
}

export interface Limits {
  /** Each case may take this long (the machine is shared: generous). */
  caseMs: number;
  /** Peak resident memory of the process while it runs one case. */
  peakMb: number;
  /** Passed to each child as --max-old-space-size. */
  heapMb: number;
  casesPerBatch: number;
  concurrency: number;
}

export interface FuzzCase {
  id: number;
  format: string;
  mutator: string;
  /** The case's folder: its files, and the working directory it runs in (what it writes stays there). */
  dir: string;
  args: string[];
  exit?: number;
}

export interface Outcome {
  case: FuzzCase;
  code?: number | string;
  stderr: string;
  ms?: number;
  peakKb?: number;
  /** Why the case fails the rules; empty when it passes. */
  problems: string[];
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUNNER = path.join(HERE, "runner.mjs");
const PEAK = path.join(HERE, "peak.mjs");
const BIN = path.join(HERE, "../../bin/mnist-train.js");

/** `count` cases per format, mutators taken in turn so that each is used, details drawn from the seed. */
export function makeCases(formats: readonly FuzzFormat[], count: number, seed: number, root: string): FuzzCase[] {
  const cases: FuzzCase[] = [];
  formats.forEach((format, f) => {
    format.prepare?.(root);
    const names = Object.keys(format.mutators);
    for (let i = 0; i < count; i++) {
      const rng = new Rng(seed * 1000003 + f * 65537 + i);
      const mutatorName = names[i % names.length] as string;
      const mutator = format.mutators[mutatorName] as Mutator;
      const id = cases.length;
      const dir = path.join(root, `${id}-${format.name}-${mutatorName}`);
      fs.mkdirSync(dir, { recursive: true });
      const files = mutator.mutate(format.honest(rng), rng);
      for (const [name, bytes] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, name), bytes);
        if (bytes.sparseLength !== undefined) fs.truncateSync(path.join(dir, name), bytes.sparseLength);
      }
      cases.push({ id, format: format.name, mutator: mutatorName, dir, args: format.args(dir), exit: mutator.exit });
    }
  });
  return cases;
}

/** Runs every case and judges it. */
export async function runCases(cases: readonly FuzzCase[], limits: Limits, root: string): Promise<Outcome[]> {
  const batches: FuzzCase[][] = [];
  for (let i = 0; i < cases.length; i += limits.casesPerBatch) batches.push(cases.slice(i, i + limits.casesPerBatch));
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const b = next++;
      outcomes.push(...(await runBatch(batches[b] as FuzzCase[], limits, path.join(root, `batch-${b}.json`))));
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, worker));
  return outcomes.sort((a, b) => a.case.id - b.case.id);
}

function runBatch(batch: readonly FuzzCase[], limits: Limits, casesFile: string): Promise<Outcome[]> {
  fs.writeFileSync(casesFile, JSON.stringify(batch.map((c) => ({ id: c.id, args: c.args }))));
  const child = spawn(process.execPath, ["--expose-gc", `--max-old-space-size=${limits.heapMb}`, RUNNER, casesFile], {
    stdio: ["ignore", "ignore", "pipe", "pipe"], cwd: path.dirname(casesFile),
  });
  const byId = new Map(batch.map((c) => [c.id, c]));
  const outcomes: Outcome[] = [];
  let running: { id: number; since: number } | undefined;
  let childStderr = "";
  let lines = "";
  child.stderr?.on("data", (d: Buffer) => (childStderr += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => {
    lines += d.toString();
    let nl: number;
    while ((nl = lines.indexOf("\n")) >= 0) {
      const record = JSON.parse(lines.slice(0, nl)) as { id: number; start?: boolean; code: number | string; stderr: string; ms: number; peakKb: number };
      lines = lines.slice(nl + 1);
      if (record.start) {
        running = { id: record.id, since: Date.now() };
        continue;
      }
      running = undefined;
      const c = byId.get(record.id) as FuzzCase;
      outcomes.push({ case: c, ...record, problems: judge(c, record, limits) });
    }
  });
  return new Promise((resolve) => {
    let timedOut: number | undefined;
    const watch = setInterval(() => {
      if (running && Date.now() - running.since > limits.caseMs) {
        timedOut = running.id;
        child.kill("SIGKILL");
      }
    }, 100);
    child.on("close", (code, signal) => {
      clearInterval(watch);
      // every case that did not report: the one that was running hung or died, the rest never ran
      for (const c of batch) {
        if (outcomes.some((o) => o.case.id === c.id)) continue;
        const problem =
          c.id === timedOut ? `took more than ${limits.caseMs} ms`
          : running?.id === c.id || outcomes.length === 0
            ? `the process died (exit ${code}, signal ${signal}): ${childStderr.trim().split("\n").slice(0, 3).join(" | ")}`
            : "not run: an earlier case in its batch hung or died";
        outcomes.push({ case: c, stderr: "", problems: [problem] });
      }
      resolve(outcomes);
    });
  });
}

/**
 * Runs each case as its own process of bin/mnist-train.js, as a user would
 * (slower: a process start per case), with peak.mjs preloaded to report the
 * peak RSS. Time includes the process start.
 */
export async function runSolo(cases: readonly FuzzCase[], limits: Limits): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) outcomes.push(await runOne(cases[next++] as FuzzCase, limits));
  };
  await Promise.all(Array.from({ length: limits.concurrency }, worker));
  return outcomes.sort((a, b) => a.case.id - b.case.id);
}

function runOne(c: FuzzCase, limits: Limits): Promise<Outcome> {
  const start = Date.now();
  const child = spawn(process.execPath, [`--max-old-space-size=${limits.heapMb}`, "--import", pathToFileURL(PEAK).href, BIN, ...c.args], {
    stdio: ["ignore", "ignore", "pipe", "pipe"], cwd: c.dir,
  });
  let stderr = "";
  let peak = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => (peak += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), limits.caseMs);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const record = { code: code ?? `signal ${signal}`, stderr, ms: Date.now() - start, peakKb: Number(peak) };
      const problems = judge(c, record, limits);
      if (peak === "") problems.push("no peak RSS reported (the process did not exit normally)");
      resolve({ case: c, ...record, problems });
    });
  });
}

function judge(c: FuzzCase, r: { code: number | string; stderr: string; ms: number; peakKb: number }, limits: Limits): string[] {
  const problems: string[] = [];
  if (r.code !== 0 && r.code !== 1 && r.code !== 2) problems.push(`exit ${r.code}, expected 0, 1 or 2`);
  if (c.exit !== undefined && r.code !== c.exit) problems.push(`exit ${r.code}, expected ${c.exit}`);
  const text = r.stderr.replace(/\n$/, "");
  if (text.includes("\n")) problems.push(`${text.split("\n").length} lines on stderr`);
  if (/\n\s+at |\bat .*:\d+:\d+\)?$/m.test(r.stderr)) problems.push("a stack trace on stderr");
  if (/internal error/.test(r.stderr)) problems.push("an internal error, not a message about the input");
  if (/(?!\n)[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(r.stderr)) problems.push("control or invisible characters on stderr");
  if (r.ms > limits.caseMs) problems.push(`took ${Math.round(r.ms)} ms, more than ${limits.caseMs}`);
  if (r.peakKb > limits.peakMb * 1024) problems.push(`peak RSS ${Math.round(r.peakKb / 1024)} MB, more than ${limits.peakMb}`);
  return problems;
}
