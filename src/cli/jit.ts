// How soon V8 optimises our JavaScript. Node 20's V8 (11.3, no Maglev) compiles
// a function with TurboFan only after it has run its interrupt budget of
// bytecode (67,584 bytes) several times over. The steps each thread runs per
// mini-batch are small functions called once a mini-batch, so a team took
// some 3,500 mini-batches to reach its speed (784-30-10 mb 10, forced to train
// as a team: 15-20 µs an example at first, 3.3-4 from the 9th-15th slice of
// 250), and a worker that trains only in the chooser's short probes stayed
// cold for whole runs, its probes too slow for the team ever to be chosen.
// With about a quarter of the budget the same team was at its speed from the
// 4th-6th slice. Node 22 and later optimise early with Maglev (the team at
// speed from the 5th-7th slice on Node 24) and keep V8's defaults: TurboFan
// sooner there was slower at mini-batch 100 (README, Threads). JIT tiers
// change no number: JavaScript's arithmetic is the same in every tier, and
// the kernels are WebAssembly.
import v8 from "node:v8";

/** Node 20's interrupt budget: about a quarter of V8's 67,584. */
const NODE20_INTERRUPT_BUDGET = 16_000;

/** The V8 flags this Node (by `process.versions.node`) trains faster with. */
export function jitFlags(nodeVersion: string = process.versions.node): string[] {
  return Number(nodeVersion.split(".")[0]) === 20 ? [`--interrupt-budget=${NODE20_INTERRUPT_BUDGET}`] : [];
}

/** Sets them, before any engine starts (workers take the process's flags). */
export function tuneJit(): void {
  for (const flag of jitFlags()) v8.setFlagsFromString(flag);
}
