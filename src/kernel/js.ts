// The tuned scalar kernel. V8 does not vectorise, and every typed-array read
// costs index arithmetic and a bounds check besides the load, so speed comes
// from register blocking: a 2x5 tile of independent accumulators turns 7 reads
// into 10 multiply-adds. Bigger tiles (3x4, 4x4) measured slower: their
// accumulators spill out of the 16 floating-point registers. Five columns
// rather than four because layer widths are mostly multiples of 5 (10, 30,
// 100, and their halves across threads), so the narrower edge loops seldom run.
//
// Two loop forms cover the three products:
//   dot   (A·Bᵀ): rows of A against rows of B, both contiguous along k;
//   outer (A·B, Aᵀ·B): step p reads two elements of A and five consecutive
//         ones of row p of B. The two products differ only in A's strides:
//         A(i, p) sits at a + i·sai + p·sap.
// Every element is s = Σ_p A(i,p)·B(p,j) summed from p = 0 up in a single
// accumulator, then C = alpha·s (beta = 0: C is not read) or beta·C + alpha·s,
// alike in tiles and at edges, so a block of C computed alone equals the same
// block computed whole (see kernel.ts). Loops index with sizes held in locals
// and allocate nothing.
import type { Kernel } from "./kernel.js";
import { gatherRows } from "./gather.js";
import { gatherPairs, imagePairs } from "./image-pairs.js";
import { finish, gemmABtPairs, gemmAtBPairs, indexColumns, indexRows } from "./pairs.js";

export const jsKernel: Kernel = {
  gatherRows,
  gatherPairs,
  listPairs: imagePairs,
  // sparse X: pairs.ts, summing as the dense loops below do
  indexRows,
  indexColumns,
  gemmABtPairs,
  gemmAtBPairs,

  name: "js",
  variant: "mul-add",

  // A is (m, k), B is (n, k) -> C (m, n) = A · Bᵀ
  gemmABt(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
    let i = 0;
    for (; i + 1 < m; i += 2) dotRows2(n, k, A, a + i * lda, lda, B, b, ldb, C, c + i * ldc, ldc);
    if (i < m) dotRow(n, k, A, a + i * lda, B, b, ldb, C, c + i * ldc);
  },

  // A is (m, k), B is (k, n) -> C (m, n) = A · B   (alpha 1: 1·s is s exactly)
  gemmAB(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
    outer(m, n, k, 1, A, a, lda, 1, B, b, ldb, 0, C, c, ldc);
  },

  // A is (k, m), B is (k, n) -> C (m, n) = beta·C + alpha·Aᵀ·B
  gemmAtB(m, n, k, alpha, A, a, lda, B, b, ldb, beta, C, c, ldc) {
    outer(m, n, k, alpha, A, a, 1, lda, B, b, ldb, beta, C, c, ldc);
  },
};

// --- dot form: C(i, j) = Σ_p A[ai + p]·B[bj + p] -----------------------------

// Rows a0 and a0 + lda of A against every row of B: 2x5 tiles, then 2x1.
function dotRows2(
  n: number, k: number, A: Float64Array, a0: number, lda: number,
  B: Float64Array, b: number, ldb: number, C: Float64Array, c0: number, ldc: number,
): void {
  const a1 = a0 + lda;
  const c1 = c0 + ldc;
  let j = 0;
  for (; j + 5 <= n; j += 5) {
    const b0 = b + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb;
    let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s04 = 0;
    let s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0;
    for (let p = 0; p < k; p++) {
      const x0 = A[a0 + p], x1 = A[a1 + p];
      const y0 = B[b0 + p], y1 = B[b1 + p], y2 = B[b2 + p], y3 = B[b3 + p], y4 = B[b4 + p];
      s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3; s04 += x0 * y4;
      s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3; s14 += x1 * y4;
    }
    const d0 = c0 + j, d1 = c1 + j;
    C[d0] = s00; C[d0 + 1] = s01; C[d0 + 2] = s02; C[d0 + 3] = s03; C[d0 + 4] = s04;
    C[d1] = s10; C[d1 + 1] = s11; C[d1 + 2] = s12; C[d1 + 3] = s13; C[d1 + 4] = s14;
  }
  for (; j < n; j++) {
    const bj = b + j * ldb;
    let s0 = 0, s1 = 0;
    for (let p = 0; p < k; p++) {
      const y = B[bj + p];
      s0 += A[a0 + p] * y; s1 += A[a1 + p] * y;
    }
    C[c0 + j] = s0; C[c1 + j] = s1;
  }
}

