// Reader for the IDX files MNIST ships in: a big-endian header (a magic
// number, then one uint32 size per dimension) followed by unsigned bytes.
// Payloads land in SharedArrayBuffers so worker threads can read them without
// a copy. Every check names the file, the bad value and the expected one,
// because a wrong or damaged download is the usual way training goes wrong.
// Nothing in a file is trusted: the header is checked, and the memory it
// declares compared with what this process may use, before the payload is
// read; gzip is inflated as a stream that stops once past the declared size.

import * as fs from "node:fs";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import { cannotRead, DataError } from "../errors.js";
import { checkFitsMemory } from "../memory.js";
import { readAt } from "../read-at.js";
import { printable } from "../text.js";
import { CLASSES, type Dataset } from "./dataset.js";

const UNSIGNED_BYTE = 0x08; // IDX type code of uint8 data
const CHUNK_BYTES = 1 << 20; // what one step of inflating may produce beyond the declared size
const GZIP_SLACK = 65536 + 4096; // gzip header (with its optional extra field, name, comment) and trailer

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

/** Either sign means gzip: a .gz name, or the gzip magic bytes 1f 8b (IDX starts 00 00). */
function isGzip(path: string, fd: number): boolean {
  if (path.endsWith(".gz")) return true;
  const head = new Uint8Array(2);
  return readAt(fd, head, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function checkMagic(path: string, magic: number, fmt: IdxFormat): void {
  const want = magicOf(fmt);
  if (magic === want) return;
  // Same element type with another number of dimensions is usually images and labels swapped.
  const hint = magic >>> 8 === UNSIGNED_BYTE ? `: the file has ${magic & 0xff} dimension(s), not ${fmt.dims.length}` : "";
  throw new DataError(`${path}: bad magic number ${hex(magic)}, expected ${hex(want)} (${fmt.name})${hint}`);
}

/** The dimension sizes in a complete header (magic number checked, no zero size); `head` holds headerBytes(fmt) bytes. */
function readSizes(path: string, head: Uint8Array, fmt: IdxFormat): number[] {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  checkMagic(path, view.getUint32(0), fmt);
  const sizes = fmt.dims.map((_, i) => view.getUint32(4 + 4 * i));
  const zero = sizes.indexOf(0);
  if (zero >= 0) throw new DataError(`${path}: header says 0 ${fmt.dims[zero]}, expected at least 1`);
  return sizes;
}

const payloadBytes = (sizes: readonly number[]): number => sizes.reduce((a, b) => a * b, 1);

/** `what` ("file" or "decompressed file") is `total` bytes, too few for the header; the magic number is checked first when there is one. */
function tooShort(path: string, head: Uint8Array, total: number, fmt: IdxFormat, what: string): DataError {
  if (head.length >= 4) checkMagic(path, new DataView(head.buffer, head.byteOffset).getUint32(0), fmt);
  return new DataError(`${path}: ${what} is ${total} bytes, shorter than the ${headerBytes(fmt)}-byte ${fmt.name} header`);
}

function sizeMismatch(path: string, sizes: readonly number[], fmt: IdxFormat, holds: string): DataError {
  return new DataError(
    `${path}: header says ${fmt.describe(sizes)} (${payloadBytes(sizes)} bytes) but the ${holds} after the ${headerBytes(fmt)}-byte header`,
  );
}

interface Idx {
  readonly sizes: number[];
  readonly data: Uint8Array; // SharedArrayBuffer-backed payload
}

/** Reads the payload straight into shared memory: no full-size intermediate Buffer. */
function fromPlain(path: string, fd: number, fmt: IdxFormat): Idx {
  const total = fs.fstatSync(fd).size;
  const head = new Uint8Array(headerBytes(fmt));
  const got = readAt(fd, head, 0);
  if (got < head.length) throw tooShort(path, head.subarray(0, got), total, fmt, "file");
  const sizes = readSizes(path, head, fmt);
  // Too many bytes is as wrong as too few: never truncate silently.
  if (total - head.length !== payloadBytes(sizes)) throw sizeMismatch(path, sizes, fmt, `file holds ${total - head.length} bytes`);
  checkFitsMemory(path, payloadBytes(sizes), fmt.dims[0] as string);
  const data = sharedBytes(total - head.length);
  const read = readAt(fd, data, head.length);
  if (read !== data.length) throw new DataError(`${path}: file ended after ${read} of ${data.length} payload bytes (changed while reading?)`);
  return { sizes, data };
}

/**
 * Checks a gzip file against the size its IDX header declares before
 * inflating the rest: the file cannot be much larger than the data (deflate
 * adds at most 5 bytes per 64 KiB block), and the gzip trailer's ISIZE field
 * (the decompressed size modulo 2^32) must agree. A forged trailer gets past
 * this, but then inflating stops as soon as the output passes the declared
 * size.
 */
function checkGzipLength(path: string, fd: number, sizes: readonly number[], fmt: IdxFormat): void {
  const fileBytes = fs.fstatSync(fd).size;
  const inflated = headerBytes(fmt) + payloadBytes(sizes);
  const largest = inflated + 5 * Math.ceil(inflated / 65535) + GZIP_SLACK;
  if (fileBytes > largest) {
    throw new DataError(`${path}: the file is ${fileBytes} bytes, larger than any gzip of the ${fmt.describe(sizes)} its header declares`);
  }
  if (fileBytes < 18) return; // too short for a trailer: inflating will say so
  const trailer = new Uint8Array(4);
  readAt(fd, trailer, fileBytes - 4);
  const isize = new DataView(trailer.buffer).getUint32(0, true);
  if (isize !== inflated % 2 ** 32) {
    throw new DataError(
      `${path}: header says ${fmt.describe(sizes)}, so ${inflated} bytes decompressed, but the gzip trailer says ${isize} (the size modulo 2^32)`,
    );
  }
}

/**
 * Inflates chunk by chunk: the header first, then, once it has been checked
 * and the memory it declares is known to fit, the payload straight into
 * shared memory. Never holds more than the declared size plus one chunk.
 */
async function fromGzip(path: string, fd: number, fmt: IdxFormat): Promise<Idx> {
  const head = new Uint8Array(headerBytes(fmt));
  let headLength = 0;
  let sizes: number[] = [];
  let data: Uint8Array | undefined;
  let written = 0;
  await inflateChunks(path, (chunk) => {
    if (data === undefined) {
      const n = Math.min(head.length - headLength, chunk.length);
      head.set(chunk.subarray(0, n), headLength);
      headLength += n;
      chunk = chunk.subarray(n);
      if (headLength < head.length) return;
      sizes = readSizes(path, head, fmt);
      checkFitsMemory(path, payloadBytes(sizes), fmt.dims[0] as string);
      checkGzipLength(path, fd, sizes, fmt);
      data = sharedBytes(payloadBytes(sizes));
    }
    if (written + chunk.length > data.length) {
      throw sizeMismatch(path, sizes, fmt, `decompressed file holds more: at least ${written + chunk.length} bytes`);
    }
    data.set(chunk, written);
    written += chunk.length;
  });
  if (data === undefined) throw tooShort(path, head.subarray(0, headLength), headLength, fmt, "decompressed file");
  if (written !== data.length) throw sizeMismatch(path, sizes, fmt, `decompressed file holds ${written} bytes`);
  return { sizes, data };
}

/** Inflates the gzip file, handing each chunk of output to `take`; an error thrown by `take` stops it at once. */
async function inflateChunks(path: string, take: (chunk: Buffer) => void): Promise<void> {
  const source = fs.createReadStream(path, { highWaterMark: CHUNK_BYTES });
  let refused: DataError | undefined; // pipeline reports a consumer's error as a generic abort: keep ours
  try {
    await pipeline(source, zlib.createGunzip({ chunkSize: CHUNK_BYTES }), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        try {
          take(chunk);
        } catch (err) {
          if (err instanceof DataError) refused = err;
          throw err;
        }
      }
    });
  } catch (err) {
    if (refused !== undefined) throw refused;
    if ((err as NodeJS.ErrnoException).syscall !== undefined) throw err; // the file system's, named by cannotRead
    throw new DataError(`${path}: not valid gzip data (${printable(err instanceof Error ? err.message : String(err))})`);
  }
}

