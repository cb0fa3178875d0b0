// Reader for the IDX files MNIST ships in: a big-endian header (a magic
// number, then one uint32 size per dimension) followed by unsigned bytes.
// Payloads land in SharedArrayBuffers so worker threads can read them without
// a copy. Every check names the file, the bad value and the expected one,
// because a wrong or damaged download is the usual way training goes wrong.

import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { DataError } from "../errors.js";
import { CLASSES, type Dataset } from "./dataset.js";

const UNSIGNED_BYTE = 0x08; // IDX type code of uint8 data

/** What one kind of IDX file must look like; the words feed the messages. */
interface IdxFormat {
  readonly name: string;
  readonly dims: readonly string[]; // what each dimension counts
  readonly describe: (sizes: readonly number[]) => string;
}

const IMAGES: IdxFormat = {
  name: "IDX images",
  dims: ["images", "rows", "cols"],
  describe: ([count, rows, cols]) => `${count} images of ${rows}x${cols}`,
};

const LABELS: IdxFormat = {
  name: "IDX labels",
  dims: ["labels"],
  describe: ([count]) => `${count} labels`,
};

/** The magic number is two zero bytes, the type code, then the number of dimensions. */
function magicOf(fmt: IdxFormat): number {
  return (UNSIGNED_BYTE << 8) | fmt.dims.length;
}

function headerBytes(fmt: IdxFormat): number {
  return 4 + 4 * fmt.dims.length;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** One line naming the file for any failure to open or read it. */
function toDataError(path: string, err: unknown): DataError {
  if (err instanceof DataError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory" };
  const reason = (code !== undefined && reasons[code]) || (err instanceof Error ? err.message : String(err));
  return new DataError(`cannot read ${path}: ${reason}`);
}

/** Either sign means gzip: a .gz name, or the gzip magic bytes 1f 8b (IDX starts 00 00). */
function isGzip(path: string, fd: number): boolean {
  if (path.endsWith(".gz")) return true;
  const head = new Uint8Array(2);
  return readAt(fd, head, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Fills buf from file position pos, looping over short reads; returns the bytes read (less only at end of file). */
function readAt(fd: number, buf: Uint8Array, pos: number): number {
  let done = 0;
  while (done < buf.length) {
    const got = fs.readSync(fd, buf, done, buf.length - done, pos + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

function checkMagic(path: string, magic: number, fmt: IdxFormat): void {
  const want = magicOf(fmt);
  if (magic === want) return;
  // Same element type with another number of dimensions is usually images and labels swapped.
  const hint = magic >>> 8 === UNSIGNED_BYTE ? `: the file has ${magic & 0xff} dimension(s), not ${fmt.dims.length}` : "";
  throw new DataError(`${path}: bad magic number ${hex(magic)}, expected ${hex(want)} (${fmt.name})${hint}`);
}

/**
 * Validates the header in `head` (at most headerBytes(fmt) bytes) against a
 * file of `total` bytes; returns the dimension sizes. `what` is "file" or
 * "decompressed file", for messages.
 */
function parseHeader(path: string, head: Uint8Array, total: number, fmt: IdxFormat, what: string): number[] {
  const size = headerBytes(fmt);
  const tooShort = (): DataError =>
    new DataError(`${path}: ${what} is ${total} bytes, shorter than the ${size}-byte ${fmt.name} header`);
  if (head.length < 4) throw tooShort();
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  checkMagic(path, view.getUint32(0), fmt);
  if (head.length < size) throw tooShort();
  const sizes = fmt.dims.map((_, i) => view.getUint32(4 + 4 * i));
  const zero = sizes.indexOf(0);
  if (zero >= 0) throw new DataError(`${path}: header says 0 ${fmt.dims[zero]}, expected at least 1`);
  const expected = sizes.reduce((a, b) => a * b, 1);
  // Too many bytes is as wrong as too few: never truncate silently.
  if (total - size !== expected) {
    throw new DataError(
      `${path}: header says ${fmt.describe(sizes)} (${expected} bytes) but the ${what} holds ${total - size} bytes after the ${size}-byte header`,
    );
  }
  return sizes;
}

interface Idx {
  readonly sizes: number[];
  readonly data: Uint8Array; // SharedArrayBuffer-backed payload
}

/** Reads the payload straight into shared memory: no full-size intermediate Buffer. */
function fromPlain(path: string, fd: number, fmt: IdxFormat): Idx {
  const total = fs.fstatSync(fd).size;
  const head = new Uint8Array(headerBytes(fmt));
  const sizes = parseHeader(path, head.subarray(0, readAt(fd, head, 0)), total, fmt, "file");
  const data = sharedBytes(total - head.length);
  const got = readAt(fd, data, head.length);
  if (got !== data.length) throw new DataError(`${path}: file ended after ${got} of ${data.length} payload bytes (changed while reading?)`);
  return { sizes, data };
}

function fromGzip(path: string, compressed: Uint8Array, fmt: IdxFormat): Idx {
  let bytes: Buffer;
  try {
    bytes = zlib.gunzipSync(compressed);
  } catch (err) {
    throw new DataError(`${path}: not valid gzip data (${err instanceof Error ? err.message : String(err)})`);
  }
  const size = headerBytes(fmt);
  const sizes = parseHeader(path, bytes.subarray(0, size), bytes.length, fmt, "decompressed file");
  const data = sharedBytes(bytes.length - size);
  data.set(bytes.subarray(size));
  return { sizes, data };
}

function readIdx(path: string, fmt: IdxFormat): Idx {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, "r");
    // readFileSync(fd) starts at the current position, still 0: readAt only does positioned reads.
    return isGzip(path, fd) ? fromGzip(path, fs.readFileSync(fd), fmt) : fromPlain(path, fd, fmt);
  } catch (err) {
    throw toDataError(path, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads an IDX file of unsigned-byte images (magic 0x00000803), plain or gzip. */
export function readIdxImages(path: string): { images: Uint8Array; count: number; rows: number; cols: number } {
  const { sizes, data } = readIdx(path, IMAGES);
  const [count, rows, cols] = sizes as [number, number, number];
  return { images: data, count, rows, cols };
}

/** Reads an IDX file of unsigned-byte labels (magic 0x00000801), plain or gzip. */
export function readIdxLabels(path: string): { labels: Uint8Array; count: number } {
  const { sizes, data } = readIdx(path, LABELS);
  return { labels: data, count: sizes[0] as number };
}

function checkLabels(path: string, labels: Uint8Array): void {
  const bad = labels.findIndex((label) => label >= CLASSES);
  if (bad >= 0) throw new DataError(`${path}: label ${labels[bad]} at index ${bad} is outside 0..${CLASSES - 1}`);
}

/** Images and their labels as one Dataset, checked to match. */
export function loadIdxPair(imagesPath: string, labelsPath: string): Dataset {
  // Labels first: they are small, so a bad labels file fails before the big read.
  const { labels, count: labelCount } = readIdxLabels(labelsPath);
  checkLabels(labelsPath, labels);
  const { images, count, rows, cols } = readIdxImages(imagesPath);
  if (labelCount !== count) throw new DataError(`${imagesPath}: ${count} images but ${labelCount} labels (in ${labelsPath})`);
  return { images, labels, count, rows, cols, pixels: rows * cols };
}
