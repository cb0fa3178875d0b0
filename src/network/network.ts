// The network of the book: `sizes` neurons per layer, and for each layer l
// after the input a weight matrix W[l] (sizes[l+1], sizes[l]) and a bias
// vector b[l] (sizes[l+1]). Parameters live in the arena so the WebAssembly
// kernel and worker threads use them in place.
import { Arena } from "../kernel/arena.js";
import type { Rng } from "./rng.js";

export type InitName = "large" | "scaled";

export interface Parameters {
  weights: Float64Array[];
  biases: Float64Array[];
}

export class Network {
  readonly sizes: readonly number[];
  readonly weights: Float64Array[];
  readonly biases: Float64Array[];

  /** New zeroed parameters in `arena`, or views of parameters that already exist (in a worker thread). */
  constructor(sizes: readonly number[], from: Arena | Parameters) {
    this.sizes = [...sizes];
    if (from instanceof Arena) {
      this.biases = this.sizes.slice(1).map((y) => from.f64(y));
      this.weights = this.sizes.slice(1).map((y, l) => from.f64(y * this.sizes[l]));
    } else {
      this.biases = from.biases;
      this.weights = from.weights;
    }
  }

  /** The number of weight layers (the book's num_layers - 1). */
  get layers(): number {
    return this.sizes.length - 1;
  }

  /**
   * The book's initialisers, drawn in network.py's order (all biases, then
   * all weights): `large` is N(0, 1) for both (chapter 1); `scaled` draws
   * weights from N(0, 1/n_in) so that z starts unsaturated (chapter 3).
   */
  initialise(init: InitName, rng: Rng): void {
    for (const b of this.biases) for (let j = 0; j < b.length; j++) b[j] = rng.normal();
    this.weights.forEach((w, l) => {
      const scale = init === "scaled" ? 1 / Math.sqrt(this.sizes[l]) : 1;
      for (let j = 0; j < w.length; j++) w[j] = rng.normal() * scale;
    });
  }

  copyFrom(other: Network): void {
    this.weights.forEach((w, l) => w.set(other.weights[l]));
    this.biases.forEach((b, l) => b.set(other.biases[l]));
  }

  /** Σ w² over all weights (the L2 term's sum). */
  sumSquaredWeights(): number {
    let s = 0;
    for (const w of this.weights) for (let j = 0; j < w.length; j++) s += w[j] * w[j];
    return s;
  }

  /** True when every weight and bias is a finite number. */
  isFinite(): boolean {
    const finite = (v: Float64Array): boolean => v.every(Number.isFinite);
    return this.weights.every(finite) && this.biases.every(finite);
  }
}
