// The convolution and pooling kernels (src/kernel/conv*.ts) against the naive
// reference on odd sizes, filter and channel ranges against the whole (bit for
// bit, the invariant threads rely on), and the gradients against central
// differences of the forward pass. The wasm kernel needs dist/kernel/wasm/*.wasm,
// which `npm test` builds first.
import { describe, expect, test } from "vitest";
import { Arena } from "../src/kernel/arena.js";
import { convOut, jsConv, poolOut, type ConvKernel, type ConvShape, type PoolShape } from "../src/kernel/conv.js";
import { loweredConv } from "../src/kernel/conv-lowered.js";
import { referenceConv } from "../src/kernel/conv-reference.js";
import { jsKernel } from "../src/kernel/js.js";
import { createWasmKernel, wasmModule } from "../src/kernel/wasm.js";
import { createWasmConv, wasmConvModule } from "../src/kernel/wasm-conv.js";
import { createConvKernel } from "../src/kernel/conv-choice.js";
import { Rng } from "../src/network/rng.js";
import { maxRelError } from "./helpers.js";

const arena = new Arena();
const wasmGemm = createWasmKernel(arena.memory);
const KERNELS: [string, ConvKernel][] = [
  ["js direct", jsConv],
  ["js lowered", loweredConv(jsKernel)],
  ["wasm direct", createWasmConv(arena.memory, wasmConvModule(), wasmGemm)],
  ["wasm lowered", loweredConv(wasmGemm)],
  ["chosen wasm", createConvKernel("wasm", arena.memory, wasmGemm)],
  ["chosen js", createConvKernel("js", arena.memory, jsKernel)],
];

/** Uniform [0, 1) draws from the project's seeded generator. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.uniform();
}

// Every other array starts 8 bytes past a 16-byte boundary, so the wasm
// kernel's vector loads and stores meet both alignments.
let skew = 0;

/** A view of the shared memory filled with uniform [-1, 1) (wasm reads only the Arena). */
function random(n: number, next: () => number): Float64Array {
  skew ^= 1;
  const a = arena.f64(n + 1).subarray(skew, skew + n);
  for (let t = 0; t < n; t++) a[t] = 2 * next() - 1;
  return a;
}

function copyOf(a: Float64Array): Float64Array {
  const b = arena.f64(a.length);
  b.set(a);
  return b;
}

interface Conv { s: ConvShape; X: Float64Array; K: Float64Array; dZ: Float64Array; OH: number; OW: number }

function conv(s: ConvShape, seed: number): Conv {
  const next = rng(seed);
  const { OH, OW } = convOut(s);
  return { s, OH, OW, X: random(s.m * s.C * s.H * s.W, next), K: random(s.F * s.C * s.kh * s.kw, next), dZ: random(s.m * s.F * OH * OW, next) };
}

// Odd sizes, off every tile width; the book's two layers at mini-batch 10; widths of 1.
const SHAPES: ConvShape[] = [
  { m: 3, C: 3, H: 11, W: 9, F: 5, kh: 4, kw: 3 },
  { m: 2, C: 2, H: 7, W: 13, F: 3, kh: 2, kw: 5 },
  { m: 1, C: 1, H: 5, W: 5, F: 1, kh: 5, kw: 5 },
  { m: 2, C: 4, H: 6, W: 10, F: 7, kh: 1, kw: 1 },
  { m: 3, C: 2, H: 9, W: 4, F: 4, kh: 3, kw: 4 },
  { m: 10, C: 1, H: 28, W: 28, F: 20, kh: 5, kw: 5 },
  { m: 10, C: 20, H: 12, W: 12, F: 40, kh: 5, kw: 5 },
];

const TOL = 1e-12;
const name = (s: ConvShape): string => `m ${s.m} C ${s.C} ${s.H}x${s.W} F ${s.F} ${s.kh}x${s.kw}`;

