// The wasm kernel's activations against the TypeScript ones they stand in for,
// bit for bit: its exp against Math.exp (one value, and two pairs at a time
// through the vector path or the fallback), its sigmoid step against
// activations.ts's, and training with it against training without it.
import { describe, expect, test } from "vitest";
import { Arena } from "../src/kernel/arena.js";
import type { Kernel } from "../src/kernel/kernel.js";
import { createWasmKernel, wasmModule, wasmVariants } from "../src/kernel/wasm.js";
import { createWasmActivations } from "../src/kernel/wasm-activations.js";
import { sumRows } from "../src/kernel/elementwise.js";
import { sigmoid } from "../src/layers/activations.js";
import { parseLayers } from "../src/layers/spec.js";
import { Backprop, convKernelFor, Workspace } from "../src/network/backprop.js";
import { COSTS } from "../src/network/costs.js";
import { Network } from "../src/network/network.js";
import { Rng } from "../src/network/rng.js";
import { randomBatch, randomNetwork } from "./helpers.js";

// the edges of exp's cases: overflow, underflow, subnormal results, the reduction's ranges (ln2/2, 1.5·ln2), the
// vector path's range (708), tiny arguments, exp(1) (V8 returns e exactly), the non-finite
const EDGES = [
  0, -0, 1, -1, 0.5, -0.5, 0.3465735902799726, 0.34657359027997264, 0.3465735903, -0.3465735903, 1.0397207708399179,
  1.03972077084, -1.03972077084, 708, -708, 708.0000000001, -708.0000000001, 709.782712893384, 709.7827128933841, 709.79,
  -708.39641853226, -708.4, -720, -745.1332191019411, -745.1332191019412, -745.2, -1000, 1000, 2 ** -28, 2 ** -29,
  -(2 ** -29), 1e-300, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, NaN, Infinity, -Infinity,
  // by their bits: the top of 0x3fd62e42·· (above ln2/2 = 0x3fd62e42fefa39ef, yet fdlibm's k = 0 case), the bottom
  // of 0x3fd62e43··, and either side of 2^-28 (0x3e300000··, below which exp(x) is 1 + x)
  ...[0x3fd62e42ffffffffn, 0x3fd62e42fefa39f0n, 0x3fd62e4300000000n, 0x3e2fffffffffffffn, 0x3e30000000000001n].flatMap((bits) => {
    const x = new Float64Array(new BigUint64Array([bits]).buffer)[0];
    return [x, -x];
  }),
];

describe("the wasm exp", () => {
  const arena = new Arena();
  const wasm = createWasmActivations(arena.memory);
  const rng = new Rng(9);
  // x uniform in (-w/2, w/2) for widths from the reduction's ranges to beyond the overflow
  const samples = (count: number): number[] =>
    Array.from({ length: count }, (_, i) => (rng.uniform() - 0.5) * [1e-7, 0.7, 2.1, 30, 200, 1420, 1500][i % 7]);

  test("gives Math.exp's bits, one value at a time", () => {
    for (const x of [...EDGES, ...samples(300000)]) expect(Object.is(wasm.exp(x), Math.exp(x)), `exp(${x})`).toBe(true);
  });

  test("gives Math.exp's bits two pairs at a time, all four lanes in the vector path's range or any out of it", () => {
    const xs = [...EDGES, ...samples(200000)];
    const lanes = arena.f64(4);
    for (let i = 0; i < xs.length; i++) {
      // an edge with three others (edges and samples), or four samples of which now and then one is out of range
      const x = [0, 1, 2, 3].map((l) => (l === 0 ? xs[i] : i < EDGES.length ? xs[(i * 7 + 3 * l) % xs.length] : xs[(i * 31 + 17 * l) % xs.length]));
      wasm.exp4(x[0], x[1], x[2], x[3], lanes.byteOffset);
      for (let l = 0; l < 4; l++) expect(Object.is(lanes[l], Math.exp(x[l])), `exp4(${x.join(", ")}), lane ${l}`).toBe(true);
    }
  });
});

