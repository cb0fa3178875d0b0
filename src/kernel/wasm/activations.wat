;; The sigmoid's forward step in WebAssembly (src/kernel/wasm-activations.ts),
;; Z = σ(s·Z + b) = 1 / (1 + exp(−(s·Z + b))), with the very bits of the
;; TypeScript loop in src/layers/activations.ts: the same operations in the
;; same order, and an exp that gives Math.exp's bits. V8's Math.exp is
;; fdlibm's algorithm (src/base/ieee754.cc, with exp(1) = e made exact), so
;; this is that algorithm again, written for two lanes at a time:
;;   reduce x = k·ln2 + r, |r| ≤ ln2/2, with ln2 = ln2HI + ln2LO (k·ln2HI
;;   exact), r = hi − lo;  c = r − r²·(P1 + r²·(P2 + … r²·P5));
;;   exp(r) = 1 − ((lo − r·c/(2 − c)) − hi);  exp(x) = 2^k · exp(r).
;; The lanes take that path when both are in its usual range (2^-28 ≤ |x| ≤
;; 708, so 2^k and the result are normal numbers, and x ≠ 1; k = 0 up to
;; ln2/2); otherwise each lane goes through $exp, the whole algorithm one
;; value at a time, special cases and all. test/activations.test.ts compares
;; both with Math.exp.
;; After it, the other element-wise steps of a sigmoid network's mini-batch,
;; each with its TypeScript loop's operations: the sigmoid's backward step,
;; the quadratic cost's δᴸ after a sigmoid (costs.ts), BP3's column sums.
;; No step here has the form the fma build rewrites (build-wasm.mjs): this
;; module is assembled as written, for every runtime.

