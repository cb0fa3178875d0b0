// The convolution kernels side by side at the book's shapes (network3.py,
// mini-batch 10, one thread): direct loops against the im2col lowering onto
// the matrix products, in TypeScript and in WebAssembly. Every round runs each
// variant of an operation in turn for about `--seconds`, so drift on a shared
// machine hits them alike; the median over rounds is printed, as examples per
// second and GFLOP/s (2 flops per multiply-add of the direct definition); then
// the 2x2 max-pooling of the layer's output, forward and backward.
// "wasm direct" is wasm-conv.ts as it is: its input gradient is the wasm gemm
// with conv.wat's col2im ("wasm lowered": with the TypeScript col2im).
// conv-choice.ts keeps the faster variant per operation; its comment quotes
// these figures.
//
//   npm run build && node scripts/bench-conv.mjs [--rounds 7] [--seconds 0.2] [--json]
import { parseArgs } from "node:util";
import { Arena } from "../dist/kernel/arena.js";
import { jsConv, convOut } from "../dist/kernel/conv.js";
import { loweredConv } from "../dist/kernel/conv-lowered.js";
import { jsKernel } from "../dist/kernel/js.js";
import { createWasmKernel } from "../dist/kernel/wasm.js";
import { createWasmConv, wasmConvModule } from "../dist/kernel/wasm-conv.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    seconds: { type: "string", default: "0.2" },
    json: { type: "boolean", default: false },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);

const LAYERS = [
  { name: "conv 20 5x5 on 28x28x1", s: { m: 10, C: 1, H: 28, W: 28, F: 20, kh: 5, kw: 5 } },
  { name: "conv 40 5x5 on 12x12x20", s: { m: 10, C: 20, H: 12, W: 12, F: 40, kh: 5, kw: 5 } },
];

const arena = new Arena();
const wasmGemm = createWasmKernel(arena.memory);
const VARIANTS = [
  ["js direct", jsConv],
  ["js lowered", loweredConv(jsKernel)],
  ["wasm direct", createWasmConv(arena.memory, wasmConvModule(), wasmGemm)],
  ["wasm lowered", loweredConv(wasmGemm)],
];

function filled(n, seed) {
  const a = arena.f64(n);
  let x = seed;
  for (let t = 0; t < n; t++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[t] = x / 1073741824 - 1;
  }
  return a;
}

/** Calls per second of f, timed over about `seconds`. */
function rate(f, seconds) {
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let r = 0; r < 10; r++) f();
    calls += 10;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < seconds);
  return calls / elapsed;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = [];
for (const { name, s } of LAYERS) {
  const { OH, OW } = convOut(s);
  const X = filled(s.m * s.C * s.H * s.W, 1), K = filled(s.F * s.C * s.kh * s.kw, 2);
  const dZ = filled(s.m * s.F * OH * OW, 3), Z = arena.f64(dZ.length), dK = arena.f64(K.length), dX = arena.f64(X.length);
  const flops = 2 * s.m * s.F * OH * OW * s.C * s.kh * s.kw;
  const ops = {
    forward: (k, w) => () => k.convForward(s, X, K, Z, 0, s.F, w),
    "weight grad": (k, w) => () => k.convWeightGrad(s, dZ, X, -0.01, 0.999, dK, 0, s.F, w),
    "input grad": (k, w) => () => k.convInputGrad(s, dZ, K, dX, 0, s.C, w),
  };
  // 2x2 max-pooling of Z and its backward pass: memory moves, no multiply-adds (GFLOP/s 0)
  const ps = { m: s.m, F: s.F, OH, OW, p: 2 };
  const P = arena.f64(dZ.length / 4), arg = arena.u8(P.length);
  const pools = {
    "pool fwd": (k) => () => k.maxPoolForward(ps, dZ, P, arg, 0, s.F),
    "pool bwd": (k) => () => k.maxPoolBackward(ps, P, arg, Z, 0, s.F),
  };
  const cases = [
    ...Object.entries(ops).map(([op, make]) => [op, make, flops]),
    ...Object.entries(pools).map(([op, make]) => [op, make, 0]),
  ];
  for (const [op, make, flops] of cases) {
    // pooling has no lowered form
    const skip = (v) => op.startsWith("pool") && v.endsWith("lowered");
    const runs = VARIANTS.filter(([v]) => !skip(v)).map(([variant, k]) => ({ variant, f: make(k, arena.f64(k.workspace(s))), rates: [] }));
    for (const r of runs) rate(r.f, SECONDS); // warm-up: the optimising tiers
    for (let round = 0; round < ROUNDS; round++) for (const r of runs) r.rates.push(rate(r.f, SECONDS));
    for (const r of runs) {
      const perSecond = median(r.rates);
      results.push({ layer: name, op, variant: r.variant, examplesPerSecond: perSecond * s.m, gflops: (perSecond * flops) / 1e9 });
    }
  }
}

if (values.json) for (const r of results) console.log(JSON.stringify(r));
else {
  console.log(`median of ${ROUNDS} interleaved rounds of ${SECONDS} s, mini-batch 10, one thread, Node ${process.versions.node}`);
  console.log(`${"layer".padEnd(26)}${"operation".padEnd(13)}${"variant".padEnd(14)}${"examples/s".padStart(12)}${"GFLOP/s".padStart(9)}`);
  for (const r of results) {
    console.log(`${r.layer.padEnd(26)}${r.op.padEnd(13)}${r.variant.padEnd(14)}${Math.round(r.examplesPerSecond).toString().padStart(12)}${r.gflops.toFixed(2).padStart(9)}`);
  }
}
