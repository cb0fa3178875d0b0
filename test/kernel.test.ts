// The tuned kernels (WebAssembly SIMD and TypeScript) against the naive
// reference: many shapes on and off the tile sizes, blocks of wider matrices,
// the alpha/beta variants of the weight update, and the invariant threads
// rely on (a block of C computed alone equals the same block computed whole,
// bit for bit), for each variant of the wasm kernel this runtime runs (fma
// needs relaxed SIMD and FMA hardware). The wasm kernel needs
// dist/kernel/wasm/gemm*.wasm, which `npm test` builds first.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { Arena } from "../src/kernel/arena.js";
import { jsKernel } from "../src/kernel/js.js";
import type { Kernel } from "../src/kernel/kernel.js";
import { referenceKernel } from "../src/kernel/reference.js";
import { createWasmKernel, variantOf, wasmModule, wasmVariants } from "../src/kernel/wasm.js";

const arena = new Arena();
const KERNELS: [string, Kernel][] = [
  ...wasmVariants().map((v): [string, Kernel] => [`wasm ${v}`, createWasmKernel(arena.memory, wasmModule(v))]),
  ["js", jsKernel],
];

// Three operand regions in the shared memory, one per role, reused by every
// case. A case's matrices start `skew` elements in, so byte addresses that are
// 8 but not 16-aligned get exercised too.
const REGION = 1 << 20;
const regions = { A: arena.f64(REGION + 1), B: arena.f64(REGION + 1), C: arena.f64(REGION + 1) };

// mulberry32: small, seeded, good enough for test data.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Product = "ABt" | "AB" | "AtB";

// Rows and columns of A, B, C for a product of shape (m, n, k).
function dims(op: Product, m: number, n: number, k: number): { A: [number, number]; B: [number, number] } {
  switch (op) {
    case "ABt": return { A: [m, k], B: [n, k] };
    case "AB": return { A: [m, k], B: [k, n] };
    case "AtB": return { A: [k, m], B: [k, n] };
  }
}

// Where a matrix sits: element (i, j) at off + i*ld + j of its array, with
// ld = cols + pad; the array is its region viewed from element `skew`.
interface Layout { off: number; pad: number; skew: number }
const TIGHT: Layout = { off: 0, pad: 0, skew: 0 };
const LAYOUTS: Layout[] = [
  TIGHT,
  { off: 3, pad: 5, skew: 1 }, // block of a wider matrix, 8-byte aligned
  { off: 6, pad: 2, skew: 0 }, // block of a wider matrix, 16-byte aligned
];

interface Operand { array: Float64Array; off: number; ld: number; span: number }

function place(role: "A" | "B" | "C", rows: number, cols: number, layout: Layout): Operand {
  const ld = cols + layout.pad;
  const span = layout.off + (rows + 1) * ld + 3; // a row and a bit past the block too
  const array = regions[role].subarray(layout.skew, layout.skew + span);
  if (span > REGION) throw new Error(`test matrix too large: ${span}`);
  return { array, off: layout.off, ld, span };
}

function fill(x: Operand, next: () => number): void {
  for (let t = 0; t < x.span; t++) x.array[t] = 2 * next() - 1;
}

function inBlock(x: Operand, rows: number, cols: number, t: number): boolean {
  const r = Math.floor((t - x.off) / x.ld);
  const col = t - x.off - r * x.ld;
  return t >= x.off && r < rows && col < cols;
}

function run(
  kernel: Kernel, op: Product, m: number, n: number, k: number,
  A: Operand, B: Operand, C: Operand, alpha: number, beta: number,
): void {
  switch (op) {
    case "ABt":
      kernel.gemmABt(m, n, k, A.array, A.off, A.ld, B.array, B.off, B.ld, C.array, C.off, C.ld);
      break;
    case "AB":
      kernel.gemmAB(m, n, k, A.array, A.off, A.ld, B.array, B.off, B.ld, C.array, C.off, C.ld);
      break;
    case "AtB":
      kernel.gemmAtB(m, n, k, alpha, A.array, A.off, A.ld, B.array, B.off, B.ld, beta, C.array, C.off, C.ld);
      break;
  }
}

const copy = (x: Operand): Operand => ({ ...x, array: x.array.slice() });

/** Runs one case and returns the max relative error vs the reference;
 * fails on the spot if anything outside C's block (or in A or B) changed. */
