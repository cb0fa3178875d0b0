// Decides, run of mini-batches by run, whether the team or the calling
// thread alone trains faster right now. Both give identical numbers, so this
// is only about speed: now and then a few mini-batches are timed the other
// way. The way in use counts as fast as the best of its last few runs: a
// run's time only ever grows from what the way can do (an evaluation or a
// collection just before it, the machine's other work), and single slow runs
// of the team, a few times slower than the rest, made a moving average pick
// the slower way. A probe's figure stands for the other way as it is (it is
// the freshest news of a way not in use).

export interface Run {
  team: boolean;
  start: number;
  end: number;
}

/** Mini-batches timed the other way in a probe: enough to see a barrier stall, too few to cost much. */
const PROBE_BATCHES = 16;
const MIN_INTERVAL = 2;
const FIRST_PROBE = 4;
const MAX_INTERVAL = 64;
/** Runs of the way in use whose best figure stands for it. */
const WINDOW = 4;

export class ModeChooser {
  private cost = { team: NaN, alone: NaN }; // ms per example
  private recent: number[] = []; // the way in use's last runs, ms per example
  private useTeam = true;
  private interval = MIN_INTERVAL; // slices between probes, doubled while probes agree
  // The first probe waits a few slices: a team whose worker code is not yet
  // optimised by the JIT would look slow, and short probes never warm it up.
  private untilProbe = FIRST_PROBE;
  private examples = { team: 0, alone: 0 };

  private minRun = 1; // examples in a run long enough to judge a way by

  /** Splits examples [start, end) into a probe (sometimes) and the rest, each with its way. */
  plan(start: number, end: number, batchSize: number): Run[] {
    this.minRun = PROBE_BATCHES * batchSize;
    if (end - start < 2 * this.minRun || --this.untilProbe > 0) return [{ team: this.useTeam, start, end }];
    const split = start + this.minRun;
    return [{ team: !this.useTeam, start, end: split }, { team: this.useTeam, start: split, end }];
  }

  record(run: Run, ms: number): void {
    const n = run.end - run.start;
    const key = run.team ? "team" : "alone";
    const perExample = ms / n;
    this.examples[key] += n;
    if (n < this.minRun) return; // too short: start-up costs would swamp the figure
    if (run.team === this.useTeam) {
      this.recent = [...this.recent.slice(1 - WINDOW), perExample];
      this.cost[key] = Math.min(...this.recent);
      return;
    }
    // a probe: switch if the other way is now faster, else probe less often
    this.cost[key] = perExample;
    if (this.cost.team <= this.cost.alone !== this.useTeam && !Number.isNaN(this.cost[this.useTeam ? "team" : "alone"])) {
      this.useTeam = !this.useTeam;
      this.recent = [perExample];
      this.interval = MIN_INTERVAL;
    } else {
      this.interval = Math.min(MAX_INTERVAL, this.interval * 2);
    }
    this.untilProbe = this.interval;
  }

  get teamShare(): number {
    const total = this.examples.team + this.examples.alone;
    return total ? this.examples.team / total : 1;
  }
}
