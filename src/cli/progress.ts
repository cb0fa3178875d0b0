// The mini-batch progress bar: stderr only, and only on a terminal, so it
// never reaches stdout, a pipe or a log file.
import cliProgress from "cli-progress";

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
  }

  update(done: number): void {
    this.bar?.update(done);
  }

  /** Clears the bar: call before anything else is printed. */
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** A bar is drawn only when stderr is a terminal and nobody asked for quiet. */
export function progressWanted(progress: boolean, quiet: boolean): boolean {
  return progress && !quiet && process.stderr.isTTY === true;
}
