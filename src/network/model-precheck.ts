// Reads a model file as untrusted bytes. For JSON (network2.py's format) the
// length is judged against the sizes the file declares, and its nesting depth
// is bounded, before JSON.parse sees it, so that a hostile or damaged file
// costs no more memory or time than an honest network of its sizes.
//
// How large can an honest file be? A double written shortest-round-trip (by
// JSON.stringify or Python's repr) takes at most 24 characters: a sign, 17
// significant digits, a point and "e-308". We allow 64 bytes per number and
// per row, which leaves room for separators, brackets and pretty-printing
// indentation, plus a fixed 64 KiB for the keys, "sizes" and "cost".
import { constants as bufferConstants } from "node:buffer";
import * as fs from "node:fs";
import { getHeapStatistics } from "node:v8";
import { cannotRead, DataError } from "../errors.js";
import { checkFitsMemory, formatBytes } from "../memory.js";
import { readAt } from "../read-at.js";
import { MAX_HEADER, readSafetensorsHeader } from "./safetensors.js";

const BYTES_PER_NUMBER = 64;
const FIXED_BYTES = 65536;
// JSON.parse of a file of one-element lists ("[0],[0],...") was measured at 17 bytes of heap per byte of text
const HEAP_PER_BYTE = 20;
/** network2.py's files nest 4 deep (object, weights, layer, row); deeper text is not a model. */
export const MAX_DEPTH = 16;
const HEAD_BYTES = 65536; // network2.py and --save write "sizes" first: judge the length from this much

/** The largest file an honest network of these sizes is written in. */
export function largestModelFile(sizes: readonly number[]): number {
  let numbers = 0;
  for (let l = 0; l + 1 < sizes.length; l++) numbers += (sizes[l + 1] as number) * ((sizes[l] as number) + 1 + 2); // weights, biases, two rows
  return FIXED_BYTES + BYTES_PER_NUMBER * (numbers + sizes.length);
}

/**
 * The bytes of a model file, or a one-line DataError if it is JSON text whose
 * length or nesting could not be an honest model's. Binary files (JSON text
 * never holds a NUL byte; a safetensors file starts with an 8-byte length
 * whose top bytes are 0) are passed through for their own reader to judge.
 */
export function readModelFile(file: string): Uint8Array {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const length = fs.fstatSync(fd).size;
    const first = Buffer.alloc(Math.min(length, HEAD_BYTES));
    const head = first.subarray(0, readAt(fd, first, 0));
    const json = !(head.length >= 8 && head[6] === 0 && head[7] === 0);
    if (!json) checkSafetensorsLength(fd, file, length, head);
    if (json) {
      checkParsable(file, length);
      checkLength(file, length, scanModelJson(head, file).sizes);
    }
    if (head.length === length) return head;
    const bytes = Buffer.alloc(length);
    bytes.set(head);
    const got = head.length + readAt(fd, bytes.subarray(head.length), head.length);
    if (json) checkLength(file, length, scanModelJson(bytes.subarray(0, got), file).sizes);
    return bytes.subarray(0, got);
  } catch (e) {
    throw cannotRead(file, e);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A safetensors file's header is read and checked first: the file must be as long as its layers' parameters make it, and fit in memory. */
function checkSafetensorsLength(fd: number, file: string, length: number, first: Buffer): void {
  let head = first;
  if (head.length < Math.min(length, 8 + MAX_HEADER)) {
    head = Buffer.alloc(Math.min(length, 8 + MAX_HEADER));
    head = head.subarray(0, readAt(fd, head, 0));
  }
  readSafetensorsHeader(head, length, file);
  checkFitsMemory(file, length, "model parameters");
}

/** A file of JSON text, read whole once its length is known to fit in a string and its parse (`heapPerByte`) in the heap. */
export function readParsableFile(file: string, heapPerByte: number): Uint8Array {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const length = fs.fstatSync(fd).size;
    checkParsable(file, length, heapPerByte);
    const bytes = Buffer.alloc(length);
    return bytes.subarray(0, readAt(fd, bytes, 0));
  } catch (e) {
    throw cannotRead(file, e);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Whatever the sizes, the text must fit in a string and its parse in the heap. */
function checkParsable(file: string, length: number, heapPerByte = HEAP_PER_BYTE): void {
  if (length > bufferConstants.MAX_STRING_LENGTH) {
    throw new DataError(`${file}: the file is ${formatBytes(length)}, more than the ${formatBytes(bufferConstants.MAX_STRING_LENGTH)} of text JSON.parse can take`);
  }
  const heap = getHeapStatistics().heap_size_limit;
  if (length * heapPerByte > heap) {
    throw new DataError(
      `${file}: the file is ${formatBytes(length)}; parsing it may take up to ${formatBytes(length * heapPerByte)} of JavaScript heap, ` +
        `more than the ${formatBytes(heap)} limit (node --max-old-space-size raises it)`,
    );
  }
}

function checkLength(file: string, length: number, sizes: number[] | undefined): void {
  if (sizes === undefined) return; // no readable "sizes" (yet): the parse names what is wrong
  const largest = largestModelFile(sizes);
  if (length > largest) {
    throw new DataError(
      `${file}: the file is ${formatBytes(length)}, far larger than any ${sizes.join("-")} network (at most ${formatBytes(largest)})`,
    );
  }
}

const QUOTE = 0x22, BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }
const SIZES_KEY = Buffer.from('"sizes"');

/**
 * One pass over JSON text (whole or a prefix), outside strings: refuses
 * nesting deeper than MAX_DEPTH and finds the top-level "sizes" list when it
 * is a plain list of positive integers.
 */
export function scanModelJson(bytes: Uint8Array, source: string): { sizes?: number[] } {
  let depth = 0;
  let sizes: number[] | undefined;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c === QUOTE) {
      const start = i;
      for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
      if (depth === 1 && sizes === undefined && i - start + 1 === SIZES_KEY.length && SIZES_KEY.equals(bytes.subarray(start, i + 1))) {
        sizes = sizesAfterKey(bytes, i + 1);
      }
    } else if (OPENERS.has(c)) {
      if (++depth > MAX_DEPTH) throw new DataError(`${source}: JSON nested more than ${MAX_DEPTH} deep at byte ${i}; a model file nests 4 deep`);
    } else if (CLOSERS.has(c)) {
      depth--;
    }
  }
  return sizes === undefined ? {} : { sizes };
}

/** How many bytes of JSON text lie outside strings (numbers, lists, objects: what costs the most heap to parse). */
export function bytesOutsideStrings(bytes: Uint8Array): number {
  let inside = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== QUOTE) continue;
    const start = i;
    for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
    inside += Math.min(i, bytes.length - 1) - start + 1;
  }
  return bytes.length - inside;
}

/** `: [784, 30, 10]` from `at`, as numbers; undefined if it is anything else (the full parse will say what). */
function sizesAfterKey(bytes: Uint8Array, at: number): number[] | undefined {
  const text = Buffer.from(bytes.subarray(at, at + 1024)).toString("latin1");
  const match = /^\s*:\s*\[([\d\s,]*)\]/.exec(text);
  if (!match) return undefined;
  const sizes = (match[1] as string).split(",").map((s) => Number(s.trim()));
  return sizes.length >= 2 && sizes.every((n) => Number.isSafeInteger(n) && n > 0) ? sizes : undefined;
}
