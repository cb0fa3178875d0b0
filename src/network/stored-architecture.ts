// A network's structure as a saved file states it (a safetensors model's
// metadata, a checkpoint): the input size, the input's shape and the layer
// list, checked as untrusted text; and the bytes its parameters take, so a
// reader can compare them with what the file holds before allocating them.
import type { DataError } from "../errors.js";
import { UsageError } from "../errors.js";
import { ARENA_BYTES, NO_MEMORY } from "../kernel/arena.js";
import { formatLayers, parseLayers } from "../layers/spec.js";
import { formatBytes } from "../memory.js";
import { excerpt, printable } from "../text.js";
import { architectureProblem, Network, parseShape, type Architecture } from "./network.js";

/** Longer layer lists than this are not ours (a 100-layer network takes under 3000 characters). */
const MAX_LAYERS_TEXT = 20000;

/**
 * The architecture the stored values describe, or a DataError from `bad`.
 * `shape` may be undefined when `shapeOptional` (older safetensors files: one row of units).
 */
export function storedArchitecture(
  stored: { inputs: unknown; shape: unknown; layers: unknown },
  bad: (what: string) => DataError,
  shapeOptional = false,
): Architecture {
  const { inputs } = stored;
  if (typeof inputs !== "number" || !Number.isSafeInteger(inputs) || inputs < 1) throw bad(`"inputs" is ${excerpt(inputs)}, expected a positive integer`);
  const text = stored.layers;
  if (typeof text !== "string" || text.length > MAX_LAYERS_TEXT || printable(text, MAX_LAYERS_TEXT) !== text) {
    throw bad(`"layers" is ${excerpt(text)}, expected a layer list such as "fc:30:relu,softmax:10"`);
  }
  let layers;
  try {
    layers = parseLayers(text, `"layers"`);
  } catch (e) {
    throw e instanceof UsageError ? bad(printable(e.message, 300)) : e;
  }
  const shape = stored.shape === undefined && shapeOptional ? { C: 1, H: 1, W: inputs } : typeof stored.shape === "string" ? parseShape(stored.shape) : undefined;
  if (!shape || shape.C * shape.H * shape.W !== inputs) throw bad(`"shape" is ${excerpt(stored.shape)}, expected CxHxW of ${inputs} inputs`);
  const architecture = { inputs, shape, layers };
  const problem = architectureProblem(architecture);
  if (problem) throw bad(`the layers "${printable(formatLayers(layers), 200)}" cannot be built: ${problem}`);
  return architecture;
}

/** Each layer's weight shape, bias length and outputs, from a network built on nothing (no memory is taken). */
export function parameterShapes(architecture: Architecture): { weight: number[]; bias: number; outputs: number }[] {
  const skeleton = new Network(architecture, NO_MEMORY);
  return skeleton.layers.map((l) => ({ weight: [...l.weightShape], bias: l.spec.size, outputs: l.nOut }));
}

/** The bytes the architecture's parameters take as F64 (inexact past 2^53 for absurd layers, but still huge); no memory is taken. */
export function parameterBytes(architecture: Architecture): number {
  return 8 * parameterShapes(architecture).reduce((n, s) => n + s.weight.reduce((a, b) => a * b, 1) + s.bias, 0);
}

/** Refuses parameters that could not fit in the kernel's memory, before a file that holds them is read further. */
export function checkFitsArena(bytes: number, architecture: Architecture, bad: (what: string) => DataError): void {
  if (bytes <= ARENA_BYTES) return;
  throw bad(`the layers "${printable(formatLayers(architecture.layers), 100)}" take ${formatBytes(bytes)} of parameters, more than the ${ARENA_BYTES / 2 ** 30} GiB the kernel's memory can hold`);
}

/** A size where one byte matters: exact, with the rounded figure beside it when large ("432000000016 bytes (432 GB)"). */
export function exactBytes(n: number): string {
  return n < 10000 ? `${n} bytes` : `${n} bytes (${formatBytes(n)})`;
}
