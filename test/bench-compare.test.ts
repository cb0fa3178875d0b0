// scripts/bench-compare.mjs's --cpu: the one-thread runs go through taskset, the threaded ones do not.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const SCRIPT = path.join(import.meta.dirname, "../scripts/bench-compare.mjs");
const hasTaskset = spawnSync("taskset", ["--version"], { stdio: "ignore" }).status === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), "bench-compare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8", env });
}

describe("bench-compare's options", () => {
  it("refuses a set of configurations it does not have, naming the three it has", () => {
    const r = bench(["--configs", "every"]);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe('bench-compare: --configs "every": expected main, all or conv');
  });
});

describe("bench-compare --cpu", () => {
  it("refuses a CPU this machine does not have, naming it", () => {
    const cores = os.availableParallelism();
    const r = bench(["--cpu", String(cores)]);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`bench-compare: --cpu ${cores}: expected a CPU number from 0 to ${cores - 1}`);
    expect(bench(["--cpu", "first"]).stderr.split("\n")[0]).toBe('bench-compare: --cpu "first": expected a CPU number');
  });

  it.skipIf(!hasTaskset)("runs every one-thread program, and only those, on that CPU", () => {
    // a taskset on PATH that logs its arguments and hands over to the real one
    const real = spawnSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" }).stdout.trim();
    const log = path.join(dir, "taskset.log");
    writeFileSync(path.join(dir, "taskset"), `#!/bin/sh\necho "$@" >> "${log}"\nexec "${real}" "$@"\n`);
    chmodSync(path.join(dir, "taskset"), 0o755);
    const env = { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH}` };
    const r = bench(["--configs", "main", "--kernels", "wasm", "--rounds", "1", "--epochs", "1", "--cpu", "0", "--json"], env);
    expect(r.status, r.stderr).toBe(0);
    const results = r.stdout.trim().split("\n").map((line) => JSON.parse(line)).filter((x) => x.type === "result");
    const ours = results.filter((x) => x.program === "mnist-train");
    expect(ours.map((x) => x.threads)).toEqual(os.availableParallelism() > 1 ? [1, os.availableParallelism()] : [1]);
    // with threads, the share of the examples the team trained (from our summary record); none on one thread
    for (const x of ours) {
      if (x.threads === 1) expect(x.teamShare).toBeUndefined();
      else expect(x.teamShare >= 0 && x.teamShare <= 1, String(x.teamShare)).toBe(true);
    }
    // ours on one thread and the references (numpy, when python3 has it) are pinned; ours on every core is not
    for (const x of results) expect(x.cpu).toBe(x.program !== "mnist-train" || x.threads === 1 ? 0 : undefined);
    // the first call is the script's check that taskset runs; then one call per pinned run
    const calls = readFileSync(log, "utf8").trim().split("\n").slice(1);
    expect(calls.length).toBe(results.filter((x) => x.cpu === 0).length);
    for (const call of calls) expect(call).toMatch(/^-c 0 /);
    expect(calls.filter((call) => call.includes("bin/mnist-train.js"))).toEqual([expect.stringMatching(/--threads 1$/)]);
  });
});
