// A network's layers as text and back: the `--layers` grammar, also the layer
// list stored in a safetensors model's metadata. From the input to the output,
// layers are separated by commas, each TYPE:SIZE[:ACTIVATION][:key=value...]:
//   fc:100:relu   fc:1000:relu:dropout=0.5   softmax:10   softmax:10:dropout=0.5
import { UsageError } from "../errors.js";
import { ACTIVATIONS, type ActivationName } from "./activations.js";

export type LayerType = "fc" | "softmax";

export interface LayerSpec {
  type: LayerType;
  /** Output units (neurons). */
  size: number;
  activation: ActivationName;
  /** Probability of dropping each input unit in training (network3.py's p_dropout). */
  dropout: number;
}

const FC_ACTIVATIONS: readonly ActivationName[] = ["sigmoid", "tanh", "relu", "linear"];
const DEFAULT_ACTIVATION: ActivationName = "sigmoid";
const KEYS = ["dropout"] as const;

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
  return layers;
}

function parseLayer(part: string, bad: (why: string) => UsageError): LayerSpec {
  const [type, sizeText, ...rest] = part.split(":");
  if (type !== "fc" && type !== "softmax") throw bad(`unknown layer type "${type}": expected fc or softmax, e.g. fc:100:relu`);
  if (sizeText === undefined || !/^\d+$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)) || Number(sizeText) < 1) {
    throw bad(`size "${sizeText ?? ""}": expected a positive integer, e.g. ${type}:${type === "fc" ? "100" : "10"}`);
  }
  const layer: LayerSpec = { type, size: Number(sizeText), activation: type === "softmax" ? "softmax" : DEFAULT_ACTIVATION, dropout: 0 };
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
    if (!(KEYS as readonly string[]).includes(key)) throw bad(`unknown key "${key}": expected ${KEYS.join(", ")}`);
    if (seen.has(key)) throw bad(`"${key}" is given twice`);
    seen.add(key);
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
  if (l.type === "fc") parts.push(l.activation);
  if (l.dropout > 0) parts.push(`dropout=${l.dropout}`);
  return parts.join(":");
}

/** True for the book's chapter 1-3 networks: sigmoid fully connected layers, no dropout (network2.py's JSON holds them). */
export function isSigmoidStack(layers: readonly LayerSpec[]): boolean {
  return layers.every((l) => l.type === "fc" && l.activation === "sigmoid" && l.dropout === 0);
}

export function activationOf(l: LayerSpec) {
  return ACTIVATIONS[l.activation];
}