function maxError(
  kernel: Kernel, op: Product, m: number, n: number, k: number,
  layouts: [Layout, Layout, Layout], alpha = 1, beta = 0, nanC = false, seed = 1,
): number {
  const next = rng(seed * 7919 + m * 131 + n * 31 + k);
  const d = dims(op, m, n, k);
  const A = place("A", d.A[0], d.A[1], layouts[0]);
  const B = place("B", d.B[0], d.B[1], layouts[1]);
  const C = place("C", m, n, layouts[2]);
  fill(A, next);
  fill(B, next);
  fill(C, next);
  if (nanC) for (let t = 0; t < C.span; t++) if (inBlock(C, m, n, t)) C.array[t] = NaN;
  const A0 = copy(A), B0 = copy(B), C0 = copy(C), Cref = copy(C);
  run(referenceKernel, op, m, n, k, A0, B0, Cref, alpha, beta);
  run(kernel, op, m, n, k, A, B, C, alpha, beta);
  const where = `${kernel.name} ${kernel.variant} ${op} (${m}, ${n}, ${k})`;
  for (let t = 0; t < A.span; t++) if (!Object.is(A.array[t], A0.array[t])) expect.fail(`${where}: A changed at ${t}`);
  for (let t = 0; t < B.span; t++) if (!Object.is(B.array[t], B0.array[t])) expect.fail(`${where}: B changed at ${t}`);
  let worst = 0;
  for (let t = 0; t < C.span; t++) {
    if (inBlock(C, m, n, t)) {
      const x = C.array[t], y = Cref.array[t];
      const e = Math.abs(x - y) / Math.max(1, Math.abs(y));
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    } else if (!Object.is(C.array[t], C0.array[t])) {
      expect.fail(`${where}: C changed outside the block at ${t}`);
    }
  }
  return worst;
}

const TOL = 1e-12;
const PRODUCTS: Product[] = ["ABt", "AB", "AtB"];
// alpha, beta, C filled with NaN: the plain product, an update, a decayed update
const UPDATES: [number, number, boolean][] = [[1, 0, true], [-0.3, 1, false], [0.05, 0.99, false]];

const SMALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13];
const SHAPES: [number, number, number][] = [
  [10, 30, 784], [100, 100, 784], [10, 10, 30], [13, 7, 785], [1, 1, 1],
  [100, 30, 784], [10, 100, 30], [100, 10, 100], [30, 784, 10], [100, 784, 100],
  [10, 784, 30], [500, 30, 784], [31, 31, 31], [30, 31, 10], [784, 3, 5],
  [3, 784, 7], [1, 784, 1], [784, 1, 13], [2, 31, 784], [5, 13, 784],
  [7, 8, 31], [8, 5, 784], [13, 30, 2], [1, 30, 784], [10, 1, 784], [31, 10, 3],
  // large B: the wasm AtB goes by column panels, with a narrow last panel folded in (243, 241, 123) or not (125)
  [7, 243, 100], [5, 241, 100], [3, 125, 100], [3, 123, 100], [4, 30, 1000],
];

