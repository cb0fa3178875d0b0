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
import { architectureProblem, Network } from "../network/network.js";
import type { Shape } from "../layers/layer.js";
import { Rng } from "../network/rng.js";
import { expandData } from "../data/expand.js";
import { DivergedError, sgd, type EpochRecord, type SgdState, type TrainEvent, type TrainResult } from "../network/sgd.js";
import { encodeCheckpoint, readCheckpoint, type Checkpoint } from "../network/checkpoint.js";
import { readModelFile } from "../network/model-precheck.js";
import { checkWritable, writeFileAtomic } from "./files.js";
import { fromCheckpoint, resumedKernel, resumedOptions, typedTrainingOptions } from "./resume.js";
import { HumanReporter, JsonReporter, makeChalk, summarise, type Reporter } from "./output.js";
import { EpochProgress, progressWanted, restoreTerminal } from "./progress.js";
import { resolveTrainConfig, type RawOptions, type TrainConfig } from "./options.js";
import { VERSION, warn } from "./version.js";

/** Exit codes of a run ended by a signal: 128 + the signal's number, as shells report it. */
const EXIT_SIGNAL: Record<"SIGINT" | "SIGTERM", number> = { SIGINT: 130, SIGTERM: 143 };

export async function trainCommand(typed: RawOptions): Promise<number> {
  const arena = new Arena();
  let raw = typed;
  let resumed: Checkpoint | undefined;
  if (typed.resume !== undefined) {
    const file = String(typed.resume);
    resumed = readCheckpoint(file, arena);
    raw = resumedOptions(typed, resumed, file);
  }
  const config = resolveTrainConfig(raw);
  for (const file of [config.save, config.checkpoint]) if (file) checkWritable(file);
  const { train, test, dataDir } = await loadMnist(config.dataDir);
  const book = () => splitBook(train, test, config);
  const books = resumed ? fromCheckpoint(config.resume!, "the run it holds no longer fits the data", book) : book();
  // expand_mnist.py's data, shuffled once by a generator of its own (so a resumed run rebuilds the same)
  const split = config.expandData ? { ...books, training: expandData(books.training, new Rng(config.seed)) } : books;
  const evaluation = config.eval === "validation" ? split.validation : split.test;
  if (evaluation.count === 0) throw new UsageError(`--eval validation needs a validation set, but --validation-size is 0`);
  if (resumed && resumed.state.order.length !== split.training.count) {
    throw new DataError(`${config.resume}: the checkpoint's run trained on ${resumed.state.order.length} images, but this data gives ${split.training.count}`);
  }

  const kernel = createKernel(resumed ? resumedKernel(config.kernel, resumed, config.resume!, warn) : config.kernel, arena.memory, warn);
  const rng = resumed ? Rng.from(resumed.rng) : new Rng(config.seed);
  const network = resumed ? resumed.network : startingNetwork(config, arena, rng, { C: 1, H: train.rows, W: train.cols });
  if (resumed) config.cost = resumed.cost;
  checkSizesFitData(network.sizes, train, config.load ?? config.resume, config.layersSpec);
  checkCostFits(network, config.cost, config.load ?? config.resume);
  if (config.save) checkSaveFormat(config.save, network, config.cost);
  // network3.py's protocol: with validation scored, the test set is scored at its best epochs too
  const testAtBest = config.eval === "validation" ? split.test : undefined;
  // no mini-batch holds more than the training set: buffers for more would only be waste (or not fit at all)
  const largestBatch = Math.max(1, Math.min(config.batchSize, split.training.count));
  const engine = await createEngine({ kernel, network, cost: COSTS[config.cost], batchSize: largestBatch, arena, threads: config.threads,
    datasets: testAtBest ? [split.training, evaluation, testAtBest] : [split.training, evaluation], seed: config.seed,
  });

  const reporter: Reporter = config.json ? new JsonReporter(config.quiet) : new HumanReporter(makeChalk(config.color), config.quiet);
  const { given: _given, costGiven: _costGiven, layersSpec: _layersSpec, ...options } = config;
  const record = {
    ...options, sizes: network.sizes, layers: network.describe(), kernel: kernel.name, kernelVariant: kernel.variant, threads: engine.threads,
  };
  reporter.start({
    version: VERSION,
    config: { ...record, resumedFrom: resumed ? { file: config.resume, epoch: resumed.state.epoch } : null },
    data: {
      training: split.training.count, validation: split.validation.count, test: split.test.count,
      rows: train.rows, cols: train.cols, dataDir, evalSet: config.eval,
    },
    startupSeconds: performance.now() / 1000, // since the process started: data loaded, workers up
  });
  // a resumed run shows the epochs it inherits, so its records are those of a run never stopped
  resumed?.state.epochs.forEach((r) => {
    const best = resumed.state.best;
    const testAt = resumed.state.testAtBest;
    reporter.epoch(r, best?.epoch === r.epoch, testAt?.epoch === r.epoch ? testAt : undefined);
  });

  const progress = new EpochProgress(progressWanted(config.progress, config.quiet || config.json));
  const finished: EpochRecord[] = [...(resumed?.state.epochs ?? [])]; // for the summary of a run that diverges
  let best: EpochRecord | undefined = resumed?.state.best;
  const onEvent = (e: TrainEvent): void => {
    if (e.type === "epoch-start") progress.start(e.epoch, e.batches);
    else if (e.type === "batch") progress.update(e.done);
    else {
      progress.stop();
      finished.push(e.record);
      if (e.isBest) best = e.record;
      reporter.epoch(e.record, e.isBest, e.testAtBest);
    }
  };
  const checkpoint = config.checkpoint;
  const onEpochEnd = checkpoint
    ? (state: SgdState, result: TrainResult): void => {
      const text = encodeCheckpoint({
        version: VERSION, config: { typed: typedTrainingOptions(raw), resolved: record }, inputs: network.inputs, shape: network.shape,
        layers: network.describe(), cost: config.cost, rng: rng.state, state, network: engine.network, bestNetwork: result.bestNetwork,
      });
      try {
        writeFileAtomic(checkpoint, text);
      } catch (e) {
        // the run goes on: a later epoch may find room; the last checkpoint written stays whole
        if (!(e instanceof DataError)) throw e;
        progress.stop();
        warn(`${e.message}; the previous checkpoint is left as it was, and training goes on`);
      }
    }
    : undefined;

  // A signal ends the run at the next slice of mini-batches, with the summary; a second one at once.
  let stoppedBy: keyof typeof EXIT_SIGNAL | undefined;
  const onSignal = (signal: keyof typeof EXIT_SIGNAL): void => {
    if (stoppedBy) {
      restoreTerminal();
      process.exit(EXIT_SIGNAL[signal]);
    }
    stoppedBy = signal;
  };
  const handlers = (Object.keys(EXIT_SIGNAL) as (keyof typeof EXIT_SIGNAL)[]).map((signal) => {
    const handler = (): void => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const t0 = performance.now();
  try {
    const result = await sgd(
      engine,
      { training: split.training, evaluation, test: testAtBest },
      {
        epochs: config.epochs, batchSize: config.batchSize, eta: config.eta, lambda: config.lambda, l2: config.l2,
        cost: COSTS[config.cost], monitor: new Set(config.monitor), earlyStopping: config.earlyStopping,
        etaSchedule: config.etaSchedule, keepBest: config.saveBest, keepLast: config.save !== undefined, shuffle: config.shuffle,
        resume: resumed?.state, resumeBest: resumed?.bestNetwork, onEpochEnd,
      },
      rng,
      onEvent,
      () => stoppedBy !== undefined,
    );
    progress.stop();
    // never weights from the middle of an epoch: the best or the last finished epoch's, or nothing
    const toSave = result.epochs.length > 0 ? (config.saveBest ? result.bestNetwork : result.lastNetwork) : undefined;
    if (config.save && toSave) writeFileAtomic(config.save, modelBytes(toSave, config.cost, saveFormat(config.save, toSave, config.cost)));
    else if (config.save) warn(`no epoch finished, so nothing was saved to ${config.save}`);
    reporter.summary(summarise(result, (performance.now() - t0) / 1000, toSave ? config.save : undefined, engine.teamShare));
    return stoppedBy ? EXIT_SIGNAL[stoppedBy] : 0;
  } catch (e) {
    if (!(e instanceof DivergedError)) throw e;
    // the stream still ends with a summary; main then prints the error and exits 1
    progress.stop();
    reporter.summary({
      epochs: finished.length, best, last: finished.at(-1), seconds: (performance.now() - t0) / 1000,
      stoppedBy: "diverged", divergedEpoch: e.epoch, teamShare: engine.teamShare,
    });
    throw e;
  } finally {
    progress.stop();
    for (const [signal, handler] of handlers) process.off(signal, handler);
    await engine.close();
  }
}

/** A fresh network from the seed, or the one in --load (whose layers must agree with --sizes or --layers when given). */
function startingNetwork(config: TrainConfig, arena: Arena, rng: Rng, image: Shape): Network {
  if (config.load === undefined) {
    let network: Network;
    if (config.layers) {
      const architecture = { inputs: image.C * image.H * image.W, shape: image, layers: config.layers };
      const problem = architectureProblem(architecture);
      if (problem) throw new UsageError(`--layers ${config.layersSpec}: ${problem}`);
      network = new Network(architecture, arena);
    } else {
      network = new Network(config.sizes, arena);
    }
    network.initialise(config.init, rng);
    return network;
  }
  const { network, cost } = fromModelBytes(readModelFile(config.load), config.load, arena);
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
