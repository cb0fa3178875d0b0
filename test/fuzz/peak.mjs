// Peak resident memory of this process, for the fuzz harness. Preloaded with
// `node --import ./test/fuzz/peak.mjs bin/mnist-train.js ...`, it writes the
// peak in kB to fd 3 when the process exits; runner.mjs imports peakKb.
import * as fs from "node:fs";

export function peakKb() {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1]);
  } catch {
    return process.resourceUsage().maxRSS; // kB as well, where there is no /proc
  }
}

if (process.argv[1]?.endsWith("mnist-train.js")) {
  process.on("exit", () => {
    try {
      fs.writeSync(3, `${peakKb()}\n`);
    } catch {
      // no fd 3: not run by the harness
    }
  });
}