describe.each(KERNELS)("%s kernel", (_name, kernel) => {
  test.each(PRODUCTS)("%s matches the reference on all small shapes and layouts", (op) => {
    let worst = 0;
    let seed = 0;
    for (const m of SMALL) for (const n of SMALL) for (const k of SMALL) {
      for (const layout of [LAYOUTS[seed % 3], LAYOUTS[(seed + 1) % 3]]) {
        seed++;
        const layouts: [Layout, Layout, Layout] = [layout, LAYOUTS[seed % 3], LAYOUTS[(seed + 2) % 3]];
        if (op === "AtB") {
          for (const [alpha, beta, nanC] of UPDATES) {
            worst = Math.max(worst, maxError(kernel, op, m, n, k, layouts, alpha, beta, nanC, seed));
          }
        } else {
          worst = Math.max(worst, maxError(kernel, op, m, n, k, layouts, 1, 0, false, seed));
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  test.each(PRODUCTS)("%s matches the reference on network-sized shapes", (op) => {
    let seed = 100;
    for (const [m, n, k] of SHAPES) {
      for (const layout of [TIGHT, LAYOUTS[1]]) {
        seed++;
        const layouts: [Layout, Layout, Layout] = [layout, layout, layout];
        const cases = op === "AtB" ? UPDATES : [[1, 0, false] as [number, number, boolean]];
        for (const [alpha, beta, nanC] of cases) {
          const e = maxError(kernel, op, m, n, k, layouts, alpha, beta, nanC, seed);
          expect(e, `${op} (${m}, ${n}, ${k}) alpha ${alpha} beta ${beta}`).toBeLessThanOrEqual(TOL);
        }
      }
    }
  });

  // Threads split C into blocks of rows or of columns; each block must come
  // out exactly as it does when C is computed whole.
  const SPLITS: [number, number, number][] = [[13, 31, 785], [13, 31, 30], [10, 30, 784], [7, 13, 10], [5, 9, 1], [100, 30, 100]];

  test.each(PRODUCTS)("%s: blocks of rows and of columns equal the whole, bit for bit", (op) => {
    const layout = LAYOUTS[1];
    for (const [m, n, k] of SPLITS) {
      for (const [alpha, beta] of op === "AtB" ? [[1, 0], [0.05, 0.99]] : [[1, 0]]) {
        const next = rng(m * 1000 + n * 10 + k);
        const d = dims(op, m, n, k);
        const A = place("A", d.A[0], d.A[1], layout);
        const B = place("B", d.B[0], d.B[1], layout);
        const C = place("C", m, n, layout);
        fill(A, next);
        fill(B, next);
        fill(C, next);
        const C0 = C.array.slice();
        run(kernel, op, m, n, k, A, B, C, alpha, beta);
        const whole = C.array.slice();

        // rows 0..h and h..m: A moves down h rows (h columns for Aᵀ), C h rows
        for (let h = 1; h < m; h += h < 8 ? 1 : 7) {
          C.array.set(C0);
          const aStep = op === "AtB" ? h : h * A.ld;
          run(kernel, op, h, n, k, A, B, C, alpha, beta);
          run(kernel, op, m - h, n, k, { ...A, off: A.off + aStep }, B, { ...C, off: C.off + h * C.ld }, alpha, beta);
          expect(Array.from(C.array), `${op} (${m}, ${n}, ${k}) rows split at ${h}`).toEqual(Array.from(whole));
        }
        // columns 0..w and w..n: B moves w rows (w columns for B), C w columns
        for (let w = 1; w < n; w += w < 8 ? 1 : 5) {
          C.array.set(C0);
          const bStep = op === "ABt" ? w * B.ld : w;
          run(kernel, op, m, w, k, A, B, C, alpha, beta);
          run(kernel, op, m, n - w, k, A, { ...B, off: B.off + bStep }, { ...C, off: C.off + w }, alpha, beta);
          expect(Array.from(C.array), `${op} (${m}, ${n}, ${k}) columns split at ${w}`).toEqual(Array.from(whole));
        }
      }
    }
  });
});

test("the wasm kernel's wrapper passes element offsets as byte addresses of the shared memory", () => {
  // Same numbers at two places in memory give the same product.
  const [, wasm] = KERNELS[0];
  const a = arena.f64(6), b = arena.f64(6), c1 = arena.f64(4), c2 = arena.f64(9);
  a.set([1, 2, 3, 4, 5, 6]);
  b.set([1, 0, 0, 1, 1, 1]);
  wasm.gemmABt(2, 2, 3, a, 0, 3, b, 0, 3, c1, 0, 2);
  // A = [1 2 3; 4 5 6], B = [1 0 0; 1 1 1]: A·Bᵀ = [1 6; 4 15]
  expect(Array.from(c1)).toEqual([1, 6, 4, 15]);
  wasm.gemmABt(2, 2, 3, a, 0, 3, b, 0, 3, c2, 5, 2);
  expect(Array.from(c2.subarray(5, 9))).toEqual(Array.from(c1.subarray(0, 4)));
  expect(Array.from(c2.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
});

describe("the wasm kernel's variants", () => {
  // (1, 1, 3)·(1, 1, 3)ᵀ: lane 0 sums -1 and then (1 + 2⁻⁵²)(1 - 2⁻⁵²) = 1 - 2⁻¹⁰⁴,
  // which one rounding keeps and two roundings (the product, then the sum) lose
  const a = arena.f64(3), b = arena.f64(3), c = arena.f64(1);
  a.set([1, 0, 1 + 2 ** -52]);
  b.set([-1, 0, 1 - 2 ** -52]);

  test("each build names its variant; mul-add runs everywhere, with two roundings per step", () => {
    expect(variantOf(wasmModule("mul-add"))).toBe("mul-add");
    expect(wasmVariants()).toContain("mul-add");
    expect(wasmVariants().at(-1)).toBe("mul-add");
    const kernel = createWasmKernel(arena.memory, wasmModule("mul-add"));
    expect(kernel.variant).toBe("mul-add");
    kernel.gemmABt(1, 1, 3, a, 0, 3, b, 0, 3, c, 0, 1);
    expect(c[0]).toBe(0);
  });

  test.runIf(wasmVariants().includes("fma"))("fma is preferred where it runs, and rounds once per step", () => {
    expect(variantOf(wasmModule("fma"))).toBe("fma");
    expect(wasmVariants()[0]).toBe("fma");
    const kernel = createWasmKernel(arena.memory, wasmModule("fma"));
    expect(kernel.variant).toBe("fma");
    kernel.gemmABt(1, 1, 3, a, 0, 3, b, 0, 3, c, 0, 1);
    expect(c[0]).toBe(-(2 ** -104));
    // the other products accumulate the same way: Aᵀ·B and A·B with A = a as a column or a row
    kernel.gemmAtB(1, 1, 3, 1, a, 0, 1, b, 0, 1, 0, c, 0, 1);
    expect(c[0]).toBe(-(2 ** -104));
    kernel.gemmAB(1, 1, 3, a, 0, 3, b, 0, 1, c, 0, 1);
    expect(c[0]).toBe(-(2 ** -104));
  });

  // x86 with FMA3 says so in /proc/cpuinfo; every supported Node then runs fma (Node 20 with V8's flag, wasm.ts)
  const fmaCpu = process.arch === "x64" && /^flags\s*:.*\bfma\b/m.test(readCpuinfo());
  test.runIf(fmaCpu)(`on a CPU with FMA3, Node ${process.versions.node} prefers fma`, () => {
    expect(wasmVariants()).toEqual(["fma", "mul-add"]);
  });
});

function readCpuinfo(): string {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return "";
  }
}
