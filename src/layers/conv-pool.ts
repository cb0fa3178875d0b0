// A convolution and max-pooling layer, network3.py's ConvPoolLayer: F filters
// K (F, C, kh, kw) over the C maps of its input, a "valid" convolution of
// stride 1, non-overlapping p x p max-pooling (border rows and columns that
// fill no window ignored), then the bias b (F) and the activation:
//   forward  Z = conv(X, K),  P = pool(Z),  A = f(P + b)
//   backward dZ = unpool(δ) (δ = ∂C/∂(P + b), routed to each window's winner),
//            δ_in = conv_input_grad(dZ, K) ∘ f_in'(z_in)   (the layer below's error)
//   update   K ← decay·K − (η/m)·conv_weight_grad(dZ, X),  b ← b − (η/m)·Σ over examples and positions of δ
// Threads split the layer by filters and its input gradient by the layer
// below's maps (src/kernel/conv.ts keeps every element the same under any split).
import type { Alloc } from "../kernel/arena.js";
import { convOut, poolOut, type ConvShape, type PoolShape } from "../kernel/conv.js";
import { ACTIVATIONS, backwardOn, forwardOn, type Activation } from "./activations.js";
import type { InitName, Layer, LayerIO, Ops, Shape, Step, StepContext } from "./layer.js";
import type { LayerSpec } from "./spec.js";

export class ConvPool implements Layer {
  readonly activation: Activation;
  /** (F, C, kh, kw) */
  readonly weight: Float64Array;
  /** (F) */
  readonly bias: Float64Array;
  readonly outShape: Shape;
  readonly nIn: number;
  readonly nOut: number;
  /** The convolution's output maps before pooling: OH x OW. */
  readonly conv: { OH: number; OW: number };
  readonly pool: number;

  constructor(readonly spec: LayerSpec, readonly inShape: Shape, alloc: Alloc) {
    const [kh, kw] = spec.kernel!;
    this.pool = spec.pool ?? 1;
    this.activation = ACTIVATIONS[spec.activation];
    this.conv = convOut({ m: 0, ...inShape, F: spec.size, kh, kw });
    const { PH, PW } = poolOut({ m: 0, F: spec.size, ...this.conv, p: this.pool });
    const maps = `${inShape.H}x${inShape.W}`;
    if (this.conv.OH < 1 || this.conv.OW < 1) throw new RangeError(`${kh}x${kw} filters do not fit in the ${maps} maps they read`);
    if (PH < 1 || PW < 1) throw new RangeError(`pool=${this.pool} windows do not fit in the ${this.conv.OH}x${this.conv.OW} maps of ${kh}x${kw} filters on ${maps}`);
    this.outShape = { C: spec.size, H: PH, W: PW };
    this.nIn = inShape.C * inShape.H * inShape.W;
    this.nOut = spec.size * PH * PW;
    this.bias = alloc.f64(spec.size);
    this.weight = alloc.f64(spec.size * inShape.C * kh * kw);
  }

  get weightShape(): readonly number[] {
    return [this.spec.size, this.inShape.C, ...this.spec.kernel!];
  }

  /** The convolution's shape for a batch of m. */
  shape(m: number): ConvShape {
    const [kh, kw] = this.spec.kernel!;
    return { m, C: this.inShape.C, H: this.inShape.H, W: this.inShape.W, F: this.spec.size, kh, kw };
  }

  poolShape(m: number): PoolShape {
    return { m, F: this.spec.size, ...this.conv, p: this.pool };
  }

  weightScale(init: InitName): number {
    const [kh, kw] = this.spec.kernel!;
    if (init === "large") return 1;
    if (init === "scaled") return 1 / Math.sqrt(this.inShape.C * kh * kw);
    // network3.py: N(0, 1/n_out) with n_out = F·kh·kw / pool area
    return Math.sqrt((this.pool * this.pool) / (this.spec.size * kh * kw));
  }

  drawsBiases(): boolean {
    return true;
  }

