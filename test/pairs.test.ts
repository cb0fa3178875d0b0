// The products over a sparse input (src/kernel/pairs.ts) against the dense
// products of the same kernel: the same bits, for every kernel and wasm
// variant, on inputs with zero pairs, lone nonzero halves, odd widths, -0 and
// NaN, blocks of wider matrices, every alpha/beta form of the update; the
// index itself against a direct count; and training on MNIST with and
// without the index.
import { describe, expect, test } from "vitest";
import { indexColumns, indexRows, pairsOf, type PairIndex } from "../src/kernel/pairs.js";
import { Rng } from "../src/network/rng.js";
import { loadMnist } from "../src/data/mnist.js";
import { Backprop, Workspace } from "../src/network/backprop.js";
import { COSTS } from "../src/network/costs.js";
import { Arena } from "../src/kernel/arena.js";
import { createWasmKernel, WIDE_UPDATE_TILES, wasmModule, wasmVariants } from "../src/kernel/wasm.js";
import { kernels, randomNetwork } from "./helpers.js";

/** (rows, cols) of sparse data: about `density` of the elements nonzero, some -0. */
function sparse(rng: Rng, length: number, density: number): number[] {
  return Array.from({ length }, () => {
    const u = rng.uniform();
    if (u < density) return rng.uniform() * 2 - 1;
    return u < density + (1 - density) / 8 ? -0 : 0;
  });
}

const SHAPES: [number, number, number][] = [
  // m, n (units), k (inputs)
  [1, 1, 1], [1, 4, 2], [3, 5, 7], [10, 30, 784], [7, 15, 33], [2, 9, 10], [13, 8, 17], [10, 100, 64], [5, 3, 6], [4, 11, 1],
  [3, 6, 9], [2, 7, 12], [6, 12, 40], // the forward product's tiles of 6 units: whole, and one left over
  [3, 10, 9], [4, 18, 20], [5, 27, 33], [2, 20, 6], // the update's tiles of 10 units: whole, and a last one shifted
];

// and the wasm update with the tiles another runtime takes (wasm.ts: WIDE_UPDATE_TILES), so each Node tests both
const otherTiles = wasmVariants().map((variant) => {
  const arena = new Arena();
  const name = `wasm ${variant}, update tiles of ${WIDE_UPDATE_TILES ? 8 : 10}`;
  return { name, kernel: createWasmKernel(arena.memory, wasmModule(variant), !WIDE_UPDATE_TILES), arena };
});

