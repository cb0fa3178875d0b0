// The report command's work: JSON Lines of runs (sweep directories or files)
// in, one self-contained HTML file out, optionally each chart as SVG too.
// Loaded only when the command runs (report.ts): vega and its kin take a
// second and 20 MB that no training run should pay.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { DataError } from "../errors.js";
import { bestHeatmap, confusionHeatmap, learningCurves, type Chart } from "../report/charts.js";
import { renderHtml, type ReportPage } from "../report/html.js";
import { labelRuns } from "../report/labels.js";
import { rank } from "../report/ranking.js";
import { readRuns, type Run } from "../report/records.js";
import { chartSvg } from "../report/svg.js";
import { tableCells } from "../report/table.js";
import { readPlan } from "../sweep/store.js";
import { checkWritable, makeDirectory, readTextFile, writeFileAtomic } from "./files.js";
import { positiveInt } from "./options.js";
import { writeLine } from "./output.js";
import { scoreModel } from "./report-model.js";
import { warn } from "./version.js";

export interface ReportOptions {
  output: string;
  model?: string;
  svg?: string;
  dataDir?: string;
  testSize?: string;
  gallery?: string;
}

export async function reportCommand(paths: string[], opts: ReportOptions): Promise<number> {
  const gallery = positiveInt("--gallery", opts.gallery ?? "60");
  const testSize = opts.testSize === undefined ? undefined : positiveInt("--test-size", opts.testSize);
  checkWritable(opts.output);
  if (opts.svg) makeDirectory(opts.svg, "--svg");
  const runs: Run[] = [];
  for (const p of paths) runs.push(...(await runsIn(p)));
  const withData = runs.filter((r) => r.epochs.length > 0 || r.summary);
  if (withData.length === 0 && !opts.model) throw new DataError(`no mnist-train runs in ${paths.join(", ")}: expected sweep directories or JSON Lines from --json`);

  const labels = labelRuns(withData);
  const curves = learningCurves(
    labels.runs.map((r) => ({ run: r.label, group: r.group, evalSet: typeof r.run.config.eval === "string" ? r.run.config.eval : "evaluation", epochs: r.run.epochs })),
    labels.legendTitle, labels.groupOrder,
  );
  const rows = rank(labels.runs);
  const grid = labels.axisNames.filter((a) => a !== "seed");
  const page: ReportPage = {
    sources: paths,
    runs: withData.length,
    curves,
    table: rows.length ? tableCells(rows) : undefined,
    heatmap: grid.length === 2 ? bestHeatmap(rows, grid[0], grid[1], labels.orders[grid[0]], labels.orders[grid[1]]) : undefined,
  };
  if (opts.model) {
    const score = await scoreModel(opts.model, { dataDir: opts.dataDir, testSize, gallery });
    page.model = { score, chart: confusionHeatmap(score.confusion) };
  }
  writeFileAtomic(opts.output, renderHtml(page, vegaSource()));
  const charts: Chart[] = [...page.curves, ...(page.heatmap ? [page.heatmap] : []), ...(page.model ? [page.model.chart] : [])];
  if (opts.svg) {
    for (const c of charts) writeFileAtomic(path.join(opts.svg, `${c.name}.svg`), await chartSvg(c));
  }
  writeLine(`${opts.output}: ${withData.length} run${withData.length === 1 ? "" : "s"}, ${charts.length} chart${charts.length === 1 ? "" : "s"}` +
    (opts.svg ? `, SVG files in ${opts.svg}` : ""));
  return 0;
}

/** The runs of a JSON Lines file, or of every trial file in a sweep directory (named by the sweep's plan). */
async function runsIn(p: string): Promise<Run[]> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read ${p}: ${code === "ENOENT" ? "no such file or directory" : code ?? (e as Error).message}`);
  }
  if (!stat.isDirectory()) return readRuns(p, warn);
  const plan = readPlan(p);
  const files = fs.readdirSync(p).filter((n) => n.endsWith(".jsonl") && !n.startsWith("."));
  const order = new Map(plan?.trials.map((t, i) => [t.id, i]) ?? []);
  const id = (n: string): string => n.slice(0, -".jsonl".length);
  files.sort((a, b) => (order.get(id(a)) ?? Infinity) - (order.get(id(b)) ?? Infinity) || a.localeCompare(b));
  const runs: Run[] = [];
  for (const f of files) {
    const trial = plan?.trials.find((t) => t.id === id(f));
    for (const run of await readRuns(path.join(p, f), warn)) {
      // a file from a --list runner has no trial record: the plan names its values
      if (!run.axes && trial) Object.assign(run, { trialId: trial.id, axes: trial.axes });
      runs.push(run);
    }
  }
  return runs;
}

/** The vega library, inlined into the page so that it draws with no network. */
function vegaSource(): string {
  const main = createRequire(import.meta.url).resolve("vega");
  return readTextFile(path.join(path.dirname(main), "vega.min.js"));
}
