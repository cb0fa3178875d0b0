// How long `expandData` (src/data/expand.ts) takes to build network3.py's
// expanded training set from the book's 50,000 training images: 250,000
// images, shifted and shuffled in memory. Each run builds a fresh set; most
// of the time is the operating system handing over 196 MB of new pages.
//
//   npm run build && node scripts/bench-expand.mjs [--runs 3]
import { parseArgs } from "node:util";
import { loadMnist, splitBook } from "../dist/data/mnist.js";
import { expandData } from "../dist/data/expand.js";
import { Rng } from "../dist/network/rng.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const { train, test } = loadMnist();
const { training } = splitBook(train, test, { validationSize: 10000 });
for (let run = 0; run < Number(values.runs); run++) {
  const start = process.hrtime.bigint();
  const expanded = expandData(training, new Rng(1));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`expand ${training.count} -> ${expanded.count} images: ${seconds.toFixed(2)} s`);
}
// For scale: first-touching as many fresh bytes, with no shifting at all.
const start = process.hrtime.bigint();
new Uint8Array(new SharedArrayBuffer(training.count * 5 * training.pixels)).fill(1);
console.log(`fill a fresh ${(training.count * 5 * training.pixels / 1e6).toFixed(0)} MB SharedArrayBuffer: ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(2)} s`);
