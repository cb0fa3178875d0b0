// The report command's flags. Its work (report-run.ts) is loaded only when it
// runs, so that the charting libraries cost nothing to every other command.
import type { Command } from "commander";
import type { ReportOptions } from "./report-run.js";

export function addReportCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("report")
    .description("one self-contained HTML file: learning curves, the sweep table, a heat map of a two-option grid, " +
      "and with --model the confusion matrix and the misclassified digits")
    .argument("<paths...>", "sweep directories (mnist-train sweep --out) or JSON Lines files (mnist-train --json)")
    .option("-o, --output <file>", "the HTML file to write", "report.html")
    .option("--model <file>", "also score this saved network (--save) on the test set: confusion matrix and misclassified digits")
    .option("--svg <dir>", "also write each chart as an SVG file in DIR")
    .option("--data-dir <dir>", "with --model, read the IDX files from DIR (default: the bundled MNIST)")
    .option("--test-size <n>", "with --model, score the first N test images (default: all)")
    .option("--gallery <n>", "with --model, misclassified digits to show (default: 60)")
    .action(async (paths: string[], opts: ReportOptions) => setExit(await (await import("./report-run.js")).reportCommand(paths, opts)));
}

