// The matrix products backprop needs, in the three forms it uses them.
// Matrices are row-major Float64Arrays addressed as (array, offset, leading
// dimension), as in BLAS: element (i, j) of A is A[a + i*lda + j]. Offsets and
// leading dimensions let a thread work on a block of rows or columns in place.
// In every implementation the value of an output element depends only on its
// own row and column of the operands, never on where it falls in a tile or
// which thread computes it: that keeps threaded runs equal to one thread's.

import type { Alloc } from "./arena.js";
import type { ImagePairs } from "./image-pairs.js";
import type { PairIndex } from "./pairs.js";

export type KernelName = "js" | "wasm";

// How a product's steps round: "mul-add" rounds the product and then the sum
// (JavaScript, and wasm's f64x2.mul + f64x2.add: the same bits everywhere);
// "fma" rounds once, with a fused multiply-add (the wasm kernel with relaxed
// SIMD on a CPU that has one). The two differ in the last bits.
export type KernelVariant = "mul-add" | "fma";

/** Z (m, n) at z, row stride ldz; b (n) at bo -> Z = f(s·Z + b) in place, f an activation. */
export type ActivationStep = (m: number, n: number, Z: Float64Array, z: number, ldz: number, b: Float64Array, bo: number, s: number) => void;
/** D (m, n) at d, row stride ldd ∘= f'(z), with A (m, n) at a, row stride lda, the activations f(z). */
export type ActivationBackStep = (m: number, n: number, D: Float64Array, d: number, ldd: number, A: Float64Array, a: number, lda: number) => void;
/** Rows i0..i1, columns j0..j1 of D (m, n) = a cost's δᴸ from the output activations A (m, n) and the labels (costs.ts). */
export type OutputDelta = (i0: number, i1: number, j0: number, j1: number, n: number, A: Float64Array, labels: Uint8Array, D: Float64Array) => void;
/** v (n) at vo = alpha·s (beta = 0) or beta·v + alpha·s, s the sums of D's m rows (stride ldd, from d) from +0 in row order. */
export type SumRows = (m: number, n: number, alpha: number, D: Float64Array, d: number, ldd: number, beta: number, v: Float64Array, vo: number) => void;

export interface Kernel {
  readonly name: KernelName;
  readonly variant: KernelVariant;

  // A is (m, k), B is (n, k) -> C (m, n) = A · Bᵀ
  gemmABt(
    m: number, n: number, k: number,
    A: Float64Array, a: number, lda: number,
    B: Float64Array, b: number, ldb: number,
    C: Float64Array, c: number, ldc: number,
  ): void;

  // A is (m, k), B is (k, n) -> C (m, n) = A · B
  gemmAB(
    m: number, n: number, k: number,
    A: Float64Array, a: number, lda: number,
    B: Float64Array, b: number, ldb: number,
    C: Float64Array, c: number, ldc: number,
  ): void;

  // A is (k, m), B is (k, n) -> C (m, n) = beta·C + alpha·Aᵀ·B
  // beta = 0 overwrites C (its old contents, even NaN, are not read).
  gemmAtB(
    m: number, n: number, k: number, alpha: number,
    A: Float64Array, a: number, lda: number,
    B: Float64Array, b: number, ldb: number,
    beta: number,
    C: Float64Array, c: number, ldc: number,
  ): void;

  // An activation's forward step (src/layers/activations.ts's f.forward, by
  // its name) with the very same bits, where the kernel has a faster one: the
  // wasm kernel's sigmoid.
  activationForward?(name: string): ActivationStep | undefined;
  // And its backward step (f.backward), a cost's δᴸ after it (cost.delta), and BP3's column sums (elementwise.ts's
  // sumRows), likewise.
  activationBackward?(name: string): ActivationBackStep | undefined;
  outputDelta?(cost: string, activation: string): OutputDelta | undefined;
  sumRows?: SumRows;

  // The mini-batch gather (gather.ts): rows i0..i1 of X (ldx) = the bytes of
  // examples idx[i] of images (pixels each) / 255, exactly. Given a rows
  // index, instead those rows' entries, as indexRows would make them from the
  // whole rows, and of X at least what the products over pairs read: the
  // listed pairs and an odd last column (the others may keep older values).
  gatherRows(
    i0: number, i1: number, pixels: number, images: Uint8Array, idx: Int32Array,
    X: Float64Array, x: number, ldx: number, rows?: PairIndex,
  ): void;

  // A dataset's lists of each image's nonzero pairs, in memory from alloc, or
  // undefined when they would not pay (image-pairs.ts's imagePairs).
  listPairs(images: Uint8Array, count: number, pixels: number, alloc: Alloc): ImagePairs | undefined;

  // The gather from those lists, which always makes the rows index:
  // gatherRows's rows and index, given one. Given a columns index too, those
  // rows' entries of it as indexColumns makes them from the rows index
  // (cleared first when i0 is 0: blocks of rows in order).
  gatherPairs(
    i0: number, i1: number, pixels: number, pairs: ImagePairs, idx: Int32Array,
    X: Float64Array, x: number, ldx: number, rows: PairIndex, cols?: PairIndex,
  ): void;

  // The same two products over a sparse X, taking only its nonzero pairs of
  // columns (pairs.ts): the very bits of gemmABt and gemmAtB for finite operands.

  // X is (m, k) -> the rows index of its rows i0..i1 (pairs.ts's indexRows)
  indexRows(i0: number, i1: number, k: number, X: Float64Array, x: number, ldx: number, rows: PairIndex): void;

  // the rows index of m rows -> the columns index of pairs q0..q1 (pairs.ts's indexColumns)
  indexColumns(q0: number, q1: number, m: number, rows: PairIndex, cols: PairIndex): void;

  // A is (m, k) with rows index `rows`, B is (n, k) -> C (m, n) = A · Bᵀ
  gemmABtPairs(
    m: number, n: number, k: number,
    A: Float64Array, a: number, lda: number, rows: PairIndex,
    B: Float64Array, b: number, ldb: number,
    C: Float64Array, c: number, ldc: number,
  ): void;

  // A is (k, m), B is (k, n) with columns index `cols` -> C (m, n) = beta·C + alpha·Aᵀ·B
  gemmAtBPairs(
    m: number, n: number, k: number, alpha: number,
    A: Float64Array, a: number, lda: number,
    B: Float64Array, b: number, ldb: number, cols: PairIndex,
    beta: number,
    C: Float64Array, c: number, ldc: number,
  ): void;
}
