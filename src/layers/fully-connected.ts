// A fully connected layer, network3.py's FullyConnectedLayer and, with the
// softmax activation, its SoftmaxLayer: W (n_out, n_in) and b (n_out), as in
// the book. Over a mini-batch of m rows, with δ = ∂C/∂z:
//   forward  Z = A_in·Wᵀ + b,  A = f(Z)            (z = w·a + b for every example)
//   BP2      δ_in = (δ·W) ∘ f_in'(z_in)           (the layer below's error)
//   BP3/BP4  ∂C/∂b = Σ_rows δ,  ∂C/∂W = δᵀ·A_in
//   update   W ← decay·W − (η/m)·δᵀ·A_in,  b ← b − (η/m)·Σ_rows δ   (in place, no gradient buffer)
// Fed straight from the data (mostly zeros), the forward product and the
// update take only the input's nonzero pairs of columns (kernel/pairs.ts),
// for the same bits, when few enough of them are nonzero.
// With dropout, A_in is replaced in training by the masked input (dropout.ts)
// and δ_in is masked the same way; at inference Z = (1 − p)·A_in·Wᵀ + b.
import type { Alloc } from "../kernel/arena.js";
import { mulInto, scale, sumRowsOn } from "../kernel/elementwise.js";
import { pairsOf, sparseRows } from "../kernel/pairs.js";
import { ACTIVATIONS, backwardOn, forwardOn, type Activation } from "./activations.js";
import { dropColumns, maskKey } from "./dropout.js";
import { blockEdge, type InitName, type Layer, type LayerIO, type Ops, type Shape, type Step, type StepContext } from "./layer.js";
import type { LayerSpec } from "./spec.js";

export class FullyConnected implements Layer {
  readonly nOut: number;
  readonly activation: Activation;
  /** (nOut, nIn) */
  readonly weight: Float64Array;
  /** (nOut) */
  readonly bias: Float64Array;

  readonly nIn: number;
  readonly outShape: Shape;

  /** Reads `inShape` flattened (a convolution's maps in (channel, row, column) order need no reshaping). */
  constructor(readonly spec: LayerSpec, readonly inShape: Shape, alloc: Alloc) {
    this.nIn = inShape.C * inShape.H * inShape.W;
    this.nOut = spec.size;
    this.outShape = { C: 1, H: 1, W: this.nOut };
    this.activation = ACTIVATIONS[spec.activation];
    this.bias = alloc.f64(this.nOut);
    this.weight = alloc.f64(this.nOut * this.nIn);
  }

  get weightShape(): readonly number[] {
    return [this.nOut, this.nIn];
  }

  weightScale(init: InitName): number {
    if (init === "large") return 1;
    if (init === "scaled") return 1 / Math.sqrt(this.nIn);
    // network3.py: N(0, 1/n_out) where 1/n_in was meant; kept, so the book's runs are the book's
    return this.spec.type === "softmax" ? 0 : 1 / Math.sqrt(this.nOut);
  }

  drawsBiases(init: InitName): boolean {
    return !(init === "network3" && this.spec.type === "softmax");
  }