// The last row when m is odd (and every row when m = 1): 1x5 tiles, then 1x1.
function dotRow(
  n: number, k: number, A: Float64Array, a0: number,
  B: Float64Array, b: number, ldb: number, C: Float64Array, c0: number,
): void {
  let j = 0;
  for (; j + 5 <= n; j += 5) {
    const b0 = b + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (let p = 0; p < k; p++) {
      const x = A[a0 + p];
      s0 += x * B[b0 + p]; s1 += x * B[b1 + p]; s2 += x * B[b2 + p]; s3 += x * B[b3 + p]; s4 += x * B[b4 + p];
    }
    const d = c0 + j;
    C[d] = s0; C[d + 1] = s1; C[d + 2] = s2; C[d + 3] = s3; C[d + 4] = s4;
  }
  for (; j < n; j++) {
    const bj = b + j * ldb;
    let s = 0;
    for (let p = 0; p < k; p++) s += A[a0 + p] * B[bj + p];
    C[c0 + j] = s;
  }
}

// --- outer form: C(i, j) = Σ_p A[ai + p·sap]·B[b + p·ldb + j] ----------------

function outer(
  m: number, n: number, k: number, alpha: number,
  A: Float64Array, a: number, sai: number, sap: number,
  B: Float64Array, b: number, ldb: number,
  beta: number, C: Float64Array, c: number, ldc: number,
): void {
  let i = 0;
  for (; i + 1 < m; i += 2) outerRows2(n, k, alpha, A, a + i * sai, sai, sap, B, b, ldb, beta, C, c + i * ldc, ldc);
  if (i < m) outerRow(n, k, alpha, A, a + i * sai, sap, B, b, ldb, beta, C, c + i * ldc);
}

// Rows i and i + 1 of C, whose A elements start at ia and ia + sai: 2x5 tiles, then 2x1.
function outerRows2(
  n: number, k: number, alpha: number, A: Float64Array, ia: number, sai: number, sap: number,
  B: Float64Array, b: number, ldb: number, beta: number, C: Float64Array, c0: number, ldc: number,
): void {
  const c1 = c0 + ldc;
  let j = 0;
  for (; j + 5 <= n; j += 5) {
    let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s04 = 0;
    let s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0;
    let pa = ia, pb = b + j;
    for (let p = 0; p < k; p++) {
      const x0 = A[pa], x1 = A[pa + sai];
      const y0 = B[pb], y1 = B[pb + 1], y2 = B[pb + 2], y3 = B[pb + 3], y4 = B[pb + 4];
      s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3; s04 += x0 * y4;
      s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3; s14 += x1 * y4;
      pa += sap; pb += ldb;
    }
    put5(C, c0 + j, alpha, beta, s00, s01, s02, s03, s04);
    put5(C, c1 + j, alpha, beta, s10, s11, s12, s13, s14);
  }
  for (; j < n; j++) {
    let s0 = 0, s1 = 0;
    let pa = ia, pb = b + j;
    for (let p = 0; p < k; p++) {
      const y = B[pb];
      s0 += A[pa] * y; s1 += A[pa + sai] * y;
      pa += sap; pb += ldb;
    }
    finish(C, c0 + j, alpha, beta, s0);
    finish(C, c1 + j, alpha, beta, s1);
  }
}

// The last row when m is odd (and every row when m = 1): 1x5 tiles, then 1x1.
function outerRow(
  n: number, k: number, alpha: number, A: Float64Array, ia: number, sap: number,
  B: Float64Array, b: number, ldb: number, beta: number, C: Float64Array, c0: number,
): void {
  let j = 0;
  for (; j + 5 <= n; j += 5) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    let pa = ia, pb = b + j;
    for (let p = 0; p < k; p++) {
      const x = A[pa];
      s0 += x * B[pb]; s1 += x * B[pb + 1]; s2 += x * B[pb + 2]; s3 += x * B[pb + 3]; s4 += x * B[pb + 4];
      pa += sap; pb += ldb;
    }
    put5(C, c0 + j, alpha, beta, s0, s1, s2, s3, s4);
  }
  for (; j < n; j++) {
    let s = 0;
    let pa = ia, pb = b + j;
    for (let p = 0; p < k; p++) {
      s += A[pa] * B[pb];
      pa += sap; pb += ldb;
    }
    finish(C, c0 + j, alpha, beta, s);
  }
}

// C[d .. d+4] from five sums. One beta test per tile: testing per element
// measured about 15% slower on the weight update, whose k is small.
function put5(
  C: Float64Array, d: number, alpha: number, beta: number,
  s0: number, s1: number, s2: number, s3: number, s4: number,
): void {
  if (beta === 0) {
    C[d] = alpha * s0; C[d + 1] = alpha * s1; C[d + 2] = alpha * s2; C[d + 3] = alpha * s3; C[d + 4] = alpha * s4;
  } else {
    C[d] = beta * C[d] + alpha * s0;
    C[d + 1] = beta * C[d + 1] + alpha * s1;
    C[d + 2] = beta * C[d + 2] + alpha * s2;
    C[d + 3] = beta * C[d + 3] + alpha * s3;
    C[d + 4] = beta * C[d + 4] + alpha * s4;
  }
}
