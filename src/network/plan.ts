// Where a team of threads must meet. A plan is the list of steps of one
// mini-batch; thread t does its own block of each step. Before a step the
// threads must wait for each other (a barrier) when, since the last barrier,
//   - it reads all of a buffer some step wrote (a product reads a whole layer), or
//   - it writes a buffer some step read all of (the weights a backward product read), or
//   - it touches its own block of a buffer that a step split another way touched.
// Two steps split the same way over the same extent give every thread the same
// block, so one may follow the other without a barrier. The plan repeats
// batch after batch, so the analysis runs over two rounds and keeps the
// second's: the first step of a batch waits for the last steps of the one before.
// A thread's own copies of buffers (workspace.ts) never need a barrier: no
// other thread touches them. A step that writes only such copies is run
// whole by every thread, and then reads all of whatever else it reads.
import type { Access, Step } from "../layers/layer.js";

export interface Planned {
  step: Step;
  barrier: boolean;
  /** Every thread runs the step whole, on its own copies. */
  whole: boolean;
}

type Buffer = Access["buffer"];

interface Touch {
  write: boolean;
  all: boolean;
  block: string;
}

const blockOf = (s: Step): string => (s.split === "examples" ? "examples" : `units:${s.units}`);

function conflicts(earlier: Touch, now: Touch): boolean {
  if (!earlier.write && !now.write) return false;
  return earlier.all || now.all || earlier.block !== now.block;
}

/** The plan of `steps` for a team whose thread has its own copies `own` (none: every step split). */
export function placeBarriers(steps: readonly Step[], own: ReadonlySet<Buffer> = new Set()): Planned[] {
  const whole = steps.map((s) => s.writes.length > 0 && s.writes.every((a) => own.has(a.buffer)));
  let since = new Map<Buffer, Touch[]>();
  const barriers: boolean[] = [];
  for (let round = 0; round < 2; round++) {
    steps.forEach((step, i) => {
      const block = blockOf(step);
      const touch = (a: Access, write: boolean): [Buffer, Touch] => [a.buffer, { write, all: a.all || whole[i], block }];
      const touches = [...step.reads.map((a) => touch(a, false)), ...step.writes.map((a) => touch(a, true))]
        .filter(([buffer]) => !own.has(buffer));
      const barrier = touches.some(([buffer, t]) => (since.get(buffer) ?? []).some((e) => conflicts(e, t)));
      if (barrier) since = new Map();
      for (const [buffer, t] of touches) since.set(buffer, [...(since.get(buffer) ?? []), t]);
      barriers[i] = barrier;
    });
  }
  return steps.map((step, i) => ({ step, barrier: barriers[i], whole: whole[i] }));
}

/** The units or examples a step covers for a batch of m. */
export function extent(step: Step, m: number): number {
  return step.split === "units" ? step.units : m;
}
