// The package's version (read once from package.json) and the one way
// warnings reach the user: a line on stderr.
import { createRequire } from "node:module";

export const VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;

export function warn(message: string): void {
  process.stderr.write(`mnist-train: warning: ${message}\n`);
}
