// Networks that network2.py's JSON cannot hold (softmax, ReLU, tanh, dropout)
// are saved as safetensors: an 8-byte little-endian header length N, N bytes
// of JSON header, then the tensors' bytes. Each tensor is F64 (little-endian),
// named layers.<l>.weight (n_out, n_in) and layers.<l>.bias (n_out), or for
// a convolution (filters, channels, kh, kw) and (filters); the
// header's __metadata__ holds, as strings, what rebuilds the network: the
// input size, the layer list in the --layers grammar, and the cost.
// Reading trusts nothing: every size and offset in the header is checked
// against the file before anything is allocated.
import { DataError } from "../errors.js";
import type { Alloc } from "../kernel/arena.js";
import { formatLayers } from "../layers/spec.js";
import { excerpt, printable } from "../text.js";
import { COST_NAMES, type CostName } from "./costs.js";
import { Network, shapeText, type Architecture } from "./network.js";
import { checkFitsArena, exactBytes, parameterBytes, parameterShapes, storedArchitecture } from "./stored-architecture.js";

const FORMAT = "mnist-train";
/** Ours take about 150 bytes per layer; a larger header would only cost heap to parse (the format itself allows 100 MB). */
export const MAX_HEADER = 1024 * 1024;
const PREFIX = 8;

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function tensorNames(l: number): { weight: string; bias: string } {
  return { weight: `layers.${l}.weight`, bias: `layers.${l}.bias` };
}

/** The file's bytes for a network and the cost it was trained with. */
export function toSafetensors(net: Network, cost: CostName): Uint8Array {
  const header: Record<string, unknown> = {
    __metadata__: { format: FORMAT, inputs: String(net.inputs), shape: shapeText(net.shape), layers: formatLayers(net.specs), cost },
  };
  const tensors: Float64Array[] = [];
  let offset = 0;
  net.layers.forEach((layer, l) => {
    const names = tensorNames(l);
    for (const [name, data, shape] of [
      [names.weight, layer.weight, layer.weightShape],
      [names.bias, layer.bias, [layer.bias.length]],
    ] as const) {
      header[name] = { dtype: "F64", shape, data_offsets: [offset, offset + data.length * 8] };
      offset += data.length * 8;
      tensors.push(data);
    }
  });
  // pad with spaces so the tensors start 8-byte aligned, as the format recommends
  let json = JSON.stringify(header);
  json += " ".repeat((PREFIX - (json.length % PREFIX)) % PREFIX);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(PREFIX + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, PREFIX);
  let at = PREFIX + headerBytes.length;
  for (const t of tensors) {
    for (let i = 0; i < t.length; i++, at += 8) view.setFloat64(at, t[i], true);
  }
  return out;
}

/** True when `bytes` start as safetensors do: a header length below 2^48 has zero top bytes, which JSON text never has. */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  return bytes.length >= PREFIX && bytes[6] === 0 && bytes[7] === 0;
}

/** What a checked safetensors header says: the network it describes, its cost, where each tensor's bytes start. */
export interface SafetensorsHeader {
  architecture: Architecture;
  cost: CostName;
  /** For each layer, the file offsets of its weight and bias. */
  at: { weight: number; bias: number }[];
}

/**
 * Reads and checks a safetensors header against the file's length: every
 * size and offset it declares, and the bytes its layers' parameters take,
 * before anything is allocated. `head` is the file's start (at least the
 * prefix and the header, when the file holds them); `length` is the file's.
 */
