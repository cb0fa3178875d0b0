// Assembles every hand-written WebAssembly kernel src/kernel/wasm/NAME.wat
// into dist/kernel/wasm/NAME.wasm with wabt (a devDependency: the published
// package ships the .wasm, not the assembler). Runs after tsc in `npm run build`.
//
// gemm.wat is assembled twice, into the two variants of the wasm kernel:
//   gemm.wasm      mul-add: gemm.wat as written
//   gemm-fma.wasm  fma: each accumulation step of gemm.wat,
//     (f64x2.add (local.get $acc) (f64x2.mul (local.get $x) (local.get $y))),
//     rewritten as (f64x2.relaxed_madd (local.get $x) (local.get $y) (local.get $acc))
// and each of the two carries a custom section "mnist-train.variant" naming
// its variant, so that a compiled module says which one it is (src/kernel/wasm.ts).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import wabtFactory from "wabt";

const sources = new URL("../src/kernel/wasm/", import.meta.url);
const targets = new URL("../dist/kernel/wasm/", import.meta.url);

// SIMD for f64x2, threads for the shared memory import, relaxed SIMD for the FMA.
const FEATURES = { simd: true, threads: true, relaxed_simd: true };

// The accumulation step, the only form gemm.wat writes it in (see its header).
const STEP = /\(f64x2\.add \(local\.get (\$\w+)\) \(f64x2\.mul \(local\.get (\$\w+)\) \(local\.get (\$\w+)\)\)\)/g;
const VARIANT_SECTION = "mnist-train.variant";

function fail(message) {
  console.error(`build-wasm: ${message}`);
  process.exit(1);
}

/** The binaries to write for one source: [file name, text, variant or undefined]. */
function builds(name, text) {
  const base = name.replace(/\.wat$/, "");
  if (name !== "gemm.wat") return [[`${base}.wasm`, text, undefined]];
  const steps = text.match(STEP)?.length ?? 0;
  if (steps === 0) fail("gemm.wat has no accumulation step to fuse (see its header)");
  console.log(`build-wasm: ${steps} accumulation steps of gemm.wat fused for the fma variant`);
  return [
    [`${base}.wasm`, text, "mul-add"],
    [`${base}-fma.wasm`, text.replace(STEP, "(f64x2.relaxed_madd (local.get $2) (local.get $3) (local.get $1))"), "fma"],
  ];
}

// A custom section (id 0): size, name, payload, sizes as unsigned LEB128.
function leb(n) {
  const out = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return out;
}
function withSection(binary, name, payload) {
  const body = [...leb(name.length), ...Buffer.from(name), ...Buffer.from(payload)];
  return Buffer.concat([Buffer.from(binary), Buffer.from([0, ...leb(body.length), ...body])]);
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
  let text;
  try {
    text = readFileSync(source, "utf8");
  } catch (err) {
    fail(`cannot read ${fileURLToPath(source)}: ${err.message}`);
  }

  for (const [file, wat, variant] of builds(name, text)) {
    const target = new URL(file, targets);
    let module;
    let binary;
    try {
      module = wabt.parseWat(name, wat, FEATURES);
      module.resolveNames();
      // validate() takes the features too (not in wabt's typings): without them
      // it rejects the shared memory.
      module.validate(FEATURES);
      // Names are kept so that wasm frames in stack traces read $gemm_abt etc.
      binary = module.toBinary({ log: false, write_debug_names: true }).buffer;
    } catch (err) {
      fail(`${file} does not assemble: ${String(err.message ?? err).trim()}`);
    } finally {
      module?.destroy();
    }
    if (variant) binary = withSection(binary, VARIANT_SECTION, variant);

    // wabt accepts what the spec allows; make sure this Node does too (the fma
    // variant with V8's flag where relaxed SIMD is not on by default: Node 20).
    if (variant === "fma" && !WebAssembly.validate(binary)) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    try {
      new WebAssembly.Module(binary);
    } catch (err) {
      fail(`Node rejects the assembled ${file}: ${err.message}`);
    }

    writeFileSync(target, binary);
    console.log(`build-wasm: ${fileURLToPath(target)} (${binary.length} bytes${variant ? `, ${variant}` : ""})`);
  }
}
