// The built command as a user runs it: output formats, exit codes, errors.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { jitFlags } from "../src/cli/jit.js";
import { wasmVariants } from "../src/kernel/wasm.js";

const BIN = path.resolve(import.meta.dirname, "../bin/mnist-train.js");
const JIT = path.resolve(import.meta.dirname, "../dist/cli/jit.js");
const SMALL = ["--epochs", "1", "--train-size", "1000", "--test-size", "500", "--validation-size", "1000"];

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("mnist-train (built bin)", () => {
  it("--kernel wasm-mul-add runs the mul-add variant on any runtime: --kernel wasm's numbers where that is the one it prefers", () => {
    const records = (kernel: string) => cli([...SMALL, "--epochs", "2", "--cost", "cross-entropy", "--eta", "0.5", "--json", "--kernel", kernel])
      .stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    const [mulAdd, preferred] = [records("wasm-mul-add"), records("wasm")];
    expect(mulAdd[0]).toMatchObject({ kernel: "wasm", kernelVariant: "mul-add" });
    const epochs = (r: { type: string }[]) => r.filter((x) => x.type === "epoch").map((e) => ({ ...e, seconds: 0, evalSeconds: 0 }));
    if (preferred[0].kernelVariant === "mul-add") expect(epochs(mulAdd)).toEqual(epochs(preferred));
    else expect(preferred[0].kernelVariant).toBe("fma"); // a CPU with FMA: the fused variant, which differs in the last bits
  });

  it("the JSON summary says what share of the examples the team trained: a number with threads, null without", () => {
    const summary = (threads: string) => JSON.parse(cli([...SMALL, "--json", "--threads", threads]).stdout.trimEnd().split("\n").at(-1)!);
    const two = summary("2");
    expect(two.type).toBe("summary");
    expect(typeof two.teamShare).toBe("number");
    expect(two.teamShare).toBeGreaterThanOrEqual(0);
    expect(two.teamShare).toBeLessThanOrEqual(1);
    expect(summary("1").teamShare).toBeNull();
  });

  it("--json writes only JSON Lines: config, one epoch record per epoch, summary", () => {
    const r = cli([...SMALL, "--epochs", "2", "--json"]);
    expect(r.code).toBe(0);
    const records = r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(records.map((x) => x.type)).toEqual(["config", "epoch", "epoch", "summary"]);
    const [config, e1, e2, summary] = records;
    expect(config).toMatchObject({ sizes: [784, 30, 10], epochs: 2, batchSize: 10, eta: 3, seed: 1, cost: "quadratic" });
    expect(config.data).toMatchObject({ training: 1000, validation: 1000, test: 500, rows: 28, cols: 28, evalSet: "test" });
    expect(typeof config.version).toBe("string");
    for (const [i, e] of [e1, e2].entries()) {
      expect(e.epoch).toBe(i + 1);
      expect(e.total).toBe(500);
      expect(e.accuracy).toBeCloseTo(e.correct / 500, 12);
      expect(e.seconds).toBeGreaterThan(0);
    }
    expect(summary).toMatchObject({ epochs: 2, stoppedBy: "completed", total: 500 });
    expect(summary.bestCorrect).toBe(Math.max(e1.correct, e2.correct));
  });

  it("the config record holds every option, unset ones as null; the summary repeats them with the last epoch beside the best", () => {
    const records = cli([...SMALL, "--epochs", "2", "--json"]).stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    const [config, , e2, summary] = records;
    for (const key of ["trainSize", "testSize", "dataDir", "earlyStopping", "etaSchedule", "save", "load", "preset"]) {
      expect(config, key).toHaveProperty(key);
    }
    expect(config).toMatchObject({ dataDir: null, earlyStopping: null, etaSchedule: null, save: null, load: null, preset: null, trainSize: 1000 });
    expect(summary).toMatchObject({ lastEpoch: 2, lastCorrect: e2.correct, lastAccuracy: e2.accuracy, divergedEpoch: null });
    const { type: _type, version: _version, data: _data, startupSeconds: _s, ...options } = config;
    expect(summary.config).toEqual(options);
  });

  it("--quiet --json prints only the summary record", () => {
    const r = cli([...SMALL, "--json", "--quiet"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ type: "summary", epochs: 1, config: { epochs: 1, quiet: true } });
  });

  it("a run that diverges still ends its JSON stream with a summary naming the epoch, then exits 1", () => {
    const r = cli([...SMALL, "--epochs", "3", "--json", "--cost", "cross-entropy", "--eta", "1e308"]);
    expect(r.code).toBe(1);
    const records = r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(records.map((x) => x.type)).toEqual(["config", "summary"]);
    expect(records[1]).toMatchObject({ stoppedBy: "diverged", divergedEpoch: 1, epochs: 0, bestAccuracy: null });
    expect(r.stderr).toMatch(/^mnist-train: training diverged in epoch 1: /);
  });

  it("prints the book's epoch lines, without colour when stdout is not a terminal", () => {
    const r = cli(SMALL, { FORCE_COLOR: "1" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Epoch 1: \d+ \/ 500 \(\d+\.\d\d%\)/m);
    expect(r.stdout).toMatch(/^Best: epoch 1, /m);
    expect(r.stdout).toMatch(new RegExp(`^SGD: .*; wasm kernel \\(${wasmVariants()[0]}\\), \\d+ threads?$`, "m")); // the variant: it decides the last bits
    expect(r.stdout).not.toContain("\x1b[");
    expect(r.stderr).toBe(""); // no progress bar off a terminal
  });

  it("a mini-batch larger than the training set is the whole set: --batch-size 10^6 trains as --batch-size 100 on 100 images", () => {
    // the buffers are for the largest batch there can be: a million examples' worth would not fit (exit 1 before)
    const epochs = (batch: string) => {
      const r = cli(["--epochs", "3", "--train-size", "100", "--test-size", "500", "--batch-size", batch, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trimEnd().split("\n").map((line) => JSON.parse(line)).filter((x) => x.type === "epoch").map((e) => e.correct);
    };
    const whole = epochs("100");
    expect(whole).toHaveLength(3);
    expect(epochs("1000000")).toEqual(whole);
  });

  it("the same seed gives the same output, another seed does not", () => {
    const scores = (seed: string) => cli([...SMALL, "--seed", seed, "--json"]).stdout.split("\n").filter((l) => l.includes('"epoch"')).map((l) => JSON.parse(l).correct);
    expect(scores("5")).toEqual(scores("5"));
    expect(scores("5")).not.toEqual(scores("6"));
  });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-cli-"));
  // one label, and an images file whose magic number says "labels"
  fs.writeFileSync(path.join(dir, "train-labels-idx1-ubyte"), Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 0]));
  fs.writeFileSync(path.join(dir, "train-images-idx3-ubyte"), Buffer.from([0, 0, 8, 1, 0, 0, 0, 0]));
  const usage: [string, string[], RegExp][] = [
    ["an unknown option", ["--bogus"], /unknown option '--bogus'/],
    ["sizes that are not integers", ["--sizes", "784,abc,10"], /--sizes "784,abc,10": expected comma-separated positive integers/],
    ["a single layer", ["--sizes", "784"], /expected at least two layers/],
    ["a first size that is not the pixel count", ["--sizes", "100,30,10"], /starts with 100 inputs, but the images have 28x28 = 784 pixels/],
    ["a last size that is not the class count", ["--sizes", "784,30,9"], /ends with 9 outputs, but there are 10 classes/],
    ["zero epochs", ["--epochs", "0"], /--epochs "0": expected a positive integer/],
    ["fractional epochs", ["--epochs", "1.5"], /--epochs "1.5": expected a positive integer/],
    ["a negative batch size", ["--batch-size", "-3"], /--batch-size "-3": expected a positive integer/],
    ["a zero eta", ["--eta", "0"], /--eta "0": expected a positive finite number/],
    ["an infinite eta", ["--eta", "Infinity"], /--eta "Infinity": expected a positive finite number/],
    ["a training set larger than the data", ["--train-size", "70000"], /--train-size 70000/],
    ["a cost that does not exist", ["--cost", "hinge"], /hinge/],
    ["more threads than a team holds", ["--threads", "65"], /--threads "65": expected at most 64 threads/],
  ];
  it.each(usage)("%s: exit 2 and one line on stderr", (_what, args, message) => {
    const r = cli([...SMALL, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  const data: [string, string[], RegExp][] = [
    ["a missing data directory", ["--data-dir", path.join(dir, "nope")], /nope/],
    ["a corrupt IDX file", ["--data-dir", dir], /train-images-idx3-ubyte: bad magic number 0x00000801, expected 0x00000803/],
    ["a missing model file", ["--load", path.join(dir, "none.json")], /cannot read .*none\.json: no such file/],
    ["a network too large for the kernel's memory", ["--sizes", "784,200000,10"], /need \d+ MiB, more than the 1 GiB the kernel's memory can hold/],
    ["a --save file in a missing directory (checked before training)", ["--save", path.join(dir, "no/such/dir/net.json")], /cannot write .*net\.json: no directory .*no\/such\/dir/],
    ["weights that overflow", ["--cost", "cross-entropy", "--eta", "1e308"], /^mnist-train: training diverged in epoch 1: weights became NaN or infinite/],
    ["a cost that becomes NaN", ["--cost", "cross-entropy", "--eta", "1e300", "--monitor", "eval-cost"], /^mnist-train: training diverged in epoch 1: the cost is NaN/],
  ];
  it.each(data)("%s: exit 1 and one line on stderr", (_what, args, message) => {
    const r = cli([...SMALL, ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("without the .wasm files in dist/ it warns once and trains with the JavaScript kernel", () => {
    const root = path.resolve(import.meta.dirname, "..");
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-nowasm-"));
    for (const part of ["bin", "dist", "package.json"]) fs.cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
    fs.symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
    fs.rmSync(path.join(copy, "dist/kernel/wasm"), { recursive: true }); // both variants
    const r = spawnSync(process.execPath, [path.join(copy, "bin/mnist-train.js"), ...SMALL, "--json"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(/^mnist-train: warning: the WebAssembly kernel could not be loaded .*; using the JavaScript kernel$/)]);
    expect(JSON.parse(r.stdout.split("\n")[0])).toMatchObject({ type: "config", kernel: "js" });
    expect(r.stdout.trimEnd().split("\n").at(-1)).toContain('"type":"summary"');
  });

  it("sets only V8 flags that this Node's V8 knows, and silently (Node 20: a smaller interrupt budget; src/cli/jit.ts)", () => {
    const flags = jitFlags();
    const known = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout;
    for (const flag of flags) expect(known).toContain(`  ${flag.split("=")[0]} (`);
    expect(flags.length > 0).toBe(process.versions.node.startsWith("20."));
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", `(await import(${JSON.stringify(JIT)})).tuneJit()`], { encoding: "utf8" });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
    // another major's flags are not this one's: a Node 24's V8 rejects Node 20's flag out loud
    expect(jitFlags("24.0.0")).toEqual([]);
  });

  it("--version prints the package version", () => {
    const r = cli(["--version"]);
    expect(r.code).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../package.json"), "utf8"));
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("Ctrl-C ends a threaded run with the summary so far and exit code 130", async () => {
    const child = spawn(process.execPath, [BIN, "--epochs", "1000", "--train-size", "2000", "--test-size", "500", "--threads", "2"]);
    let stdout = "";
    const firstEpoch = new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        stdout += d;
        if (/Epoch 1:/.test(stdout)) resolve();
      });
    });
    await firstEpoch;
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(130);
    expect(stdout).toMatch(/^Best: epoch \d+, .*\(interrupted\)$/m);
  });
});
