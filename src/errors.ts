// Typed errors, mapped to exit codes in one place (src/cli/main.ts):
// a UsageError is the caller's mistake (exit 2), a DataError is bad input
// data or a failed run (exit 1). Messages are one line and name the bad value.

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export class DataError extends Error {
  override readonly name = "DataError";
}
