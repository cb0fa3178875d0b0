// The mini-batch progress bar: stderr only, and only on a terminal, so it
// never reaches stdout, a pipe or a log file.
import cliProgress from "cli-progress";

/** The bar on screen, if any: whatever ends the process clears it and shows the cursor again. */
let active: cliProgress.SingleBar | undefined;

/** Clears a bar left on screen; safe to call at any time, also from an exit path. */
export function restoreTerminal(): void {
  active?.stop();
  active = undefined;
}

process.on("exit", restoreTerminal);

export class EpochProgress {
  private bar?: cliProgress.SingleBar;

  constructor(private readonly enabled: boolean) {}

  start(epoch: number, batches: number): void {
    if (!this.enabled) return;
    this.bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: `Epoch ${epoch} [{bar}] {value}/{total} mini-batches  {eta_formatted} left`,
      clearOnComplete: true, // the epoch line takes its place
      hideCursor: true,
      barsize: 30,
    });
    this.bar.start(batches, 0);
    active = this.bar;
  }

  update(done: number): void {
    this.bar?.update(done);
  }

  /** Clears the bar: call before anything else is printed. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
    active = undefined;
  }
}

/** A bar is drawn only when stderr is a terminal and nobody asked for quiet. */
export function progressWanted(progress: boolean, quiet: boolean): boolean {
  return progress && !quiet && process.stderr.isTTY === true;
}
