// Assembles the hand-written WebAssembly kernel src/kernel/wasm/gemm.wat into
// dist/kernel/wasm/gemm.wasm with wabt (a devDependency: the published package
// ships the .wasm, not the assembler). Runs after tsc in `npm run build`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabtFactory from "wabt";

const source = new URL("../src/kernel/wasm/gemm.wat", import.meta.url);
const target = new URL("../dist/kernel/wasm/gemm.wasm", import.meta.url);

// SIMD for f64x2, threads for the shared memory import.
const FEATURES = { simd: true, threads: true };

function fail(message) {
  console.error(`build-wasm: ${message}`);
  process.exit(1);
}

let text;
try {
  text = readFileSync(source, "utf8");
} catch (err) {
  fail(`cannot read ${fileURLToPath(source)}: ${err.message}`);
}

const wabt = await wabtFactory();
let module;
let binary;
try {
  module = wabt.parseWat("gemm.wat", text, FEATURES);
  module.resolveNames();
  // validate() takes the features too (not in wabt's typings): without them
  // it rejects the shared memory.
  module.validate(FEATURES);
  // Names are kept so that wasm frames in stack traces read $gemm_abt etc.
  binary = module.toBinary({ log: false, write_debug_names: true }).buffer;
} catch (err) {
  fail(`gemm.wat does not assemble: ${String(err.message ?? err).trim()}`);
} finally {
  module?.destroy();
}

// wabt accepts what the spec allows; make sure this Node (no flags) does too.
try {
  new WebAssembly.Module(binary);
} catch (err) {
  fail(`Node rejects the assembled module: ${err.message}`);
}

mkdirSync(new URL(".", target), { recursive: true });
writeFileSync(target, binary);
console.log(`build-wasm: ${fileURLToPath(target)} (${binary.length} bytes)`);