describe.each(KERNELS)("%s", (_name, kernel) => {
  const work = (s: ConvShape): Float64Array => arena.f64(kernel.workspace(s));

  test("forward, weight gradient and input gradient equal the reference on odd sizes", () => {
    SHAPES.forEach((s, n) => {
      const { X, K, dZ, OH, OW } = conv(s, 10 + n);
      const w = work(s);
      const Z = arena.f64(s.m * s.F * OH * OW), Zref = arena.f64(Z.length);
      Z.fill(NaN);
      kernel.convForward(s, X, K, Z, 0, s.F, w);
      referenceConv.convForward(s, X, K, Zref, 0, s.F, w);
      expect(maxRelError(Z, Zref), `forward ${name(s)}`).toBeLessThanOrEqual(TOL);

      // a plain gradient over NaN (beta 0 must not read dK), and two in-place updates
      for (const [alpha, beta] of [[1, 0], [-0.3, 1], [-0.01, 0.999]] as const) {
        const dK = random(K.length, rng(n));
        if (beta === 0) dK.fill(NaN);
        const dKref = copyOf(dK);
        kernel.convWeightGrad(s, dZ, X, alpha, beta, dK, 0, s.F, w);
        referenceConv.convWeightGrad(s, dZ, X, alpha, beta, dKref, 0, s.F, w);
        expect(maxRelError(dK, dKref), `weight grad ${name(s)} alpha ${alpha} beta ${beta}`).toBeLessThanOrEqual(TOL);
      }

      const dX = arena.f64(X.length).fill(NaN), dXref = arena.f64(X.length);
      kernel.convInputGrad(s, dZ, K, dX, 0, s.C, w);
      referenceConv.convInputGrad(s, dZ, K, dXref, 0, s.C, w);
      expect(maxRelError(dX, dXref), `input grad ${name(s)}`).toBeLessThanOrEqual(TOL);
    });
  });

  test("filter and channel ranges give the same bits as the whole, and touch nothing else", () => {
    for (const s of [SHAPES[0]!, SHAPES[1]!, SHAPES[6]!]) {
      const { X, K, dZ } = conv(s, 99);
      const w = work(s);
      const sentinel = (n: number): Float64Array => arena.f64(n).fill(-7.5);
      const Zw = sentinel(dZ.length), dKw = random(K.length, rng(5)), dXw = sentinel(X.length);
      const dK0 = dKw.slice();
      kernel.convForward(s, X, K, Zw, 0, s.F, w);
      kernel.convWeightGrad(s, dZ, X, -0.05, 0.99, dKw, 0, s.F, w);
      kernel.convInputGrad(s, dZ, K, dXw, 0, s.C, w);
      // 1, 2 and 3 threads' shares, and lopsided ones
      for (const cuts of [[1], [2], [3], [1, 3], [2, 4], [1, 2, 3]]) {
        const Z = sentinel(dZ.length), dK = copyOf(dK0), dX = sentinel(X.length);
        for (const [a, b] of ranges(s.F, cuts)) {
          kernel.convForward(s, X, K, Z, a, b, w);
          kernel.convWeightGrad(s, dZ, X, -0.05, 0.99, dK, a, b, w);
        }
        for (const [a, b] of ranges(s.C, cuts)) kernel.convInputGrad(s, dZ, K, dX, a, b, w);
        expect(Array.from(Z), `forward ${name(s)} cut at ${cuts}`).toEqual(Array.from(Zw));
        expect(Array.from(dK), `weight grad ${name(s)} cut at ${cuts}`).toEqual(Array.from(dKw));
        expect(Array.from(dX), `input grad ${name(s)} cut at ${cuts}`).toEqual(Array.from(dXw));
      }
    }
  });

  test("max-pooling equals the reference, borders ignored, ties to the first, by filter ranges", () => {
    const shapes: PoolShape[] = [
      { m: 3, F: 5, OH: 8, OW: 6, p: 2 }, { m: 2, F: 3, OH: 9, OW: 7, p: 2 },
      { m: 2, F: 4, OH: 11, OW: 10, p: 3 }, { m: 1, F: 2, OH: 5, OW: 5, p: 1 }, { m: 10, F: 20, OH: 24, OW: 24, p: 2 },
    ];
    shapes.forEach((s, n) => {
      const next = rng(200 + n);
      const { PH, PW } = poolOut(s);
      const Z = random(s.m * s.F * s.OH * s.OW, next);
      // coarse values make ties in many windows
      for (let t = 0; t < Z.length; t += 2) Z[t] = Math.round(Z[t]! * 2) / 2;
      const dP = random(s.m * s.F * PH * PW, next);
      const P = arena.f64(dP.length).fill(NaN), arg = arena.u8(dP.length);
      const Pref = arena.f64(dP.length), argRef = arena.u8(dP.length);
      referenceConv.maxPoolForward(s, Z, Pref, argRef, 0, s.F);
      const dZref = arena.f64(Z.length);
      referenceConv.maxPoolBackward(s, dP, argRef, dZref, 0, s.F);
      for (const cuts of [[], [1], [2, 3]]) {
        const dZ = arena.f64(Z.length).fill(NaN);
        for (const [a, b] of ranges(s.F, cuts)) {
          kernel.maxPoolForward(s, Z, P, arg, a, b);
          kernel.maxPoolBackward(s, dP, arg, dZ, a, b);
        }
        expect(Array.from(P), `pool ${s.OH}x${s.OW} p ${s.p}`).toEqual(Array.from(Pref));
        expect(Array.from(arg)).toEqual(Array.from(argRef));
        expect(Array.from(dZ)).toEqual(Array.from(dZref));
      }
    });
  });
});

