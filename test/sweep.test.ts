// mnist-train sweep as a user runs it: a real grid of tiny training runs,
// resumed after SIGKILL, split into shards, listed for other runners.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseGrid, parseRandom } from "../src/sweep/spec.js";
import { shardOf, trialId } from "../src/sweep/plan.js";
import { expectOneLineError } from "./helpers.js";

const BIN = path.resolve(import.meta.dirname, "../bin/mnist-train.js");
const TINY = ["--epochs", "2", "--train-size", "500", "--test-size", "200", "--validation-size", "1000"];
const GRID = ["--grid", "eta=0.5,3", "--grid", "lambda=0,1"];

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-sweep-"));
const records = (file: string) => fs.readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
const trialFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith(".jsonl") && !n.startsWith(".")).sort();

describe("sweep spec", () => {
  it("grid values: commas, ';' when a value holds commas, integer ranges", () => {
    expect(parseGrid("eta=0.1, 0.5,1").values.map((v) => v.shown.eta)).toEqual(["0.1", "0.5", "1"]);
    expect(parseGrid("sizes=784,30,10;784,100,10").values.map((v) => v.flags)).toEqual([[["sizes", "784,30,10"]], [["sizes", "784,100,10"]]]);
    expect(parseGrid("seed=3..6").values.map((v) => v.shown.seed)).toEqual(["3", "4", "5", "6"]);
    expect(parseRandom("eta=0.01..1:log")).toEqual({ name: "eta", lo: 0.01, hi: 1, log: true, integer: false });
    expect(parseRandom("batch-size=5..50")).toMatchObject({ integer: true, log: false });
    for (const bad of ["eta", "eta=", "=1,2", "eta=1,,2", "seed=5..3", "eta=1,1"]) expect(() => parseGrid(bad), bad).toThrow(/--grid/);
    for (const bad of ["eta=1", "eta=2..1", "eta=0..1:log", "eta=a..b"]) expect(() => parseRandom(bad), bad).toThrow(/--random/);
  });

  it("a trial's id depends on its flags, not on their order or the thread count", () => {
    const a = trialId({ eta: "0.5" }, [["epochs", "2"], ["eta", "0.5"], ["threads", "1"]]);
    expect(trialId({ eta: "0.5" }, [["eta", "0.5"], ["threads", "2"], ["epochs", "2"]])).toBe(a);
    expect(trialId({ eta: "0.5" }, [["epochs", "3"], ["eta", "0.5"]])).not.toBe(a);
    expect(a).toMatch(/^eta=0\.5_[0-9a-f]{10}$/);
  });

  it("shards are disjoint and together the whole list, for any count", () => {
    const items = Array.from({ length: 11 }, (_, i) => i);
    for (const n of [1, 2, 3, 11, 12]) {
      const parts = Array.from({ length: n }, (_, i) => shardOf(items, i, n));
      expect(parts.flat().sort((x, y) => x - y)).toEqual(items);
    }
  });
});

