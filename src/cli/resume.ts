// --resume: the run goes on with the options it was started with. Options
// typed beside --resume must say the same as the checkpoint's (a different
// --eta would not continue the run, it would start another), except --epochs,
// which may be raised, and the options that change only how the run is shown,
// how many threads run it (which changes no number) or which files it writes.
import { DataError, UsageError } from "../errors.js";
import type { KernelChoice, KernelVariant } from "../kernel/index.js";
import { wasmVariants } from "../kernel/wasm.js";
import type { Checkpoint } from "../network/checkpoint.js";
import { excerpt, printable } from "../text.js";
import { resolveTrainConfig, type RawOptions, type TrainConfig } from "./options.js";

/** Options that change how a run is shown or where it runs, not what it computes: not kept in a checkpoint. */
const PRESENTATION = new Set(["json", "quiet", "progress", "color", "threads", "checkpoint", "resume"]);

/** The resolved options that must agree, as their flags. */
const COMPARED: [keyof TrainConfig, string][] = [
  ["sizes", "--sizes"], ["layers", "--layers"], ["batchSize", "--batch-size"], ["eta", "--eta"], ["lambda", "--lambda"],
  ["l2", "--l2"], ["cost", "--cost"], ["init", "--init"], ["seed", "--seed"], ["trainSize", "--train-size"],
  ["validationSize", "--validation-size"], ["testSize", "--test-size"], ["eval", "--eval"], ["dataDir", "--data-dir"],
  ["monitor", "--monitor"], ["earlyStopping", "--early-stopping"], ["etaSchedule", "--eta-schedule"],
  ["saveBest", "--save-best"], ["shuffle", "--shuffle"], ["expandData", "--expand-data"], ["kernel", "--kernel"], ["load", "--load"],
  ["preset", "--preset"],
];

/** The training options as typed, to keep in a checkpoint. */
export function typedTrainingOptions(raw: RawOptions): RawOptions {
  return Object.fromEntries(Object.entries(raw).filter(([k, v]) => v !== undefined && !PRESENTATION.has(k)));
}

/** The options of the resumed run: the checkpoint's, with what was typed now for how it is shown and how long it runs. */
export function resumedOptions(raw: RawOptions, ck: Checkpoint, file: string): RawOptions {
  const theirs = storedOptions(ck.config.typed, file);
  const typed = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const before = fromCheckpoint(file, "the options it holds are not valid", () => resolveTrainConfig(theirs));
  const merged: RawOptions = { ...theirs, ...typed };
  const now = resolveTrainConfig(merged);
  for (const [key, flag] of COMPARED) {
    const a = JSON.stringify(before[key] ?? null);
    const b = JSON.stringify(now[key] ?? null);
    if (a !== b) {
      throw new UsageError(`${flag} ${printable(b)} does not agree with ${printable(a)} in the checkpoint ${file}: with --resume, training options may only repeat the checkpoint's (--epochs may be raised)`);
    }
  }
  if (now.epochs < ck.state.epoch) throw new UsageError(`--epochs ${now.epochs} is fewer than the ${ck.state.epoch} epochs the checkpoint ${file} has finished`);
  return merged;
}

/** The kernel a resumed run goes on with. `--kernel wasm` runs the variant this runtime prefers (README, Kernels),
 *  which need not be the one the checkpoint's epochs ran (a run moved to another Node or CPU, or begun when Node 20
 *  ran mul-add): that one is kept where it runs here too, so the run ends with the bits of a run never stopped; where
 *  it does not run here, the run goes on with the other and says so. */
export function resumedKernel(choice: KernelChoice, ck: Checkpoint, file: string, warn: (message: string) => void,
  available?: KernelVariant[]): KernelChoice {
  if (choice !== "wasm") return choice;
  const { resolved } = ck.config;
  const ran = typeof resolved === "object" && resolved !== null ? (resolved as Record<string, unknown>).kernelVariant : undefined;
  if (ran === "mul-add") return "wasm-mul-add";
  if (ran === "fma" && !(available ?? wasmVariants()).includes("fma")) {
    warn(`${file} was trained with the wasm kernel's fma variant, which this runtime or CPU does not run; going on with mul-add, so the numbers differ in the last bits from a run never stopped`);
  }
  return choice;
}

/** Runs a check of options that came from the checkpoint `file`: failing, it is the file's data at fault (exit 1),
 *  not this command line, and the message says so (`what`). */
export function fromCheckpoint<T>(file: string, what: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof UsageError) throw new DataError(`${file}: ${what}: ${printable(e.message, 200)}`);
    throw e;
  }
}

/** The options a checkpoint holds, as typed: strings and booleans only, every string printable (they name files and reach messages). */
function storedOptions(typed: unknown, file: string): RawOptions {
  if (typed === undefined) return {};
  const ok = typeof typed === "object" && typed !== null && !Array.isArray(typed) &&
    Object.values(typed).every((v) => typeof v === "boolean" || (typeof v === "string" && printable(v, 4096) === v));
  if (!ok) throw new DataError(`${file}: the options it holds are ${excerpt(typed)}, expected the typed options as strings and booleans`);
  return typed as RawOptions;
}
