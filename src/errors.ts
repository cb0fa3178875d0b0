// Typed errors, mapped to exit codes in one place (src/cli/main.ts):
// a UsageError is the caller's mistake (exit 2), a DataError is bad input
// data or a failed run (exit 1). Messages are one line and name the bad value.
import { printable } from "./text.js";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export class DataError extends Error {
  override readonly name = "DataError";
}

/** One line naming the file for any failure to open or read it (a DataError passes through). */
export function cannotRead(path: string, err: unknown): DataError {
  if (err instanceof DataError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory" };
  const reason = (code !== undefined && reasons[code]) || printable(err instanceof Error ? err.message : String(err));
  return new DataError(`cannot read ${path}: ${reason}`);
}
