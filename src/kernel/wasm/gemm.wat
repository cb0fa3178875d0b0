;; The three matrix products of backprop (see src/kernel/kernel.ts), written by
;; hand in WebAssembly with 128-bit SIMD (f64x2). Assembled by
;; scripts/build-wasm.mjs into dist/kernel/wasm/gemm.wasm.
;;
;; Conventions. Matrices are row-major f64 living in the one shared memory of
;; the Arena. Pointers are byte addresses, 8-byte aligned but not necessarily
;; 16 (v128 loads and stores are unaligned-safe in wasm); leading dimensions
;; are in elements and may exceed the row length (a block of a wider matrix).
;; m, n, k are >= 1 (0 is a no-op). Only f64x2.mul + f64x2.add are used, never
;; a fused multiply-add: wasm forbids contraction, so every result is exactly
;; reproducible, and relaxed SIMD would need a Node flag.
;;
;; Summation scheme. Threads compute blocks of C, and a block must come out
;; bit-identical to the same elements computed whole, so the value of an output
;; element may depend only on its own row and column of the operands and on the
;; dims, never on where it falls in a tile or at an edge:
;;   gemm_abt: C(i,j) is a dot product along k in one f64x2 accumulator
;;     starting at +0: lane 0 adds the products of even p, lane 1 of odd p,
;;     each in increasing p; then s = lane0 + lane1; then, if k is odd,
;;     s += A(i,k-1)·B(j,k-1). Edge tiles clamp their missing rows/columns to
;;     the last real one and throw those results away, so edges run the very
;;     same code as the interior.
;;   gemm_atb, gemm_ab: C(i,j) is one lane of an accumulator (or one scalar,
;;     in the narrow n < 4 path) adding A(i,p)·B(p,j) in increasing p from +0,
;;     the reference order; then C = alpha·s (beta = 0, C not read) or
;;     C = beta·C + alpha·s, with the same two roundings in the vector and the
;;     scalar code.
;;
;; Tile sizes fit x64's 16 xmm registers (V8 keeps one as scratch): 8 f64x2
;; accumulators plus the operand vectors of one step, so nothing spills.

