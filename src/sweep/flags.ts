// Training flags as the sweep handles them: an ordered list of (name, value)
// pairs, parsed from and printed back to a command line a user could type.
import { UsageError } from "../errors.js";

/** What the sweep needs to know of one training option (read off the commander definition). */
export interface FlagInfo {
  /** Without dashes, as typed: "batch-size", "no-progress". */
  name: string;
  /** The key in the raw options handed to resolveTrainConfig: "batchSize", "progress". */
  key: string;
  takesValue: boolean;
  /** `--no-x` sets key x to false. */
  negate: boolean;
}

/** A flag and its value (null for a switch such as --save-best). */
export type Flag = [name: string, value: string | null];

/** Flags that change how a run reports, not what it computes: left out of a trial's identity. */
export const REPORTING_FLAGS: ReadonlySet<string> = new Set(["threads", "json", "quiet", "no-progress", "no-color"]);

export function parseFlags(args: readonly string[], infos: readonly FlagInfo[]): Flag[] {
  const byName = new Map(infos.map((i) => [i.name, i]));
  const flags: Flag[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    const info = m ? byName.get(m[1]) : undefined;
    if (!m || !info) throw new UsageError(`training flag "${arg}": expected one of the training options (see mnist-train --help)`);
    if (!info.takesValue) {
      if (m[2] !== undefined) throw new UsageError(`training flag "${arg}": --${info.name} takes no value`);
      flags.push([info.name, null]);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`training flag --${info.name}: expected a value after it`);
    flags.push([info.name, value]);
  }
  return flags;
}

/** The raw options commander would have produced for these flags. */
export function rawOptions(flags: readonly Flag[], infos: readonly FlagInfo[]): Record<string, string | boolean> {
  const byName = new Map(infos.map((i) => [i.name, i]));
  const raw: Record<string, string | boolean> = {};
  for (const [name, value] of flags) {
    const info = byName.get(name);
    if (!info) throw new UsageError(`--${name} is not a training option (see mnist-train --help)`);
    raw[info.key] = info.negate ? false : value ?? true;
  }
  return raw;
}

export function flagArgs(flags: readonly Flag[]): string[] {
  // a value that starts with "-" is attached, or it would read as a flag
  return flags.flatMap(([n, v]) => (v === null ? [`--${n}`] : v.startsWith("-") ? [`--${n}=${v}`] : [`--${n}`, v]));
}

/** The words as a POSIX shell reads them back: quoted only where needed. */
export function shellLine(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_.,:/=+@%-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(" ");
}
