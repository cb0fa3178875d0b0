// Positioned reads that do not stop at a short read: the readers of
// untrusted files (IDX, models) read exactly the bytes they have checked.
import * as fs from "node:fs";

/** Fills buf from file position pos, looping over short reads; returns the bytes read (fewer only at end of file). */
export function readAt(fd: number, buf: Uint8Array, pos: number): number {
  let done = 0;
  while (done < buf.length) {
    const got = fs.readSync(fd, buf, done, buf.length - done, pos + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}
