// A network is a list of layers, as in network3.py: `inputs` units come in
// (the image's pixels), each layer maps its input to its output units, and
// the last layer's outputs are the scores of the classes. Parameters live in
// an Alloc (the arena) so the WebAssembly kernel and worker threads use them
// in place.
import { NO_MEMORY, Recorder, type Alloc, type ViewLayout } from "../kernel/arena.js";
import { ConvPool } from "../layers/conv-pool.js";
import { FullyConnected } from "../layers/fully-connected.js";
import type { InitName, Layer, Shape } from "../layers/layer.js";
import { formatLayers, isSigmoidStack, sigmoidLayers, type LayerSpec } from "../layers/spec.js";
import type { Rng } from "./rng.js";

export type { InitName } from "../layers/layer.js";

/** What a network is made from: its input, as `inputs` units or as images of `shape`, and its layers. */
export interface Architecture {
  inputs: number;
  /** The input as C maps of H x W; without it, one row of `inputs` units (enough for fully connected layers). */
  shape?: Shape;
  layers: readonly LayerSpec[];
}

export class Network {
  readonly inputs: number;
  readonly shape: Shape;
  readonly layers: readonly Layer[];
  /** Where the parameters are, in the order they were made: a worker thread rebuilds the network on them (Replay). */
  readonly layout: readonly ViewLayout[];

  /** The book's `sizes` (input first: sigmoid fully connected layers), or the input size and a layer list. */
  constructor(architecture: readonly number[] | Architecture, alloc: Alloc) {
    const a: Architecture = Array.isArray(architecture)
      ? { inputs: architecture[0], layers: sigmoidLayers(architecture) }
      : (architecture as Architecture);
    this.inputs = a.inputs;
    this.shape = a.shape ?? { C: 1, H: 1, W: a.inputs };
    if (this.shape.C * this.shape.H * this.shape.W !== a.inputs) throw new RangeError(`a ${shapeText(this.shape)} input is not ${a.inputs} units`);
    const recorder = new Recorder(alloc);
    let shape = this.shape;
    this.layers = a.layers.map((spec) => {
      const layer = spec.type === "conv" ? new ConvPool(spec, shape, recorder) : new FullyConnected(spec, shape, recorder);
      shape = layer.outShape;
      return layer;
    });
    this.layout = recorder.layouts;
  }

  get specs(): LayerSpec[] {
    return this.layers.map((l) => ({ ...l.spec }));
  }

  /** What rebuilds this network's structure (a copy, or in another thread). */
  get architecture(): Architecture {
    return { inputs: this.inputs, shape: { ...this.shape }, layers: this.specs };
  }

  /** Units per layer, input first (the book's `sizes`). */
  get sizes(): number[] {
    return [this.inputs, ...this.layers.map((l) => l.nOut)];
  }

  get outputs(): number {
    return this.layers[this.layers.length - 1].nOut;
  }

  get weights(): Float64Array[] {
    return this.layers.map((l) => l.weight);
  }

  get biases(): Float64Array[] {
    return this.layers.map((l) => l.bias);
  }

  /** The layers as `--layers` text. */
  describe(): string {
    return formatLayers(this.layers.map((l) => l.spec));
  }

  /** True when network2.py's JSON can hold this network (sigmoid fully connected layers, no dropout). */
  get isBookNetwork(): boolean {
    return isSigmoidStack(this.layers.map((l) => l.spec));
  }

  /**
   * Draws the initial parameters in network.py's order (all biases, then all
   * weights), each layer as `init` says for its type (InitName).
   */
  initialise(init: InitName, rng: Rng): void {
    for (const l of this.layers) {
      const b = l.bias;
      if (l.drawsBiases(init)) for (let j = 0; j < b.length; j++) b[j] = rng.normal();
      else b.fill(0);
    }
    for (const l of this.layers) {
      const w = l.weight;
      const scale = l.weightScale(init);
      if (scale === 0) w.fill(0);
      else for (let j = 0; j < w.length; j++) w[j] = rng.normal() * scale;
    }
  }

  copyFrom(other: Network): void {
    this.layers.forEach((l, i) => {
      l.weight.set(other.layers[i].weight);
      l.bias.set(other.layers[i].bias);
    });
  }

  /** Σ w² over all weights (the L2 term's sum). */
  sumSquaredWeights(): number {
    let s = 0;
    for (const { weight: w } of this.layers) for (let j = 0; j < w.length; j++) s += w[j] * w[j];
    return s;
  }

  /** True when every weight and bias is a finite number. */
  isFinite(): boolean {
    const finite = (v: Float64Array): boolean => v.every(Number.isFinite);
    return this.layers.every((l) => finite(l.weight) && finite(l.bias));
  }
}

/** A shape as CxHxW. */
export function shapeText(s: Shape): string {
  return `${s.C}x${s.H}x${s.W}`;
}

/** Why an architecture cannot be built (filters or pooling larger than the maps), or undefined; nothing is allocated. */
export function architectureProblem(a: Architecture): string | undefined {
  try {
    new Network(a, NO_MEMORY);
    return undefined;
  } catch (e) {
    if (e instanceof RangeError) return e.message;
    throw e;
  }
}

/** CxHxW back to a shape, or undefined. */
export function parseShape(text: string): Shape | undefined {
  const m = /^(\d{1,6})x(\d{1,6})x(\d{1,6})$/.exec(text);
  if (!m) return undefined;
  const [C, H, W] = [m[1], m[2], m[3]].map(Number);
  return C > 0 && H > 0 && W > 0 ? { C, H, W } : undefined;
}
