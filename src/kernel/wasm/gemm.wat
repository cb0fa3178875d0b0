;; The three matrix products of backprop (see src/kernel/kernel.ts), written by
;; hand in WebAssembly with 128-bit SIMD (f64x2). Assembled by
;; scripts/build-wasm.mjs into dist/kernel/wasm/gemm.wasm.
;;
;; Conventions. Matrices are row-major f64 living in the one shared memory of
;; the Arena. Pointers are byte addresses, 8-byte aligned but not necessarily
;; 16 (v128 loads and stores are unaligned-safe in wasm); leading dimensions
;; are in elements and may exceed the row length (a block of a wider matrix).
;; m, n, k are >= 1 (0 is a no-op).
;;
;; Two variants from this one source. As written, it is the mul-add kernel:
;; f64x2.mul then f64x2.add, which wasm never contracts, so its results are
;; the same on every machine. Every accumulation step is written in exactly
;; one form,
;;     (f64x2.add (local.get ACC) (f64x2.mul (local.get X) (local.get Y)))
;; and scripts/build-wasm.mjs rewrites each of those (and nothing else) into
;;     (f64x2.relaxed_madd (local.get X) (local.get Y) (local.get ACC))
;; for gemm-fma.wasm: relaxed SIMD, a fused multiply-add where the CPU has
;; one (x86 FMA3, ARM), one rounding per step instead of two. A relaxed
;; instruction gives the same result every time on one machine and runtime,
;; so all that follows holds for both variants; they differ from each other
;; in the last bits. The finishes (alpha·s, beta·C + alpha·s) are written
;; otherwise and stay unfused in both.
;;
;; Summation scheme. Threads compute blocks of C, and a block must come out
;; bit-identical to the same elements computed whole, so the value of an output
;; element may depend only on its own row and column of the operands and on the
;; dims, never on where it falls in a tile or at an edge:
;;   gemm_abt: C(i,j) is a dot product along k in one f64x2 accumulator
;;     starting at +0: lane 0 adds the products of even p, lane 1 those of
;;     odd p, each in increasing p (when k is odd the last product, p = k-1,
;;     is even and is added to lane 0 last, lane 1 getting +0·0); then
;;     C(i,j) = lane0 + lane1. Edge tiles clamp their missing rows/columns
;;     to the last real one, so edges run the very same code as the interior.
;;   gemm_atb, gemm_ab: C(i,j) is one lane of an accumulator (or one scalar,
;;     in the narrow n < 4 path) adding A(i,p)·B(p,j) in increasing p from +0,
;;     the reference order; then C = alpha·s (beta = 0, C not read) or
;;     C = beta·C + alpha·s, with the same roundings in the vector and the
;;     scalar code. Edge rows are clamped like gemm_abt's; a last partial
;;     block of columns is shifted left to end at column n-1 (lanes do not
;;     differ), and only elements not yet written are stored.
;;   gemm_abt_pairs, gemm_atb_pairs (a sparse input, src/kernel/pairs.ts):
;;     the orders of gemm_abt and gemm_atb with the steps that add 0 left out,
;;     so the same bits.
;; Also here: the index of a sparse input's nonzero pairs, and the gather of a
;; mini-batch from bytes.
;;
;; Tile sizes fit x64's 16 xmm registers (V8 keeps one as scratch): 8 f64x2
;; accumulators plus the operand vectors of one step, so nothing spills. The
;; update's tiles of 10 (14 registers) fit too on Node 22 and later; Node 20's
;; V8 loads all five δ vectors of a step first and spills two accumulators,
;; so the caller asks for them only on later runtimes (src/kernel/wasm.ts).

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
    (local $kp i32) (local $q i32) (local $i i32) (local $j i32)
    (local $o1 i32) (local $o2 i32) (local $o3 i32)
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
    ;; bytes of k covered by whole pairs = byte offset of the odd tail element
    (local.set $kp (i32.shl (i32.shr_u (local.get $k) (i32.const 1)) (i32.const 4)))
    (local.set $i (i32.const 0))
    (loop $rows
      ;; when m is odd the second row of the last tile repeats row m-1
      (local.set $ra0 (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $lda))))
      (local.set $ra1 (select (i32.add (local.get $ra0) (local.get $lda)) (local.get $ra0)
        (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))))
      (local.set $cr (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $cols
        ;; rows of B past n-1 repeat row n-1 (their results are not stored)
        (local.set $rb0 (i32.add (local.get $pb) (i32.mul (local.get $j) (local.get $ldb))))
        (local.set $rb1 (select (i32.add (local.get $rb0) (local.get $ldb)) (local.get $rb0)
          (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $n))))
        (local.set $rb2 (select (i32.add (local.get $rb1) (local.get $ldb)) (local.get $rb1)
          (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n))))
        (local.set $rb3 (select (i32.add (local.get $rb2) (local.get $ldb)) (local.get $rb2)
          (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $n))))
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
          (br_if $k_done (i32.eqz (local.get $kp)))
          (loop $k_pairs
            ;; one B vector live at a time: 8 + 3 registers and a temporary
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
        ;; odd k: p = k-1 is even, so it joins lane 0 (load64_zero: lane 1
        ;; adds 0·0); same step, same order as the pairs
        (if (i32.and (local.get $k) (i32.const 1)) (then
          (local.set $a0 (v128.load64_zero (i32.add (local.get $ra0) (local.get $kp))))
          (local.set $a1 (v128.load64_zero (i32.add (local.get $ra1) (local.get $kp))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb0) (local.get $kp))))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a1) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb1) (local.get $kp))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a1) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb2) (local.get $kp))))
          (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $a1) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb3) (local.get $kp))))
          (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $a1) (local.get $b))))))
        ;; lane 0 + lane 1 of two accumulators at once: [x.0, y.0] + [x.1, y.1]
        ;; gives columns (j, j+1) in c00 and (j+2, j+3) in c02, and so on
        (local.set $c00 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c00) (local.get $c01))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c00) (local.get $c01))))
        (local.set $c02 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c02) (local.get $c03))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c02) (local.get $c03))))
        (local.set $c10 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c10) (local.get $c11))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c10) (local.get $c11))))
        (local.set $c12 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c12) (local.get $c13))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c12) (local.get $c13))))
        (local.set $cp (i32.add (local.get $cr) (i32.shl (local.get $j) (i32.const 3))))
        (if (i32.and
              (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))
              (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $n)))
          (then
            ;; the whole tile is real
            (v128.store (local.get $cp) (local.get $c00))
            (v128.store offset=16 (local.get $cp) (local.get $c02))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c10))
            (v128.store offset=16 (local.get $cp) (local.get $c12)))
          (else
            ;; an edge tile: a clamped row or column holds the very bits of
            ;; row m-1 or column n-1 (same operands, same code), so it is
            ;; stored over that element again instead of being branched
            ;; around; the byte steps to columns 1..3 and to row 1 clamp too
            (local.set $o1 (select (i32.const 8) (i32.const 0)
              (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $n))))
            (local.set $o2 (select (i32.const 16) (local.get $o1)
              (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n))))
            (local.set $o3 (select (i32.const 24) (local.get $o2)
              (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $n))))
            (f64.store (local.get $cp) (f64x2.extract_lane 0 (local.get $c00)))
            (f64.store (i32.add (local.get $cp) (local.get $o1)) (f64x2.extract_lane 1 (local.get $c00)))
            (f64.store (i32.add (local.get $cp) (local.get $o2)) (f64x2.extract_lane 0 (local.get $c02)))
            (f64.store (i32.add (local.get $cp) (local.get $o3)) (f64x2.extract_lane 1 (local.get $c02)))
            (local.set $cp (select (i32.add (local.get $cp) (local.get $ldc)) (local.get $cp)
              (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))))
            (f64.store (local.get $cp) (f64x2.extract_lane 0 (local.get $c10)))
            (f64.store (i32.add (local.get $cp) (local.get $o1)) (f64x2.extract_lane 1 (local.get $c10)))
            (f64.store (i32.add (local.get $cp) (local.get $o2)) (f64x2.extract_lane 0 (local.get $c12)))
            (f64.store (i32.add (local.get $cp) (local.get $o3)) (f64x2.extract_lane 1 (local.get $c12)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $cols (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))

  ;; The mini-batch gather (src/kernel/gather.ts): rows i0..i1 of X (byte
  ;; address px, ldx elements a row) = the `pixels` bytes of examples idx[i]
  ;; of the images at pimages, / 255. With pl not 0, instead the rows index
  ;; of those rows (as index_rows would make it from X: a pair is nonzero
  ;; when one of its bytes is) at pl, stride and pn, and of X only what the
  ;; products over pairs read: the listed pairs and an odd last column
  ;; (pairs_of_bytes; ptab is init_tables' table).
  (func $gather_rows (export "gather_rows")
    (param $i0 i32) (param $i1 i32) (param $pixels i32) (param $pimages i32) (param $pidx i32)
    (param $px i32) (param $ldx i32) (param $pl i32) (param $stride i32) (param $pn i32) (param $ptab i32) (result i32)
    (local $i i32) (local $p i32) (local $e i32) (local $touched i32)
    ;; First the rows' cache lines (touch_lines), then their conversion.
    (local.set $i (local.get $i0))
    (block $touch_done
      (br_if $touch_done (i32.ge_s (local.get $i) (local.get $i1)))
      (loop $touch
        (local.set $p (i32.add (local.get $pimages)
          (i32.mul (i32.load (i32.add (local.get $pidx) (i32.shl (local.get $i) (i32.const 2)))) (local.get $pixels))))
        (local.set $touched (i32.or (local.get $touched) (call $touch_lines (local.get $p) (i32.add (local.get $p) (local.get $pixels)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $touch (i32.lt_s (local.get $i) (local.get $i1)))))
    (local.set $i (local.get $i0))
    (block $done
      (br_if $done (i32.ge_s (local.get $i) (local.get $i1)))
      (loop $rows
        (local.set $p (i32.add (local.get $pimages)
          (i32.mul (i32.load (i32.add (local.get $pidx) (i32.shl (local.get $i) (i32.const 2)))) (local.get $pixels))))
        (local.set $e (i32.add (local.get $px) (i32.shl (i32.mul (local.get $i) (local.get $ldx)) (i32.const 3))))
        (if (local.get $pl)
          (then (i32.store (i32.add (local.get $pn) (i32.shl (local.get $i) (i32.const 2)))
            (call $pairs_of_bytes (local.get $pixels) (local.get $p) (local.get $e)
              (i32.add (local.get $pl) (i32.shl (i32.mul (local.get $i) (local.get $stride)) (i32.const 2))) (local.get $ptab))))
          (else (call $scale_bytes (local.get $pixels) (local.get $p) (local.get $e))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $i) (local.get $i1)))))
    (local.get $touched))

  ;; One load from every cache line of the bytes p .. end, all independent,
  ;; so that a gather's rows come from memory together: converting straight
  ;; away kept only the next two or three lines in flight (gather 36 -> 19 ms
  ;; an epoch, 784-30-10 mini-batch 10). The bytes loaded are returned so that
  ;; no compiler may drop the loads.
  (func $touch_lines (param $p i32) (param $end i32) (result i32)
    (local $touched i32)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))
    (local.set $touched (i32.load8_u (i32.sub (local.get $end) (i32.const 1))))
    (loop $lines
      (local.set $touched (i32.or (local.get $touched) (i32.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br_if $lines (i32.lt_u (local.get $p) (local.get $end))))
    (local.get $touched))

  ;; Bytes to [0, 1] doubles, X[i] = bytes[i] / 255 for i < n (the
  ;; mini-batch gather's pixels; the same correctly rounded quotient as
  ;; JavaScript's). 16 bytes a step; a step of zero bytes just stores zeros.
  ;; No division: b/255 = b·hi + b·lo (the globals below), hi = 1/255 to
  ;; 40 bits (so b·hi is exact) and lo = 1/255 − hi, gives the correctly
  ;; rounded quotient for every byte (checked for all 256:
  ;; test/gather.test.ts) and is 15% faster.
  (global $byte_hi f64 (f64.const 0x1.0101010101p-8))
  (global $byte_lo f64 (f64.const 0x1.0101010101010p-56))
  (func $scale_bytes (param $n i32) (param $pb i32) (param $px i32)
    (local $end i32) (local $v v128) (local $h v128) (local $w v128) (local $hi v128) (local $lo v128) (local $c v128)
    (local.set $hi (f64x2.splat (global.get $byte_hi)))
    (local.set $lo (f64x2.splat (global.get $byte_lo)))
    (local.set $end (i32.add (local.get $pb) (i32.and (local.get $n) (i32.const -16))))
    (block $done
      (br_if $done (i32.ge_u (local.get $pb) (local.get $end)))
      (loop $chunks
        (local.set $v (v128.load (local.get $pb)))
        (if (v128.any_true (local.get $v))
          (then
            ;; bytes 0-7 then 8-15, four at a time as i32, two at a time as f64
            (local.set $h (i16x8.extend_low_i8x16_u (local.get $v)))
            (local.set $w (i32x4.extend_low_i16x8_u (local.get $h)))
            (local.set $c (f64x2.convert_low_i32x4_u (local.get $w)))
            (v128.store offset=0 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $c (f64x2.convert_low_i32x4_u
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))
            (v128.store offset=16 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $w (i32x4.extend_high_i16x8_u (local.get $h)))
            (local.set $c (f64x2.convert_low_i32x4_u (local.get $w)))
            (v128.store offset=32 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $c (f64x2.convert_low_i32x4_u
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))
            (v128.store offset=48 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $h (i16x8.extend_high_i8x16_u (local.get $v)))
            (local.set $w (i32x4.extend_low_i16x8_u (local.get $h)))
            (local.set $c (f64x2.convert_low_i32x4_u (local.get $w)))
            (v128.store offset=64 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $c (f64x2.convert_low_i32x4_u
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))
            (v128.store offset=80 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $w (i32x4.extend_high_i16x8_u (local.get $h)))
            (local.set $c (f64x2.convert_low_i32x4_u (local.get $w)))
            (v128.store offset=96 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $c (f64x2.convert_low_i32x4_u
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))
            (v128.store offset=112 (local.get $px) (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo)))))
          (else
            (v128.store offset=0 (local.get $px) (v128.const i64x2 0 0))
            (v128.store offset=16 (local.get $px) (v128.const i64x2 0 0))
            (v128.store offset=32 (local.get $px) (v128.const i64x2 0 0))
            (v128.store offset=48 (local.get $px) (v128.const i64x2 0 0))
            (v128.store offset=64 (local.get $px) (v128.const i64x2 0 0))
            (v128.store offset=80 (local.get $px) (v128.const i64x2 0 0))
            (v128.store offset=96 (local.get $px) (v128.const i64x2 0 0))
            (v128.store offset=112 (local.get $px) (v128.const i64x2 0 0))))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (local.set $px (i32.add (local.get $px) (i32.const 128)))
        (br_if $chunks (i32.lt_u (local.get $pb) (local.get $end)))))
    (call $scale_tail (local.get $n) (local.get $pb) (local.get $px)))

  ;; The last n mod 16 bytes of a row, one at a time (pb, px: the first of them).
  (func $scale_tail (param $n i32) (param $pb i32) (param $px i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $pb) (i32.and (local.get $n) (i32.const 15))))
    (block $tail_done
      (br_if $tail_done (i32.ge_u (local.get $pb) (local.get $end)))
      (loop $tail
        (f64.store (local.get $px) (f64.div (f64.convert_i32_u (i32.load8_u (local.get $pb))) (f64.const 255)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 1)))
        (local.set $px (i32.add (local.get $px) (i32.const 8)))
        (br_if $tail (i32.lt_u (local.get $pb) (local.get $end)))))
  )

  ;; The table of set bits: for each byte b, the positions of its set bits,
  ;; increasing, as the bytes of an i64 at ptab + 8·b (the rest 0). The arena
  ;; keeps room for it (arena.ts). Every thread's kernel writes it, each entry
  ;; in one store of the value it already has, so a gather reading it meanwhile
  ;; sees the same bytes.
  (func $init_tables (export "init_tables") (param $ptab i32)
    (local $b i32) (local $j i32) (local $c i64) (local $v i64)
    (loop $bytes
      (local.set $v (i64.const 0))
      (local.set $c (i64.const 0))
      (local.set $j (i32.const 0))
      (loop $bits
        (if (i32.and (i32.shr_u (local.get $b) (local.get $j)) (i32.const 1)) (then
          (local.set $v (i64.or (local.get $v) (i64.shl (i64.extend_i32_u (local.get $j)) (local.get $c))))
          (local.set $c (i64.add (local.get $c) (i64.const 8)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $bits (i32.lt_u (local.get $j) (i32.const 8))))
      (i64.store (i32.add (local.get $ptab) (i32.shl (local.get $b) (i32.const 3))) (local.get $v))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $b) (i32.const 256)))))

  ;; The nonzero pairs of the n bytes at pb listed at pl, as index_rows lists
  ;; them, and their number returned; X (px) gets those pairs / 255 and an
  ;; odd last byte, as scale_bytes computes them, and nothing else: the
  ;; products over pairs read no other element, and an unwritten pair keeps
  ;; whatever an earlier batch left (kernel.ts, gatherRows). Measured against
  ;; converting every byte and listing pairs one by one (784-30-10 mini-batch
  ;; 10): the gather 23-27 -> 15-17 ms an epoch, the same weights. The 8
  ;; entries stored a step stay in the row's list: before a whole step, count
  ;; ≤ q, and q + 8 ≤ n/2 ≤ stride.
  (func $pairs_of_bytes (param $n i32) (param $pb i32) (param $px i32) (param $pl i32) (param $ptab i32) (result i32)
    (local $end i32) (local $h v128) (local $hi v128) (local $lo v128) (local $c v128)
    (local $q i32) (local $bits i32) (local $count i32) (local $at i32) (local $t i32)
    (local.set $hi (f64x2.splat (global.get $byte_hi)))
    (local.set $lo (f64x2.splat (global.get $byte_lo)))
    (local.set $at (local.get $pb))
    (local.set $end (i32.add (local.get $pb) (i32.and (local.get $n) (i32.const -16))))
    (block $done
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (loop $chunks
        ;; bit b: pair q + b has a nonzero byte. The table turns the bits into
        ;; their positions; all 8 are stored at the list's end, which then moves
        ;; on past the nonzero ones only (no branch to mispredict: a branch on
        ;; zero chunks, or a step per pair, took twice as long)
        (local.set $bits (i16x8.bitmask (i16x8.ne (v128.load (local.get $at)) (v128.const i64x2 0 0))))
        (local.set $h (i16x8.extend_low_i8x16_u
          (v128.load64_zero (i32.add (local.get $ptab) (i32.shl (local.get $bits) (i32.const 3))))))
        (local.set $t (i32.add (local.get $pl) (i32.shl (local.get $count) (i32.const 2))))
        (v128.store offset=0 (local.get $t) (i32x4.add (i32x4.extend_low_i16x8_u (local.get $h)) (i32x4.splat (local.get $q))))
        (v128.store offset=16 (local.get $t) (i32x4.add (i32x4.extend_high_i16x8_u (local.get $h)) (i32x4.splat (local.get $q))))
        (local.set $count (i32.add (local.get $count) (i32.popcnt (local.get $bits))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 8)))
        (br_if $chunks (i32.lt_u (local.get $at) (local.get $end)))))
    ;; the whole pairs of the last n mod 16 bytes one at a time
    (local.set $end (i32.add (local.get $at) (i32.and (local.get $n) (i32.const 14))))
    (block $listed
      (loop $tail_pairs
        (br_if $listed (i32.ge_u (local.get $at) (local.get $end)))
        (if (i32.load16_u (local.get $at))
          (then
            (i32.store (i32.add (local.get $pl) (i32.shl (local.get $count) (i32.const 2))) (local.get $q))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $at (i32.add (local.get $at) (i32.const 2)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $tail_pairs)))
    ;; the listed pairs: bytes 2q, 2q+1 as lanes 0, 1 of i32x4 (0 to 255, so
    ;; the signed conversion, one instruction on x64, is exact), then scale_bytes' quotient
    (local.set $t (i32.const 0))
    (block $converted
      (br_if $converted (i32.eqz (local.get $count)))
      (loop $convert
        (local.set $q (i32.shl (i32.load (i32.add (local.get $pl) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 1)))
        (local.set $c (f64x2.convert_low_i32x4_s (i8x16.shuffle 0 16 16 16 1 16 16 16 16 16 16 16 16 16 16 16
          (v128.load16_splat (i32.add (local.get $pb) (local.get $q))) (v128.const i64x2 0 0))))
        (v128.store (i32.add (local.get $px) (i32.shl (local.get $q) (i32.const 3)))
          (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $convert (i32.lt_u (local.get $t) (local.get $count)))))
    ;; an odd last byte (the products always take it)
    (if (i32.and (local.get $n) (i32.const 1))
      (then (call $scale_tail (i32.const 1)
        (i32.sub (i32.add (local.get $pb) (local.get $n)) (i32.const 1))
        (i32.add (local.get $px) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3))))))
    (local.get $count))

;; The lists of nonzero pairs of `count` images of `pixels` bytes at
  ;; pimages (src/kernel/image-pairs.ts's listPairs, whose entries it
  ;; writes), numbered from t0: with pentries 0 only counted, else entry t at
  ;; pentries + 4t and each image's first t at pstart. Returns the next t.
  ;; 16 bytes a step, and a step of zero bytes (most of an image) costs a
  ;; compare: several times faster than the TypeScript loop over pairs.
  (func $list_pairs (export "list_pairs")
    (param $count i32) (param $pixels i32) (param $pimages i32) (param $pstart i32) (param $pentries i32) (param $t0 i32) (result i32)
    (local $e i32) (local $p i32) (local $end i32) (local $q i32) (local $bits i32) (local $b i32) (local $t i32)
    (local.set $t (local.get $t0))
    (block $images_done
      (br_if $images_done (i32.le_s (local.get $count) (i32.const 0)))
      (loop $images
        (if (local.get $pentries) (then (i32.store (i32.add (local.get $pstart) (i32.shl (local.get $e) (i32.const 2))) (local.get $t))))
        (local.set $p (i32.add (local.get $pimages) (i32.mul (local.get $e) (local.get $pixels))))
        (local.set $end (i32.add (local.get $p) (i32.and (local.get $pixels) (i32.const -16))))
        (local.set $q (i32.const 0))
        (block $chunks_done
          (br_if $chunks_done (i32.ge_u (local.get $p) (local.get $end)))
          (loop $chunks
            ;; bit b: pair q + b has a nonzero byte
            (local.set $bits (i16x8.bitmask (i16x8.ne (v128.load (local.get $p)) (v128.const i64x2 0 0))))
            (block $bits_done
              (loop $each
                (br_if $bits_done (i32.eqz (local.get $bits)))
                (local.set $b (i32.ctz (local.get $bits)))
                (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
                (call $list_entry (local.get $pentries) (local.get $t) (i32.add (local.get $q) (local.get $b))
                  (i32.add (local.get $p) (i32.shl (local.get $b) (i32.const 1))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $each)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 8)))
            (br_if $chunks (i32.lt_u (local.get $p) (local.get $end)))))
        ;; the whole pairs of the last pixels mod 16 bytes one at a time
        (local.set $end (i32.add (local.get $p) (i32.and (local.get $pixels) (i32.const 14))))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
            (if (i32.load16_u (local.get $p)) (then
              (call $list_entry (local.get $pentries) (local.get $t) (local.get $q) (local.get $p))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $tail)))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br_if $images (i32.lt_s (local.get $e) (local.get $count)))))
    (local.get $t))

  ;; entry t at pentries (none when 0): pair q, its two bytes at pb above it
  (func $list_entry (param $pentries i32) (param $t i32) (param $q i32) (param $pb i32)
    (if (local.get $pentries) (then
      (i32.store (i32.add (local.get $pentries) (i32.shl (local.get $t) (i32.const 2)))
        (i32.or (local.get $q) (i32.shl (i32.load16_u (local.get $pb)) (i32.const 16)))))))

  ;; The mini-batch gather from the images' lists of nonzero pairs
  ;; (src/kernel/image-pairs.ts), for rows i0..i1: example e = idx[i] has the
  ;; entries start[e] .. start[e+1] at pentries, 4 bytes each (pair q in the
  ;; low half, its bytes 2q and 2q+1 in the high one) -> the rows index at
  ;; pl, stride, pn and of X the listed pairs / 255 and an odd last byte
  ;; (podd[e]): what gather_rows writes with a rows index, from under half
  ;; the bytes and with no listing to do. With pcl not 0, also the rows'
  ;; entries of the columns index at pcl, cstride, pcn (as index_columns
  ;; makes it from the rows index), cleared first when i0 is 0. As in
  ;; gather_rows, the rows' entries' cache lines first (touch_lines), and the
  ;; bytes loaded returned.
  (func $gather_pairs (export "gather_pairs")
    (param $i0 i32) (param $i1 i32) (param $pixels i32) (param $pidx i32) (param $px i32) (param $ldx i32)
    (param $pl i32) (param $stride i32) (param $pn i32) (param $pstart i32) (param $pentries i32) (param $podd i32)
    (param $pcl i32) (param $cstride i32) (param $pcn i32) (result i32)
    (local $i i32) (local $e i32) (local $p i32) (local $end i32) (local $touched i32) (local $x i32) (local $l i32)
    (local $v i32) (local $q i32) (local $at i32) (local $n i32) (local $c v128) (local $hi v128) (local $lo v128)
    (local.set $cstride (i32.shl (local.get $cstride) (i32.const 2)))
    (if (i32.and (i32.ne (local.get $pcl) (i32.const 0)) (i32.eqz (local.get $i0)))
      (then (memory.fill (local.get $pcn) (i32.const 0) (i32.shl (i32.shr_u (local.get $pixels) (i32.const 1)) (i32.const 2)))))
    (local.set $hi (f64x2.splat (global.get $byte_hi)))
    (local.set $lo (f64x2.splat (global.get $byte_lo)))
    (local.set $ldx (i32.shl (local.get $ldx) (i32.const 3)))
    (local.set $stride (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $i (local.get $i0))
    (block $touch_done
      (br_if $touch_done (i32.ge_s (local.get $i) (local.get $i1)))
      (loop $touch
        (local.set $e (i32.shl (i32.load (i32.add (local.get $pidx) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))
        (local.set $p (i32.add (local.get $pentries) (i32.shl (i32.load (i32.add (local.get $pstart) (local.get $e))) (i32.const 2))))
        (local.set $end (i32.add (local.get $pentries) (i32.shl (i32.load offset=4 (i32.add (local.get $pstart) (local.get $e))) (i32.const 2))))
        (local.set $touched (i32.or (local.get $touched) (call $touch_lines (local.get $p) (local.get $end))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $touch (i32.lt_s (local.get $i) (local.get $i1)))))
    (local.set $i (local.get $i0))
    (block $done
      (br_if $done (i32.ge_s (local.get $i) (local.get $i1)))
      (loop $rows
        (local.set $e (i32.load (i32.add (local.get $pidx) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $p (i32.add (local.get $pentries) (i32.shl (i32.load (i32.add (local.get $pstart) (i32.shl (local.get $e) (i32.const 2)))) (i32.const 2))))
        (local.set $end (i32.add (local.get $pentries) (i32.shl (i32.load offset=4 (i32.add (local.get $pstart) (i32.shl (local.get $e) (i32.const 2)))) (i32.const 2))))
        (local.set $x (i32.add (local.get $px) (i32.mul (local.get $i) (local.get $ldx))))
        (local.set $l (i32.add (local.get $pl) (i32.mul (local.get $i) (local.get $stride))))
        (i32.store (i32.add (local.get $pn) (i32.shl (local.get $i) (i32.const 2))) (i32.shr_u (i32.sub (local.get $end) (local.get $p)) (i32.const 2)))
        (block $pairs_done
          (br_if $pairs_done (i32.ge_u (local.get $p) (local.get $end)))
          (loop $pairs
            (local.set $v (i32.load (local.get $p)))
            (local.set $q (i32.and (local.get $v) (i32.const 0xffff)))
            (i32.store (local.get $l) (local.get $q))
            (if (local.get $pcl) (then ;; row i goes on pair q's list
              (local.set $at (i32.add (local.get $pcn) (i32.shl (local.get $q) (i32.const 2))))
              (local.set $n (i32.load (local.get $at)))
              (i32.store (i32.add (i32.add (local.get $pcl) (i32.mul (local.get $q) (local.get $cstride))) (i32.shl (local.get $n) (i32.const 2)))
                (local.get $i))
              (i32.store (local.get $at) (i32.add (local.get $n) (i32.const 1)))))
            ;; bytes 2 and 3 of the entry as lanes 0 and 1 of i32x4, then scale_bytes' quotient
            (local.set $c (f64x2.convert_low_i32x4_s (i8x16.shuffle 2 16 16 16 3 16 16 16 16 16 16 16 16 16 16 16
              (i32x4.splat (local.get $v)) (v128.const i64x2 0 0))))
            (v128.store (i32.add (local.get $x) (i32.shl (local.get $q) (i32.const 4)))
              (f64x2.add (f64x2.mul (local.get $c) (local.get $hi)) (f64x2.mul (local.get $c) (local.get $lo))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $l (i32.add (local.get $l) (i32.const 4)))
            (br_if $pairs (i32.lt_u (local.get $p) (local.get $end)))))
        (if (i32.and (local.get $pixels) (i32.const 1))
          (then (call $scale_tail (i32.const 1) (i32.add (local.get $podd) (local.get $e))
            (i32.add (local.get $x) (i32.shl (i32.sub (local.get $pixels) (i32.const 1)) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $i) (local.get $i1)))))
    (local.get $touched))

  ;; The rows index of rows i0..i1 of X (m, k) for the products over pairs
  ;; (src/kernel/pairs.ts's indexRows, whose lists it writes to the entry):
  ;; the pairs q < k/2 of each row with an element that is not ±0 (NaN is).
  (func $index_rows (export "index_rows")
    (param $i0 i32) (param $i1 i32) (param $k i32) (param $px i32) (param $ldx i32)
    (param $pl i32) (param $stride i32) (param $pn i32)
    (local $i i32) (local $x i32) (local $l0 i32) (local $l i32) (local $q i32) (local $kp i32)
    (local.set $kp (i32.shr_u (local.get $k) (i32.const 1)))
    (local.set $ldx (i32.shl (local.get $ldx) (i32.const 3)))
    (local.set $stride (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $i (local.get $i0))
    (block $rows_done
      (br_if $rows_done (i32.ge_s (local.get $i) (local.get $i1)))
      (loop $rows
        (local.set $x (i32.add (local.get $px) (i32.mul (local.get $i) (local.get $ldx))))
        (local.set $l0 (i32.add (local.get $pl) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $l (local.get $l0))
        (local.set $q (i32.const 0))
        (block $pairs_done
          (br_if $pairs_done (i32.eqz (local.get $kp)))
          (loop $pairs
            ;; written always, kept when the pair is nonzero: no branch
            (i32.store (local.get $l) (local.get $q))
            (local.set $l (i32.add (local.get $l) (i32.shl
              (v128.any_true (f64x2.ne (v128.load (local.get $x)) (v128.const i64x2 0 0))) (i32.const 2))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br_if $pairs (i32.lt_u (local.get $q) (local.get $kp)))))
        (i32.store (i32.add (local.get $pn) (i32.shl (local.get $i) (i32.const 2)))
          (i32.shr_u (i32.sub (local.get $l) (local.get $l0)) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $i) (local.get $i1))))))

  ;; The columns index of pairs q0..q1 from a rows index of m rows (pairs.ts's
  ;; indexColumns, whose lists it writes to the entry): for each pair, the
  ;; rows that have it, increasing.
  (func $index_columns (export "index_columns")
    (param $q0 i32) (param $q1 i32) (param $m i32)
    (param $rl i32) (param $rstride i32) (param $rn i32)
    (param $cl i32) (param $cstride i32) (param $cn i32)
    (local $i i32) (local $l i32) (local $end i32) (local $q i32) (local $at i32) (local $c i32)
    (if (i32.ge_s (local.get $q0) (local.get $q1)) (then (return)))
    (memory.fill (i32.add (local.get $cn) (i32.shl (local.get $q0) (i32.const 2))) (i32.const 0)
      (i32.shl (i32.sub (local.get $q1) (local.get $q0)) (i32.const 2)))
    (local.set $rstride (i32.shl (local.get $rstride) (i32.const 2)))
    (local.set $cstride (i32.shl (local.get $cstride) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $rows_done
      (br_if $rows_done (i32.le_s (local.get $m) (i32.const 0)))
      (loop $rows
        (local.set $l (i32.add (local.get $rl) (i32.mul (local.get $i) (local.get $rstride))))
        (local.set $end (i32.add (local.get $l)
          (i32.shl (i32.load (i32.add (local.get $rn) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
        (block $pairs_done
          (br_if $pairs_done (i32.ge_u (local.get $l) (local.get $end)))
          (loop $pairs
            (local.set $q (i32.load (local.get $l)))
            (if (i32.and (i32.ge_s (local.get $q) (local.get $q0)) (i32.lt_s (local.get $q) (local.get $q1))) (then
              (local.set $at (i32.add (local.get $cn) (i32.shl (local.get $q) (i32.const 2))))
              (local.set $c (i32.load (local.get $at)))
              (i32.store (i32.add (i32.add (local.get $cl) (i32.mul (local.get $q) (local.get $cstride)))
                (i32.shl (local.get $c) (i32.const 2))) (local.get $i))
              (i32.store (local.get $at) (i32.add (local.get $c) (i32.const 1)))))
            (local.set $l (i32.add (local.get $l) (i32.const 4)))
            (br_if $pairs (i32.lt_u (local.get $l) (local.get $end)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $i) (local.get $m))))))

  ;; A is (m, k) with a rows index, B is (n, k) -> C (m, n) = A · Bᵀ over A's
  ;; nonzero pairs of columns only (src/kernel/pairs.ts: pl is the list of
  ;; pairs q, `stride` entries a row, pn the count of each row). The steps are
  ;; gemm_abt's, in its order, with the steps of all-zero pairs left out (they
  ;; add ±0, which changes no accumulator: pairs.ts), so C has gemm_abt's bits.
  ;; Rows of A differ in their pairs, so a tile is 1 row × 6 rows of B (six
  ;; accumulators: 5-12% faster than four, and 30 units are five whole tiles;
  ;; eight spill), and the last n mod 6 rows go in tiles of 4.
  (func $gemm_abt_pairs (export "gemm_abt_pairs")
    (param $m i32) (param $n i32) (param $k i32)
    (param $pa i32) (param $lda i32)
    (param $pl i32) (param $stride i32) (param $pn i32)
    (param $pb i32) (param $ldb i32)
    (param $pc i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $kp i32)
    (local $ra i32) (local $cp i32) (local $l0 i32) (local $l i32) (local $end i32) (local $q i32)
    (local $rb0 i32) (local $rb1 i32) (local $rb2 i32) (local $rb3 i32)
    (local $rb4 i32) (local $rb5 i32)
    (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $a v128) (local $b v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $c5 v128)
    (if (i32.le_s (local.get $m) (i32.const 0)) (then (return)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $stride (i32.shl (local.get $stride) (i32.const 2)))
    ;; byte offset of the odd tail element
    (local.set $kp (i32.shl (i32.shr_u (local.get $k) (i32.const 1)) (i32.const 4)))
    ;; a tile of B's rows outer and A's rows inner: the tile's rows of B at A's
    ;; pairs stay in the L1 cache for every row of A (the other way round, each
    ;; row of A read all 30 rows of 784-30-10's W from L2 again)
    (local.set $j (i32.const 0))
    ;; whole tiles of 6 rows of B, as long as they fit
    (block $wide_done
      (br_if $wide_done (i32.gt_s (i32.add (local.get $j) (i32.const 6)) (local.get $n)))
    (loop $wide
      (local.set $rb0 (i32.add (local.get $pb) (i32.mul (local.get $j) (local.get $ldb))))
      (local.set $rb1 (i32.add (local.get $rb0) (local.get $ldb)))
      (local.set $rb2 (i32.add (local.get $rb1) (local.get $ldb)))
      (local.set $rb3 (i32.add (local.get $rb2) (local.get $ldb)))
      (local.set $rb4 (i32.add (local.get $rb3) (local.get $ldb)))
      (local.set $rb5 (i32.add (local.get $rb4) (local.get $ldb)))
      (local.set $i (i32.const 0))
      (loop $rows6
        (local.set $ra (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $lda))))
        (local.set $l0 (i32.add (local.get $pl) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $end (i32.add (local.get $l0)
          (i32.shl (i32.load (i32.add (local.get $pn) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
        (local.set $c0 (v128.const i64x2 0 0))
        (local.set $c1 (v128.const i64x2 0 0))
        (local.set $c2 (v128.const i64x2 0 0))
        (local.set $c3 (v128.const i64x2 0 0))
        (local.set $c4 (v128.const i64x2 0 0))
        (local.set $c5 (v128.const i64x2 0 0))
        (local.set $l (local.get $l0))
        (block $done6
          (br_if $done6 (i32.ge_u (local.get $l) (local.get $end)))
          (loop $pairs6
            (local.set $q (i32.shl (i32.load (local.get $l)) (i32.const 4)))
            (local.set $a (v128.load (i32.add (local.get $ra) (local.get $q))))
            (local.set $b (v128.load (i32.add (local.get $rb0) (local.get $q))))
            (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb1) (local.get $q))))
            (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb2) (local.get $q))))
            (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb3) (local.get $q))))
            (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb4) (local.get $q))))
            (local.set $c4 (f64x2.add (local.get $c4) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb5) (local.get $q))))
            (local.set $c5 (f64x2.add (local.get $c5) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $l (i32.add (local.get $l) (i32.const 4)))
            (br_if $pairs6 (i32.lt_u (local.get $l) (local.get $end)))))
        (if (i32.and (local.get $k) (i32.const 1)) (then
          (local.set $a (v128.load64_zero (i32.add (local.get $ra) (local.get $kp))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb0) (local.get $kp))))
          (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb1) (local.get $kp))))
          (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb2) (local.get $kp))))
          (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb3) (local.get $kp))))
          (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb4) (local.get $kp))))
          (local.set $c4 (f64x2.add (local.get $c4) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb5) (local.get $kp))))
          (local.set $c5 (f64x2.add (local.get $c5) (f64x2.mul (local.get $a) (local.get $b))))
          ))
        (local.set $c0 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c0) (local.get $c1))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c0) (local.get $c1))))
        (local.set $c2 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c2) (local.get $c3))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c2) (local.get $c3))))
        (local.set $c4 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c4) (local.get $c5))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c4) (local.get $c5))))
        (local.set $cp (i32.add (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $ldc)))
          (i32.shl (local.get $j) (i32.const 3))))
        (v128.store (local.get $cp) (local.get $c0))
        (v128.store offset=16 (local.get $cp) (local.get $c2))
        (v128.store offset=32 (local.get $cp) (local.get $c4))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows6 (i32.lt_s (local.get $i) (local.get $m))))
      (local.set $j (i32.add (local.get $j) (i32.const 6)))
      (br_if $wide (i32.le_s (i32.add (local.get $j) (i32.const 6)) (local.get $n)))))
    ;; the rest in tiles of 4
    (block $cols_done
      (br_if $cols_done (i32.ge_s (local.get $j) (local.get $n)))
    (loop $cols
      ;; rows of B past n-1 repeat row n-1 (their results are not stored)
      (local.set $rb0 (i32.add (local.get $pb) (i32.mul (local.get $j) (local.get $ldb))))
      (local.set $rb1 (select (i32.add (local.get $rb0) (local.get $ldb)) (local.get $rb0)
        (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $n))))
      (local.set $rb2 (select (i32.add (local.get $rb1) (local.get $ldb)) (local.get $rb1)
        (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n))))
      (local.set $rb3 (select (i32.add (local.get $rb2) (local.get $ldb)) (local.get $rb2)
        (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $n))))
      (local.set $i (i32.const 0))
      (loop $rows4
        (local.set $ra (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $lda))))
        (local.set $l0 (i32.add (local.get $pl) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $end (i32.add (local.get $l0)
          (i32.shl (i32.load (i32.add (local.get $pn) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
        (local.set $c0 (v128.const i64x2 0 0))
        (local.set $c1 (v128.const i64x2 0 0))
        (local.set $c2 (v128.const i64x2 0 0))
        (local.set $c3 (v128.const i64x2 0 0))
        (local.set $l (local.get $l0))
        (block $done
          (br_if $done (i32.ge_u (local.get $l) (local.get $end)))
          (loop $pairs
            (local.set $q (i32.shl (i32.load (local.get $l)) (i32.const 4)))
            (local.set $a (v128.load (i32.add (local.get $ra) (local.get $q))))
            (local.set $b (v128.load (i32.add (local.get $rb0) (local.get $q))))
            (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb1) (local.get $q))))
            (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb2) (local.get $q))))
            (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $b (v128.load (i32.add (local.get $rb3) (local.get $q))))
            (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $a) (local.get $b))))
            (local.set $l (i32.add (local.get $l) (i32.const 4)))
            (br_if $pairs (i32.lt_u (local.get $l) (local.get $end)))))
        ;; odd k: the last element joins lane 0 last, as in gemm_abt
        (if (i32.and (local.get $k) (i32.const 1)) (then
          (local.set $a (v128.load64_zero (i32.add (local.get $ra) (local.get $kp))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb0) (local.get $kp))))
          (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb1) (local.get $kp))))
          (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb2) (local.get $kp))))
          (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $a) (local.get $b))))
          (local.set $b (v128.load64_zero (i32.add (local.get $rb3) (local.get $kp))))
          (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $a) (local.get $b))))))
        ;; lane 0 + lane 1, as gemm_abt: columns (j, j+1) in c0, (j+2, j+3) in c2
        (local.set $c0 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c0) (local.get $c1))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c0) (local.get $c1))))
        (local.set $c2 (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c2) (local.get $c3))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c2) (local.get $c3))))
        (local.set $cp (i32.add (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $ldc)))
          (i32.shl (local.get $j) (i32.const 3))))
        (if (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $n))
          (then
            (v128.store (local.get $cp) (local.get $c0))
            (v128.store offset=16 (local.get $cp) (local.get $c2)))
          (else
            ;; an edge tile: clamped columns store the bits of column n-1 over it again
            (local.set $o1 (select (i32.const 8) (i32.const 0)
              (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $n))))
            (local.set $o2 (select (i32.const 16) (local.get $o1)
              (i32.lt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n))))
            (local.set $o3 (select (i32.const 24) (local.get $o2)
              (i32.lt_s (i32.add (local.get $j) (i32.const 3)) (local.get $n))))
            (f64.store (local.get $cp) (f64x2.extract_lane 0 (local.get $c0)))
            (f64.store (i32.add (local.get $cp) (local.get $o1)) (f64x2.extract_lane 1 (local.get $c0)))
            (f64.store (i32.add (local.get $cp) (local.get $o2)) (f64x2.extract_lane 0 (local.get $c2)))
            (f64.store (i32.add (local.get $cp) (local.get $o3)) (f64x2.extract_lane 1 (local.get $c2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows4 (i32.lt_s (local.get $i) (local.get $m))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br_if $cols (i32.lt_s (local.get $j) (local.get $n))))))

  ;; A is (k, m), B is (k, n) with a columns index -> C (m, n) = beta·C + alpha·Aᵀ·B
  ;; over B's nonzero pairs of columns only (pairs.ts: pl lists for each pair q
  ;; the rows p of B, `stride` entries a pair, pn their count). The update of
  ;; the first layer, W = beta·W + alpha·Δᵀ·X. Each element is gemm_atb's one
  ;; accumulator, in increasing p, with the steps of zero elements left out,
  ;; and the same finish: C has gemm_atb's bits. A tile is 8 rows of C × one
  ;; pair, or with `wide` 10 where that computes no more rows (m = 30: 3 tiles,
  ;; not 4 with 2 rows done twice; a step loads 7 vectors for 10 multiply-adds,
  ;; not 6 for 8); the last tile is shifted up to end at row m-1 and stores only its
  ;; new rows (m < 8 goes a row at a time). A pair that no row of B touches
  ;; has s = +0: with beta = 1 and alpha < 0 its C stays as it is, bit for
  ;; bit, and it is skipped. When n is odd, the last column is gemm_atb's.
  (func $gemm_atb_pairs (export "gemm_atb_pairs")
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f64)
    (param $pa i32) (param $lda i32)
    (param $pb i32) (param $ldb i32)
    (param $pl i32) (param $stride i32) (param $pn i32)
    (param $beta f64)
    (param $pc i32) (param $ldc i32)
    (param $wide i32)
    (local $i i32) (local $it i32) (local $first i32) (local $skip i32) (local $over i32)
    (local $q i32) (local $np i32) (local $cnt i32) (local $l0 i32) (local $l i32) (local $end i32)
    (local $pA i32) (local $pbq i32) (local $cq i32) (local $cp i32)
    (local $va v128) (local $vb v128) (local $a v128) (local $b v128) (local $xe v128) (local $xo v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128) (local $c8 v128) (local $c9 v128)
    (local $ten i32)
    (if (i32.le_s (local.get $m) (i32.const 0)) (then (return)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $stride (i32.shl (local.get $stride) (i32.const 2)))
    ;; tiles of 10 rows when wide (the caller's choice) and they compute no more rows than tiles of 8 would
    (local.set $ten (i32.and (i32.and (local.get $wide) (i32.ge_s (local.get $m) (i32.const 10)))
      (i32.le_s (i32.mul (i32.div_u (i32.add (local.get $m) (i32.const 9)) (i32.const 10)) (i32.const 10))
        (i32.and (i32.add (local.get $m) (i32.const 7)) (i32.const -8)))))
    (local.set $np (i32.shr_u (local.get $n) (i32.const 1)))
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $vb (f64x2.splat (local.get $beta)))
    ;; beta = 0 overwrites C without reading it
    (local.set $over (f64.eq (local.get $beta) (f64.const 0)))
    (local.set $skip (i32.and (f64.eq (local.get $beta) (f64.const 1)) (f64.lt (local.get $alpha) (f64.const 0))))
    (if (i32.lt_s (local.get $m) (i32.const 8))
      (then (call $atb_pairs_rows
        (local.get $m) (local.get $np) (local.get $pa) (local.get $lda) (local.get $pb) (local.get $ldb)
        (local.get $pl) (local.get $stride) (local.get $pn) (local.get $skip) (local.get $over)
        (local.get $va) (local.get $vb) (local.get $pc) (local.get $ldc)))
      (else
        (local.set $q (i32.const 0))
        (block $pairs_done
          (br_if $pairs_done (i32.eqz (local.get $np)))
          ;; pair by pair, so that its rows are looked up once and the tiles
          ;; after the first run the same number of steps
          (loop $pairs
            (local.set $cnt (i32.load (i32.add (local.get $pn) (i32.shl (local.get $q) (i32.const 2)))))
            (block $next
              (br_if $next (i32.and (i32.eqz (local.get $cnt)) (local.get $skip)))
              (local.set $l0 (i32.add (local.get $pl) (i32.mul (local.get $q) (local.get $stride))))
              (local.set $end (i32.add (local.get $l0) (i32.shl (local.get $cnt) (i32.const 2))))
              (local.set $pbq (i32.add (local.get $pb) (i32.shl (local.get $q) (i32.const 4))))
              (local.set $cq (i32.add (local.get $pc) (i32.shl (local.get $q) (i32.const 4))))
              (local.set $i (i32.const 0))
              (block $tiles_done
                (if (local.get $ten) (then
                  (loop $tiles10
                    ;; as the tiles of 8 below, with 10 rows: δ in five loads of two units
                    (local.set $it (select (local.get $i) (i32.sub (local.get $m) (i32.const 10))
                      (i32.le_s (i32.add (local.get $i) (i32.const 10)) (local.get $m))))
                    (local.set $first (i32.sub (local.get $i) (local.get $it)))
                    (local.set $c0 (v128.const i64x2 0 0))
                    (local.set $c1 (v128.const i64x2 0 0))
                    (local.set $c2 (v128.const i64x2 0 0))
                    (local.set $c3 (v128.const i64x2 0 0))
                    (local.set $c4 (v128.const i64x2 0 0))
                    (local.set $c5 (v128.const i64x2 0 0))
                    (local.set $c6 (v128.const i64x2 0 0))
                    (local.set $c7 (v128.const i64x2 0 0))
                    (local.set $c8 (v128.const i64x2 0 0))
                    (local.set $c9 (v128.const i64x2 0 0))
                    (local.set $l (local.get $l0))
                    (block $rows_done
                      (br_if $rows_done (i32.ge_u (local.get $l) (local.get $end)))
                      (loop $entries
                        (local.set $pA (i32.load (local.get $l)))
                        (local.set $xe (v128.load64_splat (i32.add (local.get $pbq) (i32.mul (local.get $pA) (local.get $ldb)))))
                        (local.set $xo (v128.load64_splat offset=8 (i32.add (local.get $pbq) (i32.mul (local.get $pA) (local.get $ldb)))))
                        (local.set $pA (i32.add (i32.add (local.get $pa) (i32.shl (local.get $it) (i32.const 3)))
                          (i32.mul (local.get $pA) (local.get $lda))))
                        (local.set $b (v128.load offset=0 (local.get $pA)))
                        (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $xe) (local.get $b))))
                        (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $xo) (local.get $b))))
                        (local.set $b (v128.load offset=16 (local.get $pA)))
                        (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $xe) (local.get $b))))
                        (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $xo) (local.get $b))))
                        (local.set $b (v128.load offset=32 (local.get $pA)))
                        (local.set $c4 (f64x2.add (local.get $c4) (f64x2.mul (local.get $xe) (local.get $b))))
                        (local.set $c5 (f64x2.add (local.get $c5) (f64x2.mul (local.get $xo) (local.get $b))))
                        (local.set $b (v128.load offset=48 (local.get $pA)))
                        (local.set $c6 (f64x2.add (local.get $c6) (f64x2.mul (local.get $xe) (local.get $b))))
                        (local.set $c7 (f64x2.add (local.get $c7) (f64x2.mul (local.get $xo) (local.get $b))))
                        (local.set $b (v128.load offset=64 (local.get $pA)))
                        (local.set $c8 (f64x2.add (local.get $c8) (f64x2.mul (local.get $xe) (local.get $b))))
                        (local.set $c9 (f64x2.add (local.get $c9) (f64x2.mul (local.get $xo) (local.get $b))))
                        (local.set $l (i32.add (local.get $l) (i32.const 4)))
                        (br_if $entries (i32.lt_u (local.get $l) (local.get $end)))))
                    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c0) (local.get $c1)))
                    (local.set $c1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c0) (local.get $c1)))
                    (local.set $c0 (local.get $a))
                    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c2) (local.get $c3)))
                    (local.set $c3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c2) (local.get $c3)))
                    (local.set $c2 (local.get $a))
                    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c4) (local.get $c5)))
                    (local.set $c5 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c4) (local.get $c5)))
                    (local.set $c4 (local.get $a))
                    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c6) (local.get $c7)))
                    (local.set $c7 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c6) (local.get $c7)))
                    (local.set $c6 (local.get $a))
                    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c8) (local.get $c9)))
                    (local.set $c9 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c8) (local.get $c9)))
                    (local.set $c8 (local.get $a))
                    (local.set $cp (i32.add (local.get $cq) (i32.mul (local.get $it) (local.get $ldc))))
                    (if (i32.or (local.get $over) (local.get $first))
                      (then
                        (if (i32.le_u (local.get $first) (i32.const 0)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c0))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 1)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c1))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 2)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c2))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 3)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c3))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 4)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c4))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 5)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c5))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 6)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c6))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 7)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c7))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 8)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c8))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (if (i32.le_u (local.get $first) (i32.const 9)) (then
                          (call $atb_finish_row (local.get $cp) (local.get $over) (local.get $va) (local.get $vb) (local.get $c9)))))
                      (else
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c0))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c1))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c2))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c3))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c4))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c5))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c6))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c7))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c8))))
                        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c9))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 10)))
                    (br_if $tiles10 (i32.lt_s (local.get $i) (local.get $m))))
                  (br $tiles_done)))
              (loop $tiles
                ;; the tile's first row, and how many of its rows an earlier tile wrote
                (local.set $it (select (local.get $i) (i32.sub (local.get $m) (i32.const 8))
                  (i32.le_s (i32.add (local.get $i) (i32.const 8)) (local.get $m))))
                (local.set $first (i32.sub (local.get $i) (local.get $it)))
                (local.set $c0 (v128.const i64x2 0 0))
                (local.set $c1 (v128.const i64x2 0 0))
                (local.set $c2 (v128.const i64x2 0 0))
                (local.set $c3 (v128.const i64x2 0 0))
                (local.set $c4 (v128.const i64x2 0 0))
                (local.set $c5 (v128.const i64x2 0 0))
                (local.set $c6 (v128.const i64x2 0 0))
                (local.set $c7 (v128.const i64x2 0 0))
                (local.set $l (local.get $l0))
                (block $rows_done
                  (br_if $rows_done (i32.ge_u (local.get $l) (local.get $end)))
                  (loop $entries
                    ;; x = the row's pair, as two splats; δ two units a load:
                    ;; c(2t) gathers columns 2q of units 2t, 2t+1, c(2t+1) columns 2q+1
                    (local.set $pA (i32.load (local.get $l)))
                    (local.set $xe (v128.load64_splat (i32.add (local.get $pbq) (i32.mul (local.get $pA) (local.get $ldb)))))
                    (local.set $xo (v128.load64_splat offset=8 (i32.add (local.get $pbq) (i32.mul (local.get $pA) (local.get $ldb)))))
                    (local.set $pA (i32.add (i32.add (local.get $pa) (i32.shl (local.get $it) (i32.const 3)))
                      (i32.mul (local.get $pA) (local.get $lda))))
                    (local.set $b (v128.load offset=0 (local.get $pA)))
                    (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $xe) (local.get $b))))
                    (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $xo) (local.get $b))))
                    (local.set $b (v128.load offset=16 (local.get $pA)))
                    (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $xe) (local.get $b))))
                    (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $xo) (local.get $b))))
                    (local.set $b (v128.load offset=32 (local.get $pA)))
                    (local.set $c4 (f64x2.add (local.get $c4) (f64x2.mul (local.get $xe) (local.get $b))))
                    (local.set $c5 (f64x2.add (local.get $c5) (f64x2.mul (local.get $xo) (local.get $b))))
                    (local.set $b (v128.load offset=48 (local.get $pA)))
                    (local.set $c6 (f64x2.add (local.get $c6) (f64x2.mul (local.get $xe) (local.get $b))))
                    (local.set $c7 (f64x2.add (local.get $c7) (f64x2.mul (local.get $xo) (local.get $b))))
                    (local.set $l (i32.add (local.get $l) (i32.const 4)))
                    (br_if $entries (i32.lt_u (local.get $l) (local.get $end)))))
                ;; back to one accumulator per row of C: row 2t is lanes 0, row 2t+1 lanes 1
                (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c0) (local.get $c1)))
                (local.set $c1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c0) (local.get $c1)))
                (local.set $c0 (local.get $a))
                (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c2) (local.get $c3)))
                (local.set $c3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c2) (local.get $c3)))
                (local.set $c2 (local.get $a))
                (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c4) (local.get $c5)))
                (local.set $c5 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c4) (local.get $c5)))
                (local.set $c4 (local.get $a))
                (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c6) (local.get $c7)))
                (local.set $c7 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c6) (local.get $c7)))
                (local.set $c6 (local.get $a))
                (local.set $cp (i32.add (local.get $cq) (i32.mul (local.get $it) (local.get $ldc))))
                ;; the common case straight, a shifted last tile (only its new rows) inline,
                ;; beta = 0 (the gradient, not training) in a call
                (if (local.get $over)
                  (then (call $atb_finish8 (local.get $cp) (local.get $ldc) (local.get $first) (local.get $over)
                    (local.get $va) (local.get $vb) (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
                    (local.get $c4) (local.get $c5) (local.get $c6) (local.get $c7)))
                  (else (if (local.get $first)
                    (then
                      (if (i32.le_u (local.get $first) (i32.const 0)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c0))))))
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (if (i32.le_u (local.get $first) (i32.const 1)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c1))))))
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (if (i32.le_u (local.get $first) (i32.const 2)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c2))))))
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (if (i32.le_u (local.get $first) (i32.const 3)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c3))))))
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (if (i32.le_u (local.get $first) (i32.const 4)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c4))))))
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (if (i32.le_u (local.get $first) (i32.const 5)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c5))))))
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (if (i32.le_u (local.get $first) (i32.const 6)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c6))))))
                      (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                      (if (i32.le_u (local.get $first) (i32.const 7)) (then
                        (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c7))))))
                    )
                  (else
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c0))))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c1))))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c2))))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c3))))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c4))))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c5))))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c6))))
                (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
                (v128.store (local.get $cp) (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c7))))
                  ))))
                (local.set $i (i32.add (local.get $i) (i32.const 8)))
                (br_if $tiles (i32.lt_s (local.get $i) (local.get $m))))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br_if $pairs (i32.lt_u (local.get $q) (local.get $np)))))))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (call $outer_narrow
        (local.get $m) (i32.const 1) (local.get $k) (local.get $alpha)
        (local.get $pa) (i32.const 8) (local.get $lda)
        (i32.add (local.get $pb) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3))) (local.get $ldb)
        (local.get $beta)
        (i32.add (local.get $pc) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3))) (local.get $ldc)))))

  ;; The finish of one tile of $gemm_atb_pairs into C at cp (its row 0), the
  ;; rows from `first` on: C = alpha·s (over: beta = 0) or beta·C + alpha·s.
  (func $atb_finish8 (param $cp i32) (param $ldc i32) (param $first i32) (param $over i32)
    (param $va v128) (param $vb v128) (param $c0 v128) (param $c1 v128) (param $c2 v128) (param $c3 v128)
    (param $c4 v128) (param $c5 v128) (param $c6 v128) (param $c7 v128)
    (if (i32.le_u (local.get $first) (i32.const 0)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c0)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c0))))))))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (if (i32.le_u (local.get $first) (i32.const 1)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c1)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c1))))))))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (if (i32.le_u (local.get $first) (i32.const 2)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c2)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c2))))))))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (if (i32.le_u (local.get $first) (i32.const 3)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c3)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c3))))))))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (if (i32.le_u (local.get $first) (i32.const 4)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c4)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c4))))))))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (if (i32.le_u (local.get $first) (i32.const 5)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c5)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c5))))))))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (if (i32.le_u (local.get $first) (i32.const 6)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c6)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c6))))))))
    (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
    (if (i32.le_u (local.get $first) (i32.const 7)) (then
      (v128.store (local.get $cp) (if (result v128) (local.get $over)
        (then (f64x2.mul (local.get $va) (local.get $c7)))
        (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c7)))))))))

  ;; One row of a tile of $gemm_atb_pairs into C at cp, as $atb_finish8 finishes each.
  (func $atb_finish_row (param $cp i32) (param $over i32) (param $va v128) (param $vb v128) (param $c v128)
    (v128.store (local.get $cp) (if (result v128) (local.get $over)
      (then (f64x2.mul (local.get $va) (local.get $c)))
      (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c)))))))

  ;; $gemm_atb_pairs a row of C at a time (m < 8); byte strides, counts as there.
  (func $atb_pairs_rows
    (param $m i32) (param $np i32) (param $pa i32) (param $lda i32) (param $pb i32) (param $ldb i32)
    (param $pl i32) (param $stride i32) (param $pn i32) (param $skip i32) (param $over i32)
    (param $va v128) (param $vb v128) (param $pc i32) (param $ldc i32)
    (local $i i32) (local $q i32) (local $cnt i32) (local $l i32) (local $end i32) (local $p i32)
    (local $cp i32) (local $a v128) (local $b v128) (local $c0 v128)
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $q (i32.const 0))
      (block $pairs_done
        (br_if $pairs_done (i32.eqz (local.get $np)))
        (loop $pairs
          (local.set $cnt (i32.load (i32.add (local.get $pn) (i32.shl (local.get $q) (i32.const 2)))))
          (block $next
            (br_if $next (i32.and (i32.eqz (local.get $cnt)) (local.get $skip)))
            (local.set $c0 (v128.const i64x2 0 0))
            (local.set $l (i32.add (local.get $pl) (i32.mul (local.get $q) (local.get $stride))))
            (local.set $end (i32.add (local.get $l) (i32.shl (local.get $cnt) (i32.const 2))))
            (block $rows_done
              (br_if $rows_done (i32.eqz (local.get $cnt)))
              (loop $entries
                (local.set $p (i32.load (local.get $l)))
                (local.set $b (v128.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $p) (local.get $ldb)))
                  (i32.shl (local.get $q) (i32.const 4)))))
                (local.set $a (v128.load64_splat (i32.add (i32.add (local.get $pa) (i32.shl (local.get $i) (i32.const 3)))
                  (i32.mul (local.get $p) (local.get $lda)))))
                (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $a) (local.get $b))))
                (local.set $l (i32.add (local.get $l) (i32.const 4)))
                (br_if $entries (i32.lt_u (local.get $l) (local.get $end)))))
            (local.set $cp (i32.add (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $ldc)))
              (i32.shl (local.get $q) (i32.const 4))))
            (v128.store (local.get $cp) (if (result v128) (local.get $over)
              (then (f64x2.mul (local.get $va) (local.get $c0)))
              (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (local.get $cp))) (f64x2.mul (local.get $va) (local.get $c0)))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $pairs (i32.lt_u (local.get $q) (local.get $np)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))

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
  ;; written once per tile. Rows past m-1 repeat row m-1 and are not stored.
  ;; A last partial block of columns goes to $outer_edge, so that nothing
  ;; after the hot loop here is a call (V8 would spill the accumulators).
  (func $outer
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f64)
    (param $pa i32) (param $si i32) (param $sp i32)
    (param $pb i32) (param $ldb i32)
    (param $beta f64)
    (param $pc i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $rem i32)
    (local $ra i32) (local $d1 i32) (local $d2 i32) (local $d3 i32)
    (local $pA i32) (local $pB i32) (local $cr i32) (local $cp i32)
    (local $va v128) (local $vb v128)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (if (i32.le_s (local.get $m) (i32.const 0)) (then (return)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    ;; too narrow for a 4-column block (or k = 0): scalar loop, same order
    ;; and roundings
    (if (i32.or (i32.lt_s (local.get $n) (i32.const 4)) (i32.le_s (local.get $k) (i32.const 0))) (then
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
      (local.set $d1 (i32.mul (select (i32.const 1) (local.get $rem) (i32.ge_s (local.get $rem) (i32.const 1))) (local.get $si)))
      (local.set $d2 (i32.mul (select (i32.const 2) (local.get $rem) (i32.ge_s (local.get $rem) (i32.const 2))) (local.get $si)))
      (local.set $d3 (i32.mul (select (i32.const 3) (local.get $rem) (i32.ge_s (local.get $rem) (i32.const 3))) (local.get $si)))
      (local.set $cr (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $cols
        ;; the whole blocks: n >= 4 makes the first one exist
        (local.set $pA (local.get $ra))
        (local.set $pB (i32.add (local.get $pb) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $c00 (v128.const i64x2 0 0))
        (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0))
        (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0))
        (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0))
        (local.set $c31 (v128.const i64x2 0 0))
        ;; k >= 1 here, so the loop tests at the bottom only
        (local.set $p (local.get $k))
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
          (br_if $k_steps (local.get $p)))
        ;; finish two vectors per real row
        (local.set $cp (i32.add (local.get $cr) (i32.shl (local.get $j) (i32.const 3))))
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
                    (f64x2.mul (local.get $va) (local.get $c31))))))))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $cols (i32.le_s (i32.add (local.get $j) (i32.const 4)) (local.get $n))))
      ;; columns j..n-1 (1 to 3 of them) are left: a block shifted left to
      ;; end at column n-1, storing only its last n - j columns
      (if (i32.lt_s (local.get $j) (local.get $n)) (then
        (call $outer_edge (local.get $k) (local.get $alpha) (local.get $beta)
          (local.get $ra) (local.get $d1) (local.get $d2) (local.get $d3) (local.get $sp)
          (i32.add (local.get $pb) (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 3))) (local.get $ldb)
          (i32.add (local.get $cr) (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 3))) (local.get $ldc)
          (local.get $rem) (i32.sub (local.get $j) (i32.sub (local.get $n) (i32.const 4))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))

  ;; The last, shifted column block of one row tile of $outer: the same k
  ;; loop over the 4 columns at pB (k >= 1), then for each real row (rem as
  ;; in $outer) only the columns first..3 of the block, which are new.
  (func $outer_edge
    (param $k i32) (param $alpha f64) (param $beta f64)
    (param $pA i32) (param $d1 i32) (param $d2 i32) (param $d3 i32) (param $sp i32)
    (param $pB i32) (param $ldb i32) (param $cp i32) (param $ldc i32)
    (param $rem i32) (param $first i32)
    ;; wasm zeroes locals, so the accumulators start at +0
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
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
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br_if $k_steps (local.get $k)))
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
            (local.get $c30) (local.get $c31)))))))))

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

  ;; $outer for n < 4 (a B row is too short for a 4-column block): one
  ;; accumulator per element in lane 0 of a vector (lane 1 adds 0·0), the same
  ;; order and roundings as a lane; a vector so that the FMA variant fuses it
  ;; exactly as it fuses the lanes (wasm has no scalar relaxed madd).
  (func $outer_narrow
    (param $m i32) (param $n i32) (param $k i32) (param $alpha f64)
    (param $pa i32) (param $si i32) (param $sp i32)
    (param $pb i32) (param $ldb i32)
    (param $beta f64)
    (param $pc i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $pA i32) (local $pB i32)
    (local $s v128) (local $x v128) (local $y v128)
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $s (v128.const i64x2 0 0))
        (local.set $pA (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $si))))
        (local.set $pB (i32.add (local.get $pb) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $p (local.get $k))
        (block $k_done
          (br_if $k_done (i32.le_s (local.get $p) (i32.const 0)))
          (loop $k_steps
            (local.set $x (v128.load64_zero (local.get $pA)))
            (local.set $y (v128.load64_zero (local.get $pB)))
            (local.set $s (f64x2.add (local.get $s) (f64x2.mul (local.get $x) (local.get $y))))
            (local.set $pA (i32.add (local.get $pA) (local.get $sp)))
            (local.set $pB (i32.add (local.get $pB) (local.get $ldb)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br_if $k_steps (i32.gt_s (local.get $p) (i32.const 0)))))
        (call $finish
          (i32.add (local.get $pc)
            (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 3))))
          (f64x2.extract_lane 0 (local.get $s)) (local.get $alpha) (local.get $beta))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $cols (i32.lt_s (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))
)
