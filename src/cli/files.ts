// Writes a file so that it is either complete or absent: write a temporary
// file beside it, then rename (atomic on one file system).
import fs from "node:fs";
import path from "node:path";
import { DataError } from "../errors.js";

/** What a failed file operation's code means, in words. */
export function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: "no such file or directory", EACCES: "permission denied", EPERM: "operation not permitted", EROFS: "read-only file system",
    ENOSPC: "no space left on device", EDQUOT: "disk quota exceeded", EISDIR: "it is a directory", ENOTDIR: "a part of the path is not a directory",
  };
  return (code !== undefined && words[code]) || (e as Error).message;
}

/** The file, complete, or (on any failure) the file as it was: the data goes to a temporary file beside it,
 *  is flushed to the disk, and only then takes the name. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    refuseReadOnly(file);
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot write ${file}: ${reason(e)}`);
  }
}

/** A file without write permission is not replaced, as cp would not replace it (even for root, who could). */
function refuseReadOnly(file: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat?.isFile() && (stat.mode & 0o222) === 0) throw new DataError(`cannot write ${file}: the file is read-only (remove it or choose another name)`);
}

/** DIR and its missing parents, as `mkdir -p`, or a one-line DataError naming the option `what`. Not mkdirSync's
 *  recursive form: where a file system refuses a name with ENOENT although its parent exists (/proc), Node's loop
 *  retries for ever. Another process making the same directory meanwhile (sweep shards) is no error. */
export function makeDirectory(dir: string, what: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !fs.existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  let made: fs.Stats;
  try {
    for (const d of missing.reverse()) {
      try {
        fs.mkdirSync(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    made = fs.statSync(dir); // a dangling symbolic link exists but is not made: ENOENT here
  } catch (e) {
    throw new DataError(`cannot create ${what} ${dir}: ${reason(e)}`);
  }
  if (!made.isDirectory()) throw new DataError(`cannot create ${what} ${dir}: a file of that name is in the way`);
}

/** Fails now, not after an hour of training, when `file` could not be written later. */
export function checkWritable(file: string): void {
  const dir = path.dirname(path.resolve(file));
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(`cannot write ${file}: ${code === "ENOENT" ? `no directory ${dir}` : `${reason(e)} (in ${dir})`}`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new DataError(`cannot write ${file}: it is a directory`);
  refuseReadOnly(file);
}

export function readTextFile(file: string): string {
  return new TextDecoder().decode(readBytes(file));
}

export function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : reason(e)}`);
  }
}
