;; Direct convolution loops (see src/kernel/conv.ts), written by hand in
;; WebAssembly with 128-bit SIMD (f64x2). Assembled by scripts/build-wasm.mjs
;; into dist/kernel/wasm/conv.wasm and run on the Arena's shared memory, the
;; same memory as gemm.wasm.
;;
;; Tensors are row-major f64 at byte addresses: X (m, C, H, W), K (F, C, kh, kw),
;; Z (m, F, OH, OW), OH = H-kh+1, OW = W-kw+1. Only f64x2.mul + f64x2.add, never
;; a fused multiply-add, so results are exactly reproducible.
;;
;; Summation scheme. Threads split by filters, so an output element's value may
;; depend only on its own operands, never on the tile it falls in:
;;   conv_forward: Z(i,f,oy,ox) is one lane (or, in the narrow path for OW < 8,
;;     one scalar) summing X·K over c, ky, kx in increasing order from +0: the
;;     reference's order, so it equals the reference to the bit. A last block of
;;     8 outputs that would pass the row's end is shifted left to end at OW-1
;;     (its overlap is recomputed with the same bits); an odd last filter is
;;     computed as a copy of itself and not stored twice.
;;   conv_weight_grad: dK(f,c,ky,kx) is a dot product over (i, oy, ox) in one
;;     f64x2 accumulator from +0: for each (i, oy) in increasing order, lane 0
;;     adds the even ox, lane 1 the odd ox, each in increasing ox (an odd last
;;     ox joins lane 0, lane 1 adding 0·0); then s = lane0 + lane1 and
;;     dK = alpha·s (beta = 0: dK not read) or beta·dK + alpha·s. A block of 4
;;     taps past the last one repeats the last tap, which is not stored twice.

