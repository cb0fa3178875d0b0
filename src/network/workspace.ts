// The buffers a network needs for batches of up to `capacity` examples, made
// once: the gathered input X and labels, and per layer its activations, its
// δ (training only) and, for a layer with dropout in training, its mask and
// masked input.
import { Recorder, type Alloc, type ViewLayout } from "../kernel/arena.js";
import { colsLength } from "../kernel/conv-lowered.js";
import { pairsOf } from "../kernel/pairs.js";
import { ConvPool } from "../layers/conv-pool.js";
import { FullyConnected } from "../layers/fully-connected.js";
import type { LayerIO } from "../layers/layer.js";
import type { Network } from "./network.js";

export class Workspace {
  /** X (capacity, inputs) */
  readonly input: Float64Array;
  readonly labels: Uint8Array;
  /** The dataset's index of each row's example (the kernel's gather reads them). */
  readonly picks: Int32Array;
  readonly io: LayerIO[];
  /** Where the buffers are, in the order they were made (Replay rebuilds them in a worker). */
  readonly layout: readonly ViewLayout[];

  /** `threads` that work on it together, each with its own scratch (convolutions). */
  constructor(net: Network, readonly capacity: number, alloc: Alloc, readonly training = true, threads = 1) {
    const a = new Recorder(alloc);
    this.input = a.f64(capacity * net.inputs);
    this.labels = a.u8(capacity);
    this.picks = a.i32(capacity);
    this.io = [];
    net.layers.forEach((layer, index) => {
      const below = this.io[index - 1];
      const io: LayerIO = {
        index,
        input: below ? below.out : this.input,
        out: a.f64(capacity * layer.nOut),
        delta: training ? a.f64(capacity * layer.nOut) : new Float64Array(0),
        below: below ? { delta: below.delta, activation: net.layers[index - 1].activation } : undefined,
      };
      if (training && layer.spec.dropout > 0) {
        io.mask = a.f64(capacity * layer.nIn);
        io.dropped = a.f64(capacity * layer.nIn);
      }
      if (index === 0 && layer instanceof FullyConnected && layer.spec.dropout === 0) {
        // the data is mostly zeros: the first layer's products can skip them
        const kp = Math.max(1, pairsOf(layer.nIn));
        io.pairs = {
          rows: { list: a.i32(capacity * kp), count: a.i32(capacity), stride: kp },
          cols: { list: training ? a.i32(kp * capacity) : new Int32Array(0), count: a.i32(kp), stride: capacity },
        };
      }
      if (layer instanceof ConvPool) {
        const maps = capacity * layer.spec.size * layer.conv.OH * layer.conv.OW;
        io.conv = {
          Z: a.f64(maps),
          dZ: training ? a.f64(maps) : new Float64Array(0),
          arg: a.u8(capacity * layer.nOut),
          work: Array.from({ length: threads }, () => a.f64(colsLength(layer.shape(1)))),
        };
      }
      this.io.push(io);
    });
    this.layout = a.layouts;
  }

  /** activations[0] is X, activations[l + 1] the outputs of layer l (the book's list of a's). */
  get activations(): Float64Array[] {
    return [this.input, ...this.io.map((io) => io.out)];
  }

  /** delta[l] is δ of layer l's outputs. */
  get delta(): Float64Array[] {
    return this.io.map((io) => io.delta);
  }

  /** The output layer's activations. */
  get output(): Float64Array {
    return this.io[this.io.length - 1].out;
  }
}
