// The threaded engine's choice between the team and the calling thread alone.
import { describe, expect, it } from "vitest";
import { ModeChooser, type Run } from "../src/network/mode-chooser.js";

/** Plans one slice of 250 mini-batches of 10 and times each run at the given ms per example. */
function slice(chooser: ModeChooser, msPerExample: { team: number; alone: number }): Run[] {
  const runs = chooser.plan(0, 2500, 10);
  for (const run of runs) chooser.record(run, (run.end - run.start) * (run.team ? msPerExample.team : msPerExample.alone));
  return runs;
}

describe("ModeChooser", () => {
  it("starts with the team, probes the calling thread alone on the fourth slice, then ever less often", () => {
    const chooser = new ModeChooser();
    const runs = Array.from({ length: 4 }, () => slice(chooser, { team: 1, alone: 2 }));
    expect(runs.slice(0, 3)).toEqual(Array(3).fill([{ team: true, start: 0, end: 2500 }]));
    expect(runs[3]).toEqual([{ team: false, start: 0, end: 160 }, { team: true, start: 160, end: 2500 }]);
    const probes: number[] = [];
    for (let i = 1; i <= 200; i++) if (slice(chooser, { team: 1, alone: 2 }).length === 2) probes.push(i);
    expect(probes.slice(0, 5)).toEqual([4, 12, 28, 60, 124]); // the gap doubles: 4, 8, 16, 32, 64, 64...
    expect(probes[5] - probes[4]).toBe(64);
    expect(chooser.teamShare).toBeGreaterThan(0.99);
  });

  it("a run shorter than two probes is never split for a probe", () => {
    const chooser = new ModeChooser();
    for (let i = 0; i < 10; i++) {
      const runs = chooser.plan(0, 300, 10); // 30 mini-batches: less than two probes' worth
      expect(runs).toEqual([{ team: true, start: 0, end: 300 }]);
      chooser.record(runs[0], 1e6);
    }
    expect(slice(chooser, { team: 1, alone: 2 })).toEqual([{ team: true, start: 0, end: 2500 }]);
  });

  it("stays with the team through single slow slices (after an evaluation, say) that a moving average would follow", () => {
    const chooser = new ModeChooser();
    for (let i = 0; i < 300; i++) slice(chooser, { team: i % 3 === 0 ? 6 : 1, alone: 2 });
    expect(chooser.teamShare).toBeGreaterThan(0.97);
  });

  it("switches to the calling thread when the team slows down, and back when it recovers", () => {
    const chooser = new ModeChooser();
    for (let i = 0; i < 10; i++) slice(chooser, { team: 1, alone: 2 });
    const busy = Array.from({ length: 40 }, () => slice(chooser, { team: 20, alone: 2 }));
    expect(busy.at(-1)).toEqual([{ team: false, start: 0, end: 2500 }]);
    const quiet = Array.from({ length: 80 }, () => slice(chooser, { team: 1, alone: 2 }));
    expect(quiet.at(-1)?.every((r) => r.team || r.end === 160)).toBe(true);
    expect(quiet.at(-1)?.some((r) => r.team && r.end === 2500)).toBe(true);
  });
});
