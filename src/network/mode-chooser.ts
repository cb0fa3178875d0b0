// Decides, run of mini-batches by run, which way trains fastest right now:
// the team, or one of its threads alone. Every way gives identical numbers,
// so this is only about speed: now and then a few mini-batches are timed
// another way, and a way whose probe beats the way in use trains a whole
// slice on trial before it is taken (the team's short probes ran faster than
// its whole slices: a stall of either core stops both threads, and a longer
// run meets more of them). The way in use counts as fast as the middle of
// its last few runs: single slow runs of the team, a few times slower than
// the rest (the first after an evaluation, say), made a moving average pick
// the slower way, and its best run made the team look faster than it mostly
// was (README, Threads). A probe's figure stands for its way as it is (it is
// the freshest news of a way not in use). Each thread alone is a way of its
// own because the cores need not be equally fast: on this project's VMs one
// vCPU often trains 1.5x slower than the other for minutes, and the calling
// thread may be the one on it (README, Threads).

/** The team, or thread t (0 = the calling thread) alone. */
export type Way = typeof TEAM | number;
export const TEAM = -1;

export interface Run {
  way: Way;
  start: number;
  end: number;
  /** The run's time is measured from this example on (a probe's warm-up before it). */
  timed: number;
}

/** Mini-batches timed another way in a probe: enough to see a barrier stall, too few to cost much. */
const PROBE_BATCHES = 16;
/** Mini-batches a probe trains before it is timed. A way that moves the work to another core first pulls the
 *  weights into that core's caches (784-30-10's first layer alone: 188 KB at about 0.25 µs a line, longer than
 *  16 mini-batches of 10 take): untimed, 16-batch probes of a thread alone measured 1.5-3x its speed. */
const PROBE_WARMUP = 8;
/** Mini-batches in the shortest run a probe is taken from: its warm-up, its timed part and as many again the way in use. */
export const PROBE_RUN = PROBE_WARMUP + 2 * PROBE_BATCHES;
const MIN_INTERVAL = 2;
const FIRST_PROBE = 4;
const MAX_INTERVAL = 64;
/** Runs of the way in use whose middle figure stands for it. */
const WINDOW = 4;
/** A probe this much slower than its way's last one does not lengthen the gap between probes. */
const GLITCH = 2;
/** A run of the way in use this much slower than usual stands for it alone and brings the next probe forward. */
const SLOWDOWN = 1.25;

export class ModeChooser {
  private readonly ways: Way[];
  private readonly cost = new Map<Way, number>(); // ms per example
  private readonly probed = new Set<Way>();
  private recent: number[] = []; // the way in use's last runs, ms per example
  private use: Way = TEAM;
  private next = 0; // the index in `ways` of the next probe's way (never the one in use)
  private interval = MIN_INTERVAL; // slices between probes, doubled while probes find nothing faster
  // The first probe waits a few slices: a team whose worker code is not yet
  // optimised by the JIT would look slow, and short probes never warm it up
  // (src/cli/jit.ts).
  private untilProbe = FIRST_PROBE;
  private trial?: Way; // a way whose probe beat the way in use, to train the next slice whole before it is taken
  private onTrial?: Way; // the way of a trial planned and not yet recorded (the engine plans a slice ahead)
  private examples = { team: 0, all: 0 };

  private minRun = 1; // examples in a run long enough to judge a way by

  /** Chooses among the team of `threads` and each of its threads alone; `fixed`: always that way (tests, benchmarks). */
  constructor(threads: number, private readonly fixed?: Way) {
    this.ways = [TEAM, ...Array.from({ length: threads }, (_, t) => t)];
  }

  /** Splits examples [start, end) into a probe (sometimes) and the rest, each with its way. */
  plan(start: number, end: number, batchSize: number): Run[] {
    if (this.fixed !== undefined) return [{ way: this.fixed, start, end, timed: start }];
    this.minRun = PROBE_BATCHES * batchSize;
    const warm = start + PROBE_WARMUP * batchSize;
    if (end - start < PROBE_RUN * batchSize) return [{ way: this.use, start, end, timed: start }];
    if (this.trial !== undefined) {
      this.onTrial = this.trial;
      this.trial = undefined;
      return [{ way: this.onTrial, start, end, timed: warm }];
    }
    if (--this.untilProbe > 0) return [{ way: this.use, start, end, timed: start }];
    const split = warm + this.minRun;
    if (this.ways[this.next] === this.use) this.next = (this.next + 1) % this.ways.length;
    const probe = this.ways[this.next];
    this.next = (this.next + 1) % this.ways.length;
    return [{ way: probe, start, end: split, timed: warm }, { way: this.use, start: split, end, timed: split }];
  }

  /** `ms`: the time of the run's timed part. */
  record(run: Run, ms: number): void {
    const n = run.end - run.timed;
    const perExample = ms / n;
    this.examples.all += run.end - run.start;
    if (run.way === TEAM) this.examples.team += run.end - run.start;
    if (n < this.minRun || this.fixed !== undefined) return; // too short: start-up costs would swamp the figure
    if (run.way === this.use) {
      const usual = this.cost.get(run.way) ?? perExample;
      // much slower than usual: perhaps its core has become the slow one (or the scheduler moved the thread
      // there), which its earlier runs would hide and waiting out the longest gap between probes would pay for
      // over epochs; the run stands for the way until it runs fast again, and the next probe comes soon (a way
      // that wins it must still win a whole slice on trial)
      const slow = perExample > SLOWDOWN * usual;
      this.recent = slow ? [perExample] : [...this.recent.slice(1 - WINDOW), perExample];
      this.cost.set(run.way, lowerMedian(this.recent));
      if (slow) {
        this.interval = MIN_INTERVAL;
        this.untilProbe = Math.min(this.untilProbe, MIN_INTERVAL);
      }
      return;
    }
    // a probe, or a trial: a probe that is faster than the way in use sends its way on trial, and a trial that is
    // faster takes over; else probe less often, but not after a way's first probe, which runs code its thread has
    // not run before (a worker's first probe alone measured 6-8x its later ones), nor after one far slower than the
    // way's last (a team's probe after a long run of a thread alone read 30-36 µs an example where the ones around
    // it read 3-4): one such reading would keep a way out for up to MAX_INTERVAL slices
    const onTrial = this.onTrial === run.way;
    this.onTrial = undefined;
    const first = !this.probed.has(run.way);
    const glitch = perExample > GLITCH * (this.cost.get(run.way) ?? Infinity);
    this.probed.add(run.way);
    this.cost.set(run.way, perExample);
    if (perExample < (this.cost.get(this.use) ?? NaN)) {
      if (!onTrial) {
        this.trial = run.way;
        return;
      }
      this.use = run.way;
      this.recent = [perExample];
      this.interval = MIN_INTERVAL;
    } else if (!first && !glitch) {
      this.interval = Math.min(MAX_INTERVAL, this.interval * 2);
    }
    this.untilProbe = this.interval;
  }

  /** The way in use. */
  get way(): Way {
    return this.use;
  }

  get teamShare(): number {
    return this.examples.all ? this.examples.team / this.examples.all : 1;
  }
}

/** The middle of `xs`, the lower of the two middle ones for an even count: one or two slow runs in four leave it. */
function lowerMedian(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1];
}