async function readIdx(path: string, fmt: IdxFormat): Promise<Idx> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, "r");
    return isGzip(path, fd) ? await fromGzip(path, fd, fmt) : fromPlain(path, fd, fmt);
  } catch (err) {
    throw cannotRead(path, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads an IDX file of unsigned-byte images (magic 0x00000803), plain or gzip. */
export async function readIdxImages(path: string): Promise<{ images: Uint8Array; count: number; rows: number; cols: number }> {
  const { sizes, data } = await readIdx(path, IMAGES);
  const [count, rows, cols] = sizes as [number, number, number];
  return { images: data, count, rows, cols };
}

/** Reads an IDX file of unsigned-byte labels (magic 0x00000801), plain or gzip. */
export async function readIdxLabels(path: string): Promise<{ labels: Uint8Array; count: number }> {
  const { sizes, data } = await readIdx(path, LABELS);
  return { labels: data, count: sizes[0] as number };
}

function checkLabels(path: string, labels: Uint8Array): void {
  const bad = labels.findIndex((label) => label >= CLASSES);
  if (bad >= 0) throw new DataError(`${path}: label ${labels[bad]} at index ${bad} is outside 0..${CLASSES - 1}`);
}

/** Images and their labels as one Dataset, checked to match. */
export async function loadIdxPair(imagesPath: string, labelsPath: string): Promise<Dataset> {
  // Labels first: they are small, so a bad labels file fails before the big read.
  const { labels, count: labelCount } = await readIdxLabels(labelsPath);
  checkLabels(labelsPath, labels);
  const { images, count, rows, cols } = await readIdxImages(imagesPath);
  if (labelCount !== count) throw new DataError(`${imagesPath}: ${count} images but ${labelCount} labels (in ${labelsPath})`);
  return { images, labels, count, rows, cols, pixels: rows * cols };
}
