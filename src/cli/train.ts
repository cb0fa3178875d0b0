// The train command: load the data, build or load the network, run SGD and
// report. Ctrl-C ends the run after the current slice of mini-batches, with
// the summary so far and exit code 130.
import { DataError, UsageError } from "../errors.js";
import { CLASSES, type Dataset } from "../data/dataset.js";
import { loadMnist, splitBook } from "../data/mnist.js";
import { Arena } from "../kernel/arena.js";
import { createKernel } from "../kernel/index.js";
import { formatLayers } from "../layers/spec.js";
import { COSTS, type CostName } from "../network/costs.js";
import { createEngine } from "../network/engine.js";
import { formatFor, fromModelBytes, modelBytes } from "../network/model-file.js";
import { Network } from "../network/network.js";
import { Rng } from "../network/rng.js";
import { sgd, type TrainEvent } from "../network/sgd.js";
import { checkWritable, readBytes, writeFileAtomic } from "./files.js";
import { HumanReporter, JsonReporter, makeChalk, summarise, type Reporter } from "./output.js";
import { EpochProgress, progressWanted } from "./progress.js";
import { resolveTrainConfig, type RawOptions, type TrainConfig } from "./options.js";
import { VERSION, warn } from "./version.js";

const EXIT_INTERRUPTED = 130;

export async function trainCommand(raw: RawOptions): Promise<number> {
  const config = resolveTrainConfig(raw);
  if (config.save) checkWritable(config.save);
  const { train, test, dataDir } = loadMnist(config.dataDir);
  const split = splitBook(train, test, config);
  const evaluation = config.eval === "validation" ? split.validation : split.test;
  if (evaluation.count === 0) throw new UsageError(`--eval validation needs a validation set, but --validation-size is 0`);

  const arena = new Arena();
  const kernel = createKernel(config.kernel, arena.memory, warn);
  const rng = new Rng(config.seed);
  const network = startingNetwork(config, arena, rng, train.rows * train.cols);
  checkSizesFitData(network.sizes, train, config.load, config.layersSpec);
  checkCostFits(network, config.cost, config.load);
  if (config.save) checkSaveFormat(config.save, network, config.cost);
  // network3.py's protocol: with validation scored, the test set is scored at its best epochs too
  const testAtBest = config.eval === "validation" ? split.test : undefined;
  const engine = await createEngine({ kernel, network, cost: COSTS[config.cost], batchSize: config.batchSize, arena, threads: config.threads,
    datasets: testAtBest ? [split.training, evaluation, testAtBest] : [split.training, evaluation], seed: config.seed,
  });

  const reporter: Reporter = config.json ? new JsonReporter() : new HumanReporter(makeChalk(config.color), config.quiet);
  reporter.start({
    version: VERSION,
    config: {
      ...config, given: undefined, costGiven: undefined, layersSpec: undefined,
      sizes: network.sizes, layers: network.describe(), kernel: kernel.name, threads: engine.threads,
    },
    data: {
      training: split.training.count, validation: split.validation.count, test: split.test.count,
      rows: train.rows, cols: train.cols, dataDir, evalSet: config.eval,
    },
    startupSeconds: performance.now() / 1000, // since the process started: data loaded, workers up
  });

  const progress = new EpochProgress(progressWanted(config.progress, config.quiet || config.json));
  const onEvent = (e: TrainEvent): void => {
    if (e.type === "epoch-start") progress.start(e.epoch, e.batches);
    else if (e.type === "batch") progress.update(e.done);
    else {
      progress.stop();
      reporter.epoch(e.record, e.isBest, e.testAtBest);
    }
  };

  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(EXIT_INTERRUPTED); // a second Ctrl-C does not wait
    interrupted = true;
  };
  process.on("SIGINT", onSigint);
  const t0 = performance.now();
  try {
    const result = await sgd(
      engine,
      { training: split.training, evaluation, test: testAtBest },
      {
        epochs: config.epochs, batchSize: config.batchSize, eta: config.eta, lambda: config.lambda, l2: config.l2,
        cost: COSTS[config.cost], monitor: new Set(config.monitor), earlyStopping: config.earlyStopping,
        etaSchedule: config.etaSchedule, keepBest: config.saveBest, shuffle: config.shuffle,
      },
      rng,
      onEvent,
      () => interrupted,
    );
    progress.stop();
    // --save-best saves the best finished epoch, so nothing when none finished
    const toSave = config.saveBest ? (result.best && result.bestNetwork) : engine.network;
    if (config.save && toSave) writeFileAtomic(config.save, modelBytes(toSave, config.cost, saveFormat(config.save, toSave, config.cost)));
    else if (config.save) warn(`no epoch finished, so nothing was saved to ${config.save}`);
    reporter.summary(summarise(result, (performance.now() - t0) / 1000, toSave ? config.save : undefined));
    return result.stoppedBy === "interrupted" ? EXIT_INTERRUPTED : 0;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    await engine.close();
  }
}

