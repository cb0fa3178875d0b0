// The fuzz suite (issue 13): seeded, so a failure can be replayed with its
// seed (FUZZ_SEED=n); formats and mutators are in test/fuzz/formats.ts, the
// rules every case must keep in test/fuzz/harness.ts. FUZZ_REPORT=file.jsonl
// writes every case's outcome (exit, stderr, time, peak RSS) for inspection.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FORMATS } from "./fuzz/formats.js";
import { makeCases, runCases, runSolo, type FuzzCase, type Limits, type Outcome } from "./fuzz/harness.js";

const SEED = Number(process.env.FUZZ_SEED ?? 13);
const CASES_PER_FORMAT = 160;
const LIMITS: Limits = { caseMs: 15000, peakMb: 200, heapMb: 128, casesPerBatch: 20, concurrency: 2 };

const root = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-fuzz-"));
// 640 folders on a shared, busy disk: removing them has taken over 10 s
afterAll(() => fs.rmSync(root, { recursive: true, force: true }), 120_000);

const show = (o: Outcome): string =>
  `case ${o.case.id} (${o.case.format}, ${o.case.mutator}, seed ${SEED}): ${o.problems.join("; ")}; exit ${o.code}; stderr ${JSON.stringify(o.stderr.slice(0, 300))}`;

describe("fuzz: damaged and hostile input files", () => {
  const cases = makeCases(FORMATS, CASES_PER_FORMAT, SEED, root);
  let outcomes: Outcome[] = [];

  it(`${CASES_PER_FORMAT} cases per format end with exit 0, 1 or 2, one line on stderr, in time and memory`, async () => {
    outcomes = await runCases(cases, LIMITS, root);
    if (process.env.FUZZ_REPORT) fs.writeFileSync(process.env.FUZZ_REPORT, outcomes.map((o) => JSON.stringify(o)).join("\n"));
    expect(outcomes.length).toBe(cases.length);
    expect(outcomes.filter((o) => o.problems.length > 0).map(show)).toEqual([]);
    // the mutators must reach the checks, not just the first one: several distinct messages per format
    for (const format of FORMATS) {
      const messages = new Set(outcomes.filter((o) => o.case.format === format.name && o.code === 1).map((o) => o.stderr.replace(/\/\S+/g, "")));
      expect(messages.size).toBeGreaterThan(10);
    }
  }, 600_000);

  it("one case per mutator, run as its own process of bin/mnist-train.js, ends as it did in its batch", async () => {
    const firsts = new Map<string, FuzzCase>();
    for (const c of cases) if (!firsts.has(`${c.format}/${c.mutator}`)) firsts.set(`${c.format}/${c.mutator}`, c);
    const solo = await runSolo([...firsts.values()], LIMITS);
    expect(solo.filter((o) => o.problems.length > 0).map(show)).toEqual([]);
    const batched = new Map(outcomes.map((o) => [o.case.id, o]));
    if (batched.size === 0) return; // the batch test did not run (filtered with -t)
    expect(solo.map((o) => [o.case.id, o.code, o.stderr])).toEqual(solo.map((o) => [o.case.id, batched.get(o.case.id)?.code, batched.get(o.case.id)?.stderr]));
  }, 600_000);
});
