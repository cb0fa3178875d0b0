// Which layers every thread of a team runs whole, each on its own copy.
// Data that one core writes and another reads crosses between the cores'
// caches a line at a time; on these two-vCPU machines such a crossing takes
// about 0.25 µs, and a split of a small layer moves more lines than it saves
// arithmetic (README, Threads). So the small fully connected
// layers at the top of a network (784-30-10's last layer: 300 weights) are
// not split: every thread computes them whole, from the same inputs by the
// same arithmetic, on its own copy of their weights and buffers, and the
// copies stay equal bit for bit. A team copies the network's values into
// its threads' copies at the start of every command (Team), and thread 0
// trains on the network itself.
import { layoutOf, type Alloc, type ViewLayout } from "../kernel/arena.js";
import { FullyConnected } from "../layers/fully-connected.js";
import type { Layer } from "../layers/layer.js";
import type { Network } from "./network.js";

/** Weights a layer may have and still be run whole by every thread (784-100-10's last layer has 1000). */
export const COPIED_WEIGHTS_MAX = 1024;

/** The first of the layers every one of `threads` threads runs whole: the small fully connected
 *  layers at the top, never the first layer; layers.length when there are none. */
export function copiedFrom(layers: readonly Layer[], threads: number): number {
  if (threads < 2) return layers.length;
  let from = layers.length;
  while (from > 1 && layers[from - 1] instanceof FullyConnected && layers[from - 1].nIn * layers[from - 1].nOut <= COPIED_WEIGHTS_MAX) from--;
  return from;
}

/** The network's layout with new parameters for layers from `from` on: a thread's own copy of them. */
export function copyLayout(net: Network, from: number, alloc: Alloc): ViewLayout[] {
  const fresh = new Map<number, ViewLayout>();
  for (const l of net.layers.slice(from)) {
    for (const p of [l.bias, l.weight]) fresh.set(p.byteOffset, layoutOf(alloc.f64(p.length)));
  }
  return net.layout.map((v) => fresh.get(v.byteOffset) ?? v);
}

/** Copies the parameters of layers from `from` on, from one network to another of the same architecture. */
export function copyParameters(source: Network, target: Network, from: number): void {
  for (let l = from; l < source.layers.length; l++) {
    target.layers[l].weight.set(source.layers[l].weight);
    target.layers[l].bias.set(source.layers[l].bias);
  }
}