(module
  (memory (import "env" "memory") 1 16384 shared)

  ;; X (m, C, H, W), K (F, C, kh, kw) -> Z (m, F, OH, OW), filters f0..f1
  ;; Tiles of 2 filters x 8 outputs along a row (4 vectors): per tap 4 loads of
  ;; X and 2 splats of K feed 8 vector multiply-adds, in 8 + 3 registers.
  (func $conv_forward (export "conv_forward")
    (param $m i32) (param $C i32) (param $H i32) (param $W i32)
    (param $F i32) (param $kh i32) (param $kw i32)
    (param $px i32) (param $pk i32) (param $pz i32) (param $f0 i32) (param $f1 i32)
    (local $OH i32) (local $OW i32) (local $P8 i32) (local $CK8 i32) (local $W8 i32) (local $kw8 i32)
    (local $chanStep i32) (local $i i32) (local $f i32) (local $g i32) (local $oy i32) (local $j i32)
    (local $xr i32) (local $k0 i32) (local $k1 i32) (local $kend i32) (local $ky i32) (local $kx i32)
    (local $zp i32) (local $two i32)
    (local $a v128) (local $b v128) (local $x v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local.set $OH (i32.add (i32.sub (local.get $H) (local.get $kh)) (i32.const 1)))
    (local.set $OW (i32.add (i32.sub (local.get $W) (local.get $kw)) (i32.const 1)))
    (if (i32.or (i32.le_s (local.get $m) (i32.const 0)) (i32.ge_s (local.get $f0) (local.get $f1))) (then (return)))
    (if (i32.or (i32.le_s (local.get $OH) (i32.const 0)) (i32.le_s (local.get $OW) (i32.const 0))) (then (return)))
    (if (i32.lt_s (local.get $OW) (i32.const 8)) (then
      (call $forward_narrow (local.get $m) (local.get $C) (local.get $H) (local.get $W) (local.get $F)
        (local.get $kh) (local.get $kw) (local.get $px) (local.get $pk) (local.get $pz) (local.get $f0) (local.get $f1))
      (return)))
    (local.set $P8 (i32.shl (i32.mul (local.get $OH) (local.get $OW)) (i32.const 3)))
    (local.set $CK8 (i32.shl (i32.mul (local.get $C) (i32.mul (local.get $kh) (local.get $kw))) (i32.const 3)))
    (local.set $W8 (i32.shl (local.get $W) (i32.const 3)))
    (local.set $kw8 (i32.shl (local.get $kw) (i32.const 3)))
    ;; from the row after a channel's last tap row to the next channel's first
    (local.set $chanStep (i32.mul (local.get $W8) (i32.sub (local.get $H) (local.get $kh))))
    (local.set $i (i32.const 0))
    (loop $examples
      (local.set $f (local.get $f0))
      (loop $filters
        ;; the second filter of the tile, or the first again when f is the last
        (local.set $two (i32.lt_s (i32.add (local.get $f) (i32.const 1)) (local.get $f1)))
        (local.set $g (i32.add (local.get $f) (local.get $two)))
        (local.set $oy (i32.const 0))
        (loop $rows
          (local.set $j (i32.const 0))
          (loop $blocks
            ;; a block passing the row's end moves left to end at OW-1
            (if (i32.gt_s (i32.add (local.get $j) (i32.const 8)) (local.get $OW))
              (then (local.set $j (i32.sub (local.get $OW) (i32.const 8)))))
            (local.set $xr (i32.add (local.get $px) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (i32.mul (local.get $i) (local.get $C)) (local.get $H)) (local.get $oy))
                (local.get $W)) (local.get $j)) (i32.const 3))))
            (local.set $k0 (i32.add (local.get $pk) (i32.mul (local.get $f) (local.get $CK8))))
            (local.set $k1 (i32.add (local.get $pk) (i32.mul (local.get $g) (local.get $CK8))))
            (local.set $kend (i32.add (local.get $k0) (local.get $CK8)))
            (local.set $c0 (v128.const i64x2 0 0))
            (local.set $c1 (v128.const i64x2 0 0))
            (local.set $c2 (v128.const i64x2 0 0))
            (local.set $c3 (v128.const i64x2 0 0))
            (local.set $d0 (v128.const i64x2 0 0))
            (local.set $d1 (v128.const i64x2 0 0))
            (local.set $d2 (v128.const i64x2 0 0))
            (local.set $d3 (v128.const i64x2 0 0))
            (local.set $ky (i32.const 0))
            ;; K's taps of one filter are contiguous over (c, ky, kx): k0 walks
            ;; them; xr walks the matching rows of X
            (loop $taprows
              (local.set $kx (i32.const 0))
              (loop $taps
                (local.set $a (v128.load64_splat (i32.add (local.get $k0) (local.get $kx))))
                (local.set $b (v128.load64_splat (i32.add (local.get $k1) (local.get $kx))))
                (local.set $x (v128.load (i32.add (local.get $xr) (local.get $kx))))
                (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $x) (local.get $a))))
                (local.set $d0 (f64x2.add (local.get $d0) (f64x2.mul (local.get $x) (local.get $b))))
                (local.set $x (v128.load offset=16 (i32.add (local.get $xr) (local.get $kx))))
                (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $x) (local.get $a))))
                (local.set $d1 (f64x2.add (local.get $d1) (f64x2.mul (local.get $x) (local.get $b))))
                (local.set $x (v128.load offset=32 (i32.add (local.get $xr) (local.get $kx))))
                (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $x) (local.get $a))))
                (local.set $d2 (f64x2.add (local.get $d2) (f64x2.mul (local.get $x) (local.get $b))))
                (local.set $x (v128.load offset=48 (i32.add (local.get $xr) (local.get $kx))))
                (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $x) (local.get $a))))
                (local.set $d3 (f64x2.add (local.get $d3) (f64x2.mul (local.get $x) (local.get $b))))
                (local.set $kx (i32.add (local.get $kx) (i32.const 8)))
                (br_if $taps (i32.lt_u (local.get $kx) (local.get $kw8))))
              (local.set $k0 (i32.add (local.get $k0) (local.get $kw8)))
              (local.set $k1 (i32.add (local.get $k1) (local.get $kw8)))
              (local.set $xr (i32.add (local.get $xr) (local.get $W8)))
              (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
              (if (i32.eq (local.get $ky) (local.get $kh)) (then
                (local.set $ky (i32.const 0))
                (local.set $xr (i32.add (local.get $xr) (local.get $chanStep)))))
              (br_if $taprows (i32.lt_u (local.get $k0) (local.get $kend))))
            (local.set $zp (i32.add (local.get $pz) (i32.add
              (i32.mul (i32.add (i32.mul (local.get $i) (local.get $F)) (local.get $f)) (local.get $P8))
              (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $OW)) (local.get $j)) (i32.const 3)))))
            (v128.store (local.get $zp) (local.get $c0))
            (v128.store offset=16 (local.get $zp) (local.get $c1))
            (v128.store offset=32 (local.get $zp) (local.get $c2))
            (v128.store offset=48 (local.get $zp) (local.get $c3))
            (if (local.get $two) (then
              (local.set $zp (i32.add (local.get $zp) (local.get $P8)))
              (v128.store (local.get $zp) (local.get $d0))
              (v128.store offset=16 (local.get $zp) (local.get $d1))
              (v128.store offset=32 (local.get $zp) (local.get $d2))
              (v128.store offset=48 (local.get $zp) (local.get $d3))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br_if $blocks (i32.lt_s (local.get $j) (local.get $OW))))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br_if $rows (i32.lt_s (local.get $oy) (local.get $OH))))
        (local.set $f (i32.add (local.get $f) (i32.const 2)))
        (br_if $filters (i32.lt_s (local.get $f) (local.get $f1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $examples (i32.lt_s (local.get $i) (local.get $m)))))

  ;; conv_forward for rows narrower than a tile (OW < 8): one scalar sum per
  ;; output, in the same order as the lanes of the tiled path.
  (func $forward_narrow
    (param $m i32) (param $C i32) (param $H i32) (param $W i32)
    (param $F i32) (param $kh i32) (param $kw i32)
    (param $px i32) (param $pk i32) (param $pz i32) (param $f0 i32) (param $f1 i32)
    (local $OH i32) (local $OW i32) (local $CK8 i32) (local $W8 i32) (local $kw8 i32) (local $chanStep i32)
    (local $i i32) (local $f i32) (local $oy i32) (local $ox i32)
    (local $xr i32) (local $k0 i32) (local $kend i32) (local $ky i32) (local $kx i32) (local $zp i32)
    (local $s f64)
    (local.set $OH (i32.add (i32.sub (local.get $H) (local.get $kh)) (i32.const 1)))
    (local.set $OW (i32.add (i32.sub (local.get $W) (local.get $kw)) (i32.const 1)))
    (local.set $CK8 (i32.shl (i32.mul (local.get $C) (i32.mul (local.get $kh) (local.get $kw))) (i32.const 3)))
    (local.set $W8 (i32.shl (local.get $W) (i32.const 3)))
    (local.set $kw8 (i32.shl (local.get $kw) (i32.const 3)))
    (local.set $chanStep (i32.mul (local.get $W8) (i32.sub (local.get $H) (local.get $kh))))
    (local.set $i (i32.const 0))
    (loop $examples
      (local.set $f (local.get $f0))
      (loop $filters
        (local.set $zp (i32.add (local.get $pz) (i32.shl (i32.mul
          (i32.add (i32.mul (local.get $i) (local.get $F)) (local.get $f))
          (i32.mul (local.get $OH) (local.get $OW))) (i32.const 3))))
        (local.set $oy (i32.const 0))
        (loop $rows
          (local.set $ox (i32.const 0))
          (loop $cols
            (local.set $xr (i32.add (local.get $px) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (i32.mul (local.get $i) (local.get $C)) (local.get $H)) (local.get $oy))
                (local.get $W)) (local.get $ox)) (i32.const 3))))
            (local.set $k0 (i32.add (local.get $pk) (i32.mul (local.get $f) (local.get $CK8))))
            (local.set $kend (i32.add (local.get $k0) (local.get $CK8)))
            (local.set $s (f64.const 0))
            (local.set $ky (i32.const 0))
            (loop $taprows
              (local.set $kx (i32.const 0))
              (loop $taps
                (local.set $s (f64.add (local.get $s) (f64.mul
                  (f64.load (i32.add (local.get $xr) (local.get $kx)))
                  (f64.load (i32.add (local.get $k0) (local.get $kx))))))
                (local.set $kx (i32.add (local.get $kx) (i32.const 8)))
                (br_if $taps (i32.lt_u (local.get $kx) (local.get $kw8))))
              (local.set $k0 (i32.add (local.get $k0) (local.get $kw8)))
              (local.set $xr (i32.add (local.get $xr) (local.get $W8)))
              (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
              (if (i32.eq (local.get $ky) (local.get $kh)) (then
                (local.set $ky (i32.const 0))
                (local.set $xr (i32.add (local.get $xr) (local.get $chanStep)))))
              (br_if $taprows (i32.lt_u (local.get $k0) (local.get $kend))))
            (f64.store (local.get $zp) (local.get $s))
            (local.set $zp (i32.add (local.get $zp) (i32.const 8)))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br_if $cols (i32.lt_s (local.get $ox) (local.get $OW))))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br_if $rows (i32.lt_s (local.get $oy) (local.get $OH))))
        (local.set $f (i32.add (local.get $f) (i32.const 1)))
        (br_if $filters (i32.lt_s (local.get $f) (local.get $f1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $examples (i32.lt_s (local.get $i) (local.get $m)))))

  ;; Byte offset in X of tap t = (c·kh + ky)·kw + kx, clamped to the last tap.
  (func $tap (param $t i32) (param $CK i32) (param $kh i32) (param $kw i32) (param $H i32) (param $W i32) (result i32)
    (local $kk i32) (local $c i32) (local $r i32) (local $ky i32)
    (if (i32.ge_s (local.get $t) (local.get $CK)) (then (local.set $t (i32.sub (local.get $CK) (i32.const 1)))))
    (local.set $kk (i32.mul (local.get $kh) (local.get $kw)))
    (local.set $c (i32.div_u (local.get $t) (local.get $kk)))
    (local.set $r (i32.sub (local.get $t) (i32.mul (local.get $c) (local.get $kk))))
    (local.set $ky (i32.div_u (local.get $r) (local.get $kw)))
    (i32.shl (i32.add
      (i32.mul (i32.add (i32.mul (local.get $c) (local.get $H)) (local.get $ky)) (local.get $W))
      (i32.sub (local.get $r) (i32.mul (local.get $ky) (local.get $kw))))
      (i32.const 3)))

  ;; dK at byte address p from the two lanes of an accumulator, unless it is a
  ;; repeat (real = 0).
  (func $put (param $p i32) (param $acc v128) (param $alpha f64) (param $beta f64) (param $real i32)
    (local $s f64)
    (if (i32.eqz (local.get $real)) (then (return)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (f64.eq (local.get $beta) (f64.const 0))
      (then (f64.store (local.get $p) (f64.mul (local.get $alpha) (local.get $s))))
      (else (f64.store (local.get $p) (f64.add
        (f64.mul (local.get $beta) (f64.load (local.get $p)))
        (f64.mul (local.get $alpha) (local.get $s)))))))

  ;; dZ (m, F, OH, OW), X (m, C, H, W) -> dK (F, C, kh, kw) = beta·dK + alpha·Σ dZ·X, filters f0..f1
  ;; Tiles of 2 filters x 4 taps: per pair of outputs 2 loads of dZ and 4 of X
  ;; feed 8 vector multiply-adds.
  (func $conv_weight_grad (export "conv_weight_grad")
    (param $m i32) (param $C i32) (param $H i32) (param $W i32)
    (param $F i32) (param $kh i32) (param $kw i32)
    (param $pz i32) (param $px i32) (param $alpha f64) (param $beta f64) (param $pk i32)
    (param $f0 i32) (param $f1 i32)
    (local $OH i32) (local $OW i32) (local $P8 i32) (local $CK i32) (local $W8 i32) (local $OW8 i32)
    (local $CHW8 i32) (local $pairs i32) (local $f i32) (local $g i32) (local $two i32) (local $t i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $i i32) (local $oy i32) (local $q i32) (local $z0 i32) (local $z1 i32) (local $xp i32) (local $xq i32)
    (local $d0 i32) (local $d1 i32)
    (local $a v128) (local $b v128) (local $x v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $OH (i32.add (i32.sub (local.get $H) (local.get $kh)) (i32.const 1)))
    (local.set $OW (i32.add (i32.sub (local.get $W) (local.get $kw)) (i32.const 1)))
    (if (i32.or (i32.le_s (local.get $m) (i32.const 0)) (i32.ge_s (local.get $f0) (local.get $f1))) (then (return)))
    (if (i32.or (i32.le_s (local.get $OH) (i32.const 0)) (i32.le_s (local.get $OW) (i32.const 0))) (then (return)))
    (local.set $P8 (i32.shl (i32.mul (local.get $OH) (local.get $OW)) (i32.const 3)))
    (local.set $CK (i32.mul (local.get $C) (i32.mul (local.get $kh) (local.get $kw))))
    (local.set $W8 (i32.shl (local.get $W) (i32.const 3)))
    (local.set $OW8 (i32.shl (local.get $OW) (i32.const 3)))
    (local.set $CHW8 (i32.shl (i32.mul (local.get $C) (i32.mul (local.get $H) (local.get $W))) (i32.const 3)))
    ;; bytes covered by whole pairs of ox = byte offset of an odd last ox
    (local.set $pairs (i32.shl (i32.shr_u (local.get $OW) (i32.const 1)) (i32.const 4)))
    (local.set $f (local.get $f0))
    (loop $filters
      (local.set $two (i32.lt_s (i32.add (local.get $f) (i32.const 1)) (local.get $f1)))
      (local.set $g (i32.add (local.get $f) (local.get $two)))
      (local.set $t (i32.const 0))
      (loop $tapblocks
        (local.set $o0 (call $tap (local.get $t) (local.get $CK) (local.get $kh) (local.get $kw) (local.get $H) (local.get $W)))
        (local.set $o1 (call $tap (i32.add (local.get $t) (i32.const 1)) (local.get $CK) (local.get $kh) (local.get $kw) (local.get $H) (local.get $W)))
        (local.set $o2 (call $tap (i32.add (local.get $t) (i32.const 2)) (local.get $CK) (local.get $kh) (local.get $kw) (local.get $H) (local.get $W)))
        (local.set $o3 (call $tap (i32.add (local.get $t) (i32.const 3)) (local.get $CK) (local.get $kh) (local.get $kw) (local.get $H) (local.get $W)))
        (local.set $s00 (v128.const i64x2 0 0))
        (local.set $s01 (v128.const i64x2 0 0))
        (local.set $s02 (v128.const i64x2 0 0))
        (local.set $s03 (v128.const i64x2 0 0))
        (local.set $s10 (v128.const i64x2 0 0))
        (local.set $s11 (v128.const i64x2 0 0))
        (local.set $s12 (v128.const i64x2 0 0))
        (local.set $s13 (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (loop $examples
          (local.set $z0 (i32.add (local.get $pz)
            (i32.mul (i32.add (i32.mul (local.get $i) (local.get $F)) (local.get $f)) (local.get $P8))))
          (local.set $z1 (i32.add (local.get $pz)
            (i32.mul (i32.add (i32.mul (local.get $i) (local.get $F)) (local.get $g)) (local.get $P8))))
          (local.set $xp (i32.add (local.get $px) (i32.mul (local.get $i) (local.get $CHW8))))
          (local.set $oy (i32.const 0))
          (loop $rows
            (local.set $q (i32.const 0))
            (block $pairs_done
              (br_if $pairs_done (i32.eqz (local.get $pairs)))
              (loop $pair
                (local.set $a (v128.load (i32.add (local.get $z0) (local.get $q))))
                (local.set $b (v128.load (i32.add (local.get $z1) (local.get $q))))
                (local.set $xq (i32.add (local.get $xp) (local.get $q)))
                (local.set $x (v128.load (i32.add (local.get $xq) (local.get $o0))))
                (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $a) (local.get $x))))
                (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $b) (local.get $x))))
                (local.set $x (v128.load (i32.add (local.get $xq) (local.get $o1))))
                (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $a) (local.get $x))))
                (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $b) (local.get $x))))
                (local.set $x (v128.load (i32.add (local.get $xq) (local.get $o2))))
                (local.set $s02 (f64x2.add (local.get $s02) (f64x2.mul (local.get $a) (local.get $x))))
                (local.set $s12 (f64x2.add (local.get $s12) (f64x2.mul (local.get $b) (local.get $x))))
                (local.set $x (v128.load (i32.add (local.get $xq) (local.get $o3))))
                (local.set $s03 (f64x2.add (local.get $s03) (f64x2.mul (local.get $a) (local.get $x))))
                (local.set $s13 (f64x2.add (local.get $s13) (f64x2.mul (local.get $b) (local.get $x))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br_if $pair (i32.lt_u (local.get $q) (local.get $pairs)))))
            ;; odd OW: the last ox joins lane 0 (load64_zero: lane 1 adds 0·0)
            (if (i32.and (local.get $OW) (i32.const 1)) (then
              (local.set $a (v128.load64_zero (i32.add (local.get $z0) (local.get $pairs))))
              (local.set $b (v128.load64_zero (i32.add (local.get $z1) (local.get $pairs))))
              (local.set $xq (i32.add (local.get $xp) (local.get $pairs)))
              (local.set $x (v128.load64_zero (i32.add (local.get $xq) (local.get $o0))))
              (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $a) (local.get $x))))
              (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $b) (local.get $x))))
              (local.set $x (v128.load64_zero (i32.add (local.get $xq) (local.get $o1))))
              (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $a) (local.get $x))))
              (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $b) (local.get $x))))
              (local.set $x (v128.load64_zero (i32.add (local.get $xq) (local.get $o2))))
              (local.set $s02 (f64x2.add (local.get $s02) (f64x2.mul (local.get $a) (local.get $x))))
              (local.set $s12 (f64x2.add (local.get $s12) (f64x2.mul (local.get $b) (local.get $x))))
              (local.set $x (v128.load64_zero (i32.add (local.get $xq) (local.get $o3))))
              (local.set $s03 (f64x2.add (local.get $s03) (f64x2.mul (local.get $a) (local.get $x))))
              (local.set $s13 (f64x2.add (local.get $s13) (f64x2.mul (local.get $b) (local.get $x))))))
            (local.set $z0 (i32.add (local.get $z0) (local.get $OW8)))
            (local.set $z1 (i32.add (local.get $z1) (local.get $OW8)))
            (local.set $xp (i32.add (local.get $xp) (local.get $W8)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br_if $rows (i32.lt_s (local.get $oy) (local.get $OH))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $examples (i32.lt_s (local.get $i) (local.get $m))))
        ;; dK(f, t..t+3) and dK(g, t..t+3): taps past CK-1 and a repeated filter are not stored
        (local.set $d0 (i32.add (local.get $pk) (i32.shl (i32.add (i32.mul (local.get $f) (local.get $CK)) (local.get $t)) (i32.const 3))))
        (local.set $d1 (i32.add (local.get $pk) (i32.shl (i32.add (i32.mul (local.get $g) (local.get $CK)) (local.get $t)) (i32.const 3))))
        (call $put (local.get $d0) (local.get $s00) (local.get $alpha) (local.get $beta) (i32.const 1))
        (call $put (i32.add (local.get $d0) (i32.const 8)) (local.get $s01) (local.get $alpha) (local.get $beta)
          (i32.lt_s (i32.add (local.get $t) (i32.const 1)) (local.get $CK)))
        (call $put (i32.add (local.get $d0) (i32.const 16)) (local.get $s02) (local.get $alpha) (local.get $beta)
          (i32.lt_s (i32.add (local.get $t) (i32.const 2)) (local.get $CK)))
        (call $put (i32.add (local.get $d0) (i32.const 24)) (local.get $s03) (local.get $alpha) (local.get $beta)
          (i32.lt_s (i32.add (local.get $t) (i32.const 3)) (local.get $CK)))
        (call $put (local.get $d1) (local.get $s10) (local.get $alpha) (local.get $beta) (local.get $two))
        (call $put (i32.add (local.get $d1) (i32.const 8)) (local.get $s11) (local.get $alpha) (local.get $beta)
          (i32.and (local.get $two) (i32.lt_s (i32.add (local.get $t) (i32.const 1)) (local.get $CK))))
        (call $put (i32.add (local.get $d1) (i32.const 16)) (local.get $s12) (local.get $alpha) (local.get $beta)
          (i32.and (local.get $two) (i32.lt_s (i32.add (local.get $t) (i32.const 2)) (local.get $CK))))
        (call $put (i32.add (local.get $d1) (i32.const 24)) (local.get $s13) (local.get $alpha) (local.get $beta)
          (i32.and (local.get $two) (i32.lt_s (i32.add (local.get $t) (i32.const 3)) (local.get $CK))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br_if $tapblocks (i32.lt_s (local.get $t) (local.get $CK))))
      (local.set $f (i32.add (local.get $f) (i32.const 2)))
      (br_if $filters (i32.lt_s (local.get $f) (local.get $f1)))))

  ;; Z (m, F, OH, OW) -> P (m, F, PH, PW), arg: max-pooling over 2x2 windows,
  ;; PH = OH/2, PW = OW/2 rounded down (an odd last row or column is border,
  ;; ignored). Two neighbouring windows per step, one in each lane: the
  ;; window's elements in row-major order replace the best so far only when
  ;; strictly greater (ties: the first), as in the reference. `planes` is m·F
  ;; for the whole tensor, or the planes of filters f0..f1 of one example.
  (func $max_pool2 (export "max_pool2")
    (param $planes i32) (param $OH i32) (param $OW i32) (param $pz i32) (param $pp i32) (param $pa i32)
    (local $PH i32) (local $PW i32) (local $OW8 i32) (local $pl i32) (local $py i32) (local $px i32)
    (local $r i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $best v128) (local $w v128) (local $x v128) (local $gt v128)
    (local $bs f64) (local $ws i32) (local $xs f64)
    (local.set $PH (i32.shr_u (local.get $OH) (i32.const 1)))
    (local.set $PW (i32.shr_u (local.get $OW) (i32.const 1)))
    (if (i32.or (i32.le_s (local.get $planes) (i32.const 0))
          (i32.or (i32.eqz (local.get $PH)) (i32.eqz (local.get $PW)))) (then (return)))
    (local.set $OW8 (i32.shl (local.get $OW) (i32.const 3)))
    (local.set $pl (i32.const 0))
    (loop $planes_loop
      (local.set $py (i32.const 0))
      (loop $rows
        ;; r: the top-left element of window (py, 0) of this plane
        (local.set $r (i32.add (local.get $pz) (i32.mul
          (i32.add (i32.mul (local.get $pl) (local.get $OH)) (i32.shl (local.get $py) (i32.const 1))) (local.get $OW8))))
        (local.set $px (i32.const 0))
        (block $pairs_done
          (br_if $pairs_done (i32.lt_s (local.get $PW) (i32.const 2)))
          (loop $pairs
            (local.set $v0 (v128.load (local.get $r)))             ;; A0 A1
            (local.set $v1 (v128.load offset=16 (local.get $r)))   ;; B0 B1
            (local.set $v2 (v128.load (i32.add (local.get $r) (local.get $OW8))))             ;; A2 A3
            (local.set $v3 (v128.load offset=16 (i32.add (local.get $r) (local.get $OW8))))   ;; B2 B3
            ;; lanes (A, B): element 0, then 1, 2, 3 of each window
            (local.set $best (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $w (v128.const i64x2 0 0))
            (local.set $x (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v0) (local.get $v1)))
            (local.set $gt (f64x2.gt (local.get $x) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $x) (local.get $best) (local.get $gt)))
            (local.set $w (v128.bitselect (v128.const i64x2 1 1) (local.get $w) (local.get $gt)))
            (local.set $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $gt (f64x2.gt (local.get $x) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $x) (local.get $best) (local.get $gt)))
            (local.set $w (v128.bitselect (v128.const i64x2 2 2) (local.get $w) (local.get $gt)))
            (local.set $x (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v2) (local.get $v3)))
            (local.set $gt (f64x2.gt (local.get $x) (local.get $best)))
            (local.set $best (v128.bitselect (local.get $x) (local.get $best) (local.get $gt)))
            (local.set $w (v128.bitselect (v128.const i64x2 3 3) (local.get $w) (local.get $gt)))
            (v128.store (local.get $pp) (local.get $best))
            (i32.store8 (local.get $pa) (i32.wrap_i64 (i64x2.extract_lane 0 (local.get $w))))
            (i32.store8 offset=1 (local.get $pa) (i32.wrap_i64 (i64x2.extract_lane 1 (local.get $w))))
            (local.set $pp (i32.add (local.get $pp) (i32.const 16)))
            (local.set $pa (i32.add (local.get $pa) (i32.const 2)))
            (local.set $r (i32.add (local.get $r) (i32.const 32)))
            (local.set $px (i32.add (local.get $px) (i32.const 2)))
            (br_if $pairs (i32.le_s (i32.add (local.get $px) (i32.const 2)) (local.get $PW)))))
        ;; an odd last window alone, in scalar
        (if (i32.lt_s (local.get $px) (local.get $PW)) (then
          (local.set $bs (f64.load (local.get $r)))
          (local.set $ws (i32.const 0))
          (local.set $xs (f64.load offset=8 (local.get $r)))
          (if (f64.gt (local.get $xs) (local.get $bs)) (then (local.set $bs (local.get $xs)) (local.set $ws (i32.const 1))))
          (local.set $xs (f64.load (i32.add (local.get $r) (local.get $OW8))))
          (if (f64.gt (local.get $xs) (local.get $bs)) (then (local.set $bs (local.get $xs)) (local.set $ws (i32.const 2))))
          (local.set $xs (f64.load offset=8 (i32.add (local.get $r) (local.get $OW8))))
          (if (f64.gt (local.get $xs) (local.get $bs)) (then (local.set $bs (local.get $xs)) (local.set $ws (i32.const 3))))
          (f64.store (local.get $pp) (local.get $bs))
          (i32.store8 (local.get $pa) (local.get $ws))
          (local.set $pp (i32.add (local.get $pp) (i32.const 8)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 1)))))
        (local.set $py (i32.add (local.get $py) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $py) (local.get $PH))))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br_if $planes_loop (i32.lt_s (local.get $pl) (local.get $planes)))))

  ;; dP, arg -> dZ for 2x2 windows that tile Z exactly (OH, OW even): each
  ;; window's four elements are written, dP at the winner and 0 elsewhere, so
  ;; dZ needs no clearing. Two windows per step, as in max_pool2.
  (func $unpool2 (export "unpool2")
    (param $planes i32) (param $OH i32) (param $OW i32) (param $pp i32) (param $pa i32) (param $pz i32)
    (local $windows i32) (local $OW8 i32) (local $q i32) (local $px i32) (local $PW i32)
    (local $d v128) (local $w v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $PW (i32.shr_u (local.get $OW) (i32.const 1)))
    ;; windows in all: the planes' windows are consecutive in dP as in dZ
    (local.set $windows (i32.mul (local.get $planes) (i32.mul (i32.shr_u (local.get $OH) (i32.const 1)) (local.get $PW))))
    (if (i32.le_s (local.get $windows) (i32.const 0)) (then (return)))
    (local.set $OW8 (i32.shl (local.get $OW) (i32.const 3)))
    (local.set $q (i32.const 0))
    (local.set $px (i32.const 0))
    (loop $steps
      (if (i32.and (i32.lt_s (i32.add (local.get $q) (i32.const 1)) (local.get $windows))
                   (i32.lt_s (i32.add (local.get $px) (i32.const 1)) (local.get $PW)))
        (then
          ;; windows q and q+1, side by side in one row of windows
          (local.set $d (v128.load (local.get $pp)))
          (local.set $w (i64x2.replace_lane 1
            (i64x2.splat (i64.load8_u (local.get $pa))) (i64.load8_u offset=1 (local.get $pa))))
          (local.set $t0 (v128.and (local.get $d) (i64x2.eq (local.get $w) (v128.const i64x2 0 0))))
          (local.set $t1 (v128.and (local.get $d) (i64x2.eq (local.get $w) (v128.const i64x2 1 1))))
          (local.set $t2 (v128.and (local.get $d) (i64x2.eq (local.get $w) (v128.const i64x2 2 2))))
          (local.set $t3 (v128.and (local.get $d) (i64x2.eq (local.get $w) (v128.const i64x2 3 3))))
          ;; rows: A0 A1 B0 B1 above, A2 A3 B2 B3 below
          (v128.store (local.get $pz) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
          (v128.store offset=16 (local.get $pz) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
          (v128.store (i32.add (local.get $pz) (local.get $OW8))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
          (v128.store offset=16 (i32.add (local.get $pz) (local.get $OW8))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (local.set $px (i32.add (local.get $px) (i32.const 2)))
          (local.set $pp (i32.add (local.get $pp) (i32.const 16)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 2)))
          (local.set $pz (i32.add (local.get $pz) (i32.const 32))))
        (else
          ;; the last window of a row of windows alone (odd PW)
          (local.set $d (f64x2.splat (f64.load (local.get $pp))))
          (local.set $w (i64x2.splat (i64.load8_u (local.get $pa))))
          (local.set $t0 (v128.and (local.get $d) (i64x2.eq (local.get $w) (v128.const i64x2 0 1))))
          (local.set $t2 (v128.and (local.get $d) (i64x2.eq (local.get $w) (v128.const i64x2 2 3))))
          (v128.store (local.get $pz) (local.get $t0))
          (v128.store (i32.add (local.get $pz) (local.get $OW8)) (local.get $t2))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (local.set $px (i32.add (local.get $px) (i32.const 1)))
          (local.set $pp (i32.add (local.get $pp) (i32.const 8)))
          (local.set $pa (i32.add (local.get $pa) (i32.const 1)))
          (local.set $pz (i32.add (local.get $pz) (i32.const 16)))))
      ;; past a row of windows: skip Z's second row of it
      (if (i32.ge_s (local.get $px) (local.get $PW)) (then
        (local.set $px (i32.const 0))
        (local.set $pz (i32.add (local.get $pz) (local.get $OW8)))))
      (br_if $steps (i32.lt_s (local.get $q) (local.get $windows)))))

  ;; col2im of the lowered input gradient (conv-lowered.ts): dcols
  ;; (channels·kh·kw, OH·OW) at pc -> `channels` planes (H, W) of dX at px.
  ;; dX is zeroed, then row (c, ky, kx) of dcols is added onto
  ;; dX[c, oy+ky, ox+kx], rows in increasing order: each element sums its
  ;; terms in (ky, kx) order from +0, as the TypeScript col2im does.
  (func $col2im (export "col2im")
    (param $channels i32) (param $H i32) (param $W i32) (param $kh i32) (param $kw i32) (param $pc i32) (param $px i32)
    (local $OH i32) (local $OW i32) (local $W8 i32) (local $pairs i32) (local $end i32) (local $p i32)
    (local $c i32) (local $ky i32) (local $kx i32) (local $oy i32) (local $d i32) (local $q i32)
    (local.set $OH (i32.add (i32.sub (local.get $H) (local.get $kh)) (i32.const 1)))
    (local.set $OW (i32.add (i32.sub (local.get $W) (local.get $kw)) (i32.const 1)))
    (if (i32.or (i32.le_s (local.get $channels) (i32.const 0))
          (i32.or (i32.le_s (local.get $OH) (i32.const 0)) (i32.le_s (local.get $OW) (i32.const 0)))) (then (return)))
    (local.set $W8 (i32.shl (local.get $W) (i32.const 3)))
    (local.set $pairs (i32.shl (i32.shr_u (local.get $OW) (i32.const 1)) (i32.const 4)))
    ;; zero the planes: pairs, then an odd last element
    (local.set $end (i32.add (local.get $px) (i32.shl (i32.mul (local.get $channels) (i32.mul (local.get $H) (local.get $W))) (i32.const 3))))
    (local.set $p (local.get $px))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $p) (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $zero)))
    (if (i32.lt_u (local.get $p) (local.get $end)) (then (f64.store (local.get $p) (f64.const 0))))
    (local.set $c (i32.const 0))
    (loop $chans
      (local.set $ky (i32.const 0))
      (loop $kys
        (local.set $kx (i32.const 0))
        (loop $kxs
          (local.set $oy (i32.const 0))
          (loop $rows
            ;; pc walks dcols row after row; d: dX[c, oy+ky, kx]
            (local.set $d (i32.add (local.get $px) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (local.get $c) (local.get $H)) (i32.add (local.get $oy) (local.get $ky))) (local.get $W))
                (local.get $kx)) (i32.const 3))))
            (local.set $q (i32.const 0))
            (block $pairs_done
              (br_if $pairs_done (i32.eqz (local.get $pairs)))
              (loop $pair
                (v128.store (i32.add (local.get $d) (local.get $q)) (f64x2.add
                  (v128.load (i32.add (local.get $d) (local.get $q)))
                  (v128.load (i32.add (local.get $pc) (local.get $q)))))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br_if $pair (i32.lt_u (local.get $q) (local.get $pairs)))))
            (if (i32.and (local.get $OW) (i32.const 1)) (then
              (f64.store (i32.add (local.get $d) (local.get $pairs)) (f64.add
                (f64.load (i32.add (local.get $d) (local.get $pairs)))
                (f64.load (i32.add (local.get $pc) (local.get $pairs)))))))
            (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $OW) (i32.const 3))))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br_if $rows (i32.lt_s (local.get $oy) (local.get $OH))))
          (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
          (br_if $kxs (i32.lt_s (local.get $kx) (local.get $kw))))
        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
        (br_if $kys (i32.lt_s (local.get $ky) (local.get $kh))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $chans (i32.lt_s (local.get $c) (local.get $channels)))))
)
