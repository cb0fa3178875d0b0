// Networks that network2.py's JSON cannot hold (softmax, ReLU, tanh, dropout)
// are saved as safetensors: an 8-byte little-endian header length N, N bytes
// of JSON header, then the tensors' bytes. Each tensor is F64 (little-endian),
// named layers.<l>.weight (n_out, n_in) and layers.<l>.bias (n_out); the
// header's __metadata__ holds, as strings, what rebuilds the network: the
// input size, the layer list in the --layers grammar, and the cost.
// Reading trusts nothing: every size and offset in the header is checked
// against the file before anything is allocated.
import { DataError, UsageError } from "../errors.js";
import type { Alloc } from "../kernel/arena.js";
import { formatLayers, parseLayers } from "../layers/spec.js";
import { COST_NAMES, type CostName } from "./costs.js";
import { architectureProblem, Network, parseShape, shapeText } from "./network.js";

const FORMAT = "mnist-train";
/** The reference implementation refuses headers over 100 MB; ours are a few hundred bytes. */
const MAX_HEADER = 100 * 1024 * 1024;
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
      [names.bias, layer.bias, [layer.nOut]],
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

/** Parses and checks a safetensors model; `source` names the file in errors. */
export function fromSafetensors(bytes: Uint8Array, source: string, alloc: Alloc): { network: Network; cost: CostName } {
  const bad = (what: string): DataError => new DataError(`${source}: ${what}`);
  if (bytes.length < PREFIX) throw bad(`${bytes.length} bytes is too short for a safetensors file (an 8-byte header length comes first)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - PREFIX) || n > BigInt(MAX_HEADER)) {
    throw bad(`the header length ${n} is more than the ${bytes.length - PREFIX} bytes that follow it: not a safetensors file, or truncated`);
  }
  const dataStart = PREFIX + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREFIX, dataStart)));
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
  const inputs = Number(text("inputs"));
  if (!Number.isSafeInteger(inputs) || inputs < 1) throw bad(`"inputs" is ${JSON.stringify(meta.inputs)}, expected a positive integer`);
  let layers;
  try {
    layers = parseLayers(text("layers"), `"layers"`);
  } catch (e) {
    if (e instanceof UsageError) throw bad(e.message);
    throw e;
  }
  // older files name no shape: one row of units, as fully connected layers read it
  const shape = meta.shape === undefined ? { C: 1, H: 1, W: inputs } : parseShape(String(meta.shape));
  if (!shape || shape.C * shape.H * shape.W !== inputs) throw bad(`"shape" is ${JSON.stringify(meta.shape)}, expected CxHxW of ${inputs} inputs`);
  const problem = architectureProblem({ inputs, shape, layers });
  if (problem) throw bad(`the layers "${formatLayers(layers)}" cannot be built: ${problem}`);
  const cost = text("cost");
  if (!(COST_NAMES as string[]).includes(cost)) throw bad(`"cost" is ${JSON.stringify(cost)}, expected one of ${COST_NAMES.join(", ")}`);

  // every tensor the layers need, of the right shape, inside the data, covering it without overlap
  const dataBytes = bytes.length - dataStart;
  const expected = new Map<string, number[]>();
  const skeleton = new Network({ inputs, shape, layers }, { f64: () => new Float64Array(0), u8: () => new Uint8Array(0) });
  skeleton.layers.forEach((layer, l) => {
    const names = tensorNames(l);
    expected.set(names.weight, [...layer.weightShape]);
    expected.set(names.bias, [layer.spec.size]);
  });
  const extra = Object.keys(header).find((k) => k !== "__metadata__" && !expected.has(k));
  if (extra !== undefined) throw bad(`tensor "${extra.slice(0, 60)}" is not one of the layers' tensors`);
  const spans: [number, number, string][] = [];
  for (const [name, shape] of expected) {
    const t = header[name];
    if (!isTensorInfo(t)) throw bad(`tensor "${name}" is missing or lacks dtype, shape and data_offsets`);
    if (t.dtype !== "F64") throw bad(`tensor "${name}" has dtype ${JSON.stringify(t.dtype)}, expected "F64"`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw bad(`tensor "${name}" has shape ${JSON.stringify(t.shape)}, but the layers "${formatLayers(layers)}" need [${shape.join(", ")}]`);
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
  if (covered !== dataBytes) throw bad(`the tensors cover ${covered} of the ${dataBytes} bytes of data`);

  const network = new Network({ inputs, shape, layers }, alloc);
  network.layers.forEach((layer, l) => {
    const names = tensorNames(l);
    for (const [name, out] of [[names.weight, layer.weight], [names.bias, layer.bias]] as const) {
      const at = dataStart + (header[name] as TensorInfo).data_offsets[0];
      for (let i = 0; i < out.length; i++) {
        const v = view.getFloat64(at + 8 * i, true);
        if (!Number.isFinite(v)) throw bad(`${name}[${i}] is ${v}, expected a finite number`);
        out[i] = v;
      }
    }
  });
  return { network, cost: cost as CostName };
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