describe("mnist-train sweep (built bin)", () => {
  it("runs a 2x2 grid two at a time: one finished file per trial holding its command, then the ranked table", () => {
    const dir = tmp();
    const r = cli(["sweep", ...GRID, "--jobs", "2", "--out", dir, "--", ...TINY, "--threads", "1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 trials; 0 finished already, running 4, 2 at a time with 1 thread each/);
    const files = trialFiles(dir);
    expect(files).toHaveLength(4);
    for (const f of files) {
      const [trial, config, ...rest] = records(path.join(dir, f));
      expect(trial.type).toBe("trial");
      expect(f).toBe(`${trial.id}.jsonl`);
      expect(trial.command).toBe(`mnist-train ${TINY.join(" ")} --eta ${trial.axes.eta} --lambda ${trial.axes.lambda} --json --threads 1`);
      expect(config).toMatchObject({ type: "config", eta: Number(trial.axes.eta), lambda: Number(trial.axes.lambda), epochs: 2, threads: 1 });
      expect(rest.map((x) => x.type)).toEqual(["epoch", "epoch", "summary"]);
    }
    const table = r.stdout.trimEnd().split("\n");
    expect(table[0]).toBe(`4 of 4 trials finished in ${dir}, ranked by best eval accuracy:`);
    expect(table).toHaveLength(6);
    const best = table.slice(2).map((l) => Number(l.trim().split(/\s+/)[3]));
    expect(best).toEqual([...best].sort((x, y) => y - x));

    // the same sweep again has nothing left to do (and drops a finished trial's stale checkpoint, as an older
    // version could leave when killed at its end); another spec over the same directory is refused
    const stale = path.join(dir, `.${files[0].slice(0, -".jsonl".length)}.ckpt`);
    fs.writeFileSync(stale, "left by a kill");
    const again = cli(["sweep", ...GRID, "--out", dir, "--", ...TINY, "--threads", "1"]);
    expect(again.stderr).toMatch(/4 finished already, running 0/);
    expect(fs.existsSync(stale)).toBe(false);
    const other = cli(["sweep", "--grid", "eta=0.5,2", "--grid", "lambda=0,1", "--out", dir, "--", ...TINY]);
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(`mnist-train: --out ${dir} holds a different sweep (grid eta is 0.5,3 there, 0.5,2 here); use another --out directory, or the same spec to resume\n`);
  });

  it("killed with SIGKILL mid-way and rerun: only the missing trials run, and no file under a final name is half written", async () => {
    const dir = tmp();
    const args = ["sweep", "--grid", "seed=1..4", "--jobs", "1", "--out", dir, "--", ...TINY, "--epochs", "6", "--train-size", "2000"];
    const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: "ignore" });
    // kill the whole process group (the sweep and its running trial), as a scheduler would, once one trial has finished
    while (trialFiles(dir).length === 0) await new Promise((r) => setTimeout(r, 20));
    process.kill(-child.pid!, "SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const finished = trialFiles(dir);
    expect(finished.length).toBeGreaterThan(0);
    expect(finished.length).toBeLessThan(4);
    for (const f of finished) expect(records(path.join(dir, f)).at(-1).type).toBe("summary");
    const before = new Map(finished.map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
    // the trial that was running had checkpointed its finished epochs: the rerun resumes it from there
    const halfDone = fs.readdirSync(dir).filter((n) => n.endsWith(".ckpt")).map((n) => n.slice(1, -".ckpt".length));

    const rerun = cli(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`${finished.length} finished already, running ${4 - finished.length}`);
    expect(trialFiles(dir)).toHaveLength(4);
    for (const [f, text] of before) expect(fs.readFileSync(path.join(dir, f), "utf8")).toBe(text); // not run again
    for (const f of trialFiles(dir)) expect(records(path.join(dir, f)).map((x) => x.type)).toEqual(["trial", "config", ...Array(6).fill("epoch"), "summary"]);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]); // the killed run's temporary file is gone
    for (const id of halfDone) expect(records(path.join(dir, `${id}.jsonl`))[1].resumedFrom.epoch).toBeGreaterThanOrEqual(1);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith(".ckpt"))).toEqual([]); // finished trials keep no checkpoint
  });

  it("SIGTERM stops the sweep and its running trials: exit 143, no trial file, no temporary file left", async () => {
    const dir = tmp();
    const child = spawn(process.execPath, [BIN, "sweep", "--grid", "seed=1,2", "--out", dir, "--", ...TINY, "--epochs", "30", "--train-size", "5000"], { stdio: "ignore" });
    const temps = () => fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"));
    while (temps().length < 2) await new Promise((r) => setTimeout(r, 20));
    const code = await new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
    expect(code).toBe(143);
    expect(temps()).toEqual([]);
    expect(trialFiles(dir)).toEqual([]);
  });

  it("a trial that diverges is a result: its file ends with the diverged summary, and the sweep succeeds", () => {
    const dir = tmp();
    const r = cli(["sweep", "--grid", "eta=0.5,1e300", "--out", dir, "--", ...TINY, "--cost", "cross-entropy", "--monitor", "eval-cost"]);
    expect(r.code, r.stderr).toBe(0);
    const diverged = trialFiles(dir).find((f) => f.startsWith("eta=1e300"))!;
    expect(records(path.join(dir, diverged)).at(-1)).toMatchObject({ type: "summary", stoppedBy: "diverged", divergedEpoch: 1 });
    expect(r.stdout).toMatch(/^ +2 +1e300 .*diverged/m);
  });

  it("--shard 0/2 and 1/2, or the Slurm array variables, split --list into two disjoint halves of the whole list", () => {
    const dir = tmp();
    const list = (extra: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = cli(["sweep", ...GRID, "--grid", "seed=1..3", "--list", ...extra, "--out", dir, "--", ...TINY], env);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trimEnd().split("\n");
    };
    const all = list([]);
    expect(all).toHaveLength(12);
    for (const line of all) expect(line).toMatch(/^mnist-train --epochs 2 .* --json --threads \d+ > .*\.part && mv .*\.part .*\.jsonl$/);
    const [a, b] = [list(["--shard", "0/2"]), list(["--shard", "1/2"])];
    expect(a.filter((l) => b.includes(l))).toEqual([]);
    expect([...a, ...b].sort()).toEqual([...all].sort());
    expect(list([], { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "2" })).toEqual(a);
    expect(list([], { SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "2", SLURM_ARRAY_TASK_MIN: "1" })).toEqual(b);
  });

  it("a --list line run by a shell writes the trial's file, which --summary then counts", () => {
    const dir = tmp();
    const shims = tmp();
    fs.writeFileSync(path.join(shims, "mnist-train"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const line = cli(["sweep", ...GRID, "--list", "--out", dir, "--", ...TINY]).stdout.split("\n")[0];
    const sh = spawnSync("sh", ["-c", line], { encoding: "utf8", env: { ...process.env, PATH: `${shims}:${process.env.PATH}` } });
    expect(sh.status, sh.stderr).toBe(0);
    expect(trialFiles(dir)).toHaveLength(1);
    const summary = cli(["sweep", "--summary", "--json", "--out", dir]);
    expect(JSON.parse(summary.stdout)).toMatchObject({ type: "sweep-summary", trials: 4, finished: 1, rows: [{ rank: 1, runs: 1 }] });
  });

  const bad: [string, string[], RegExp][] = [
    ["an axis that is not a training option", ["--grid", "bogus=1,2"], /sweep axis "bogus": not a training option/],
    ["a value the training command would refuse", ["--grid", "eta=0.5,fast"], /trial eta=fast: --eta "fast": expected a positive finite number/],
    ["a backwards range", ["--grid", "seed=3..1"], /range 3\.\.1 runs backwards/],
    ["a random axis without a range", ["--random", "eta=0.5"], /--random "eta=0.5": expected NAME=LO\.\.HI/],
    ["an axis also given as a training flag", ["--grid", "eta=1,2", "--", "--eta", "3"], /--eta is both a sweep axis and a training flag/],
    ["a bad shard", ["--grid", "eta=1,2", "--shard", "2/2"], /--shard "2\/2": expected I\/N with 0 <= I < N/],
  ];
  for (const [what, args, message] of bad) {
    it(`a bad spec (${what}) exits 2 with one line, before anything runs`, () => {
      const dir = path.join(tmp(), "out");
      const [spec, training] = args.includes("--") ? [args.slice(0, args.indexOf("--")), args.slice(args.indexOf("--") + 1)] : [args, []];
      const r = cli(["sweep", ...spec, "--out", dir, "--", ...TINY, ...training]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(fs.existsSync(dir)).toBe(false);
    });
  }
});

describe("--out", () => {
  it("makes missing parents; a file in the way is a one-line error (exit 1)", () => {
    const dir = path.join(tmp(), "a", "b");
    const r = cli(["sweep", "--grid", "eta=3", "--out", dir, "--", ...TINY]);
    expect(r.code, r.stderr).toBe(0);
    expect(trialFiles(dir)).toHaveLength(1);
    const file = path.join(tmp(), "f");
    fs.writeFileSync(file, "");
    expectOneLineError(cli(["sweep", "--grid", "eta=3", "--out", file, "--", ...TINY]), 1,
      /^mnist-train: cannot create --out .*f: a file of that name is in the way\n$/);
  });

  // Node's recursive mkdirSync retries for ever where the parent exists but refuses the name with ENOENT
  it.skipIf(!fs.existsSync("/proc/self"))("a directory the file system will not make (/proc) is a one-line error, not a hang", () => {
    const r = spawnSync(process.execPath, [BIN, "sweep", "--grid", "eta=3", "--out", "/proc/mnist-train-out"], { encoding: "utf8", timeout: 30_000 });
    expectOneLineError({ code: r.status, stdout: r.stdout, stderr: r.stderr }, 1,
      /^mnist-train: cannot create --out \/proc\/mnist-train-out: no such file or directory\n$/);
  });
});

describe("a sweep directory is untrusted input", () => {
  it("a sweep.json far larger than any plan is refused by its size, in one line (exit 1)", () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "sweep.json"), Buffer.alloc(2 << 20, 0x20));
    const r = cli(["sweep", "--grid", "eta=0.5,3", "--out", dir, "--", ...TINY]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sweep\.json: 2097152 bytes, more than the 1048576 a sweep's plan can take\n$/);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
