// A PNG of a report as headless Chromium draws it, for the README:
//   node scripts/screenshot-report.mjs report.html docs/report.png [width]
// Uses Debian's chromium (CHROMIUM_PATH to use another) with every network request refused.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [html, png, width = "1100"] = process.argv.slice(2);
if (!html || !png) {
  console.error("usage: node scripts/screenshot-report.mjs REPORT.html OUT.png [WIDTH]");
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const context = await browser.newContext({ viewport: { width: Number(width), height: 800 } });
  await context.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
  const page = await context.newPage();
  await page.goto(pathToFileURL(path.resolve(html)).href);
  await page.waitForSelector("body[data-rendered]");
  await page.screenshot({ path: png, fullPage: true });
} finally {
  await browser.close();
}
