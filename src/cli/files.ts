// Writes a file so that it is either complete or absent: write a temporary
// file beside it, then rename (atomic on one file system).
import fs from "node:fs";
import path from "node:path";
import { DataError } from "../errors.js";

export function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new DataError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Fails now, not after an hour of training, when `file` could not be written later. */
export function checkWritable(file: string): void {
  const dir = path.dirname(path.resolve(file));
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(`cannot write ${file}: ${code === "ENOENT" ? `no directory ${dir}` : code ?? (e as Error).message}`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new DataError(`cannot write ${file}: it is a directory`);
}

export function readTextFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code ?? (e as Error).message}`);
  }
}
