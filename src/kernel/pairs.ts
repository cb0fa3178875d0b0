// The nonzero pairs of a sparse input, for the products of a layer fed
// straight from the data. About 81% of MNIST's pixels are 0, so the first
// layer's two products (z = X·Wᵀ and the update's δᵀ·X) spend most of their
// multiply-adds on zeros. Leaving those out changes nothing: every product
// sums into an accumulator that starts at +0 and so is never -0, and
// s + (±0) = s exactly, fused or not (for finite weights and δ: 0·∞ is NaN).
// The wasm kernel takes columns two at a time (lane 0 the even one, lane 1
// the odd one: gemm.wat's header), so the unit skipped is a pair of columns
// 2q, 2q+1 that are both 0; every kernel uses the same pairs.
//
// Rows index: for row i of X (m, k), the pairs q < ⌊k/2⌋ with a nonzero
// element, increasing, at list[i·stride ..], their number in count[i].
// Columns index: for pair q, the rows i with a nonzero element in it,
// increasing, at list[q·stride ..], their number in count[q].
// When k is odd, the last column is left out of both: the products always
// take it, as their dense twins do.

export interface PairIndex {
  list: Int32Array;
  count: Int32Array;
  stride: number;
}

/** Whole pairs in a row of k columns. */
export const pairsOf = (k: number): number => k >> 1;

// X is (m, k) at x, leading dimension ldx -> rows index of rows i0..i1 (stride >= ⌊k/2⌋)
export function indexRows(i0: number, i1: number, k: number, X: Float64Array, x: number, ldx: number, rows: PairIndex): void {
  const kp = pairsOf(k);
  const { list, count, stride } = rows;
  for (let i = i0; i < i1; i++) {
    const xi = x + i * ldx;
    const li = i * stride;
    let c = 0;
    for (let q = 0; q < kp; q++) {
      // -0 counts as 0 (it adds nothing); NaN counts as nonzero (it must spread)
      list[li + c] = q;
      if (X[xi + 2 * q] !== 0 || X[xi + 2 * q + 1] !== 0) c++;
    }
    count[i] = c;
  }
}

// rows index of m rows -> columns index of pairs q0..q1 (stride >= m)
export function indexColumns(q0: number, q1: number, m: number, rows: PairIndex, cols: PairIndex): void {
  const { list: cl, count: cc, stride: cs } = cols;
  cc.fill(0, q0, q1);
  for (let i = 0; i < m; i++) {
    const li = i * rows.stride;
    const n = rows.count[i];
    for (let c = 0; c < n; c++) {
      const q = rows.list[li + c];
      if (q >= q0 && q < q1) cl[q * cs + cc[q]++] = i;
    }
  }
}

/** Fewer nonzero pairs than this share of all of them: the products over pairs are the faster. Measured side by
 *  side (wasm, 784 -> 30, index included, random pairs): 0.4-0.5 of the dense time at 20% nonzero, 0.8-0.9 at 50%,
 *  1.05-1.1 at 70%, 1.45 with every pair nonzero; MNIST has 22%. */
export const SPARSE_BELOW = 0.5;

/** Whether rows 0..m-1 (k columns) of a rows index are sparse enough for the products over pairs. */
export function sparseRows(m: number, k: number, rows: PairIndex): boolean {
  return pairCount(m, rows) < SPARSE_BELOW * m * pairsOf(k);
}

/** Nonzero pairs in rows 0..m-1 of a rows index. */
export function pairCount(m: number, rows: PairIndex): number {
  let n = 0;
  for (let i = 0; i < m; i++) n += rows.count[i];
  return n;
}

// The products of Kernel.gemmABtPairs and gemmAtBPairs in TypeScript, summing
// as the js and reference kernels' dense loops do (one accumulator per
// element, increasing p from +0; then alpha·s or beta·C + alpha·s): both
// kernels use them.

// A is (m, k) with rows index `rows`, B is (n, k) -> C (m, n) = A · Bᵀ
export function gemmABtPairs(
  m: number, n: number, k: number,
  A: Float64Array, a: number, lda: number, rows: PairIndex,
  B: Float64Array, b: number, ldb: number,
  C: Float64Array, c: number, ldc: number,
): void {
  const last = k - 1; // the unpaired column when k is odd
  for (let i = 0; i < m; i++) {
    const ai = a + i * lda;
    const li = i * rows.stride;
    const nq = rows.count[i];
    for (let j = 0; j < n; j++) {
      const bj = b + j * ldb;
      let s = 0;
      for (let t = 0; t < nq; t++) {
        const p = 2 * rows.list[li + t];
        s += A[ai + p] * B[bj + p];
        s += A[ai + p + 1] * B[bj + p + 1];
      }
      if (k & 1) s += A[ai + last] * B[bj + last];
      C[c + i * ldc + j] = s;
    }
  }
}

// A is (k, m), B is (k, n) with columns index `cols` -> C (m, n) = beta·C + alpha·Aᵀ·B
export function gemmAtBPairs(
  m: number, n: number, k: number, alpha: number,
  A: Float64Array, a: number, lda: number,
  B: Float64Array, b: number, ldb: number, cols: PairIndex,
  beta: number,
  C: Float64Array, c: number, ldc: number,
): void {
  const np = pairsOf(n);
  for (let i = 0; i < m; i++) {
    const ci = c + i * ldc;
    for (let q = 0; q < np; q++) {
      const lq = q * cols.stride;
      const nr = cols.count[q];
      let s0 = 0, s1 = 0;
      for (let t = 0; t < nr; t++) {
        const p = cols.list[lq + t];
        const x = A[a + p * lda + i];
        s0 += x * B[b + p * ldb + 2 * q];
        s1 += x * B[b + p * ldb + 2 * q + 1];
      }
      finish(C, ci + 2 * q, alpha, beta, s0);
      finish(C, ci + 2 * q + 1, alpha, beta, s1);
    }
    if (n & 1) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[a + p * lda + i] * B[b + p * ldb + n - 1];
      finish(C, ci + n - 1, alpha, beta, s);
    }
  }
}

/** C[at] = alpha·s (beta = 0: C is not read) or beta·C[at] + alpha·s: the finish of every TypeScript product. */
export function finish(C: Float64Array, at: number, alpha: number, beta: number, s: number): void {
  C[at] = beta === 0 ? alpha * s : beta * C[at] + alpha * s;
}