(module
  (memory (import "env" "memory") 1 16384 shared)

  ;; fdlibm's constants, by their bits
  (global $ln2hi f64 (f64.const 0x1.62e42feep-1))
  (global $ln2lo f64 (f64.const 0x1.a39ef35793c76p-33))
  (global $invln2 f64 (f64.const 0x1.71547652b82fep+0))
  (global $p1 f64 (f64.const 0x1.555555555553ep-3))
  (global $p2 f64 (f64.const -0x1.6c16c16bebd93p-9))
  (global $p3 f64 (f64.const 0x1.1566aaf25de2cp-14))
  (global $p4 f64 (f64.const -0x1.bbd41c5d26bf1p-20))
  (global $p5 f64 (f64.const 0x1.6376972bea4d0p-25))
  (global $e f64 (f64.const 0x1.5bf0a8b145769p+1))
  (global $twom1000 f64 (f64.const 0x1p-1000))

  ;; exp(x) as Math.exp computes it
  (func $exp (param $x f64) (result f64)
    (local $hx i32) (local $neg i32) (local $k i32) (local $hi f64) (local $lo f64)
    (local $t f64) (local $c f64) (local $y f64) (local $scale f64)
    (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
    (local.set $neg (i32.shr_u (local.get $hx) (i32.const 31)))
    (local.set $hx (i32.and (local.get $hx) (i32.const 0x7fffffff)))
    (if (i32.ge_u (local.get $hx) (i32.const 0x40862e42)) ;; |x| ≥ 709.78…
      (then
        (if (f64.ne (local.get $x) (local.get $x)) (then (return (f64.add (local.get $x) (local.get $x)))))
        (if (i32.ge_u (local.get $hx) (i32.const 0x7ff00000))
          (then (return (select (f64.const 0) (local.get $x) (local.get $neg))))) ;; exp(−∞) = 0, exp(∞) = ∞
        (if (f64.gt (local.get $x) (f64.const 0x1.62e42fefa39efp+9)) (then (return (f64.const inf))))
        (if (f64.lt (local.get $x) (f64.const -0x1.74910d52d3051p+9)) (then (return (f64.const 0))))))
    (if (i32.gt_u (local.get $hx) (i32.const 0x3fd62e42)) ;; |x| > ln2/2
      (then
        (if (i32.lt_u (local.get $hx) (i32.const 0x3ff0a2b2)) ;; and < 1.5·ln2
          (then
            (if (f64.eq (local.get $x) (f64.const 1)) (then (return (global.get $e))))
            (local.set $k (select (i32.const -1) (i32.const 1) (local.get $neg)))
            (local.set $hi (select (f64.add (local.get $x) (global.get $ln2hi)) (f64.sub (local.get $x) (global.get $ln2hi)) (local.get $neg)))
            (local.set $lo (select (f64.neg (global.get $ln2lo)) (global.get $ln2lo) (local.get $neg))))
          (else
            (local.set $k (i32.trunc_f64_s (f64.add (f64.mul (global.get $invln2) (local.get $x))
              (select (f64.const -0.5) (f64.const 0.5) (local.get $neg)))))
            (local.set $t (f64.convert_i32_s (local.get $k)))
            (local.set $hi (f64.sub (local.get $x) (f64.mul (local.get $t) (global.get $ln2hi))))
            (local.set $lo (f64.mul (local.get $t) (global.get $ln2lo)))))
        (local.set $x (f64.sub (local.get $hi) (local.get $lo))))
      (else
        (if (i32.lt_u (local.get $hx) (i32.const 0x3e300000)) ;; |x| < 2^-28
          (then (return (f64.add (f64.const 1) (local.get $x)))))))
    (local.set $t (f64.mul (local.get $x) (local.get $x)))
    (local.set $c (f64.sub (local.get $x) (f64.mul (local.get $t)
      (f64.add (global.get $p1) (f64.mul (local.get $t)
        (f64.add (global.get $p2) (f64.mul (local.get $t)
          (f64.add (global.get $p3) (f64.mul (local.get $t)
            (f64.add (global.get $p4) (f64.mul (local.get $t) (global.get $p5))))))))))))
    (if (i32.eqz (local.get $k))
      (then (return (f64.sub (f64.const 1)
        (f64.sub (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (local.get $c) (f64.const 2))) (local.get $x))))))
    (local.set $y (f64.sub (f64.const 1)
      (f64.sub (f64.sub (local.get $lo) (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (f64.const 2) (local.get $c))))
        (local.get $hi))))
    (if (i32.ge_s (local.get $k) (i32.const -1021))
      (then
        (if (i32.eq (local.get $k) (i32.const 1024))
          (then (return (f64.mul (f64.mul (local.get $y) (f64.const 2)) (f64.const 0x1p1023)))))
        (return (f64.mul (local.get $y)
          (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (local.get $k) (i32.const 1023))) (i64.const 52)))))))
    (local.set $scale (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (local.get $k) (i32.const 2023))) (i64.const 52))))
    (f64.mul (f64.mul (local.get $y) (local.get $scale)) (global.get $twom1000)))

  ;; exp of two pairs: all four lanes through the path above when they are all
  ;; in its range (a pair alone took 25% longer a value: a call, a range test
  ;; and the path's latency for half the work), else each lane by $exp
  (func $exp4 (param $x v128) (param $x_2 v128) (result v128 v128)
    (local $ax v128) (local $kf v128) (local $hi v128) (local $lo v128) (local $r v128)
    (local $t v128) (local $c v128) (local $y v128) (local $two v128)
    (local $ax_2 v128) (local $kf_2 v128) (local $hi_2 v128) (local $lo_2 v128) (local $r_2 v128)
    (local $t_2 v128) (local $c_2 v128) (local $y_2 v128) (local $low v128) (local $high v128)
    (local.set $ax (f64x2.abs (local.get $x)))
    (local.set $ax_2 (f64x2.abs (local.get $x_2)))
    (local.set $low (v128.const i64x2 0x3e30000000000000 0x3e30000000000000)) ;; 2^-28
    (local.set $high (f64x2.splat (f64.const 708)))
    (if (i32.eqz (i64x2.all_true ;; lanes all ones where the lane may take the path
          (v128.and
            (v128.and
              (v128.and (f64x2.ge (local.get $ax) (local.get $low)) (f64x2.le (local.get $ax) (local.get $high)))
              (v128.and (f64x2.ge (local.get $ax_2) (local.get $low)) (f64x2.le (local.get $ax_2) (local.get $high))))
            (v128.and (f64x2.ne (local.get $x) (f64x2.splat (f64.const 1))) (f64x2.ne (local.get $x_2) (f64x2.splat (f64.const 1)))))))
      (then
        (return
          (f64x2.replace_lane 1 (f64x2.splat (call $exp (f64x2.extract_lane 0 (local.get $x))))
            (call $exp (f64x2.extract_lane 1 (local.get $x))))
          (f64x2.replace_lane 1 (f64x2.splat (call $exp (f64x2.extract_lane 0 (local.get $x_2))))
            (call $exp (f64x2.extract_lane 1 (local.get $x_2)))))))
    ;; k = trunc(x/ln2 ± 1/2), the sign of x's (for 1 ≤ |k| ≤ 1021 this is fdlibm's k in both of its cases)
    (local.set $kf (f64x2.trunc (f64x2.add (f64x2.mul (local.get $x) (f64x2.splat (global.get $invln2)))
      (v128.or (v128.and (local.get $x) (v128.const i64x2 0x8000000000000000 0x8000000000000000)) (f64x2.splat (f64.const 0.5))))))
    (local.set $kf_2 (f64x2.trunc (f64x2.add (f64x2.mul (local.get $x_2) (f64x2.splat (global.get $invln2)))
      (v128.or (v128.and (local.get $x_2) (v128.const i64x2 0x8000000000000000 0x8000000000000000)) (f64x2.splat (f64.const 0.5))))))
    ;; and k = +0 in fdlibm's k = 0 case (|x|'s high word at most 0x3fd62e42, its test for |x| ≤ ln2/2): there hi = x,
    ;; lo = +0, and lo − r·c/(2 − c) − hi is its r·c/(c − 2) − x to the bit (negating a divisor negates the quotient
    ;; exactly); 2^0 = 1
    (local.set $kf (v128.and (local.get $kf) (f64x2.ge (local.get $ax) (v128.const i64x2 0x3fd62e4300000000 0x3fd62e4300000000))))
    (local.set $kf_2 (v128.and (local.get $kf_2) (f64x2.ge (local.get $ax_2) (v128.const i64x2 0x3fd62e4300000000 0x3fd62e4300000000))))
    (local.set $hi (f64x2.sub (local.get $x) (f64x2.mul (local.get $kf) (f64x2.splat (global.get $ln2hi)))))
    (local.set $hi_2 (f64x2.sub (local.get $x_2) (f64x2.mul (local.get $kf_2) (f64x2.splat (global.get $ln2hi)))))
    (local.set $lo (f64x2.mul (local.get $kf) (f64x2.splat (global.get $ln2lo))))
    (local.set $lo_2 (f64x2.mul (local.get $kf_2) (f64x2.splat (global.get $ln2lo))))
    (local.set $r (f64x2.sub (local.get $hi) (local.get $lo)))
    (local.set $r_2 (f64x2.sub (local.get $hi_2) (local.get $lo_2)))
    (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $t_2 (f64x2.mul (local.get $r_2) (local.get $r_2)))
    ;; the constant last in each sum (a sum's order does not change its bits)
    (local.set $c (f64x2.sub (local.get $r) (f64x2.mul (local.get $t)
      (f64x2.add (f64x2.mul (local.get $t)
        (f64x2.add (f64x2.mul (local.get $t)
          (f64x2.add (f64x2.mul (local.get $t)
            (f64x2.add (f64x2.mul (local.get $t) (f64x2.splat (global.get $p5))) (f64x2.splat (global.get $p4))))
            (f64x2.splat (global.get $p3))))
          (f64x2.splat (global.get $p2))))
        (f64x2.splat (global.get $p1))))))
    (local.set $c_2 (f64x2.sub (local.get $r_2) (f64x2.mul (local.get $t_2)
      (f64x2.add (f64x2.mul (local.get $t_2)
        (f64x2.add (f64x2.mul (local.get $t_2)
          (f64x2.add (f64x2.mul (local.get $t_2)
            (f64x2.add (f64x2.mul (local.get $t_2) (f64x2.splat (global.get $p5))) (f64x2.splat (global.get $p4))))
            (f64x2.splat (global.get $p3))))
          (f64x2.splat (global.get $p2))))
        (f64x2.splat (global.get $p1))))))
    (local.set $two (f64x2.splat (f64.const 2)))
    (local.set $y (f64x2.sub (f64x2.splat (f64.const 1))
      (f64x2.sub (f64x2.sub (local.get $lo) (f64x2.div (f64x2.mul (local.get $r) (local.get $c)) (f64x2.sub (local.get $two) (local.get $c))))
        (local.get $hi))))
    (local.set $y_2 (f64x2.sub (f64x2.splat (f64.const 1))
      (f64x2.sub (f64x2.sub (local.get $lo_2) (f64x2.div (f64x2.mul (local.get $r_2) (local.get $c_2)) (f64x2.sub (local.get $two) (local.get $c_2))))
        (local.get $hi_2))))
    ;; · 2^k, k from the lanes' truncated doubles
    (f64x2.mul (local.get $y)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $kf))) (v128.const i64x2 1023 1023))
        (i32.const 52)))
    (f64x2.mul (local.get $y_2)
      (i64x2.shl
        (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $kf_2))) (v128.const i64x2 1023 1023))
        (i32.const 52))))

  ;; Z (m, n) at pz, row stride ldz; b (n) at pb -> Z = 1 / (1 + exp(−(s·Z + b)))
  ;; Two rows at a time, a pair of each a step (exp4); an odd last row goes as
  ;; its own partner, its pairs' values computed and stored twice.
  (func (export "sigmoid_forward") (param $m i32) (param $n i32) (param $pz i32) (param $ldz i32) (param $pb i32) (param $s f64)
    (local $i i32) (local $j i32) (local $r0 i32) (local $r1 i32) (local $pairs i32) (local $sv v128) (local $one v128)
    (local $e0 v128) (local $e1 v128) (local $b v128) (local $bs f64)
    (if (i32.and (i32.eq (local.get $n) (i32.const 1)) (i32.eq (local.get $ldz) (i32.const 1)))
      (then ;; one contiguous column, one bias (a convolution's map)
        (call $sigmoid_run (local.get $m) (local.get $pz) (f64.load (local.get $pb)) (local.get $s))
        (return)))
    (local.set $ldz (i32.shl (local.get $ldz) (i32.const 3)))
    (local.set $pairs (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))) ;; bytes of whole pairs a row
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $i (i32.const 0))
    (block $rows_done
      (br_if $rows_done (i32.le_s (local.get $m) (i32.const 0)))
      (loop $rows
        (local.set $r0 (i32.add (local.get $pz) (i32.mul (local.get $i) (local.get $ldz))))
        (local.set $r1 (select (i32.add (local.get $r0) (local.get $ldz)) (local.get $r0)
          (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))))
        (local.set $j (i32.const 0))
        (block $pairs_done
          (br_if $pairs_done (i32.ge_s (local.get $j) (local.get $pairs)))
          (loop $cols
            (local.set $b (v128.load (i32.add (local.get $pb) (local.get $j))))
            (call $exp4
              (f64x2.neg (f64x2.add (f64x2.mul (local.get $sv) (v128.load (i32.add (local.get $r0) (local.get $j)))) (local.get $b)))
              (f64x2.neg (f64x2.add (f64x2.mul (local.get $sv) (v128.load (i32.add (local.get $r1) (local.get $j)))) (local.get $b))))
            (local.set $e1)
            (local.set $e0)
            (v128.store (i32.add (local.get $r0) (local.get $j)) (f64x2.div (local.get $one) (f64x2.add (local.get $one) (local.get $e0))))
            (v128.store (i32.add (local.get $r1) (local.get $j)) (f64x2.div (local.get $one) (f64x2.add (local.get $one) (local.get $e1))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br_if $cols (i32.lt_s (local.get $j) (local.get $pairs)))))
        (if (i32.and (local.get $n) (i32.const 1))
          (then
            (local.set $bs (f64.load (i32.add (local.get $pb) (local.get $pairs))))
            (call $sigmoid_one (i32.add (local.get $r0) (local.get $pairs)) (local.get $bs) (local.get $s))
            (if (i32.ne (local.get $r1) (local.get $r0)) ;; (in place: not twice)
              (then (call $sigmoid_one (i32.add (local.get $r1) (local.get $pairs)) (local.get $bs) (local.get $s))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br_if $rows (i32.lt_s (local.get $i) (local.get $m))))))

  ;; z at pz -> z = 1 / (1 + exp(−(s·z + b))): an element with no pair to go with
  (func $sigmoid_one (param $pz i32) (param $b f64) (param $s f64)
    (f64.store (local.get $pz) (f64.div (f64.const 1) (f64.add (f64.const 1)
      (call $exp (f64.neg (f64.add (f64.mul (local.get $s) (f64.load (local.get $pz))) (local.get $b))))))))

  ;; Z (count) at pz -> Z = 1 / (1 + exp(−(s·Z + b))), b one number; two pairs a step, an odd last pair as its
  ;; own partner (sigmoid_forward's rows)
  (func $sigmoid_run (param $count i32) (param $pz i32) (param $b f64) (param $s f64)
    (local $end i32) (local $p1 i32) (local $sv v128) (local $bv v128) (local $one v128) (local $e0 v128) (local $e1 v128)
    (local.set $end (i32.add (local.get $pz) (i32.shl (i32.and (local.get $count) (i32.const -2)) (i32.const 3))))
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $bv (f64x2.splat (local.get $b)))
    (local.set $one (f64x2.splat (f64.const 1)))
    (block $done
      (br_if $done (i32.ge_u (local.get $pz) (local.get $end)))
      (loop $pairs
        (local.set $p1 (select (i32.add (local.get $pz) (i32.const 16)) (local.get $pz)
          (i32.lt_u (i32.add (local.get $pz) (i32.const 16)) (local.get $end))))
        (call $exp4
          (f64x2.neg (f64x2.add (f64x2.mul (local.get $sv) (v128.load (local.get $pz))) (local.get $bv)))
          (f64x2.neg (f64x2.add (f64x2.mul (local.get $sv) (v128.load (local.get $p1))) (local.get $bv))))
        (local.set $e1)
        (local.set $e0)
        (v128.store (local.get $pz) (f64x2.div (local.get $one) (f64x2.add (local.get $one) (local.get $e0))))
        (v128.store (local.get $p1) (f64x2.div (local.get $one) (f64x2.add (local.get $one) (local.get $e1))))
        (local.set $pz (i32.add (local.get $p1) (i32.const 16)))
        (br_if $pairs (i32.lt_u (local.get $pz) (local.get $end)))))
    (if (i32.and (local.get $count) (i32.const 1))
      (then (call $sigmoid_one (local.get $end) (local.get $b) (local.get $s)))))

  ;; D (m, n) at pd, row stride ldd; A (m, n) at pa, row stride lda -> D = D·(A·(1 − A)), the sigmoid's
  ;; backward step (σ' read off a = σ(z)) with the TypeScript loop's operations
  (func (export "sigmoid_backward") (param $m i32) (param $n i32) (param $pd i32) (param $ldd i32) (param $pa i32) (param $lda i32)
    (local $i i32) (local $j i32) (local $dr i32) (local $ar i32) (local $pairs i32) (local $one v128) (local $y v128) (local $ys f64)
    (local.set $ldd (i32.shl (local.get $ldd) (i32.const 3)))
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $pairs (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))) ;; bytes of whole pairs a row
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $i (i32.const 0))
    (block $rows_done
      (br_if $rows_done (i32.le_s (local.get $m) (i32.const 0)))
      (loop $rows
        (local.set $dr (i32.add (local.get $pd) (i32.mul (local.get $i) (local.get $ldd))))
        (local.set $ar (i32.add (local.get $pa) (i32.mul (local.get $i) (local.get $lda))))
        (local.set $j (i32.const 0))
        (block $pairs_done
          (br_if $pairs_done (i32.ge_s (local.get $j) (local.get $pairs)))
          (loop $cols
            (local.set $y (v128.load (i32.add (local.get $ar) (local.get $j))))
            (v128.store (i32.add (local.get $dr) (local.get $j)) (f64x2.mul (v128.load (i32.add (local.get $dr) (local.get $j)))
              (f64x2.mul (local.get $y) (f64x2.sub (local.get $one) (local.get $y)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br_if $cols (i32.lt_s (local.get $j) (local.get $pairs)))))
        (if (i32.and (local.get $n) (i32.const 1))
          (then
            (local.set $ys (f64.load (i32.add (local.get $ar) (local.get $pairs))))
            (f64.store (i32.add (local.get $dr) (local.get $pairs)) (f64.mul (f64.load (i32.add (local.get $dr) (local.get $pairs)))
              (f64.mul (local.get $ys) (f64.sub (f64.const 1) (local.get $ys)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $i) (local.get $m))))))

  ;; D (m, n) at pd, row stride ldd -> v (n) at pv = alpha·s (beta = 0: v not read) or beta·v + alpha·s, s the sums
  ;; of D's columns from +0 in row order: BP3, the TypeScript sumRows's operations, two columns at a time
  (func (export "sum_rows") (param $m i32) (param $n i32) (param $alpha f64) (param $pd i32) (param $ldd i32) (param $beta f64) (param $pv i32)
    (local $i i32) (local $j i32) (local $p i32) (local $pairs i32) (local $over i32)
    (local $s v128) (local $ss f64) (local $va v128) (local $vb v128)
    (local.set $ldd (i32.shl (local.get $ldd) (i32.const 3)))
    (local.set $pairs (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3)))
    (local.set $over (f64.eq (local.get $beta) (f64.const 0)))
    (local.set $va (f64x2.splat (local.get $alpha)))
    (local.set $vb (f64x2.splat (local.get $beta)))
    (local.set $j (i32.const 0))
    (block $pairs_done
      (br_if $pairs_done (i32.ge_s (local.get $j) (local.get $pairs)))
      (loop $cols
        (local.set $s (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $pd) (local.get $j)))
        (local.set $i (i32.const 0))
        (block $rows_done
          (br_if $rows_done (i32.le_s (local.get $m) (i32.const 0)))
          (loop $rows
            (local.set $s (f64x2.add (local.get $s) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $ldd)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))
        (v128.store (i32.add (local.get $pv) (local.get $j)) (if (result v128) (local.get $over)
          (then (f64x2.mul (local.get $va) (local.get $s)))
          (else (f64x2.add (f64x2.mul (local.get $vb) (v128.load (i32.add (local.get $pv) (local.get $j))))
            (f64x2.mul (local.get $va) (local.get $s))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br_if $cols (i32.lt_s (local.get $j) (local.get $pairs)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $ss (f64.const 0))
        (local.set $p (i32.add (local.get $pd) (local.get $pairs)))
        (local.set $i (i32.const 0))
        (block $rows_done
          (br_if $rows_done (i32.le_s (local.get $m) (i32.const 0)))
          (loop $rows
            (local.set $ss (f64.add (local.get $ss) (f64.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $ldd)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $rows (i32.lt_s (local.get $i) (local.get $m)))))
        (f64.store (i32.add (local.get $pv) (local.get $pairs)) (if (result f64) (local.get $over)
          (then (f64.mul (local.get $alpha) (local.get $ss)))
          (else (f64.add (f64.mul (local.get $beta) (f64.load (i32.add (local.get $pv) (local.get $pairs))))
            (f64.mul (local.get $alpha) (local.get $ss)))))))))

  ;; A (m, n) sigmoid outputs at pa, labels (m bytes) at pl -> rows i0..i1, columns j0..j1 of D (m, n) at pd =
  ;; (a − y)·a·(1 − a), y the label's one-hot row: the quadratic cost's δᴸ (BP1) with costs.ts's operations
  (func (export "quadratic_sigmoid_delta") (param $i0 i32) (param $i1 i32) (param $j0 i32) (param $j1 i32) (param $n i32)
    (param $pa i32) (param $pl i32) (param $pd i32)
    (local $i i32) (local $j i32) (local $at i32) (local $label i32) (local $a v128) (local $y v128) (local $s f64) (local $e f64)
    (local $one v128)
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $i (local.get $i0))
    (block $rows_done
      (br_if $rows_done (i32.ge_s (local.get $i) (local.get $i1)))
      (loop $rows
        (local.set $label (i32.load8_u (i32.add (local.get $pl) (local.get $i))))
        (local.set $j (local.get $j0))
        (block $pairs_done
          (br_if $pairs_done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $j1)))
          (loop $cols
            (local.set $at (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
            (local.set $a (v128.load (i32.add (local.get $pa) (local.get $at))))
            ;; y = 1 in the lane whose column is the label, else +0
            (local.set $y (v128.and (local.get $one) (i64x2.eq (i64x2.splat (i64.extend_i32_u (local.get $label)))
              (i64x2.add (i64x2.splat (i64.extend_i32_u (local.get $j))) (v128.const i64x2 0 1)))))
            (v128.store (i32.add (local.get $pd) (local.get $at))
              (f64x2.mul (f64x2.mul (f64x2.sub (local.get $a) (local.get $y)) (local.get $a)) (f64x2.sub (local.get $one) (local.get $a))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br_if $cols (i32.le_s (i32.add (local.get $j) (i32.const 2)) (local.get $j1)))))
        (if (i32.lt_s (local.get $j) (local.get $j1))
          (then
            (local.set $at (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
            (local.set $s (f64.load (i32.add (local.get $pa) (local.get $at))))
            (local.set $e (f64.sub (local.get $s) (select (f64.const 1) (f64.const 0) (i32.eq (local.get $j) (local.get $label)))))
            (f64.store (i32.add (local.get $pd) (local.get $at))
              (f64.mul (f64.mul (local.get $e) (local.get $s)) (f64.sub (f64.const 1) (local.get $s))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $i) (local.get $i1))))))

  ;; exp of one value, for the tests
  (func (export "exp") (param $x f64) (result f64) (call $exp (local.get $x)))
  ;; exp of two pairs, for the tests: (a, b) and (c, d) -> 4 doubles at p
  (func (export "exp4") (param $a f64) (param $b f64) (param $c f64) (param $d f64) (param $p i32)
    (local $e0 v128) (local $e1 v128)
    (call $exp4 (f64x2.replace_lane 1 (f64x2.splat (local.get $a)) (local.get $b))
      (f64x2.replace_lane 1 (f64x2.splat (local.get $c)) (local.get $d)))
    (local.set $e1)
    (local.set $e0)
    (v128.store (local.get $p) (local.get $e0))
    (v128.store offset=16 (local.get $p) (local.get $e1)))
)
