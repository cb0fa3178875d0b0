// The buffers a network needs for batches of up to `capacity` examples, made
// once: the gathered input X and labels, and per layer its activations, its
// δ (training only) and, for a layer with dropout in training, its mask and
// masked input.
//
// A team of threads trains on one workspace. Each thread has its own copy of
// the buffers no other thread needs to see (replicas.ts): the mini-batch
// (every thread gathers all of it: the rows of X, the bytes that cross
// between cores otherwise, are most of a mini-batch's traffic), its index,
// and the buffers of the layers every thread runs whole. Every thread builds
// the same workspace over the same memory (Replay) and keeps its own copies.
import { Recorder, type Alloc, type ViewLayout } from "../kernel/arena.js";
import { colsLength } from "../kernel/conv-lowered.js";
import { pairsOf } from "../kernel/pairs.js";
import { ConvPool } from "../layers/conv-pool.js";
import { FullyConnected } from "../layers/fully-connected.js";
import type { LayerIO } from "../layers/layer.js";
import type { Network } from "./network.js";
import { copiedFrom } from "./replicas.js";

/** Whether the first layer's products go over the input's nonzero pairs (pairs.ts): a fully connected layer fed
 *  straight from the data, which is mostly zeros. */
export function takesPairs(net: Network): boolean {
  const first = net.layers[0];
  return first instanceof FullyConnected && first.spec.dropout === 0;
}

export class Workspace {
  /** X (capacity, inputs) */
  readonly input: Float64Array;
  readonly labels: Uint8Array;
  /** The dataset's index of each row's example (the kernel's gather reads them). */
  readonly picks: Int32Array;
  readonly io: LayerIO[];
  /** Where the buffers are, in the order they were made (Replay rebuilds them in a worker). */
  readonly layout: readonly ViewLayout[];
  /** The first layer every thread runs whole (replicas.ts); layers.length when none is. */
  readonly copiedFrom: number;
  /** The buffers that are this thread's own copies (none for a thread alone). */
  readonly own = new Set<Float64Array | Uint8Array | Int32Array>();

  /** The layers' buffers for odd mini-batches (see ioOf). */
  private readonly oddIo: LayerIO[];

  /** `threads` that work on it together, each with its own scratch (convolutions); this is thread `thread`'s view. */
  constructor(net: Network, readonly capacity: number, alloc: Alloc, readonly training = true, threads = 1, thread = 0) {
    const a = new Recorder(alloc);
    const copies = training ? threads : 1;
    this.copiedFrom = copiedFrom(net.layers, copies);
    // one copy for each thread, in the same order in every thread; this thread keeps its own
    const mine = <T extends Float64Array | Uint8Array | Int32Array>(make: () => T): T => {
      if (copies === 1) return make();
      const made = Array.from({ length: copies }, make);
      this.own.add(made[thread]);
      return made[thread];
    };
    this.input = mine(() => a.f64(capacity * net.inputs));
    this.labels = mine(() => a.u8(capacity));
    this.picks = mine(() => a.i32(capacity));
    this.io = [];
    net.layers.forEach((layer, index) => {
      const below = this.io[index - 1];
      const copied = index >= this.copiedFrom;
      const buffer = copied ? mine : <T>(make: () => T): T => make();
      // the δ of the layer under the copied ones is computed whole by each thread too
      const under = index === this.copiedFrom - 1 && this.copiedFrom < net.layers.length;
      const delta = training ? (under ? mine : buffer)(() => a.f64(capacity * layer.nOut)) : new Float64Array(0);
      const io: LayerIO = {
        index,
        input: below ? below.out : this.input,
        out: buffer(() => a.f64(capacity * layer.nOut)),
        delta,
        below: below ? { delta: below.delta, activation: net.layers[index - 1].activation } : undefined,
      };
      if (training && layer.spec.dropout > 0) {
        io.mask = buffer(() => a.f64(capacity * layer.nIn));
        io.dropped = buffer(() => a.f64(capacity * layer.nIn));
      }
      if (index === 0 && takesPairs(net)) {
        const kp = Math.max(1, pairsOf(layer.nIn));
        io.pairs = {
          rows: { list: mine(() => a.i32(capacity * kp)), count: mine(() => a.i32(capacity)), stride: kp },
          cols: { list: training ? mine(() => a.i32(kp * capacity)) : new Int32Array(0), count: mine(() => a.i32(kp)), stride: capacity },
          gathered: false,
          colsGathered: false,
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
    // The layer under the copied ones writes its outputs in turn into two buffers, one for even mini-batches
    // and one for odd: a thread may then start the next batch while another still reads this one's.
    const l = this.copiedFrom - 1;
    const odd = training && l >= 0 && this.copiedFrom < net.layers.length ? a.f64(capacity * net.layers[l].nOut) : undefined;
    this.oddIo = odd ? this.io.map((io, i) => (i === l ? { ...io, out: odd } : i === l + 1 ? { ...io, input: odd } : io)) : this.io;
    this.layout = a.layouts;
  }

  /** The buffers of each layer for mini-batches of a parity: the same but for the outputs of the layer under the copied ones. */
  ioOf(parity: number): LayerIO[] {
    return parity === 0 ? this.io : this.oddIo;
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
