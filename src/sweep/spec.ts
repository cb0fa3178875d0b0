// The sweep's grammar: --grid NAME=VALUES and --random NAME=LO..HI[:log]
// become axes; their product (times --samples random points) is the trial
// list. Every mistake is a one-line UsageError before anything runs.
import { UsageError } from "../errors.js";
import { Rng } from "../network/rng.js";

/** One value of an axis: what it shows (option name -> value) and the flags it sets (for presets sometimes more). */
export interface AxisValue {
  shown: Record<string, string>;
  flags: [string, string][];
}

export interface Axis {
  /** The option name without dashes, e.g. "eta" or "batch-size". */
  name: string;
  values: AxisValue[];
}

export interface RandomAxis {
  name: string;
  lo: number;
  hi: number;
  log: boolean;
  /** Both ends were written as integers, so draws are integers too. */
  integer: boolean;
}

/** `NAME=VALUES`: comma-separated (or `;`-separated when a value holds commas), `A..B` for an integer range. */
export function parseGrid(text: string): Axis {
  const { name, rest } = splitNameValue("--grid", text, "NAME=VALUES, e.g. eta=0.1,0.5 or batch-size=10..12");
  const parts = rest.split(rest.includes(";") ? ";" : ",").map((s) => s.trim());
  const values: string[] = [];
  for (const part of parts) {
    if (part === "") throw new UsageError(`--grid "${text}": empty value; expected comma-separated values, e.g. ${name}=1,2,3`);
    const range = /^(-?\d+)\.\.(-?\d+)$/.exec(part);
    if (!range) {
      values.push(part);
      continue;
    }
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (b < a) throw new UsageError(`--grid "${text}": range ${part} runs backwards; expected A..B with A <= B`);
    if (b - a >= 10000) throw new UsageError(`--grid "${text}": range ${part} has more than 10000 values`);
    for (let v = a; v <= b; v++) values.push(String(v));
  }
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new UsageError(`--grid "${text}": value ${v} appears twice`);
    seen.add(v);
  }
  return { name, values: values.map((v) => ({ shown: { [name]: v }, flags: [[name, v]] })) };
}

/** `NAME=LO..HI` or `NAME=LO..HI:log`. */
export function parseRandom(text: string): RandomAxis {
  const { name, rest } = splitNameValue("--random", text, "NAME=LO..HI or NAME=LO..HI:log, e.g. eta=0.01..1:log");
  const m = /^([^.:]+(?:\.\d+)?(?:e-?\d+)?)\.\.([^:]+?)(:log)?$/i.exec(rest.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new UsageError(`--random "${text}": expected NAME=LO..HI or NAME=LO..HI:log with numbers LO < HI, e.g. eta=0.01..1:log`);
  }
  if (!(lo < hi)) throw new UsageError(`--random "${text}": expected LO < HI`);
  const log = m[3] !== undefined;
  if (log && lo <= 0) throw new UsageError(`--random "${text}": :log needs LO > 0`);
  return { name, lo, hi, log, integer: /^-?\d+$/.test(m[1]) && /^-?\d+$/.test(m[2]) };
}

function splitNameValue(flag: string, text: string, expected: string): { name: string; rest: string } {
  const eq = text.indexOf("=");
  const name = eq < 0 ? "" : text.slice(0, eq).trim().replace(/^--/, "");
  if (!/^[a-z][a-z0-9-]*$/.test(name) || text.slice(eq + 1).trim() === "") {
    throw new UsageError(`${flag} "${text}": expected ${expected}`);
  }
  return { name, rest: text.slice(eq + 1) };
}

/** `samples` points drawn with `seed`, each a value for every random axis: uniform, or log-uniform with :log. */
export function drawRandom(axes: readonly RandomAxis[], samples: number, seed: number): Axis {
  if (axes.length === 0) return { name: "", values: [{ shown: {}, flags: [] }] };
  const rng = new Rng(seed);
  const values: AxisValue[] = [];
  for (let s = 0; s < samples; s++) {
    const flags = axes.map((a): [string, string] => {
      const u = rng.uniform();
      if (a.integer) return [a.name, String(Math.min(a.hi, Math.floor(a.lo + u * (a.hi - a.lo + 1))))];
      const x = a.log ? Math.exp(Math.log(a.lo) + u * (Math.log(a.hi) - Math.log(a.lo))) : a.lo + u * (a.hi - a.lo);
      return [a.name, String(Number(x.toPrecision(4)))];
    });
    values.push({ shown: Object.fromEntries(flags), flags });
  }
  return { name: axes.map((a) => a.name).join("+"), values };
}

/** Every combination, the first axis varying slowest: each entry is the list of values, one per axis. */
export function product(axes: readonly Axis[]): AxisValue[][] {
  let combos: AxisValue[][] = [[]];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => [...c, v]));
  return combos;
}
