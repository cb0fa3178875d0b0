// Element-wise primitives around the products. They touch m·n numbers against
// the products' m·n·k, so plain loops are fast enough (the wasm kernel's BP3
// sums, through sumRowsOn, gained 1-2% of an epoch all the same); offsets and leading
// dimensions let a thread work on its own block of columns. The activation
// functions are model maths and live in src/layers/activations.ts.
import type { Kernel, SumRows } from "./kernel.js";

// D (m, n) ∘= M (m, n), an element-wise product (a dropout mask of 0s and 1s)
export function mulInto(
  m: number, n: number, D: Float64Array, d: number, ldd: number, M: Float64Array, mo: number, ldm: number,
): void {
  for (let i = 0; i < m; i++) {
    const dr = d + i * ldd;
    const mr = mo + i * ldm;
    for (let j = 0; j < n; j++) D[dr + j] *= M[mr + j];
  }
}

// D (m, n) *= s
export function scale(m: number, n: number, s: number, D: Float64Array, d: number, ldd: number): void {
  for (let i = 0; i < m; i++) {
    const dr = d + i * ldd;
    for (let j = 0; j < n; j++) D[dr + j] *= s;
  }
}

// D (m, n) -> v (n) = beta·v + alpha·Σ_i D[i, :]; beta = 0 overwrites v
export function sumRows(
  m: number, n: number, alpha: number, D: Float64Array, d: number, ldd: number,
  beta: number, v: Float64Array, vo: number,
): void {
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += D[d + i * ldd + j];
    v[vo + j] = beta === 0 ? alpha * s : beta * v[vo + j] + alpha * s;
  }
}

/** sumRows as `kernel` runs it: its own where it has one (the same bits), else the loop above. */
export function sumRowsOn(kernel: Kernel): SumRows {
  return kernel.sumRows ?? sumRows;
}

// A (m, n) -> out[i] = index of the largest entry of row i
export function argmaxRows(m: number, n: number, A: Float64Array, a: number, lda: number, out: Uint8Array): void {
  for (let i = 0; i < m; i++) {
    const row = a + i * lda;
    let best = 0;
    for (let j = 1; j < n; j++) if (A[row + j] > A[row + best]) best = j;
    out[i] = best;
  }
}
