// Naive triple loops: the definition each tuned kernel is tested against.
// Same operand conventions as Kernel (see kernel.ts).
import type { Kernel } from "./kernel.js";
import { gatherRows } from "./gather.js";
import { gatherPairs, imagePairs } from "./image-pairs.js";
import { gemmABtPairs, gemmAtBPairs, indexColumns, indexRows } from "./pairs.js";

export const referenceKernel: Kernel = {
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
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[a + i * lda + p] * B[b + j * ldb + p];
        C[c + i * ldc + j] = s;
      }
    }
  },

  // A is (m, k), B is (k, n) -> C (m, n) = A · B
  gemmAB(m, n, k, A, a, lda, B, b, ldb, C, c, ldc) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[a + i * lda + p] * B[b + p * ldb + j];
        C[c + i * ldc + j] = s;
      }
    }
  },

  // A is (k, m), B is (k, n) -> C (m, n) = beta·C + alpha·Aᵀ·B
  gemmAtB(m, n, k, alpha, A, a, lda, B, b, ldb, beta, C, c, ldc) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[a + p * lda + i] * B[b + p * ldb + j];
        const at = c + i * ldc + j;
        C[at] = beta === 0 ? alpha * s : beta * C[at] + alpha * s;
      }
    }
  },
};