describe.each(wasmVariants())("the wasm %s kernel's sigmoid", (variant) => {
  const arena = new Arena();
  const kernel: Kernel = createWasmKernel(arena.memory, wasmModule(variant));
  const forward = kernel.activationForward?.("sigmoid");

  test("is the TypeScript step's, bit for bit: odd widths, a wider row stride, dropout's scale, extreme inputs", () => {
    expect(forward).toBeDefined();
    const rng = new Rng(4);
    const [m, ld] = [7, 40];
    const Z = arena.f64(m * ld + 3);
    const b = arena.f64(33);
    // widths: even and odd, with pairs and without
    for (const [n, s, spread] of [[33, 1, 20], [32, 0.5, 20], [1, 1, 2], [17, 1, 3000], [8, 0.7, 1e-8], [30, 1, 20], [7, 1, 20], [2, 1, 20]] as const) {
      for (let j = 0; j < n; j++) b[j] = rng.uniform() - 0.5;
      for (let i = 0; i < Z.length; i++) Z[i] = (rng.uniform() - 0.5) * spread;
      Z[3] = Number.NaN;
      Z[4] = Infinity;
      Z[5] = -1 - b[2]; // exp(1) exactly
      const want = Z.slice();
      forward!(m, n, Z, 3, ld, b, 0, s);
      sigmoid.forward(m, n, want, 3, ld, b, 0, s);
      for (let i = 0; i < Z.length; i++) expect(Object.is(Z[i], want[i]), `n ${n}, element ${i}: ${Z[i]} against ${want[i]}`).toBe(true);
    }
  });

  test("a contiguous column with one bias (a convolution's map) goes two rows at a time, with the same bits", () => {
    const rng = new Rng(8);
    const b = arena.f64(3);
    for (const [count, s, spread] of [[144, 1, 20], [25, 1, 3000], [1, 0.5, 4], [64, 1, 1e-9], [30, 1, 20], [3, 1, 20]] as const) {
      const Z = arena.f64(count + 1);
      for (let i = 0; i < Z.length; i++) Z[i] = (rng.uniform() - 0.5) * spread;
      b[1] = rng.uniform() - 0.5;
      Z[1] = -1 - b[1]; // exp(1) exactly
      const want = Z.slice();
      forward!(count, 1, Z, 1, 1, b, 1, s);
      sigmoid.forward(count, 1, want, 1, 1, b, 1, s);
      for (let i = 0; i < Z.length; i++) expect(Object.is(Z[i], want[i]), `count ${count}, element ${i}`).toBe(true);
    }
  });

  test("its backward step is the TypeScript step's, bit for bit: odd widths, row strides, edge values", () => {
    const backward = kernel.activationBackward?.("sigmoid");
    expect(backward).toBeDefined();
    const rng = new Rng(12);
    const [m, ldd, lda] = [6, 37, 41];
    const A = arena.f64(m * lda + 2);
    const D = arena.f64(m * ldd + 5);
    const edges = [0, -0, 1, -1, 0.5, Number.NaN, Infinity, -Infinity, 1e-300, 1 - 2 ** -53];
    for (const n of [33, 32, 1, 2, 7, 30]) {
      for (let i = 0; i < A.length; i++) A[i] = i % 5 === 0 ? edges[i % edges.length] : rng.uniform();
      for (let i = 0; i < D.length; i++) D[i] = i % 7 === 0 ? edges[(i * 3) % edges.length] : rng.uniform() - 0.5;
      const want = D.slice();
      backward!(m, n, D, 5, ldd, A, 2, lda);
      sigmoid.backward(m, n, want, 5, ldd, A, 2, lda);
      for (let i = 0; i < D.length; i++) expect(Object.is(D[i], want[i]), `n ${n}, element ${i}: ${D[i]} against ${want[i]}`).toBe(true);
    }
  });

  test("its quadratic cost's δᴸ after it is costs.ts's, bit for bit: blocks of rows and columns, odd widths, edge values", () => {
    const delta = kernel.outputDelta?.("quadratic", "sigmoid");
    expect(delta).toBeDefined();
    expect(kernel.outputDelta?.("cross-entropy", "sigmoid")).toBeUndefined(); // others keep costs.ts's loop
    const rng = new Rng(14);
    const m = 9;
    const labels = arena.u8(m);
    const edges = [0, -0, 1, 0.5, Number.NaN, 1 - 2 ** -53, 2 ** -1074];
    for (const [n, i0, i1, j0, j1] of [[10, 0, 9, 0, 10], [7, 0, 9, 0, 7], [10, 2, 5, 3, 8], [10, 0, 9, 5, 10], [1, 0, 9, 0, 1], [10, 4, 4, 0, 10]] as const) {
      const A = arena.f64(m * n);
      const D = arena.f64(m * n);
      for (let i = 0; i < A.length; i++) A[i] = i % 4 === 0 ? edges[i % edges.length] : rng.uniform();
      for (let i = 0; i < m; i++) labels[i] = rng.below(n);
      D.fill(7);
      const want = D.slice();
      delta!(i0, i1, j0, j1, n, A, labels, D);
      COSTS.quadratic.delta(i0, i1, j0, j1, n, A, labels, want, sigmoid);
      for (let i = 0; i < D.length; i++) expect(Object.is(D[i], want[i]), `n ${n}, block ${i0}-${i1} × ${j0}-${j1}, element ${i}`).toBe(true);
    }
  });

  test("its column sums (BP3) are the TypeScript sumRows's, bit for bit: every alpha/beta form, -0, NaN, no rows", () => {
    const bp3 = kernel.sumRows;
    expect(bp3).toBeDefined();
    const rng = new Rng(13);
    const ld = 23;
    const D = arena.f64(12 * ld + 3);
    const v = arena.f64(24);
    for (const [m, n] of [[10, 21], [10, 20], [1, 1], [3, 2], [0, 5], [12, 7]] as const) {
      for (const [alpha, beta] of [[-0.3, 1], [1, 0], [0.5, 0.99], [-2, 0]] as const) {
        for (let i = 0; i < D.length; i++) D[i] = i % 11 === 0 ? -0 : (rng.uniform() - 0.5) * 10;
        D[3 + ld + 4] = Number.NaN;
        for (let j = 0; j < v.length; j++) v[j] = beta === 0 && j % 3 === 0 ? Number.NaN : rng.uniform(); // beta = 0: not read
        const want = v.slice();
        bp3!(m, n, alpha, D, 3, ld, beta, v, 2);
        sumRows(m, n, alpha, D, 3, ld, beta, want, 2);
        for (let j = 0; j < v.length; j++) expect(Object.is(v[j], want[j]), `m ${m}, n ${n}, alpha ${alpha}, beta ${beta}, v[${j}]`).toBe(true);
      }
    }
  });

  test.each([
    ["784-20-10 (fully connected)", () => randomNetwork([784, 20, 10], arena, 6), COSTS.quadratic],
    ["a sigmoid conv-pool layer, fc, softmax", () => {
      const net = new Network({ inputs: 784, shape: { C: 1, H: 28, W: 28 }, layers: parseLayers("conv:4:5x5:pool=2:sigmoid,fc:10:sigmoid,softmax:10") }, arena);
      net.initialise("network3", new Rng(6));
      return net;
    }, COSTS["log-likelihood"]],
  ] as const)("training %s with its steps gives the weights of training with the TypeScript steps", (_name, make, cost) => {
    const withoutIt: Kernel = { ...kernel, activationForward: undefined, activationBackward: undefined, outputDelta: undefined, sumRows: undefined };
    const train = (k: Kernel) => {
      const net = make();
      const ws = new Workspace(net, 10, arena);
      const bp = new Backprop(k, net, ws, cost, 0, convKernelFor(net, k, arena.memory));
      Object.assign(bp.ctx, { eta: 0.5, decay: 1 });
      for (let batch = 0; batch < 10; batch++) {
        randomBatch(ws.input, ws.labels, 10, 10, batch);
        bp.run([...bp.forward, ...bp.backward, ...bp.update], 10);
      }
      return net;
    };
    const [a, b] = [train(kernel), train(withoutIt)];
    a.layers.forEach((l, i) => {
      expect(l.weight).toEqual(b.layers[i].weight);
      expect(l.bias).toEqual(b.layers[i].bias);
    });
  });
});
