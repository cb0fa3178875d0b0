// One self-contained HTML file: the charts (Vega-Lite compiled to Vega here,
// drawn in the page by the vega library inlined below them), the sweep table
// and the digit gallery. No request leaves the page: the content security
// policy allows only inline scripts and styles and data: images. Every
// string from a file is escaped.
import { compile } from "vega-lite";
import type { Chart } from "./charts.js";
import { digitPng } from "./png.js";

export interface ModelScore {
  model: string;
  sizes: number[];
  correct: number;
  total: number;
  confusion: number[][];
  rows: number;
  cols: number;
  /** The first misclassified test images, in test-set order. */
  misclassified: { index: number; label: number; predicted: number; pixels: Uint8Array }[];
}

export interface ReportPage {
  sources: string[];
  runs: number;
  curves: Chart[];
  table?: { head: string[]; body: string[][] };
  heatmap?: Chart;
  model?: { score: ModelScore; chart: Chart };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that can sit inside a <script> element: no "<" (so no "</script>"), no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export function renderHtml(page: ReportPage, vegaSource: string): string {
  const charts = [...page.curves, ...(page.heatmap ? [page.heatmap] : []), ...(page.model ? [page.model.chart] : [])];
  const specs = charts.map((c) => ({ id: `chart-${c.name}`, spec: compile(c.spec).spec }));
  const div = (c: Chart): string => `<div class="chart" id="chart-${escapeHtml(c.name)}"></div>`;
  const sections: string[] = [];
  if (page.curves.length) sections.push(`<h2>Learning curves</h2>\n<div class="charts">${page.curves.map(div).join("\n")}</div>`);
  if (page.table) {
    const { head, body } = page.table;
    sections.push(`<h2>Runs, ranked by best accuracy</h2>\n<table>\n<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>\n<tbody>\n` +
      body.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n") + "\n</tbody>\n</table>");
  }
  if (page.heatmap) sections.push(`<h2>Best accuracy over the grid</h2>\n${div(page.heatmap)}`);
  if (page.model) {
    const { score, chart } = page.model;
    const gallery = score.misclassified.map((d) =>
      `<figure><img src="${digitPng(d.pixels, score.rows, score.cols)}" width="56" height="56" alt="test image ${d.index}: a ${d.label} read as ${d.predicted}">` +
      `<figcaption>#${d.index}<br>true ${d.label} → <b>${d.predicted}</b></figcaption></figure>`).join("\n");
    sections.push(`<h2>Model ${escapeHtml(score.model)}</h2>\n<p>Network ${escapeHtml(score.sizes.join("-"))}: ` +
      `${score.correct} / ${score.total} test images right (${(100 * score.correct / score.total).toFixed(2)}%).</p>\n${div(chart)}\n` +
      `<h3>Misclassified test digits (the first ${score.misclassified.length})</h3>\n<div class="gallery">${gallery}</div>`);
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>mnist-train report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
table { border-collapse: collapse; } th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td { font-variant-numeric: tabular-nums; }
.gallery { display: flex; flex-wrap: wrap; gap: 6px; }
.gallery figure { margin: 0; text-align: center; font-size: 11px; width: 64px; }
.gallery img { image-rendering: pixelated; border: 1px solid #ccc; }
.sources { color: #666; font-size: 12px; }
</style>
</head>
<body>
<h1>mnist-train report</h1>
<p class="sources">${page.runs} run${page.runs === 1 ? "" : "s"} from ${page.sources.map(escapeHtml).join(", ")}</p>
${sections.join("\n")}
<script>${vegaSource.replace(/<\/script/gi, "<\\/script")}</script>
<script type="application/json" id="specs">${scriptJson(specs)}</script>
<script>
// draw every chart as SVG; data-rendered on <body> says when all are drawn
const specs = JSON.parse(document.getElementById("specs").textContent);
Promise.all(specs.map((c) => new vega.View(vega.parse(c.spec), { renderer: "svg", container: "#" + c.id, hover: true }).runAsync()))
  .then(() => { document.body.dataset.rendered = "yes"; })
  .catch((e) => { console.error(e); document.body.dataset.rendered = "error"; });
</script>
</body>
</html>
`;
}