/** A fresh network from the seed, or the one in --load (whose layers must agree with --sizes or --layers when given). */
function startingNetwork(config: TrainConfig, arena: Arena, rng: Rng, pixels: number): Network {
  if (config.load === undefined) {
    const network = config.layers ? new Network({ inputs: pixels, layers: config.layers }, arena) : new Network(config.sizes, arena);
    network.initialise(config.init, rng);
    return network;
  }
  const { network, cost } = fromModelBytes(readBytes(config.load), config.load, arena);
  if (!config.given.has("cost")) config.cost = cost; // keep training with the cost the model was trained with
  if (config.given.has("sizes") && network.sizes.join() !== config.sizes.join()) {
    throw new UsageError(`--sizes ${config.sizes.join(",")} does not match the sizes ${network.sizes.join(",")} of --load ${config.load}`);
  }
  if (config.given.has("layers") && network.describe() !== formatLayers(config.layers!)) {
    throw new UsageError(`--layers ${formatLayers(config.layers!)} does not match the layers ${network.describe()} of --load ${config.load}`);
  }
  return network;
}

/** The cost must fit the output layer: cross-entropy a sigmoid, log-likelihood a softmax. */
export function checkCostFits(network: Network, cost: CostName, model?: string): void {
  const last = network.layers[network.layers.length - 1];
  if (COSTS[cost].fits(last.activation)) return;
  const what = `--cost ${cost} needs ${COSTS[cost].needs}, but the output layer is ${formatLayers([last.spec])}`;
  throw model ? new DataError(`${model}: ${what}`) : new UsageError(what);
}

/** .safetensors names ask for safetensors; otherwise the network decides (model-file.ts). */
function saveFormat(file: string, network: Network, cost: CostName) {
  return file.endsWith(".safetensors") ? "safetensors" : formatFor(network, cost);
}

/** A .json name for a network that network2.py's JSON cannot hold is a mistake worth stopping for before training. */
function checkSaveFormat(file: string, network: Network, cost: CostName): void {
  if (file.endsWith(".json") && saveFormat(file, network, cost) !== "network2-json") {
    throw new UsageError(`--save ${file}: network2.py's JSON holds only sigmoid networks under the quadratic or cross-entropy cost; ` +
      `${network.describe()} with ${cost} is saved as safetensors: name the file .safetensors`);
  }
}

/** The first layer must take the images' pixels and the last must have one neuron per class. */
// A bad --sizes is a usage error (exit 2); a model file that does not fit is bad data (exit 1).
export function checkSizesFitData(sizes: readonly number[], data: Dataset, model?: string, layersSpec?: string): void {
  const flag = layersSpec !== undefined ? `--layers ${layersSpec}` : `--sizes ${sizes.join(",")}`;
  const fail = (what: string): Error => (model ? new DataError(`${model}: the network ${what}`) : new UsageError(`${flag} ${what}`));
  const pixels = data.rows * data.cols;
  if (sizes[0] !== pixels) throw fail(`starts with ${sizes[0]} inputs, but the images have ${data.rows}x${data.cols} = ${pixels} pixels`);
  const outputs = sizes[sizes.length - 1];
  if (outputs !== CLASSES) throw fail(`ends with ${outputs} outputs, but there are ${CLASSES} classes`);
}
