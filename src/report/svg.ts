// Each chart as a standalone SVG file, drawn by vega in Node (no browser).
import * as vega from "vega";
import { compile } from "vega-lite";
import type { Chart } from "./charts.js";

export async function chartSvg(chart: Chart): Promise<string> {
  const view = new vega.View(vega.parse(compile(chart.spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
