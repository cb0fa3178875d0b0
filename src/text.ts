// Text that came from a file reaches the terminal only through printable():
// a hostile or damaged file must not be able to move the cursor, change
// colours, ring the bell, break a one-line error into several or fill the
// screen.

// Controls (C0, DEL, C1), format characters (direction overrides, zero-width
// characters, the byte-order mark), lone surrogates, and the Unicode line and
// paragraph separators: all can hide, reorder or split what is shown.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** One line of at most `max` characters: controls escaped as \n, \x1b or \u2028, the rest cut with "...". */
export function printable(text: string, max = 80): string {
  // cut first so that a huge string costs no more than a short one
  const head = text.length > 4 * max ? text.slice(0, 4 * max) : text;
  const escaped = head.replace(UNPRINTABLE, (c) => escape(c));
  const chars = Array.from(escaped); // code points: never split a surrogate pair
  if (chars.length <= max && head.length === text.length) return escaped;
  return `${chars.slice(0, Math.max(0, max - 3)).join("")}...`;
}

function escape(c: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  const code = c.codePointAt(0) as number;
  return named[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/** A value from a parsed file as a short printable excerpt of its JSON (which may be too deep to write at all). */
export function excerpt(value: unknown, max = 60): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return Array.isArray(value) ? "a list nested too deeply to show" : "a value nested too deeply to show";
  }
  return printable(json ?? String(value), max);
}
