// The train command: load the data, build or load the network, run SGD and
// report. Ctrl-C ends the run after the current slice of mini-batches, with
// the summary so far and exit code 130.
import { DataError, UsageError } from "../errors.js";
import { CLASSES, type Dataset } from "../data/dataset.js";
import { loadMnist, splitBook } from "../data/mnist.js";
import { Arena } from "../kernel/arena.js";
import { createKernel } from "../kernel/index.js";
import { COSTS } from "../network/costs.js";
import { createEngine } from "../network/engine.js";
import { fromBookJson, toBookJson } from "../network/model-file.js";
import { Network } from "../network/network.js";
import { Rng } from "../network/rng.js";
import { DivergedError, sgd, type EpochRecord, type TrainEvent } from "../network/sgd.js";
import { checkWritable, readTextFile, writeFileAtomic } from "./files.js";
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
  const network = startingNetwork(config, arena, rng);
  checkSizesFitData(network.sizes, train, config.load);
  const engine = await createEngine({ kernel, network, cost: COSTS[config.cost], batchSize: config.batchSize, arena, threads: config.threads,
    datasets: [split.training, evaluation],
  });

  const reporter: Reporter = config.json ? new JsonReporter(config.quiet) : new HumanReporter(makeChalk(config.color), config.quiet);
  const { given: _given, ...options } = config;
  reporter.start({
    version: VERSION,
    config: { ...options, sizes: network.sizes, kernel: kernel.name, threads: engine.threads },
    data: {
      training: split.training.count, validation: split.validation.count, test: split.test.count,
      rows: train.rows, cols: train.cols, dataDir, evalSet: config.eval,
    },
    startupSeconds: performance.now() / 1000, // since the process started: data loaded, workers up
  });

  const progress = new EpochProgress(progressWanted(config.progress, config.quiet || config.json));
  const finished: EpochRecord[] = []; // for the summary of a run that diverges
  let best: EpochRecord | undefined;
  const onEvent = (e: TrainEvent): void => {
    if (e.type === "epoch-start") progress.start(e.epoch, e.batches);
    else if (e.type === "batch") progress.update(e.done);
    else {
      progress.stop();
      finished.push(e.record);
      if (e.isBest) best = e.record;
      reporter.epoch(e.record, e.isBest);
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
      { training: split.training, evaluation },
      {
        epochs: config.epochs, batchSize: config.batchSize, eta: config.eta, lambda: config.lambda,
        cost: COSTS[config.cost], monitor: new Set(config.monitor), earlyStopping: config.earlyStopping,
        etaSchedule: config.etaSchedule, keepBest: config.saveBest,
      },
      rng,
      onEvent,
      () => interrupted,
    );
    progress.stop();
    // --save-best saves the best finished epoch, so nothing when none finished
    const toSave = config.saveBest ? (result.best && result.bestNetwork) : engine.network;
    if (config.save && toSave) writeFileAtomic(config.save, toBookJson(toSave, config.cost));
    else if (config.save) warn(`no epoch finished, so nothing was saved to ${config.save}`);
    reporter.summary(summarise(result, (performance.now() - t0) / 1000, toSave ? config.save : undefined));
    return result.stoppedBy === "interrupted" ? EXIT_INTERRUPTED : 0;
  } catch (e) {
    if (!(e instanceof DivergedError)) throw e;
    // the stream still ends with a summary; main then prints the error and exits 1
    progress.stop();
    reporter.summary({
      epochs: finished.length, best, last: finished.at(-1), seconds: (performance.now() - t0) / 1000,
      stoppedBy: "diverged", divergedEpoch: e.epoch,
    });
    throw e;
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    await engine.close();
  }
}

/** A fresh network from the seed, or the one in --load (whose sizes must agree with --sizes when both are given). */
function startingNetwork(config: TrainConfig, arena: Arena, rng: Rng): Network {
  if (config.load === undefined) {
    const network = new Network(config.sizes, arena);
    network.initialise(config.init, rng);
    return network;
  }
  const { network, cost } = fromBookJson(readTextFile(config.load), config.load, arena);
  if (!config.given.has("cost")) config.cost = cost; // keep training with the cost the model was trained with
  if (config.given.has("sizes") && network.sizes.join() !== config.sizes.join()) {
    throw new UsageError(`--sizes ${config.sizes.join(",")} does not match the sizes ${network.sizes.join(",")} of --load ${config.load}`);
  }
  return network;
}

/** The first layer must take the images' pixels and the last must have one neuron per class. */
// A bad --sizes is a usage error (exit 2); a model file that does not fit is bad data (exit 1).
export function checkSizesFitData(sizes: readonly number[], data: Dataset, model?: string): void {
  const fail = (what: string): Error => (model ? new DataError(`${model}: the network ${what}`) : new UsageError(`--sizes ${sizes.join(",")} ${what}`));
  const pixels = data.rows * data.cols;
  if (sizes[0] !== pixels) throw fail(`starts with ${sizes[0]} inputs, but the images have ${data.rows}x${data.cols} = ${pixels} pixels`);
  const outputs = sizes[sizes.length - 1];
  if (outputs !== CLASSES) throw fail(`ends with ${outputs} outputs, but there are ${CLASSES} classes`);
}
