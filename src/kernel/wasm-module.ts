// Finds and compiles one of the assembled kernels, dist/kernel/wasm/NAME.wasm
// (gemm.wasm, conv.wasm), once per process and synchronously.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new Map<string, WebAssembly.Module>();

/** Compiles dist/kernel/wasm/`file`, located relative to this module: from
 * dist (dist/kernel/wasm-module.js -> dist/kernel/wasm/file) or, from the
 * sources as vitest runs them, the built copy in dist. Throws an Error with a
 * one-line message if missing or invalid. */
export function loadWasmModule(file: string): WebAssembly.Module {
  const known = compiled.get(file);
  if (known) return known;
  const candidates = [new URL(`./wasm/${file}`, import.meta.url), new URL(`../../dist/kernel/wasm/${file}`, import.meta.url)];
  let bytes: Buffer | undefined;
  let where = fileURLToPath(candidates[0]!);
  for (const url of candidates) {
    try {
      bytes = readFileSync(url);
      where = fileURLToPath(url);
      break;
    } catch {
      // try the next place
    }
  }
  if (!bytes) throw new Error(`WebAssembly kernel not found at ${where} (run npm run build)`);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new Error(`WebAssembly kernel ${where} is invalid: ${reason}`);
  }
  compiled.set(file, module);
  return module;
}
