// mnist-train report: untrusted JSON Lines in, one HTML file out, opened in a
// real headless Chromium (Debian's chromium, driven by playwright-core) with
// every network request blocked.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";

const BIN = path.resolve(import.meta.dirname, "../bin/mnist-train.js");
const TINY = ["--epochs", "3", "--train-size", "500", "--test-size", "200", "--validation-size", "1000", "--threads", "1"];
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where the browser test leaves its screenshot. */
const SHOTS = path.resolve(import.meta.dirname, "../test-output");

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-train-report-"));
const sweep = path.join(dir, "sweep");
const model = path.join(dir, "net.json");
const html = path.join(dir, "report.html");
const svgDir = path.join(dir, "svg");

beforeAll(() => {
  const s = cli(["sweep", "--grid", "eta=0.5,3", "--grid", "lambda=0,1", "--jobs", "2", "--out", sweep, "--", ...TINY, "--monitor", "training-cost,eval-cost"]);
  expect(s.code, s.stderr).toBe(0);
  const t = cli([...TINY, "--save", model, "--quiet"]);
  expect(t.code, t.stderr).toBe(0);
  const r = cli(["report", sweep, "-o", html, "--model", model, "--test-size", "500", "--gallery", "24", "--svg", svgDir]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe(`${html}: 4 runs, 5 charts, SVG files in ${svgDir}\n`);
}, 120_000);

describe("mnist-train report", () => {
  it("writes each chart as an SVG file too", () => {
    expect(fs.readdirSync(svgDir).sort()).toEqual(["best-accuracy-heatmap.svg", "confusion-matrix.svg", "curve-accuracy.svg", "curve-eval-cost.svg", "curve-training-cost.svg"]);
    for (const f of fs.readdirSync(svgDir)) expect(fs.readFileSync(path.join(svgDir, f), "utf8")).toMatch(/^<svg [^>]*>.*<path/s);
  });

  it("skips lines that are not our records with a warning naming file and line, and escapes every string", () => {
    const file = path.join(dir, "odd.jsonl");
    const evil = "<script>alert(1)</script>";
    fs.writeFileSync(file, [
      JSON.stringify({ type: "config", sizes: [784, 30, 10], eta: 1, eval: evil }),
      "not json",
      JSON.stringify({ type: "epoch", epoch: 1, correct: 50, total: 100, accuracy: 0.5 }),
      JSON.stringify({ type: "epoch", epoch: "two", accuracy: 0.6 }),
      JSON.stringify({ type: "nonsense" }),
      JSON.stringify({ type: "epoch", epoch: 2, accuracy: 0.6 }),
      JSON.stringify({ type: "config", sizes: [784, 30, 10], eta: evil }),
      JSON.stringify({ type: "epoch", epoch: 1, accuracy: 0.4 }),
      JSON.stringify({ type: "epoch", epoch: 2, accuracy: 7 }),
    ].join("\n") + "\n");
    const out = path.join(dir, "odd.html");
    const r = cli(["report", file, "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `mnist-train: warning: ${file}:2: not JSON, skipped`,
      `mnist-train: warning: ${file}:4: an epoch record without a whole epoch number and an accuracy from 0 to 1, skipped`,
      `mnist-train: warning: ${file}:5: not a mnist-train record, skipped`,
      `mnist-train: warning: ${file}:9: an epoch record without a whole epoch number and an accuracy from 0 to 1, skipped`,
    ]);
    const page = fs.readFileSync(out, "utf8");
    expect(page).not.toContain(evil);
    expect(page).toContain("&#60;script&#62;alert(1)&#60;/script&#62;"); // in the runs table
    expect(page.match(/<script/g)).toHaveLength(3); // vega, the specs, the drawing code: nothing from the file
  });

  it("a missing path, a file with no runs or an --svg that cannot be made is a one-line error, exit 1, and no report", () => {
    const out = path.join(dir, "none.html");
    const missing = cli(["report", path.join(dir, "nope"), "-o", out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`mnist-train: cannot read ${path.join(dir, "nope")}: no such file or directory\n`);
    const empty = path.join(dir, "empty.jsonl");
    fs.writeFileSync(empty, "\n");
    const r = cli(["report", empty, "-o", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mnist-train: no mnist-train runs in .*empty\.jsonl/);
    expect(fs.existsSync(out)).toBe(false);
    // an --svg directory that cannot be made (a file in the way; /proc, where Node's recursive mkdir never returns)
    const blocker = path.join(dir, "blocker");
    fs.writeFileSync(blocker, "");
    const svgTargets = [[blocker, "a file of that name is in the way"], ...(fs.existsSync("/proc/self") ? [["/proc/mnist-train-svg", "no such file or directory"]] : [])];
    for (const [target, why] of svgTargets) {
      const s = spawnSync(process.execPath, [BIN, "report", sweep, "-o", out, "--svg", target], { encoding: "utf8", timeout: 30_000 });
      expect(s.status).toBe(1);
      expect(s.stderr).toBe(`mnist-train: cannot create --svg ${target}: ${why}\n`);
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it("opens in headless Chromium with the network blocked: no console error, every chart drew its marks, the gallery shows digits", async (ctx) => {
    // CI (.ci/run installs it) must have Chromium; elsewhere its absence skips this test, visibly, rather than failing npm test
    if (!fs.existsSync(CHROMIUM) && !process.env.CI) ctx.skip();
    expect(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`).toBe(true);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
      const blocked: string[] = [];
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file:")) return route.continue();
        blocked.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(pathToFileURL(html).href);
      await page.waitForSelector("body[data-rendered]");
      expect(await page.getAttribute("body", "data-rendered")).toBe("yes");

      const marks = await page.$$eval(".chart", (charts) => charts.map((c) => ({
        id: c.id,
        lines: c.querySelectorAll("svg g.role-mark.mark-line > path").length,
        rects: c.querySelectorAll("svg g.role-mark.mark-rect > path").length,
        texts: c.querySelectorAll("svg g.role-mark.mark-text > text").length,
      })));
      expect(marks.map((m) => m.id)).toEqual(["chart-curve-accuracy", "chart-curve-training-cost", "chart-curve-eval-cost", "chart-best-accuracy-heatmap", "chart-confusion-matrix"]);
      for (const m of marks.slice(0, 3)) expect(m.lines, m.id).toBe(4); // one line per trial
      expect(marks[3]).toMatchObject({ rects: 4, texts: 4 }); // the 2x2 grid
      expect(marks[4]).toMatchObject({ rects: 100, texts: 100 }); // 10x10 digits

      const images = await page.$$eval(".gallery img", (imgs) => imgs.map((i) => ({ ok: (i as HTMLImageElement).complete, w: (i as HTMLImageElement).naturalWidth, h: (i as HTMLImageElement).naturalHeight })));
      expect(images.length).toBeGreaterThan(0);
      expect(images.length).toBeLessThanOrEqual(24);
      for (const im of images) expect(im).toEqual({ ok: true, w: 28, h: 28 });
      const captions = await page.$$eval(".gallery figcaption", (cs) => cs.map((c) => c.textContent ?? ""));
      for (const c of captions) {
        const m = /true (\d) → (\d)/.exec(c);
        expect(m, c).not.toBeNull();
        expect(m![1]).not.toBe(m![2]);
      }
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);

      fs.mkdirSync(SHOTS, { recursive: true });
      const shot = path.join(SHOTS, "report.png");
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.readFileSync(shot).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    } finally {
      await browser.close();
    }
  });
});