  forward({ gemm: kernel }: Ops, ctx: StepContext, io: LayerIO, training: boolean): Step[] {
    const { nIn, nOut, weight: W, bias: b, activation: f } = this;
    const p = this.spec.dropout;
    const masked = training && p > 0;
    const steps: Step[] = [];
    if (masked) {
      const { input, mask, dropped } = need(io, "mask", "dropped");
      steps.push({
        name: `mask ${io.index}`, split: "units", units: nIn,
        reads: [{ buffer: input, all: false }],
        writes: [{ buffer: mask, all: false }, { buffer: dropped, all: false }],
        run: (c0, c1) => dropColumns(maskKey(ctx, io.index), p, ctx.row0, ctx.m, nIn, c0, c1, input, mask, dropped),
      });
    }
    const A = masked ? io.dropped! : io.input;
    const s = training ? 1 : 1 - p;
    const Z = io.out;
    const activate = forwardOn(kernel, f);
    const pairs = io.pairs;
    if (pairs) {
      const { rows } = pairs;
      steps.push({
        name: `index rows ${io.index}`, split: "examples", units: 0,
        reads: [{ buffer: A, all: false }],
        writes: [{ buffer: rows.list, all: false }, { buffer: rows.count, all: false }],
        run: (i0, i1) => {
          if (pairs.gathered) pairs.gathered = false; // made with this batch: the next one may come another way
          else kernel.indexRows(i0, i1, nIn, A, 0, nIn, rows);
        },
      });
    }
    steps.push({
      name: `forward ${io.index}`, split: "units", units: nOut,
      reads: [
        { buffer: A, all: true }, { buffer: W, all: false }, { buffer: b, all: false },
        ...(pairs ? [{ buffer: pairs.rows.list, all: true }, { buffer: pairs.rows.count, all: true }] : []),
      ],
      writes: [{ buffer: Z, all: false }],
      // A is (m, nIn), rows r0..r1 of W are (r1 - r0, nIn) -> columns r0..r1 of Z (m, nOut)
      run: (r0, r1) => {
        const m = ctx.m;
        if (pairs && sparseRows(m, nIn, pairs.rows)) kernel.gemmABtPairs(m, r1 - r0, nIn, A, 0, nIn, pairs.rows, W, r0 * nIn, nIn, Z, r0, nOut);
        else kernel.gemmABt(m, r1 - r0, nIn, A, 0, nIn, W, r0 * nIn, nIn, Z, r0, nOut);
        activate(m, r1 - r0, Z, r0, nOut, b, r0, s);
      },
    });
    if (pairs && training) {
      // the update's index, built here where no barrier is needed for it
      const { rows, cols } = pairs;
      steps.push({
        name: `index columns ${io.index}`, split: "units", units: pairsOf(nIn),
        reads: [{ buffer: rows.list, all: true }, { buffer: rows.count, all: true }],
        writes: [{ buffer: cols.list, all: false }, { buffer: cols.count, all: false }],
        run: (q0, q1) => {
          if (pairs.colsGathered) pairs.colsGathered = false; // as index rows' step
          else kernel.indexColumns(q0, q1, ctx.m, rows, cols);
        },
      });
    }
    if (f.normalise) {
      const normalise = f.normalise;
      steps.push({
        name: `${f.name} ${io.index}`, split: "examples", units: 0,
        reads: [{ buffer: Z, all: false }], writes: [{ buffer: Z, all: false }],
        run: (i0, i1) => normalise(i0, i1, nOut, Z),
      });
    }
    return steps;
  }

  backward({ gemm: kernel }: Ops, ctx: StepContext, io: LayerIO, training: boolean): Step[] {
    if (!io.below) return []; // the input layer's δ is never needed
    const { nIn, nOut, weight: W } = this;
    const p = this.spec.dropout;
    const { input, delta: D } = io;
    const { delta: Din, activation: g } = io.below;
    const mask = training && p > 0 ? need(io, "mask").mask : undefined;
    const derive = backwardOn(kernel, g);
    const reads = [{ buffer: D, all: true }, { buffer: W, all: false }, { buffer: input, all: false }];
    if (mask) reads.push({ buffer: mask, all: false });
    return [{
      name: `backward ${io.index}`, split: "units", units: nIn,
      reads, writes: [{ buffer: Din, all: false }],
      // D is (m, nOut), columns c0..c1 of W (nOut, nIn) -> columns c0..c1 of Din (m, nIn); W's block is its columns
      run: (c0, c1) => {
        const m = ctx.m;
        kernel.gemmAB(m, c1 - c0, nOut, D, 0, nOut, W, c0, nIn, Din, c0, nIn); // BP2
        if (mask) mulInto(m, c1 - c0, Din, c0, nIn, mask, c0, nIn);
        else if (!training && p > 0) scale(m, c1 - c0, 1 - p, Din, c0, nIn);
        derive(m, c1 - c0, Din, c0, nIn, input, c0, nIn);
      },
    }];
  }

