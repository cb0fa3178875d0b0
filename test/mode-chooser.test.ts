// The threaded engine's choice among the team and each of its threads alone.
import { describe, expect, it } from "vitest";
import { ModeChooser, PROBE_RUN, TEAM, type Run, type Way } from "../src/network/mode-chooser.js";

/** Plans one slice of 250 mini-batches of 10 and times each run at its way's ms per example. */
function slice(chooser: ModeChooser, msPerExample: (way: Way) => number): Run[] {
  const runs = chooser.plan(0, 2500, 10);
  for (const run of runs) chooser.record(run, (run.end - run.timed) * msPerExample(run.way));
  return runs;
}

/** The team at `team` ms an example, each thread alone at `alone[t]`. */
const speeds = (team: number, ...alone: number[]) => (way: Way): number => (way === TEAM ? team : alone[way]);

/** Plans slices at `msPerExample` until `way` is in use: the index of the slice that took it there, or -1 within `limit`. */
function slicesUntil(chooser: ModeChooser, way: Way, limit: number, msPerExample: (way: Way) => number): number {
  for (let i = 0; i < limit; i++) {
    slice(chooser, msPerExample);
    if (chooser.way === way) return i;
  }
  return -1;
}

describe("ModeChooser", () => {
  it("starts with the team, probes each thread alone in turn from the fourth slice, then ever less often", () => {
    const chooser = new ModeChooser(2);
    const runs = Array.from({ length: 4 }, () => slice(chooser, speeds(1, 2, 2)));
    expect(runs.slice(0, 3)).toEqual(Array(3).fill([{ way: TEAM, start: 0, end: 2500, timed: 0 }]));
    // 8 mini-batches to warm up, 16 timed
    expect(runs[3]).toEqual([{ way: 0, start: 0, end: 240, timed: 80 }, { way: TEAM, start: 240, end: 2500, timed: 240 }]);
    const probes: [number, Way][] = [];
    for (let i = 1; i <= 200; i++) {
      const r = slice(chooser, speeds(1, 2, 2));
      if (r.length === 2) probes.push([i, r[0].way]);
    }
    // the gap stays 2 until each thread has had its first probe (cold code on its thread), then doubles: 2, 2, 4,
    // 8, 16, 32, 64, 64...; the ways probed alternate between the two threads
    expect(probes.slice(0, 6)).toEqual([[2, 1], [4, 0], [8, 1], [16, 0], [32, 1], [64, 0]]);
    expect(probes[6][0] - probes[5][0]).toBe(64);
    expect(probes[7][0] - probes[6][0]).toBe(64);
    expect(chooser.teamShare).toBeGreaterThan(0.99);
  });

  it("a run shorter than two probes is never split for a probe", () => {
    const chooser = new ModeChooser(2);
    for (let i = 0; i < 10; i++) {
      const runs = chooser.plan(0, 300, 10); // 30 mini-batches: less than two probes' worth
      expect(runs).toEqual([{ way: TEAM, start: 0, end: 300, timed: 0 }]);
      chooser.record(runs[0], 1e6);
    }
    expect(slice(chooser, speeds(1, 2, 2))).toEqual([{ way: TEAM, start: 0, end: 2500, timed: 0 }]);
  });

  it("takes a probe from a run of PROBE_RUN mini-batches, the shortest slice the SGD loop asks for (slow nets)", () => {
    const chooser = new ModeChooser(2);
    const runs = Array.from({ length: 4 }, () => {
      const r = chooser.plan(0, PROBE_RUN * 10, 10);
      for (const run of r) chooser.record(run, run.end - run.timed);
      return r;
    });
    expect(runs[3]).toEqual([{ way: 0, start: 0, end: 240, timed: 80 }, { way: TEAM, start: 240, end: 400, timed: 240 }]);
  });

  it("keeps the team through single slow slices (the first after each evaluation, say)", () => {
    // an epoch of mb 10 is 20 slices; the team's first slice of each takes 6, the rest 1; each thread alone 2
    const chooser = new ModeChooser(2);
    const ways: Way[] = [];
    for (let i = 0; i < 400; i++) ways.push(slice(chooser, (way) => (way === TEAM ? (i % 20 === 0 ? 6 : 1) : 2)).at(-1)!.way);
    expect(chooser.teamShare).toBeGreaterThan(0.85);
    // a slice after a slow one may go to a thread alone on trial, and back: never more than three in a row
    let longest = 0;
    ways.reduce((alone, way) => {
      const n = way === TEAM ? 0 : alone + 1;
      longest = Math.max(longest, n);
      return n;
    }, 0);
    expect(longest).toBeLessThanOrEqual(3);
  });

  it("leaves a thread alone within a few slices once it runs much slower than usual (moved to the slow core)", () => {
    const chooser = new ModeChooser(2);
    for (let i = 0; i < 300; i++) slice(chooser, speeds(1, 0.5, 0.6));
    expect(chooser.way).toBe(0);
    // its earlier runs, all fast, must not hide the change
    const switched = slicesUntil(chooser, 1, 20, speeds(1, 0.8, 0.6));
    expect(switched).toBeGreaterThanOrEqual(0);
    expect(switched).toBeLessThanOrEqual(3);
  });

  it("rates the way in use by its usual slices, not its best one: a team fast in one slice of four is left", () => {
    // the team takes 3 in most whole slices and 1.5 in every fourth (a quiet moment), each thread alone 2: the best
    // of the last four slices, 1.5, would keep the team for good at 3 where a thread alone takes 2
    const chooser = new ModeChooser(2);
    for (let i = 0; i < 40; i++) slice(chooser, (way) => (way === TEAM ? (i % 4 === 0 ? 1.5 : 3) : 2));
    expect(chooser.way).not.toBe(TEAM);
    expect(chooser.teamShare).toBeLessThan(0.5);
  });

  it("a probe far slower than its way's last one (a glitch) does not lengthen the gap to the next probe", () => {
    // the team in use; each thread alone slower, probed in turn at gaps 2, 2, 4, 8...; the 4th probe reads 10x
    const gaps = (glitchAt: number): number[] => {
      const chooser = new ModeChooser(2);
      const at: number[] = [];
      for (let i = 0; i < 80; i++) {
        const glitch = at.length === glitchAt;
        const runs = slice(chooser, (way) => (way === TEAM ? 1 : glitch ? 20 : 2));
        if (runs.length === 2) at.push(i);
      }
      return at.slice(1).map((a, k) => a - at[k]);
    };
    expect(gaps(-1).slice(0, 5)).toEqual([2, 2, 4, 8, 16]);
    expect(gaps(3).slice(0, 5)).toEqual([2, 2, 4, 4, 8]);
  });

  it("probes again soon when the way in use slows down, instead of waiting out the longest gap", () => {
    const chooser = new ModeChooser(2);
    // the calling thread alone is the fastest for long enough that probes are 64 slices apart
    for (let i = 0; i < 300; i++) slice(chooser, speeds(1, 0.5, 2));
    expect(chooser.way).toBe(0);
    // then its core becomes the slow one and the worker's the fast one
    const switched = slicesUntil(chooser, 1, 64, speeds(1, 1.5, 0.6));
    expect(switched).toBeGreaterThanOrEqual(0);
    expect(switched).toBeLessThan(16);
  });

  it("switches to the faster thread alone when the team slows down, and back when it recovers", () => {
    const chooser = new ModeChooser(2);
    for (let i = 0; i < 10; i++) slice(chooser, speeds(1, 2, 2));
    // the calling thread sits on the slower core: the worker alone is the fastest way
    const busy = Array.from({ length: 40 }, () => slice(chooser, speeds(20, 3, 2)));
    expect(chooser.way).toBe(1);
    expect(busy.at(-1)?.at(-1)?.way).toBe(1);
    // probes take the other ways in turn: the team's comes within two of the longest gaps (64 slices)
    Array.from({ length: 2 * 64 + 2 }, () => slice(chooser, speeds(1, 3, 2)));
    expect(chooser.way).toBe(TEAM);
  });

  it("times a probe and a trial after their warm-up (the weights moving to another core's caches)", () => {
    const chooser = new ModeChooser(2);
    for (let i = 0; i < 12; i++) {
      for (const run of chooser.plan(0, 2500, 10)) {
        expect(run.timed - run.start).toBe(run.way === chooser.way ? 0 : 80);
        chooser.record(run, (run.end - run.timed) * (run.way === 1 ? 2 : 5));
      }
    }
    expect(chooser.way).toBe(1);
  });

  it("takes a way whose probe wins only once a whole slice of it on trial wins too", () => {
    // the team fast in probes (16 timed mini-batches) and slow over whole slices, each thread alone at 2; each run
    // recorded once the next slice is planned, as the engine does (it trains a run when the next one is known)
    const chooser = new ModeChooser(2);
    const kinds: string[] = []; // each slice: "use", "probe" or "trial"
    let pending: Run | undefined;
    for (let i = 0; i < 300; i++) {
      const runs = chooser.plan(0, 2500, 10);
      kinds.push(runs.length === 2 ? "probe" : runs[0].way === chooser.way ? "use" : "trial");
      for (const run of runs) {
        if (pending) chooser.record(pending, (pending.end - pending.timed) * (pending.way === TEAM ? (pending.end === 240 ? 1 : 3) : 2));
        pending = run;
      }
    }
    expect(chooser.way).not.toBe(TEAM);
    expect(kinds.filter((k) => k === "trial").length).toBeGreaterThan(1);
    // one trial per winning probe: a trial follows a probe, never another trial
    kinds.forEach((k, i) => k === "trial" && expect(kinds[i - 1]).toBe("probe"));
    // the team, slower on trial, keeps its share small: the first slices, its probes and its trials
    expect(chooser.teamShare).toBeLessThan(0.1);
    // a trial that wins takes over at once
    const other = new ModeChooser(2);
    for (let i = 0; i < 6; i++) slice(other, speeds(2, 1, 3));
    expect(other.way).toBe(0);
  });

  it("with a fixed way, never probes another", () => {
    const chooser = new ModeChooser(3, 2);
    for (let i = 0; i < 50; i++) expect(slice(chooser, speeds(1, 1, 1, 5))).toEqual([{ way: 2, start: 0, end: 2500, timed: 0 }]);
  });
});
