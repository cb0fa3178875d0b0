// Runs trials as child processes, `jobs` at a time. Each child is exactly the
// command line recorded in its file; its stdout (JSON Lines) goes straight
// into the trial's temporary file, which is renamed to the final name only
// when the run ended with its summary record. Each trial checkpoints after
// every epoch beside it, and a rerun resumes a half-done trial from there.
// Children print nothing to the terminal: their stderr is kept, and its last
// line reported on failure.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { checkpointFile, tempFile, trialFile } from "./store.js";
import type { Trial } from "./plan.js";

export interface TrialOutcome {
  trial: Trial;
  /** The trial's file is in place under its final name. */
  finished: boolean;
  stoppedBy?: string;
  /** Why it did not finish: the exit status and the last line of stderr. */
  message?: string;
}

export interface RunOptions {
  dir: string;
  jobs: number;
  /** The node script to run (bin/mnist-train.js) and the reporting flags each trial adds. */
  bin: string;
  extraArgs: string[];
  /** The command as shown in the trial's file and --list: "mnist-train ..." */
  command: (trial: Trial) => string;
  onOutcome: (o: TrialOutcome) => void;
}

export class TrialRunner {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  /** Runs every trial (or until stop()); resolves with all outcomes in the order they ended. */
  async run(trials: readonly Trial[], opts: RunOptions): Promise<TrialOutcome[]> {
    const queue = [...trials];
    const outcomes: TrialOutcome[] = [];
    const worker = async (): Promise<void> => {
      for (let t = queue.shift(); t && !this.stopping; t = queue.shift()) {
        const o = await this.runOne(t, opts);
        outcomes.push(o);
        opts.onOutcome(o);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, trials.length)) }, worker));
    return outcomes;
  }

  /** Starts no more trials and ends the running ones (their temporary files are removed). */
  stop(): void {
    this.stopping = true;
    for (const c of this.children) c.kill("SIGTERM");
  }

  private runOne(trial: Trial, opts: RunOptions): Promise<TrialOutcome> {
    const tmp = tempFile(opts.dir, trial.id);
    const fd = fs.openSync(tmp, "w");
    fs.writeSync(fd, JSON.stringify({ type: "trial", id: trial.id, command: opts.command(trial), axes: trial.axes }) + "\n");
    // a half-done trial goes on from its checkpoint; its output then repeats the epochs it inherits, so the file is whole
    const checkpoint = checkpointFile(opts.dir, trial.id);
    const resume = fs.existsSync(checkpoint) ? ["--resume", checkpoint] : ["--checkpoint", checkpoint];
    const child = spawn(process.execPath, [opts.bin, ...trial.args, ...resume, ...opts.extraArgs], {
      stdio: ["ignore", fd, "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    this.children.add(child);
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr = (stderr + s).slice(-4096)));
    return new Promise((resolve) => {
      const done = (code: number | null, signal: string | null): void => {
        this.children.delete(child);
        fs.closeSync(fd);
        const summary = lastSummary(tmp);
        // a diverged run is a result (exit 1 with its summary); an interrupted or failed one is not
        const finished = summary !== undefined && summary.stoppedBy !== "interrupted" &&
          (code === 0 || (code === 1 && summary.stoppedBy === "diverged"));
        if (finished) {
          // checkpoint first: killed between the two, the trial runs again whole rather than keep a stale checkpoint
          fs.rmSync(checkpoint, { force: true });
          fs.renameSync(tmp, trialFile(opts.dir, trial.id));
          resolve({ trial, finished, stoppedBy: summary.stoppedBy });
        } else {
          fs.rmSync(tmp, { force: true });
          const last = stderr.trim().split("\n").at(-1) ?? "";
          resolve({ trial, finished, message: `${signal ? `killed by ${signal}` : `exit ${code}`}${last ? `: ${last}` : ""}` });
        }
      };
      child.on("close", done);
      child.on("error", (e) => {
        stderr += `\n${e.message}`;
      });
    });
  }
}

/** The run's summary record, if the file ends with one. */
function lastSummary(file: string): { stoppedBy?: string } | undefined {
  const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
  try {
    const record = JSON.parse(lines.at(-1) ?? "") as { type?: string; stoppedBy?: string };
    return record?.type === "summary" ? record : undefined;
  } catch {
    return undefined;
  }
}
