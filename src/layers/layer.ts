// What a layer is to the network: its parameters, and the steps of a
// mini-batch it contributes (forward, backward, update), each a small
// function over a block of units or of examples. The network strings the
// layers' steps into one plan; the serial engine runs every step whole and
// the threaded team runs each thread's block of it, with barriers where one
// step reads what another thread wrote (plan.ts works out where).
import type { ConvKernel } from "../kernel/conv.js";
import type { Kernel } from "../kernel/kernel.js";
import type { PairIndex } from "../kernel/pairs.js";
import type { Activation } from "./activations.js";
import type { LayerSpec } from "./spec.js";

/** What the steps of one mini-batch share; the engine sets it before each batch. */
export interface StepContext {
  /** Examples in this mini-batch. */
  m: number;
  eta: number;
  /** The weights' factor in the SGD step: 1 − ηλ/n or 1 − ηλm/n (L2 regularisation). */
  decay: number;
  /** What a dropout mask is derived from, with the layer, example and unit (dropout.ts). */
  seed: number;
  epoch: number;
  batch: number;
  /** The mini-batch index of the workspace's row 0 (the per-example reference walks a batch one row at a time). */
  row0: number;
}

export type Split = "units" | "examples";

/** Where block t of T starts among n items: contiguous blocks, sizes differing by at most one (a team's thread's
 *  block of a step, and the pieces a block is cut into). */
export const blockEdge = (n: number, t: number, T: number): number => Math.floor((n * t) / T);

/** A buffer a step touches: all of it, or only its own block under the step's split. */
export interface Access {
  buffer: Float64Array | Uint8Array | Int32Array;
  all: boolean;
}

export interface Step {
  readonly name: string;
  /** Units: blocks of `units` neurons (columns); examples: blocks of the m rows. */
  readonly split: Split;
  readonly units: number;
  readonly reads: readonly Access[];
  readonly writes: readonly Access[];
  /** Does the step for units (or examples) [from, to), as thread t (whose scratch it may use). */
  run(from: number, to: number, t: number): void;
}

/** The operations layers are built on: the matrix products and the convolutions. */
export interface Ops {
  gemm: Kernel;
  conv: ConvKernel;
}

/** A layer's input or output as images: C maps of H x W (a flat layer's units are C = H = 1, W = n). */
export interface Shape {
  C: number;
  H: number;
  W: number;
}

/** The buffers of one layer in one workspace, and its neighbour below. */
export interface LayerIO {
  /** The layer's index in the network (dropout masks differ per layer). */
  index: number;
  /** (m, nIn): the input batch X or the activations of the layer below. */
  input: Float64Array;
  /** (m, nOut): this layer's activations. */
  out: Float64Array;
  /** (m, nOut): ∂C/∂z of this layer (training only). */
  delta: Float64Array;
  /** (m, nIn) each: the dropout mask and the masked input (training with dropout only). */
  mask?: Float64Array;
  dropped?: Float64Array;
  /** The nonzero pairs of the input (pairs.ts), for a fully connected first layer: rows by example, columns by pair;
   *  `gathered` when the mini-batch's gather made the rows index with the batch (the forward then need not),
   *  `colsGathered` when it made the columns index too. */
  pairs?: { rows: PairIndex; cols: PairIndex; gathered: boolean; colsGathered: boolean };
  /** The layer below, whose δ this layer's backward step computes (absent for the first layer). */
  below?: { delta: Float64Array; activation: Activation };
  /** A convolution's maps before pooling and their δ (m, F, OH, OW), the pooling's winners (m, F, PH, PW),
   *  and a scratch buffer per thread. */
  conv?: { Z: Float64Array; dZ: Float64Array; arg: Uint8Array; work: Float64Array[] };
}

export interface Layer {
  readonly spec: LayerSpec;
  readonly nIn: number;
  readonly nOut: number;
  readonly activation: Activation;
  /** Named parameters: weights ("weight") and biases ("bias"). */
  readonly weight: Float64Array;
  readonly bias: Float64Array;
  readonly weightShape: readonly number[];
  /** The images it reads and makes. */
  readonly inShape: Shape;
  readonly outShape: Shape;
  /** The standard deviation of the initial weights under an initialiser, or 0 for zeros. */
  weightScale(init: InitName): number;
  /** Whether the initial biases are N(0, 1) draws (else zeros). */
  drawsBiases(init: InitName): boolean;
  forward(ops: Ops, ctx: StepContext, io: LayerIO, training: boolean): Step[];
  backward(ops: Ops, ctx: StepContext, io: LayerIO, training: boolean): Step[];
  update(ops: Ops, ctx: StepContext, io: LayerIO): Step[];
  /** nablaW = beta·nablaW + Σ over the m examples of ∂C/∂w, likewise nablaB (after backward). */
  gradient(ops: Ops, m: number, io: LayerIO, nablaW: Float64Array, nablaB: Float64Array, beta: number): void;
}

/**
 * `large`: N(0, 1) weights and biases (chapter 1); `scaled`: weights N(0, 1/n_in) (chapter 3);
 * `network3`: network3.py's, fully connected weights N(0, 1/n_out) and softmax zeros.
 */
export type InitName = "large" | "scaled" | "network3";