(module
  (memory (import "env" "memory") 1 16384 shared)

  ;; A is (m, k), B is (n, k) -> C (m, n) = A · Bᵀ
  ;; The forward product z = X · Wᵀ. Both operands are contiguous along k, so
  ;; this is dot-product form: a tile of 2 rows of A × 4 rows of B keeps 8
  ;; accumulators, and each step along k loads 6 vectors for 8 mul-adds.
  (func $gemm_abt (export "gemm_abt")
    (param $m i32) (param $n i32) (param $k i32)
    (param $pa i32) (param $lda i32)
    (param $pb i32) (param $ldb i32)
    (param $pc i32) (param $ldc i32)
    (local $kp i32) (local $kt i32) (local $q i32)
    (local $i i32) (local $j i32) (local $lastm i32) (local $lastn i32)
    (local $ra0 i32) (local $ra1 i32) (local $cr i32) (local $cp i32)
    (local $rb0 i32) (local $rb1 i32) (local $rb2 i32) (local $rb3 i32)
    (local $a0 v128) (local $a1 v128) (local $b v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (if (i32.le_s (local.get $m) (i32.const 0)) (then (return)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    ;; leading dimensions to bytes
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 3)))
    ;; bytes of k covered by whole pairs, and the byte offset of the odd
    ;; tail element (-1 when k is even)
    (local.set $kp (i32.shl (i32.shr_u (local.get $k) (i32.const 1)) (i32.const 4)))
    (local.set $kt
      (select
        (i32.shl (i32.sub (local.get $k) (i32.const 1)) (i32.const 3))
        (i32.const -1)
        (i32.and (local.get $k) (i32.const 1))))
    (local.set $lastm (i32.sub (local.get $m) (i32.const 1)))
    (local.set $lastn (i32.sub (local.get $n) (i32.const 1)))
    (local.set $i (i32.const 0))
    (loop $rows
      ;; when m is odd the second row of the last tile repeats row m-1
      (local.set $ra0 (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $lda))))
      (local.set $ra1 (i32.add (local.get $pa)
        (i32.mul (call $min (i32.add (local.get $i) (i32.const 1)) (local.get $lastm)) (local.get $lda))))
      (local.set $cr (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $cols
        ;; rows of B past n-1 repeat row n-1 (their results are not stored)
        (local.set $rb0 (i32.add (local.get $pb) (i32.mul (local.get $j) (local.get $ldb))))
        (local.set $rb1 (i32.add (local.get $pb)
          (i32.mul (call $min (i32.add (local.get $j) (i32.const 1)) (local.get $lastn)) (local.get $ldb))))
        (local.set $rb2 (i32.add (local.get $pb)
          (i32.mul (call $min (i32.add (local.get $j) (i32.const 2)) (local.get $lastn)) (local.get $ldb))))
        (local.set $rb3 (i32.add (local.get $pb)
          (i32.mul (call $min (i32.add (local.get $j) (i32.const 3)) (local.get $lastn)) (local.get $ldb))))
        (local.set $c00 (v128.const i64x2 0 0))
        (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c02 (v128.const i64x2 0 0))
        (local.set $c03 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0))
        (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c12 (v128.const i64x2 0 0))
        (local.set $c13 (v128.const i64x2 0 0))
        (local.set $q (i32.const 0))
        (block $k_done
          (br_if $k_done (i32.ge_u (local.get $q) (local.get $kp)))
          (loop $k_pairs
            ;; one B vector live at a time keeps the register count at 12
            (local.set $a0 (v128.load (i32.add (local.get $ra0) (local.get $q))))
            (local.set $a1 (v128.load (i32.add (local.get $ra1) (local.get $q))))
            (local.set $b (v128.load (i32.add (local.get $rb0) (local.get $q))))
            (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a1) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb1) (local.get $q))))
            (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a1) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb2) (local.get $q))))
            (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $a1) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb3) (local.get $q))))
            (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $a0) (local.get $b))))
            (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $a1) (local.get $b))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br_if $k_pairs (i32.lt_u (local.get $q) (local.get $kp)))))
        ;; store the real part of the tile: row i always, row i+1 if it exists;
        ;; column j always, columns j+1..j+3 if they exist
        (local.set $cp (i32.add (local.get $cr) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store (local.get $cp)
          (call $hsum (local.get $c00) (local.get $ra0) (local.get $rb0) (local.get $kt)))
        (if (i32.lt_s (local.get $j) (local.get $lastn)) (then
          (f64.store offset=8 (local.get $cp)
            (call $hsum (local.get $c01) (local.get $ra0) (local.get $rb1) (local.get $kt)))
          (if (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $lastn)) (then
            (f64.store offset=16 (local.get $cp)
              (call $hsum (local.get $c02) (local.get $ra0) (local.get $rb2) (local.get $kt)))
            (if (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $lastn)) (then
              (f64.store offset=24 (local.get $cp)
                (call $hsum (local.get $c03) (local.get $ra0) (local.get $rb3) (local.get $kt)))))))))
        (if (i32.lt_s (local.get $i) (local.get $lastm)) (then
          (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
          (f64.store (local.get $cp)
            (call $hsum (local.get $c10) (local.get $ra1) (local.get $rb0) (local.get $kt)))
          (if (i32.lt_s (local.get $j) (local.get $lastn)) (then
            (f64.store offset=8 (local.get $cp)
              (call $hsum (local.get $c11) (local.get $ra1) (local.get $rb1) (local.get $kt)))
            (if (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $lastn)) (then
              (f64.store offset=16 (local.get $cp)
                (call $hsum (local.get $c12) (local.get $ra1) (local.get $rb2) (local.get $kt)))
              (if (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $lastn)) (then
                (f64.store offset=24 (local.get $cp)
                  (call $hsum (local.get $c13) (local.get $ra1) (local.get $rb3) (local.get $kt)))))))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $cols (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))

  ;; Finishes one element of gemm_abt: lane0 + lane1, then the odd-k tail
  ;; product (kt = its byte offset in both rows, or -1 when k is even).
  (func $hsum (param $acc v128) (param $ra i32) (param $rb i32) (param $kt i32) (result f64)
    (local $s f64)
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (i32.ge_s (local.get $kt) (i32.const 0)) (then
      (local.set $s (f64.add (local.get $s)
        (f64.mul (f64.load (i32.add (local.get $ra) (local.get $kt)))
                 (f64.load (i32.add (local.get $rb) (local.get $kt))))))))
    (local.get $s))

  ;; A is (k, m), B is (k, n) -> C (m, n) = beta·C + alpha·Aᵀ·B
  ;; The weight update W = beta·W + alpha·Δᵀ·A_prev (k = mini-batch size).
  (func $gemm_atb (export "gemm_atb")
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f64)
    (param $pa i32) (param $lda i32)
    (param $pb i32) (param $ldb i32)
    (param $beta f64)
    (param $pc i32) (param $ldc i32)
    ;; A(i, p) sits at pa + 8·i + 8·lda·p
    (call $outer
      (local.get $m) (local.get $n) (local.get $k) (local.get $alpha)
      (local.get $pa) (i32.const 8) (i32.shl (local.get $lda) (i32.const 3))
      (local.get $pb) (i32.shl (local.get $ldb) (i32.const 3))
      (local.get $beta)
      (local.get $pc) (i32.shl (local.get $ldc) (i32.const 3))))

  ;; A is (m, k), B is (k, n) -> C (m, n) = A · B
  ;; The backward delta. Same loop as gemm_atb with A's strides swapped;
  ;; alpha = 1 and beta = 0 make the finish C = 1·s, which is exact.
  (func $gemm_ab (export "gemm_ab")
    (param $m i32) (param $n i32) (param $k i32)
    (param $pa i32) (param $lda i32)
    (param $pb i32) (param $ldb i32)
    (param $pc i32) (param $ldc i32)
    ;; A(i, p) sits at pa + 8·lda·i + 8·p
    (call $outer
      (local.get $m) (local.get $n) (local.get $k) (f64.const 1)
      (local.get $pa) (i32.shl (local.get $lda) (i32.const 3)) (i32.const 8)
      (local.get $pb) (i32.shl (local.get $ldb) (i32.const 3))
      (f64.const 0)
      (local.get $pc) (i32.shl (local.get $ldc) (i32.const 3))))

  ;; Shared body of gemm_atb and gemm_ab: C (m, n) = beta·C + alpha·Σp A(i,p)·B(p,j)
  ;; with A(i, p) at pa + si·i + sp·p and byte leading dimensions ldb, ldc.
  ;; Vectorised along n, where B and C rows are contiguous: a tile of 4 rows
  ;; i × 4 columns j (2 f64x2 blocks) keeps 8 accumulators over all of p,
  ;; each step loading 2 B vectors and 4 splatted A scalars; C is read and
  ;; written once per tile. Rows past m-1 repeat row m-1 and are not stored;
  ;; the last column block is shifted left to end at column n-1 and stores
  ;; only the columns not done yet (so C is never read after it was written).
  (func $outer
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f64)
    (param $pa i32) (param $si i32) (param $sp i32)
    (param $pb i32) (param $ldb i32)
    (param $beta f64)
    (param $pc i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $jj i32) (local $first i32) (local $p i32) (local $rem i32)
    (local $ra i32) (local $d1 i32) (local $d2 i32) (local $d3 i32)
    (local $pA i32) (local $pB i32) (local $cr i32) (local $cp i32)
    (local $va v128) (local $vb v128)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (if (i32.le_s (local.get $m) (i32.const 0)) (then (return)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    ;; too narrow for a 4-column block: scalar loop, same order and roundings
    (if (i32.lt_s (local.get $n) (i32.const 4)) (then
      (call $outer_narrow
        (local.get $m) (local.get $n) (local.get $k) (local.get $alpha)
        (local.get $pa) (local.get $si) (local.get $sp)
        (local.get $pb) (local.get $ldb) (local.get $beta)
        (local.get $pc) (local.get $ldc))
      (return)))
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $vb (f64x2.splat (local.get $beta)))
    (local.set $i (i32.const 0))
    (loop $rows
      ;; rem = rows left after row i; the byte steps d1..d3 to the tile's
      ;; other rows stop at row m-1
      (local.set $rem (i32.sub (i32.sub (local.get $m) (i32.const 1)) (local.get $i)))
      (local.set $ra (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $si))))
      (local.set $d1 (i32.mul (call $min (i32.const 1) (local.get $rem)) (local.get $si)))
      (local.set $d2 (i32.mul (call $min (i32.const 2) (local.get $rem)) (local.get $si)))
      (local.set $d3 (i32.mul (call $min (i32.const 3) (local.get $rem)) (local.get $si)))
      (local.set $cr (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $cols
        ;; jj = first column of the block, n-4 for a last partial block
        (local.set $jj
          (select (local.get $j) (i32.sub (local.get $n) (i32.const 4))
            (i32.le_s (i32.add (local.get $j) (i32.const 4)) (local.get $n))))
        (local.set $pA (local.get $ra))
        (local.set $pB (i32.add (local.get $pb) (i32.shl (local.get $jj) (i32.const 3))))
        (local.set $c00 (v128.const i64x2 0 0))
        (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0))
        (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0))
        (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0))
        (local.set $c31 (v128.const i64x2 0 0))
        (local.set $p (local.get $k))
        (block $k_done
          (br_if $k_done (i32.le_s (local.get $p) (i32.const 0)))
          (loop $k_steps
            (local.set $b0 (v128.load (local.get $pB)))
            (local.set $b1 (v128.load offset=16 (local.get $pB)))
            (local.set $a (v128.load64_splat (local.get $pA)))
            (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
            (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
            (local.set $a (v128.load64_splat (i32.add (local.get $pA) (local.get $d1))))
            (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
            (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
            (local.set $a (v128.load64_splat (i32.add (local.get $pA) (local.get $d2))))
            (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
            (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
            (local.set $a (v128.load64_splat (i32.add (local.get $pA) (local.get $d3))))
            (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
            (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))
            (local.set $pA (i32.add (local.get $pA) (local.get $sp)))
            (local.set $pB (i32.add (local.get $pB) (local.get $ldb)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br_if $k_steps (i32.gt_s (local.get $p) (i32.const 0)))))
        (local.set $cp (i32.add (local.get $cr) (i32.shl (local.get $jj) (i32.const 3))))
        (if (i32.eq (local.get $jj) (local.get $j))
          (then
            ;; a whole new block: finish two vectors per real row
            (if (f64.eq (local.get $beta) (f64.const 0))
              (then
                (v128.store (local.get $cp) (f64x2.mul (local.get $va) (local.get $c00)))
                (v128.store offset=16 (local.get $cp) (f64x2.mul (local.get $va) (local.get $c01)))
                (if (i32.ge_s (local.get $rem) (i32.const 1)) (then
                  (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                  (v128.store (local.get $cp) (f64x2.mul (local.get $va) (local.get $c10)))
                  (v128.store offset=16 (local.get $cp) (f64x2.mul (local.get $va) (local.get $c11)))
                  (if (i32.ge_s (local.get $rem) (i32.const 2)) (then
                    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                    (v128.store (local.get $cp) (f64x2.mul (local.get $va) (local.get $c20)))
                    (v128.store offset=16 (local.get $cp) (f64x2.mul (local.get $va) (local.get $c21)))
                    (if (i32.ge_s (local.get $rem) (i32.const 3)) (then
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (v128.store (local.get $cp) (f64x2.mul (local.get $va) (local.get $c30)))
                      (v128.store offset=16 (local.get $cp) (f64x2.mul (local.get $va) (local.get $c31))))))))))
              (else
                (v128.store (local.get $cp) (f64x2.add
                  (f64x2.mul (local.get $vb) (v128.load (local.get $cp)))
                  (f64x2.mul (local.get $va) (local.get $c00))))
                (v128.store offset=16 (local.get $cp) (f64x2.add
                  (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $cp)))
                  (f64x2.mul (local.get $va) (local.get $c01))))
                (if (i32.ge_s (local.get $rem) (i32.const 1)) (then
                  (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                  (v128.store (local.get $cp) (f64x2.add
                    (f64x2.mul (local.get $vb) (v128.load (local.get $cp)))
                    (f64x2.mul (local.get $va) (local.get $c10))))
                  (v128.store offset=16 (local.get $cp) (f64x2.add
                    (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $cp)))
                    (f64x2.mul (local.get $va) (local.get $c11))))
                  (if (i32.ge_s (local.get $rem) (i32.const 2)) (then
                    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                    (v128.store (local.get $cp) (f64x2.add
                      (f64x2.mul (local.get $vb) (v128.load (local.get $cp)))
                      (f64x2.mul (local.get $va) (local.get $c20))))
                    (v128.store offset=16 (local.get $cp) (f64x2.add
                      (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $cp)))
                      (f64x2.mul (local.get $va) (local.get $c21))))
                    (if (i32.ge_s (local.get $rem) (i32.const 3)) (then
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (v128.store (local.get $cp) (f64x2.add
                        (f64x2.mul (local.get $vb) (v128.load (local.get $cp)))
                        (f64x2.mul (local.get $va) (local.get $c30))))
                      (v128.store offset=16 (local.get $cp) (f64x2.add
                        (f64x2.mul (local.get $vb) (v128.load offset=16 (local.get $cp)))
                        (f64x2.mul (local.get $va) (local.get $c31)))))))))))))
          (else
            ;; the shifted last block: only columns j..n-1 are new, i.e.
            ;; from column first = j - jj (1..3) of the tile, lane by lane; then
            ;; j + 4 > n ends the row
            (local.set $first (i32.sub (local.get $j) (local.get $jj)))
            (call $edge_row (local.get $cp) (local.get $first) (local.get $alpha) (local.get $beta)
              (local.get $c00) (local.get $c01))
            (if (i32.ge_s (local.get $rem) (i32.const 1)) (then
              (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
              (call $edge_row (local.get $cp) (local.get $first) (local.get $alpha) (local.get $beta)
                (local.get $c10) (local.get $c11))
              (if (i32.ge_s (local.get $rem) (i32.const 2)) (then
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (call $edge_row (local.get $cp) (local.get $first) (local.get $alpha) (local.get $beta)
                  (local.get $c20) (local.get $c21))
                (if (i32.ge_s (local.get $rem) (i32.const 3)) (then
                  (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                  (call $edge_row (local.get $cp) (local.get $first) (local.get $alpha) (local.get $beta)
                    (local.get $c30) (local.get $c31))))))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $cols (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))

  ;; Finishes the columns first..3 of one tile row (v0 = columns 0,1; v1 = 2,3)
  ;; into C at byte address cp (the tile's column 0), one lane at a time.
  (func $edge_row (param $cp i32) (param $first i32) (param $alpha f64) (param $beta f64)
    (param $v0 v128) (param $v1 v128)
    (if (i32.le_s (local.get $first) (i32.const 0)) (then
      (call $finish (local.get $cp) (f64x2.extract_lane 0 (local.get $v0)) (local.get $alpha) (local.get $beta))))
    (if (i32.le_s (local.get $first) (i32.const 1)) (then
      (call $finish (i32.add (local.get $cp) (i32.const 8)) (f64x2.extract_lane 1 (local.get $v0))
        (local.get $alpha) (local.get $beta))))
    (if (i32.le_s (local.get $first) (i32.const 2)) (then
      (call $finish (i32.add (local.get $cp) (i32.const 16)) (f64x2.extract_lane 0 (local.get $v1))
        (local.get $alpha) (local.get $beta))))
    (call $finish (i32.add (local.get $cp) (i32.const 24)) (f64x2.extract_lane 1 (local.get $v1))
      (local.get $alpha) (local.get $beta)))

  ;; C = alpha·s, or beta·C + alpha·s: the scalar twin of the vector finish.
  (func $finish (param $cp i32) (param $s f64) (param $alpha f64) (param $beta f64)
    (if (f64.eq (local.get $beta) (f64.const 0))
      (then (f64.store (local.get $cp) (f64.mul (local.get $alpha) (local.get $s))))
      (else (f64.store (local.get $cp) (f64.add
        (f64.mul (local.get $beta) (f64.load (local.get $cp)))
        (f64.mul (local.get $alpha) (local.get $s)))))))

  ;; $outer for n < 4 (a B row is too short for a 4-column block): one scalar
  ;; accumulator per element, the same order and roundings as a lane.
  (func $outer_narrow
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f64)
    (param $pa i32) (param $si i32) (param $sp i32)
    (param $pb i32) (param $ldb i32)
    (param $beta f64)
    (param $pc i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $pA i32) (local $pB i32) (local $s f64)
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $s (f64.const 0))
        (local.set $pA (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $si))))
        (local.set $pB (i32.add (local.get $pb) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $p (local.get $k))
        (block $k_done
          (br_if $k_done (i32.le_s (local.get $p) (i32.const 0)))
          (loop $k_steps
            (local.set $s (f64.add (local.get $s)
              (f64.mul (f64.load (local.get $pA)) (f64.load (local.get $pB)))))
            (local.set $pA (i32.add (local.get $pA) (local.get $sp)))
            (local.set $pB (i32.add (local.get $pB) (local.get $ldb)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br_if $k_steps (i32.gt_s (local.get $p) (i32.const 0)))))
        (call $finish
          (i32.add (local.get $pc)
            (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 3))))
          (local.get $s) (local.get $alpha) (local.get $beta))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $cols (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))

  (func $min (param $x i32) (param $y i32) (result i32)
    (select (local.get $x) (local.get $y) (i32.lt_s (local.get $x) (local.get $y))))
)
