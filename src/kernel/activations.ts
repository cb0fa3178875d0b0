// Element-wise steps around the products. They touch m·n numbers against the
// products' m·n·k, so plain loops are fast enough; offsets and leading
// dimensions let a thread work on its own block of columns.

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

// Z (m, n) at z with row stride ldz, b (n) at bo -> Z = σ(Z + b) in place
export function addBiasSigmoid(
  m: number, n: number, Z: Float64Array, z: number, ldz: number, b: Float64Array, bo: number,
): void {
  for (let i = 0; i < m; i++) {
    const row = z + i * ldz;
    for (let j = 0; j < n; j++) Z[row + j] = 1 / (1 + Math.exp(-(Z[row + j] + b[bo + j])));
  }
}

// D (m, n) ∘= σ'(z) = a(1 - a), with A (m, n) the activations σ(z)
export function mulSigmoidPrime(
  m: number, n: number, D: Float64Array, d: number, ldd: number, A: Float64Array, a: number, lda: number,
): void {
  for (let i = 0; i < m; i++) {
    const dr = d + i * ldd;
    const ar = a + i * lda;
    for (let j = 0; j < n; j++) {
      const s = A[ar + j];
      D[dr + j] *= s * (1 - s);
    }
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

// A (m, n) -> out[i] = index of the largest entry of row i
export function argmaxRows(m: number, n: number, A: Float64Array, a: number, lda: number, out: Uint8Array): void {
  for (let i = 0; i < m; i++) {
    const row = a + i * lda;
    let best = 0;
    for (let j = 1; j < n; j++) if (A[row + j] > A[row + best]) best = j;
    out[i] = best;
  }
}
