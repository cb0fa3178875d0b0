// Assembles every hand-written WebAssembly kernel src/kernel/wasm/NAME.wat
// (gemm.wat, conv.wat) into dist/kernel/wasm/NAME.wasm with wabt (a
// devDependency: the published package ships the .wasm, not the assembler).
// Runs after tsc in `npm run build`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabtFactory from "wabt";

const sources = new URL("../src/kernel/wasm/", import.meta.url);
const targets = new URL("../dist/kernel/wasm/", import.meta.url);

// SIMD for f64x2, threads for the shared memory import.
const FEATURES = { simd: true, threads: true };

function fail(message) {
  console.error(`build-wasm: ${message}`);
  process.exit(1);
}

let names;
try {
  names = readdirSync(sources).filter((name) => name.endsWith(".wat")).sort();
} catch (err) {
  fail(`cannot list ${fileURLToPath(sources)}: ${err.message}`);
}
if (names.length === 0) fail(`no .wat file in ${fileURLToPath(sources)}`);

const wabt = await wabtFactory();
mkdirSync(targets, { recursive: true });

for (const name of names) {
  const source = new URL(name, sources);
  const target = new URL(name.replace(/\.wat$/, ".wasm"), targets);
  let text;
  try {
    text = readFileSync(source, "utf8");
  } catch (err) {
    fail(`cannot read ${fileURLToPath(source)}: ${err.message}`);
  }

  let module;
  let binary;
  try {
    module = wabt.parseWat(name, text, FEATURES);
    module.resolveNames();
    // validate() takes the features too (not in wabt's typings): without them
    // it rejects the shared memory.
    module.validate(FEATURES);
    // Names are kept so that wasm frames in stack traces read $gemm_abt etc.
    binary = module.toBinary({ log: false, write_debug_names: true }).buffer;
  } catch (err) {
    fail(`${name} does not assemble: ${String(err.message ?? err).trim()}`);
  } finally {
    module?.destroy();
  }

  // wabt accepts what the spec allows; make sure this Node (no flags) does too.
  try {
    new WebAssembly.Module(binary);
  } catch (err) {
    fail(`Node rejects the assembled ${name}: ${err.message}`);
  }

  writeFileSync(target, binary);
  console.log(`build-wasm: ${fileURLToPath(target)} (${binary.length} bytes)`);
}