describe.each([...kernels(), ...otherTiles])("pairs, $name kernel", ({ kernel, arena }) => {
  test.each(SHAPES)("forward and update over sparse X equal the dense products: m %i, n %i, k %i", (m, n, k) => {
    const rng = new Rng(m * 1000 + n * 10 + k);
    for (const density of [0, 0.05, 0.2, 0.6, 1]) {
      const pad = 3; // X a block of a wider matrix
      const ldx = k + pad;
      const X = arena.f64(m * ldx);
      X.set(sparse(rng, m * ldx, density));
      const W = arena.f64(n * k);
      W.set(sparse(rng, n * k, 1));
      const kp = pairsOf(k);
      const rows: PairIndex = { list: arena.i32(m * Math.max(kp, 1)), count: arena.i32(m), stride: Math.max(kp, 1) };
      const cols: PairIndex = { list: arena.i32(Math.max(kp, 1) * m), count: arena.i32(Math.max(kp, 1)), stride: m };
      kernel.indexRows(0, m, k, X, 0, ldx, rows);
      kernel.indexColumns(0, kp >> 1, m, rows, cols);
      kernel.indexColumns(kp >> 1, kp, m, rows, cols); // in two blocks, as two threads build it
      // the kernel's index is the direct one's (pairs.ts)
      const direct: PairIndex = { list: new Int32Array(rows.list.length), count: new Int32Array(m), stride: rows.stride };
      const directCols: PairIndex = { list: new Int32Array(cols.list.length), count: new Int32Array(cols.count.length), stride: m };
      indexRows(0, m, k, X, 0, ldx, direct);
      indexColumns(0, kp, m, direct, directCols);
      for (const [got, want, n] of [[rows, direct, m], [cols, directCols, kp]] as const) {
        expect(got.count.subarray(0, n)).toEqual(want.count.subarray(0, n));
        for (let i = 0; i < n; i++) {
          const at = i * got.stride;
          expect(got.list.subarray(at, at + got.count[i])).toEqual(want.list.subarray(at, at + got.count[i]));
        }
      }

      // forward Z = X·Wᵀ, written into a block of a wider C
      const dense = arena.f64(m * (n + 2));
      const fromPairs = arena.f64(m * (n + 2));
      kernel.gemmABt(m, n, k, X, 0, ldx, W, 0, k, dense, 1, n + 2);
      kernel.gemmABtPairs(m, n, k, X, 0, ldx, rows, W, 0, k, fromPairs, 1, n + 2);
      expect(fromPairs).toEqual(dense);

      // update W = beta·W + alpha·Dᵀ·X for D (m, n)
      const D = arena.f64(m * n);
      D.set(sparse(rng, m * n, 1));
      for (const [alpha, beta] of [[-0.3, 1], [-0.3, 0.999], [1, 0], [0.5, 1], [-2, 0]]) {
        const W1 = arena.f64(n * k);
        const W2 = arena.f64(n * k);
        W1.set(W);
        W2.set(W);
        kernel.gemmAtB(n, k, m, alpha, D, 0, n, X, 0, ldx, beta, W1, 0, k);
        kernel.gemmAtBPairs(n, k, m, alpha, D, 0, n, X, 0, ldx, cols, beta, W2, 0, k);
        expect(W2).toEqual(W1);
      }
    }
  });

  test("a block of units computed alone equals the same units computed whole", () => {
    const [m, n, k] = [10, 30, 784];
    const rng = new Rng(5);
    const X = arena.f64(m * k);
    X.set(sparse(rng, m * k, 0.2));
    const D = arena.f64(m * n);
    D.set(sparse(rng, m * n, 1));
    const kp = pairsOf(k);
    const rows: PairIndex = { list: arena.i32(m * kp), count: arena.i32(m), stride: kp };
    const cols: PairIndex = { list: arena.i32(kp * m), count: arena.i32(kp), stride: m };
    kernel.indexRows(0, 4, k, X, 0, k, rows);
    kernel.indexRows(4, m, k, X, 0, k, rows); // two threads' rows
    kernel.indexColumns(0, 100, m, rows, cols);
    kernel.indexColumns(100, kp, m, rows, cols); // and their pairs
    const whole = arena.f64(n * k);
    const blocks = arena.f64(n * k);
    whole.set(sparse(rng, n * k, 1));
    blocks.set(whole);
    kernel.gemmAtBPairs(n, k, m, -0.3, D, 0, n, X, 0, k, cols, 0.99, whole, 0, k);
    for (const [r0, r1] of [[0, 11], [11, 12], [12, 30]]) {
      kernel.gemmAtBPairs(r1 - r0, k, m, -0.3, D, r0, n, X, 0, k, cols, 0.99, blocks, r0 * k, k);
    }
    expect(blocks).toEqual(whole);
  });

  test("NaN in X is not skipped: it reaches the outputs as in the dense product", () => {
    const [m, n, k] = [2, 5, 8];
    const X = arena.f64(m * k);
    X[3] = NaN;
    const W = arena.f64(n * k).fill(0.5);
    const rows: PairIndex = { list: arena.i32(m * 4), count: arena.i32(m), stride: 4 };
    kernel.indexRows(0, m, k, X, 0, k, rows);
    const Z = arena.f64(m * n);
    kernel.gemmABtPairs(m, n, k, X, 0, k, rows, W, 0, k, Z, 0, n);
    expect([...Z.subarray(0, n)].every(Number.isNaN)).toBe(true);
    expect([...Z.subarray(n)]).toEqual(new Array(n).fill(0));
  });
});

test("the index lists each row's nonzero pairs and each pair's rows, increasing", () => {
  const rng = new Rng(3);
  const [m, k] = [6, 21];
  const X = new Float64Array(m * k);
  X.set(sparse(rng, m * k, 0.3));
  const kp = pairsOf(k);
  const rows: PairIndex = { list: new Int32Array(m * kp), count: new Int32Array(m), stride: kp };
  const cols: PairIndex = { list: new Int32Array(kp * m), count: new Int32Array(kp), stride: m };
  indexRows(0, m, k, X, 0, k, rows);
  indexColumns(0, kp, m, rows, cols);
  for (let i = 0; i < m; i++) {
    const want = [...Array(kp).keys()].filter((q) => X[i * k + 2 * q] !== 0 || X[i * k + 2 * q + 1] !== 0);
    expect([...rows.list.subarray(i * kp, i * kp + rows.count[i])]).toEqual(want);
  }
  for (let q = 0; q < kp; q++) {
    const want = [...Array(m).keys()].filter((i) => X[i * k + 2 * q] !== 0 || X[i * k + 2 * q + 1] !== 0);
    expect([...cols.list.subarray(q * m, q * m + cols.count[q])]).toEqual(want);
  }
});

describe.each(kernels())("a first layer over MNIST, $name kernel", ({ kernel, arena }) => {
  test("trains to the same bits with and without the index, with L2 and without", async () => {
    const { train } = await loadMnist();
    const order = Uint32Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
    for (const decay of [1, 0.9995]) {
      const weights = [true, false].map((withIndex) => {
        const net = randomNetwork([784, 30, 10], arena, 9);
        const ws = new Workspace(net, 10, arena);
        if (!withIndex) delete ws.io[0].pairs;
        expect(ws.io[0].pairs !== undefined).toBe(withIndex);
        const bp = new Backprop(kernel, net, ws, COSTS["cross-entropy"]);
        bp.ctx.eta = 0.5;
        bp.ctx.decay = decay;
        for (let start = 0; start < 200; start += 10) bp.trainBatch(train, order, start, 10);
        return Float64Array.from(net.layers.flatMap((l) => [...l.weight, ...l.bias]));
      });
      expect(weights[0]).toEqual(weights[1]);
    }
  });
});