  update({ gemm: kernel }: Ops, ctx: StepContext, io: LayerIO): Step[] {
    const { nIn, nOut, weight: W, bias: b } = this;
    const A = this.spec.dropout > 0 ? need(io, "dropped").dropped : io.input;
    const D = io.delta;
    const pairs = io.pairs;
    const bp3 = sumRowsOn(kernel);
    if (io.below) {
      // Split as the backward step is, by W's columns: each thread updates the columns it has just read, so no
      // barrier is needed between the two (the row split needed one, the weights' last read being by columns).
      return [{
        name: `update ${io.index}`, split: "units", units: nIn,
        reads: [{ buffer: D, all: true }, { buffer: A, all: false }],
        writes: [{ buffer: W, all: false }, { buffer: b, all: true }],
        // D (m, nOut), columns c0..c1 of A (m, nIn) -> columns c0..c1 of W; b whole, by the thread with column 0
        run: (c0, c1) => {
          const m = ctx.m;
          const step = -ctx.eta / m;
          kernel.gemmAtB(nOut, c1 - c0, m, step, D, 0, nOut, A, c0, nIn, ctx.decay, W, c0, nIn); // BP4
          if (c0 === 0) bp3(m, nOut, step, D, 0, nOut, 1, b, 0); // BP3
        },
      }];
    }
    return [{
      name: `update ${io.index}`, split: "units", units: nOut,
      reads: [
        { buffer: D, all: false }, { buffer: A, all: true },
        ...(pairs ? [{ buffer: pairs.rows.count, all: true }, { buffer: pairs.cols.list, all: true }, { buffer: pairs.cols.count, all: true }] : []),
      ],
      writes: [{ buffer: W, all: false }, { buffer: b, all: false }],
      // columns r0..r1 of D (m, nOut), A (m, nIn) -> rows r0..r1 of W, entries r0..r1 of b
      run: (r0, r1) => {
        const m = ctx.m;
        const step = -ctx.eta / m;
        if (pairs && sparseRows(m, nIn, pairs.rows)) {
          // a block of W's rows means other threads update the rest at the same time: at most ROWS_AT_ONCE a call
          const pieces = r1 - r0 < nOut ? Math.ceil((r1 - r0) / ROWS_AT_ONCE) : 1;
          for (let p = 0; p < pieces; p++) {
            const a0 = r0 + blockEdge(r1 - r0, p, pieces);
            const a1 = r0 + blockEdge(r1 - r0, p + 1, pieces);
            kernel.gemmAtBPairs(a1 - a0, nIn, m, step, D, a0, nOut, A, 0, nIn, pairs.cols, ctx.decay, W, a0 * nIn, nIn); // BP4
          }
        } else {
          kernel.gemmAtB(r1 - r0, nIn, m, step, D, r0, nOut, A, 0, nIn, ctx.decay, W, r0 * nIn, nIn); // BP4
        }
        bp3(m, r1 - r0, step, D, r0, nOut, 1, b, r0); // BP3
      },
    }];
  }

  gradient({ gemm: kernel }: Ops, m: number, io: LayerIO, nablaW: Float64Array, nablaB: Float64Array, beta: number): void {
    const { nIn, nOut } = this;
    const A = this.spec.dropout > 0 ? need(io, "dropped").dropped : io.input;
    kernel.gemmAtB(nOut, nIn, m, 1, io.delta, 0, nOut, A, 0, nIn, beta, nablaW, 0, nIn);
    sumRowsOn(kernel)(m, nOut, 1, io.delta, 0, nOut, beta, nablaB, 0);
  }
}

/** Rows of the first layer's W one call of the update over pairs takes while other threads update the rest. Two
 *  threads each updating 16 or more rows of one matrix over pairs in one memory take about twice their time alone
 *  (the README's Threads section; not with two memories, nor for the dense update or the forward product); up to 15
 *  rows a call each keeps its speed. Alone, one call over every row is the faster (one pass over the pairs). */
const ROWS_AT_ONCE = 15;

/** The io with the named optional buffers present (a workspace made for training with dropout has them). */
function need<K extends "mask" | "dropped">(io: LayerIO, ...keys: K[]): LayerIO & Required<Pick<LayerIO, K>> {
  for (const k of keys) if (!io[k]) throw new Error(`layer ${io.index} has dropout but its workspace has no ${k} buffer`);
  return io as LayerIO & Required<Pick<LayerIO, K>>;
}