  forward({ conv, gemm }: Ops, ctx: StepContext, io: LayerIO, _training: boolean): Step[] {
    const { Z, arg, work } = need(io);
    const { weight: K, bias: b, activation: f } = this;
    const activate = forwardOn(gemm, f);
    const { input: X, out: A } = io;
    const F = this.spec.size;
    const { H: PH, W: PW } = this.outShape;
    const area = PH * PW;
    return [{
      name: `forward ${io.index}`, split: "units", units: F,
      reads: [{ buffer: X, all: true }, { buffer: K, all: false }, { buffer: b, all: false }],
      writes: [{ buffer: Z, all: false }, { buffer: arg, all: false }, { buffer: A, all: false }],
      // X (m, C, H, W), filters f0..f1 of K -> those maps of Z (m, F, OH, OW), pooled into A (m, F, PH, PW)
      run: (f0, f1, t) => {
        const m = ctx.m;
        conv.convForward(this.shape(m), X, K, Z, f0, f1, work[t]);
        conv.maxPoolForward(this.poolShape(m), Z, A, arg, f0, f1);
        // A = f(P + b): one bias per map, as a column of area rows
        for (let i = 0; i < m; i++) for (let c = f0; c < f1; c++) activate(area, 1, A, (i * F + c) * area, 1, b, c, 1);
      },
    }];
  }

  backward({ gemm, conv }: Ops, ctx: StepContext, io: LayerIO, _training: boolean): Step[] {
    const { dZ, arg, work } = need(io);
    const { weight: K } = this;
    const D = io.delta;
    const F = this.spec.size;
    const steps: Step[] = [{
      name: `unpool ${io.index}`, split: "units", units: F,
      reads: [{ buffer: D, all: false }, { buffer: arg, all: false }],
      writes: [{ buffer: dZ, all: false }],
      // δ (m, F, PH, PW) -> dZ (m, F, OH, OW), to each window's winner, filters f0..f1
      run: (f0, f1) => conv.maxPoolBackward(this.poolShape(ctx.m), D, arg, dZ, f0, f1),
    }];
    if (!io.below) return steps;
    const { delta: Din, activation: g } = io.below;
    const derive = backwardOn(gemm, g);
    const { C, H, W } = this.inShape;
    const plane = H * W;
    steps.push({
      name: `backward ${io.index}`, split: "units", units: C,
      reads: [{ buffer: dZ, all: true }, { buffer: K, all: true }, { buffer: io.input, all: false }],
      writes: [{ buffer: Din, all: false }],
      // dZ (m, F, OH, OW), K -> maps c0..c1 of Din (m, C, H, W), then ∘ f'(z) of the layer below
      run: (c0, c1, t) => {
        const m = ctx.m;
        conv.convInputGrad(this.shape(m), dZ, K, Din, c0, c1, work[t]);
        derive(m, (c1 - c0) * plane, Din, c0 * plane, C * plane, io.input, c0 * plane, C * plane);
      },
    });
    return steps;
  }

  update({ conv }: Ops, ctx: StepContext, io: LayerIO): Step[] {
    const { dZ, work } = need(io);
    const { weight: K, bias: b } = this;
    const D = io.delta;
    const X = io.input;
    return [{
      name: `update ${io.index}`, split: "units", units: this.spec.size,
      reads: [{ buffer: dZ, all: false }, { buffer: D, all: false }, { buffer: X, all: true }],
      writes: [{ buffer: K, all: false }, { buffer: b, all: false }],
      run: (f0, f1, t) => {
        const m = ctx.m;
        const step = -ctx.eta / m;
        conv.convWeightGrad(this.shape(m), dZ, X, step, ctx.decay, K, f0, f1, work[t]);
        this.sumMaps(m, D, f0, f1, step, 1, b);
      },
    }];
  }

  gradient({ conv }: Ops, m: number, io: LayerIO, nablaW: Float64Array, nablaB: Float64Array, beta: number): void {
    const { dZ, work } = need(io);
    conv.convWeightGrad(this.shape(m), dZ, io.input, 1, beta, nablaW, 0, this.spec.size, work[0]);
    this.sumMaps(m, io.delta, 0, this.spec.size, 1, beta, nablaB);
  }

  // D (m, F, PH, PW) -> v[f] = beta·v[f] + alpha·Σ over examples and positions, filters f0..f1 (BP3)
  private sumMaps(m: number, D: Float64Array, f0: number, f1: number, alpha: number, beta: number, v: Float64Array): void {
    const F = this.spec.size;
    const area = this.outShape.H * this.outShape.W;
    for (let c = f0; c < f1; c++) {
      let s = 0;
      for (let i = 0; i < m; i++) {
        const at = (i * F + c) * area;
        for (let q = 0; q < area; q++) s += D[at + q];
      }
      v[c] = beta === 0 ? alpha * s : beta * v[c] + alpha * s;
    }
  }
}

function need(io: LayerIO): NonNullable<LayerIO["conv"]> {
  if (!io.conv) throw new Error(`layer ${io.index} is a convolution but its workspace has no maps for it`);
  return io.conv;
}
