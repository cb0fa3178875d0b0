// A network's layers as text and back: the `--layers` grammar, also the layer
// list stored in a safetensors model's metadata. From the input to the output,
// layers are separated by commas, each TYPE:SIZE[:ACTIVATION][:key=value...]:
//   fc:100:relu   fc:1000:relu:dropout=0.5   softmax:10   softmax:10:dropout=0.5
// and a convolution with max-pooling, SIZE filters of KHxKW (network3.py's ConvPoolLayer):
//   conv:20:5x5:pool=2:relu
import { UsageError } from "../errors.js";
import type { ActivationName } from "./activations.js";

export type LayerType = "fc" | "softmax" | "conv";

export interface LayerSpec {
  type: LayerType;
  /** Output units (neurons). */
  size: number;
  activation: ActivationName;
  /** Probability of dropping each input unit in training (network3.py's p_dropout). */
  dropout: number;
  /** conv: the filters' height and width, and the side of the max-pooling window (1: none). */
  kernel?: [number, number];
  pool?: number;
}

/** The largest pooling window: a window's winner is kept as one byte (dy·p + dx). */
export const MAX_POOL = 15;

const FC_ACTIVATIONS: readonly ActivationName[] = ["sigmoid", "tanh", "relu", "linear"];
const DEFAULT_ACTIVATION: ActivationName = "sigmoid";
const KEYS: Record<LayerType, readonly string[]> = { fc: ["dropout"], softmax: ["dropout"], conv: ["pool"] };

/** The book's `sizes` (input first) as sigmoid fully connected layers. */
export function sigmoidLayers(sizes: readonly number[]): LayerSpec[] {
  return sizes.slice(1).map((size) => ({ type: "fc", size, activation: "sigmoid", dropout: 0 }));
}

/** Parses SPEC; `flag` names the source in errors (a UsageError, one line). */
export function parseLayers(spec: string, flag = "--layers"): LayerSpec[] {
  const parts = spec.split(",").map((p) => p.trim());
  const layers = parts.map((part, i) => parseLayer(part, (why) => new UsageError(`${flag} "${spec}": layer ${i + 1} "${part}": ${why}`)));
  const softmaxAt = layers.findIndex((l) => l.type === "softmax");
  if (softmaxAt >= 0 && softmaxAt !== layers.length - 1) {
    throw new UsageError(`${flag} "${spec}": layer ${softmaxAt + 1} is softmax, which can only be the last (output) layer`);
  }
  // a convolution reads images: the input's or another convolution's maps, not a flat layer's units
  const convAfterFlat = layers.findIndex((l, i) => l.type === "conv" && i > 0 && layers[i - 1].type !== "conv");
  if (convAfterFlat >= 0) {
    throw new UsageError(`${flag} "${spec}": layer ${convAfterFlat + 1} is conv after a ${layers[convAfterFlat - 1].type} layer: convolutions come first, after the input or another conv`);
  }
  if (layers[layers.length - 1].type === "conv") throw new UsageError(`${flag} "${spec}": the last layer is conv: end with fc or softmax (one output per class)`);
  return layers;
}

function parseLayer(part: string, bad: (why: string) => UsageError): LayerSpec {
  const [type, sizeText, ...rest] = part.split(":");
  if (type !== "fc" && type !== "softmax" && type !== "conv") {
    throw bad(`unknown layer type "${type}": expected fc, softmax or conv, e.g. fc:100:relu`);
  }
  const example = { fc: "fc:100", softmax: "softmax:10", conv: "conv:20:5x5:pool=2" }[type];
  if (sizeText === undefined || !/^\d+$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)) || Number(sizeText) < 1) {
    throw bad(`size "${sizeText ?? ""}": expected a positive integer, e.g. ${example}`);
  }
  const layer: LayerSpec = { type, size: Number(sizeText), activation: type === "softmax" ? "softmax" : DEFAULT_ACTIVATION, dropout: 0 };
  if (type === "conv") {
    const k = /^(\d+)x(\d+)$/.exec(rest[0] ?? "");
    if (!k || Number(k[1]) < 1 || Number(k[2]) < 1 || Number(k[1]) > 1000 || Number(k[2]) > 1000) {
      throw bad(`filter size "${rest[0] ?? ""}": expected HEIGHTxWIDTH, e.g. ${example}`);
    }
    layer.kernel = [Number(k[1]), Number(k[2])];
    layer.pool = 1;
    rest.shift();
  }
  let activationGiven = false;
  const seen = new Set<string>();
  for (const item of rest) {
    const eq = item.indexOf("=");
    if (eq < 0) {
      if (type === "softmax") throw bad(`"${item}": a softmax layer takes no activation (only dropout=P)`);
      if (activationGiven) throw bad(`"${item}": the activation is given twice`);
      if (!(FC_ACTIVATIONS as readonly string[]).includes(item)) throw bad(`activation "${item}": expected one of ${FC_ACTIVATIONS.join(", ")}`);
      layer.activation = item as ActivationName;
      activationGiven = true;
      continue;
    }
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (!KEYS[type].includes(key)) throw bad(`unknown key "${key}": a ${type} layer takes ${KEYS[type].join(", ")}`);
    if (seen.has(key)) throw bad(`"${key}" is given twice`);
    seen.add(key);
    if (key === "pool") {
      const p = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(p >= 1 && p <= MAX_POOL)) throw bad(`pool "${value}": expected a window side from 1 to ${MAX_POOL}`);
      layer.pool = p;
      continue;
    }
    const p = value.trim() === "" ? NaN : Number(value);
    if (!(p >= 0 && p < 1)) throw bad(`dropout "${value}": expected a probability from 0 up to (not including) 1`);
    layer.dropout = p;
  }
  return layer;
}

/** The spec as text that parseLayers reads back to the same layers. */
export function formatLayers(layers: readonly LayerSpec[]): string {
  return layers.map(formatLayer).join(",");
}

export function formatLayer(l: LayerSpec): string {
  const parts: string[] = [l.type, String(l.size)];
  if (l.type === "conv") parts.push(`${l.kernel![0]}x${l.kernel![1]}`, `pool=${l.pool}`);
  if (l.type !== "softmax") parts.push(l.activation);
  if (l.dropout > 0) parts.push(`dropout=${l.dropout}`);
  return parts.join(":");
}

/** True for the book's chapter 1-3 networks: sigmoid fully connected layers, no dropout (network2.py's JSON holds them). */
export function isSigmoidStack(layers: readonly LayerSpec[]): boolean {
  return layers.every((l) => l.type === "fc" && l.activation === "sigmoid" && l.dropout === 0);
}
