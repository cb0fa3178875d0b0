// How much memory this process may use, for refusing a file whose header
// asks for more before anything is allocated: the machine's RAM, or the
// cgroup limit when a container sets a lower one.
import * as fs from "node:fs";
import * as os from "node:os";
import { DataError } from "./errors.js";

/** A limit file's number of bytes, or undefined when absent, unlimited ("max") or unreadable. */
function readLimit(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
  const bytes = Number(text);
  // cgroup v1 writes "no limit" as a huge page-rounded number near 2^63
  return Number.isFinite(bytes) && bytes > 0 && bytes < 2 ** 60 ? bytes : undefined;
}

/** The cgroup (v2, then v1) this process belongs to, as the directory holding its memory limit. */
function cgroupLimit(): number | undefined {
  let v2 = "/";
  try {
    const line = fs.readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"));
    if (line) v2 = line.slice(3);
  } catch {
    // not Linux: no cgroups
  }
  const candidates = [`/sys/fs/cgroup${v2 === "/" ? "" : v2}/memory.max`, "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"];
  const limits = candidates.map(readLimit).filter((n): n is number => n !== undefined);
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

export interface MemoryLimit {
  bytes: number;
  /** "this machine has" or "this container may use" */
  holder: string;
}

export function memoryLimit(): MemoryLimit {
  const total = os.totalmem();
  const cgroup = cgroupLimit();
  return cgroup !== undefined && cgroup < total ? { bytes: cgroup, holder: "this container may use" } : { bytes: total, holder: "this machine has" };
}

/** Bytes as people read them: 47 GB, 1.6 GB, 310 MB, 12 kB, 5 bytes (powers of 1000). */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [[1e12, "TB"], [1e9, "GB"], [1e6, "MB"], [1e3, "kB"]];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toPrecision(bytes / size >= 10 ? 3 : 2))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** Refuses, before allocating, what `source` declares when it cannot fit in memory: "declares 47 GB of images; this machine has 16 GB". */
export function checkFitsMemory(source: string, bytes: number, what: string, limit: MemoryLimit = memoryLimit()): void {
  if (bytes <= limit.bytes) return;
  throw new DataError(`${source}: declares ${formatBytes(bytes)} of ${what}; ${limit.holder} ${formatBytes(limit.bytes)}`);
}