export function readSafetensorsHeader(head: Uint8Array, length: number, source: string): SafetensorsHeader {
  const bad = (what: string): DataError => new DataError(`${source}: ${what}`);
  if (length < PREFIX || head.length < PREFIX) throw bad(`${length} bytes is too short for a safetensors file (an 8-byte header length comes first)`);
  const n = new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(0, true);
  if (n > BigInt(length - PREFIX)) {
    throw bad(`the header length ${n} is more than the ${length - PREFIX} bytes that follow it: not a safetensors file, or truncated`);
  }
  if (n > BigInt(MAX_HEADER)) throw bad(`the header length ${n} is more than the ${MAX_HEADER} bytes a model's header can need`);
  const dataStart = PREFIX + Number(n);
  if (head.length < dataStart) throw new RangeError(`readSafetensorsHeader needs the first ${dataStart} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(PREFIX, dataStart)));
  } catch {
    throw bad("the safetensors header is not valid UTF-8 JSON");
  }
  if (!isObject(header)) throw bad("the safetensors header is not a JSON object");
  const meta = header.__metadata__;
  if (!isObject(meta) || meta.format !== FORMAT) throw bad(`no "__metadata__" with "format": "${FORMAT}": not a model saved by mnist-train`);
  const text = (key: string): string => {
    if (typeof meta[key] !== "string") throw bad(`"__metadata__" lacks the string "${key}"`);
    return meta[key] as string;
  };
  const inputs = /^\d{1,15}$/.test(text("inputs")) ? Number(meta.inputs) : meta.inputs;
  // older files name no shape: one row of units, as fully connected layers read it
  const architecture = storedArchitecture({ inputs, shape: meta.shape, layers: text("layers") }, bad, true);
  const cost = text("cost");
  if (!(COST_NAMES as string[]).includes(cost)) throw bad(`"cost" is ${excerpt(cost)}, expected one of ${COST_NAMES.join(", ")}`);

  // the size first: layers declared far larger than the file are refused by what they would cost
  const dataBytes = length - dataStart;
  const shapes = parameterShapes(architecture);
  const needed = parameterBytes(architecture);
  if (needed !== dataBytes) {
    throw bad(`the layers "${printable(formatLayers(architecture.layers), 200)}" take ${exactBytes(needed)} of F64 parameters, but the file holds ${exactBytes(dataBytes)} after its header`);
  }
  checkFitsArena(needed, architecture, bad);
  // every tensor the layers need, of the right shape, inside the data, covering it without overlap
  const expected = new Map<string, number[]>();
  // files of mnist-train 0.1.0 before 2026-11-30 gave a convolution's bias the shape of its outputs (filters x
  // height x width) while holding its (filters) values: read as what they hold
  const legacy = new Map<string, number>();
  shapes.forEach((s, l) => {
    const names = tensorNames(l);
    expected.set(names.weight, s.weight);
    expected.set(names.bias, [s.bias]);
    if (s.outputs !== s.bias) legacy.set(names.bias, s.outputs);
  });
  const extra = Object.keys(header).find((k) => k !== "__metadata__" && !expected.has(k));
  if (extra !== undefined) throw bad(`tensor "${printable(extra, 60)}" is not one of the layers' tensors`);
  const spans: [number, number, string][] = [];
  for (const [name, shape] of expected) {
    const t = header[name];
    if (!isTensorInfo(t)) throw bad(`tensor "${name}" is missing or lacks dtype, shape and data_offsets`);
    if (t.dtype !== "F64") throw bad(`tensor "${name}" has dtype ${excerpt(t.dtype)}, expected "F64"`);
    const old = legacy.get(name);
    // the legacy shape is a name only: the data_offsets below must still span the shape's values
    if (!sameShape(t.shape, shape) && !(old !== undefined && sameShape(t.shape, [old]))) {
      throw bad(`tensor "${name}" has shape ${excerpt(t.shape)}, but the layers "${printable(formatLayers(architecture.layers), 200)}" need [${shape.join(", ")}]`);
    }
    const [s, e] = t.data_offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (!(s >= 0 && e <= dataBytes && e - s === 8 * count)) {
      throw bad(`tensor "${name}" has data_offsets [${s}, ${e}], expected ${8 * count} bytes within the ${dataBytes} bytes of data`);
    }
    spans.push([s, e, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [s, e, name] of spans) {
    if (s !== covered) throw bad(`tensor "${name}" starts at byte ${s} of the data, expected ${covered} (tensors must cover the data without gaps or overlaps)`);
    covered = e;
  }
  const offset = (name: string): number => dataStart + (header[name] as TensorInfo).data_offsets[0];
  const at = shapes.map((_, l) => ({ weight: offset(tensorNames(l).weight), bias: offset(tensorNames(l).bias) }));
  return { architecture, cost: cost as CostName, at };
}

/** Parses and checks a safetensors model; `source` names the file in errors. */
export function fromSafetensors(bytes: Uint8Array, source: string, alloc: Alloc): { network: Network; cost: CostName } {
  const { architecture, cost, at } = readSafetensorsHeader(bytes, bytes.length, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const network = new Network(architecture, alloc);
  network.layers.forEach((layer, l) => {
    const names = tensorNames(l);
    for (const [name, out, start] of [[names.weight, layer.weight, at[l]!.weight], [names.bias, layer.bias, at[l]!.bias]] as const) {
      for (let i = 0; i < out.length; i++) {
        const v = view.getFloat64(start + 8 * i, true);
        if (!Number.isFinite(v)) throw new DataError(`${source}: ${name}[${i}] is ${v}, expected a finite number`);
        out[i] = v;
      }
    }
  });
  return { network, cost };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isTensorInfo(v: unknown): v is TensorInfo {
  if (!isObject(v)) return false;
  const { dtype, shape, data_offsets: o } = v;
  const whole = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  return typeof dtype === "string" && Array.isArray(shape) && shape.every(whole) &&
    Array.isArray(o) && o.length === 2 && o.every(whole);
}
