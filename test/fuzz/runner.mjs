// The child side of the fuzz suite: runs a batch of cases through the built
// CLI's main(), one after another in this process (starting a process per
// case would cost more than the cases), and for each case writes JSON lines
// to fd 3: {"id", "start": true} before it, then {"id", "code", "stderr",
// "ms", "peakKb"}. The start line lets the parent name the case that hung
// or killed the process. peakKb is this process's peak RSS during the case:
// the high-water mark is reset before each case where Linux allows it.
//   node --expose-gc --max-old-space-size=N test/fuzz/runner.mjs cases.json
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import { peakKb } from "./peak.mjs";

// FUZZ_DIST=/path/to/dist runs the cases against another build (e.g. an older one, to compare)
const dist = process.env.FUZZ_DIST ? pathToFileURL(`${process.env.FUZZ_DIST}/`).href : new URL("../../dist/", import.meta.url).href;
const { main } = await import(`${dist}cli/main.js`);

const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const report = (record) => fs.writeSync(3, `${JSON.stringify(record)}\n`);

// capture what a case writes; stdout (results) is not judged
let stderr = "";
const capture = (keep) => (chunk, ...rest) => {
  if (keep) stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  rest.find((f) => typeof f === "function")?.();
  return true;
};
process.stderr.write = capture(true);
process.stdout.write = capture(false);
process.stdout.setMaxListeners(0); // main() adds an EPIPE listener per call

function resetPeak() {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5"); // Linux >= 4.0: VmHWM := VmRSS
  } catch {
    // elsewhere the peak is the batch's so far: stricter, never looser
  }
}

for (const c of cases) {
  globalThis.gc?.();
  resetPeak();
  report({ id: c.id, start: true });
  stderr = "";
  const start = performance.now();
  let code;
  try {
    code = await main(["node", "mnist-train", ...c.args]);
  } catch (e) {
    code = "threw";
    stderr += String(e?.stack ?? e);
  }
  report({ id: c.id, code, stderr, ms: performance.now() - start, peakKb: peakKb() });
  process.exitCode = undefined;
}
