// The command line: every option is defined here, each command lives in its
// own module, and errors become exit codes in this one place.
import { Command, CommanderError, Option } from "commander";
import { DataError, UsageError } from "../errors.js";
import { KERNEL_CHOICES } from "../kernel/index.js";
import { DEFAULTS, PRESETS, type RawOptions } from "./options.js";
import { benchCommand } from "./bench.js";
import { evaluateCommand } from "./evaluate.js";
import { addReportCommand } from "./report.js";
import { addSweepCommand } from "./sweep.js";
import { trainCommand } from "./train.js";
import { restoreTerminal } from "./progress.js";
import { VERSION } from "./version.js";
import { tuneJit } from "./jit.js";

const KERNEL_HELP = `matrix kernel (default: ${DEFAULTS.kernel}: WebAssembly, with fused multiply-adds where the CPU has ` +
  "them; wasm-mul-add: without them, the same bits on every machine; js: TypeScript)";

const EXIT_OK = 0;
const EXIT_DATA = 1;
const EXIT_USAGE = 2;

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("mnist-train")
    .description("Train a neural network on MNIST with mini-batch SGD, as in Nielsen's " +
      "Neural Networks and Deep Learning, and print the accuracy after every epoch.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .enablePositionalOptions() // flags after `evaluate` belong to evaluate, not to training
    .helpCommand(true) // `mnist-train help evaluate`: commander adds it unasked only when the program itself has no action
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(`mnist-train: ${text.replace(/^error: /, "")}`) });

  const presetList = Object.entries(PRESETS).map(([name, p]) => `  ${name.padEnd(12)} ${p.about}`).join("\n");
  program
    .option("--sizes <list>", `neurons per layer, input to output: sigmoid fully connected layers (default: ${DEFAULTS.sizes})`)
    .option("--layers <spec>", "any stack of layers after the input, comma-separated TYPE:SIZE[:ACTIVATION][:dropout=P], " +
      "e.g. fc:100:relu,softmax:10 (TYPE fc or softmax; ACTIVATION sigmoid, tanh, relu or linear)")
    .option("--epochs <n>", `training epochs (default: ${DEFAULTS.epochs})`)
    .option("--batch-size <m>", `mini-batch size (default: ${DEFAULTS.batchSize})`)
    .option("--eta <rate>", `learning rate (default: ${DEFAULTS.eta})`)
    .option("--lambda <x>", `L2 regularisation parameter (default: ${DEFAULTS.lambda})`)
    .addOption(new Option("--l2 <form>", "how lambda enters: network2 = decay 1-eta*lambda/n per step, network3 = " +
      "0.5*lambda*sum(w^2) per mini-batch over the n/m mini-batches, decay 1-eta*lambda*m/n (default: network2)").choices(["network2", "network3"]))
    .addOption(new Option("--cost <name>", `cost function (default: log-likelihood after a softmax layer, else ${DEFAULTS.cost})`)
      .choices(["quadratic", "cross-entropy", "log-likelihood"]))
    .addOption(new Option("--init <name>", "weight initialisation: large = N(0,1), scaled = N(0,1/n_in), network3 = network3.py's " +
      "(default: network3 with --layers, else large with the quadratic cost, scaled with cross-entropy)").choices(["large", "scaled", "network3"]))
    .option("--seed <n>", `random seed: the same seed and flags give the same numbers (default: ${DEFAULTS.seed})`)
    .option("--train-size <n>", "training examples, from the start of the training file (default: all not held out)")
    .option("--validation-size <n>", `examples held out from the end of the training file (default: ${DEFAULTS.validationSize})`)
    .option("--test-size <n>", "test examples (default: all)")
    .addOption(new Option("--eval <set>", `the set scored after every epoch (default: ${DEFAULTS.eval})`).choices(["test", "validation"]))
    .option("--data-dir <dir>", "read the four IDX files (plain or .gz) from DIR (default: the bundled MNIST)")
    .option("--monitor <list>", "also report per epoch, comma-separated: training-cost, training-accuracy, eval-cost, eval-accuracy, " +
      "gradient-norms (of each hidden layer's biases, before the epoch)")
    .option("--shuffle", "reshuffle the training set before every epoch (the default, as network2.py)")
    .option("--no-shuffle", "train in the data's order every epoch (as network3.py)")
    .option("--expand-data", "train on 5x the images, each followed by its one-pixel shifts down, up, right and left, " +
      "shuffled once (network3.py's expand_mnist.py; built in memory)")
    .option("--early-stopping <n>", "stop when eval accuracy has not improved for N epochs")
    .option("--eta-schedule <halve:N:F>", "halve eta after N epochs without improvement; stop when eta reaches eta/F")
    .option("--save <file>", "write the trained network: network2.py's JSON for sigmoid networks, else (or for a .safetensors name) safetensors")
    .option("--save-best", "with --save, keep the epoch with the best eval accuracy rather than the last")
    .option("--load <file>", "start from a network saved by --save (either format) or by network2.py")
    .option("--checkpoint <file>", "after every epoch, write all the run needs to go on (atomically) to FILE")
    .option("--resume <file>", "go on from a checkpoint, bit for bit as if never stopped; typed training options must agree " +
      "with the checkpoint's (--epochs may be raised); goes on checkpointing to FILE unless --checkpoint says otherwise")
    .addOption(new Option("--preset <name>", "one of the book's runs (see Presets below); explicit flags override it").choices(Object.keys(PRESETS)))
    .addOption(new Option("--kernel <name>", KERNEL_HELP).choices(KERNEL_CHOICES))
    .option("--threads <n>", "threads that train and evaluate together (default: the number of cores)")
    .option("--json", "JSON Lines on stdout instead of text")
    .option("--quiet", "print only the summary")
    .option("--no-progress", "no progress bar (it is shown only when stderr is a terminal)")
    .option("--no-color", "no colour (also off with NO_COLOR or when stdout is not a terminal)")
    .addHelpText("after", `\nPresets:\n${presetList}\n\nExamples:\n` +
      "  mnist-train --sizes 784,30,10                  chapter 1: about 95% after 30 epochs\n" +
      "  mnist-train --preset ch3 --save net.json       chapter 3, then: mnist-train evaluate --model net.json\n" +
      "  mnist-train --epochs 5 --json | jq -c 'select(.type==\"epoch\")'")
    .action(async (opts: RawOptions) => setExit(await trainCommand(opts)));

  program
    .command("evaluate")
    .description("score a saved network, or an ensemble of them, on the test set: accuracy, cost, confusion matrix, per-class accuracy")
    .requiredOption("--model <file>", "a network saved by --save (either format) or by network2.py; several --model " +
      "score their ensemble (plurality vote, ties to the lowest digit) beside each member", (file: string, files: string[] = []) => [...files, file])
    .option("--data-dir <dir>", "read the IDX files from DIR (default: the bundled MNIST)")
    .option("--test-size <n>", "test examples (default: all)")
    .addOption(new Option("--kernel <name>", KERNEL_HELP).choices(KERNEL_CHOICES))
    .option("--json", "one JSON object on stdout instead of text")
    .option("--no-color", "no colour")
    .action(async (opts: RawOptions) => setExit(await evaluateCommand(opts)));

  program
    .command("bench")
    .description("examples per second of per-example vs matrix-based backprop, per kernel and thread count, and GFLOP/s")
    .option("--quick", "fewer and shorter measurements")
    .option("--json", "JSON Lines on stdout instead of a table")
    .action(async (opts: RawOptions) => setExit(await benchCommand(opts)));

  addSweepCommand(program, setExit);
  addReportCommand(program, setExit);
  return program;
}

/** Runs the CLI and returns the exit code; nothing below here calls process.exit. */
export async function main(argv: string[]): Promise<number> {
  tuneJit();
  // `mnist-train ... | head` closes stdout early: that ends the output, it is not an error
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    restoreTerminal();
    process.exit(process.exitCode ?? EXIT_OK);
  });
  let code = EXIT_OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    return exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander has already printed its one-line message (or the help)
    return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`mnist-train: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const message = e instanceof DataError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
  process.stderr.write(`mnist-train: ${message}\n`);
  if (process.env.MNIST_TRAIN_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return EXIT_DATA;
}
