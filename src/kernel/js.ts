// The tuned scalar kernel. V8 does not vectorise, so speed comes from register
// blocking: a 2x4 tile of independent accumulators turns 6 loads into 8
// multiply-adds. All three products are one strided loop: element (i, p) of
// A sits at a + i*sai + p*sap and element (p, j) of B at b + j*sbj + p*sbp,
// so A·Bᵀ, A·B and Aᵀ·B differ only in the strides they pass.
import type { Kernel } from "./kernel.js";

// Each element is s = Σ_p A(i,p)·B(p,j) summed from p = 0 up, then
// C = alpha·s (beta = 0) or beta·C + alpha·s: the same for tiles and edges.
function gemm(
  m: number, n: number, k: number, alpha: number,
  A: Float64Array, a: number, sai: number, sap: number,
  B: Float64Array, b: number, sbj: number, sbp: number,
  beta: number, C: Float64Array, c: number, ldc: number,
): void {
  const m2 = m - (m & 1);
  const n4 = n - (n & 3);
  for (let i = 0; i < m2; i += 2) {
    const c0 = c + i * ldc;
    const c1 = c0 + ldc;
    for (let j = 0; j < n4; j += 4) {
      let ia = a + i * sai;
      let ib = b + j * sbj;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[ia], x1 = A[ia + sai];
        const y0 = B[ib], y1 = B[ib + sbj], y2 = B[ib + 2 * sbj], y3 = B[ib + 3 * sbj];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        ia += sap;
        ib += sbp;
      }
      if (beta === 0) {
        C[c0 + j] = alpha * s00; C[c0 + j + 1] = alpha * s01; C[c0 + j + 2] = alpha * s02; C[c0 + j + 3] = alpha * s03;
        C[c1 + j] = alpha * s10; C[c1 + j + 1] = alpha * s11; C[c1 + j + 2] = alpha * s12; C[c1 + j + 3] = alpha * s13;
      } else {
        C[c0 + j] = beta * C[c0 + j] + alpha * s00; C[c0 + j + 1] = beta * C[c0 + j + 1] + alpha * s01;
        C[c0 + j + 2] = beta * C[c0 + j + 2] + alpha * s02; C[c0 + j + 3] = beta * C[c0 + j + 3] + alpha * s03;
        C[c1 + j] = beta * C[c1 + j] + alpha * s10; C[c1 + j + 1] = beta * C[c1 + j + 1] + alpha * s11;
        C[c1 + j + 2] = beta * C[c1 + j + 2] + alpha * s12; C[c1 + j + 3] = beta * C[c1 + j + 3] + alpha * s13;
      }
    }
    for (let j = n4; j < n; j++) {
      edge(i, j, k, alpha, A, a, sai, sap, B, b, sbj, sbp, beta, C, c, ldc);
      edge(i + 1, j, k, alpha, A, a, sai, sap, B, b, sbj, sbp, beta, C, c, ldc);
    }
  }
  if (m2 < m) {
    for (let j = 0; j < n; j++) edge(m2, j, k, alpha, A, a, sai, sap, B, b, sbj, sbp, beta, C, c, ldc);
  }
}

// One element outside the 2x4 tiles, summed exactly as inside them.
function edge(
  i: number, j: number, k: number, alpha: number,
  A: Float64Array, a: number, sai: number, sap: number,
  B: Float64Array, b: number, sbj: number, sbp: number,
  beta: number, C: Float64Array, c: number, ldc: number,
): void {
  let ia = a + i * sai;
  let ib = b + j * sbj;
  let s = 0;
  for (let p = 0; p < k; p++) {
    s += A[ia] * B[ib];
    ia += sap;
    ib += sbp;
  }
  const at = c + i * ldc + j;
  C[at] = beta === 0 ? alpha * s : beta * C[at] + alpha * s;
}

export const jsKernel: Kernel = {
  name: "js",
  // A is (m, k), B is (n, k) -> C (m, n) = A · Bᵀ
  gemmABt(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
    gemm(m, n, k, 1, A, a, lda, 1, B, b, ldb, 1, 0, C, c, ldc);
  },
  // A is (m, k), B is (k, n) -> C (m, n) = A · B
  gemmAB(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
    gemm(m, n, k, 1, A, a, lda, 1, B, b, 1, ldb, 0, C, c, ldc);
  },
  // A is (k, m), B is (k, n) -> C (m, n) = beta·C + alpha·Aᵀ·B
  gemmAtB(m, n, k, alpha, A, a, lda, B, b, ldb, beta, C, c, ldc) {
    gemm(m, n, k, alpha, A, a, 1, lda, B, b, 1, ldb, beta, C, c, ldc);
  },
};