/** [0, F) cut at the given points (those inside it). */
function ranges(F: number, cuts: number[]): [number, number][] {
  const at = [0, ...cuts.filter((c) => c > 0 && c < F), F];
  return at.slice(1).map((b, j) => [at[j]!, b]);
}

test("the reference pools by hand: borders ignored, ties to the first in row-major order", () => {
  // one 3x5 map, 2x2 windows: the last row and column are border
  const s: PoolShape = { m: 1, F: 1, OH: 3, OW: 5, p: 2 };
  const Z = Float64Array.from([
    1, 4, 2, 2, 9,
    3, 4, 2, 0, 9,
    9, 9, 9, 9, 9,
  ]);
  const P = new Float64Array(2), arg = new Uint8Array(2), dZ = new Float64Array(15).fill(NaN);
  referenceConv.maxPoolForward(s, Z, P, arg, 0, 1);
  expect(Array.from(P)).toEqual([4, 2]);
  expect(Array.from(arg)).toEqual([1, 0]); // 4 at (0, 1) before (1, 1); 2 at (0, 0) before (0, 1) and (1, 0)
  referenceConv.maxPoolBackward(s, Float64Array.from([10, 20]), arg, dZ, 0, 1);
  expect(Array.from(dZ)).toEqual([0, 10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test("the reference convolves by hand", () => {
  // one 3x3 input, one 2x2 filter: valid output 2x2, no flip
  const s: ConvShape = { m: 1, C: 1, H: 3, W: 3, F: 1, kh: 2, kw: 2 };
  const X = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const K = Float64Array.from([1, 0, 0, -1]);
  const Z = new Float64Array(4);
  referenceConv.convForward(s, X, K, Z, 0, 1, Z);
  expect(Array.from(Z)).toEqual([1 - 5, 2 - 6, 4 - 8, 5 - 9]);
});

// --- gradient checks -------------------------------------------------------
// L = Σ R ⊙ tanh(maxpool(conv(X, K)) + b), R fixed and random: a conv-pool
// layer as network3.py builds it, with a nonlinearity so the check is not of a
// linear map against itself. Backward as the layer will chain it: dA, the bias
// gradient as a sum of dA, the pool backward, the two conv gradients.
describe.each(KERNELS)("%s gradients against central differences", (_name, kernel) => {
  const s: ConvShape = { m: 2, C: 3, H: 9, W: 8, F: 4, kh: 3, kw: 2 };
  const { OH, OW } = convOut(s);
  const ps: PoolShape = { m: s.m, F: s.F, OH, OW, p: 2 }; // OH 7: the last row is border
  const { PH, PW } = poolOut(ps);
  const next = rng(4242);
  const { X, K } = conv(s, 4243);
  const b = random(s.F, next);
  const R = random(s.m * s.F * PH * PW, next);
  const w = arena.f64(kernel.workspace(s));
  const Z = arena.f64(s.m * s.F * OH * OW), P = arena.f64(R.length), arg = arena.u8(R.length);

  function loss(): number {
    kernel.convForward(s, X, K, Z, 0, s.F, w);
    return lossFromZ(Z);
  }

  function lossFromZ(z: Float64Array): number {
    kernel.maxPoolForward(ps, z, P, arg, 0, s.F);
    let L = 0;
    for (let t = 0; t < P.length; t++) L += R[t]! * Math.tanh(P[t]! + b[Math.floor(t / (PH * PW)) % s.F]!);
    return L;
  }

  loss();
  const dA = arena.f64(R.length), db = new Float64Array(s.F);
  for (let t = 0; t < P.length; t++) {
    const f = Math.floor(t / (PH * PW)) % s.F;
    const a = Math.tanh(P[t]! + b[f]!);
    dA[t] = R[t]! * (1 - a * a);
    db[f] += dA[t]!;
  }
  const dZ = arena.f64(Z.length), dK = arena.f64(K.length), dX = arena.f64(X.length);
  kernel.maxPoolBackward(ps, dA, arg, dZ, 0, s.F);
  kernel.convWeightGrad(s, dZ, X, 1, 0, dK, 0, s.F, w);
  kernel.convInputGrad(s, dZ, K, dX, 0, s.C, w);

  /** Central difference of f in v[t]. */
  function numeric(v: Float64Array, t: number, f: () => number): number {
    const h = 1e-5, keep = v[t]!;
    v[t] = keep + h;
    const up = f();
    v[t] = keep - h;
    const down = f();
    v[t] = keep;
    return (up - down) / (2 * h);
  }

  function check(what: string, v: Float64Array, grad: ArrayLike<number>, f = loss): void {
    let nonzero = 0;
    for (let t = 0; t < v.length; t++) {
      const g = numeric(v, t, f);
      if (g !== 0) nonzero++;
      expect(Math.abs(grad[t]! - g), `${what}[${t}]: ${grad[t]} vs ${g}`).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(g)));
    }
    expect(nonzero, `${what}: some gradients are not zero`).toBeGreaterThan(v.length / 8);
  }

  test("conv weights", () => check("dK", K, dK));
  test("biases (a sum of the pooled deltas)", () => check("db", b, db));
  test("conv input", () => check("dX", X, dX));
  // the loss from Z itself: a quarter of Z wins its window, the border and the losers get 0
  test("max-pool (with respect to the conv output)", () => {
    const z = copyOf(Z);
    check("dZ", z, dZ, () => lossFromZ(z));
  });
});

// Threads as the layer will run them: a worker instantiates conv.wasm on the
// same shared memory and computes its block of filters (and of channels) in
// place, while the main thread does the rest; the result equals one thread's.
test("a worker thread on the shared memory computes its filters and channels, bit-identical to one thread", async () => {
  const { Worker } = await import("node:worker_threads");
  const s = SHAPES[6]!; // the book's second conv layer
  const { X, K, dZ } = conv(s, 77);
  const kernel = createWasmConv(arena.memory, wasmConvModule(), wasmGemm);
  const whole = { Z: arena.f64(dZ.length), dK: copyOf(K), dX: arena.f64(X.length) };
  const w = arena.f64(kernel.workspace(s)), w1 = arena.f64(kernel.workspace(s));
  kernel.convForward(s, X, K, whole.Z, 0, s.F, w);
  kernel.convWeightGrad(s, dZ, X, -0.1, 0.999, whole.dK, 0, s.F, w);
  kernel.convInputGrad(s, dZ, K, whole.dX, 0, s.C, w);

  const split = { Z: arena.f64(dZ.length), dK: copyOf(K), dX: arena.f64(X.length) };
  const at = (a: Float64Array): [number, number] => [a.byteOffset, a.length];
  const views = { X: at(X), K: at(K), dZ: at(dZ), Z: at(split.Z), dK: at(split.dK), dX: at(split.dX), work: at(w1) };
  const worker = new Worker(`
    const { workerData, parentPort } = require("node:worker_threads");
    const { memory, module, gemmModule, s, views, f, c } = workerData;
    const v = (name) => new Float64Array(memory.buffer, views[name][0], views[name][1]);
    Promise.all([import(${JSON.stringify(new URL("../dist/kernel/wasm-conv.js", import.meta.url).href)}),
                 import(${JSON.stringify(new URL("../dist/kernel/wasm.js", import.meta.url).href)})]).then(([conv, gemm]) => {
      const k = conv.createWasmConv(memory, module, gemm.createWasmKernel(memory, gemmModule));
      k.convForward(s, v("X"), v("K"), v("Z"), f[0], f[1], v("work"));
      k.convWeightGrad(s, v("dZ"), v("X"), -0.1, 0.999, v("dK"), f[0], f[1], v("work"));
      k.convInputGrad(s, v("dZ"), v("K"), v("dX"), c[0], c[1], v("work"));
      parentPort.postMessage("done");
    });`, {
    eval: true,
    workerData: { memory: arena.memory, module: wasmConvModule(), gemmModule: wasmModule(), s, views, f: [13, s.F], c: [7, s.C] },
  });
  const done = new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
  kernel.convForward(s, X, K, split.Z, 0, 13, w);
  kernel.convWeightGrad(s, dZ, X, -0.1, 0.999, split.dK, 0, 13, w);
  kernel.convInputGrad(s, dZ, K, split.dX, 0, 7, w);
  await done;
  await worker.terminate();
  expect(Array.from(split.Z)).toEqual(Array.from(whole.Z));
  expect(Array.from(split.dK)).toEqual(Array.from(whole.dK));
  expect(Array.from(split.dX)).toEqual(Array.from(whole.dX));
});
