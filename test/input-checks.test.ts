// The pieces that keep untrusted files bounded and terminal output printable.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataError } from "../src/errors.js";
import { checkFitsMemory, formatBytes } from "../src/memory.js";
import { bytesOutsideStrings, largestModelFile, MAX_DEPTH, readModelFile, scanModelJson } from "../src/network/model-precheck.js";
import { parseLayers } from "../src/layers/spec.js";
import { Network } from "../src/network/network.js";
import { toSafetensors } from "../src/network/safetensors.js";
import { excerpt, printable } from "../src/text.js";

const plain = { f64: (n: number) => new Float64Array(n), u8: (n: number) => new Uint8Array(n) };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-input-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function message(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as Error).message;
  }
  throw new Error("expected a DataError");
}

describe("printable", () => {
  it("escapes control characters, line breaks and direction overrides into one line", () => {
    expect(printable("a\nb\r\tc\x1b[31md\x07\x7f\x9b")).toBe("a\\nb\\r\\tc\\x1b[31md\\x07\\x7f\\x9b");
    expect(printable("x\u2028y\u202ez\ufeff\u200b")).toBe("x\\u2028y\\u202ez\\ufeff\\u200b");
    expect(printable("lone \ud800 surrogate")).toBe("lone \\ud800 surrogate");
    expect(printable("plain text, é and 数字")).toBe("plain text, é and 数字");
  });

  it("shortens to max characters, never splitting a character", () => {
    expect(printable("abcdefghij", 8)).toBe("abcde...");
    expect(printable("abcdefgh", 8)).toBe("abcdefgh");
    expect(printable("😀".repeat(10), 5)).toBe("😀😀...");
    const huge = "y".repeat(10_000_000);
    expect(printable(huge, 20)).toBe(`${"y".repeat(17)}...`);
    // escapes count towards the length
    expect(printable("\n".repeat(10), 8)).toBe("\\n\\n\\...");
  });

  it("excerpts values as short JSON, even ones too deep to write", () => {
    expect(excerpt([784, "x", 10])).toBe('[784,"x",10]');
    expect(excerpt(Array.from({ length: 1000 }, (_, i) => i), 12)).toBe("[0,1,2,3,...");
    expect(excerpt("two\nlines")).toBe('"two\\nlines"'); // JSON's own escape
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(excerpt(deep)).toBe("a list nested too deeply to show");
    expect(excerpt(undefined)).toBe("undefined");
  });
});

describe("memory limits", () => {
  it("formats bytes as people read them", () => {
    expect([5, 12_345, 47_040_000, 1_568_000_016, 47e9, 16e12].map(formatBytes)).toEqual(
      ["5 bytes", "12.3 kB", "47 MB", "1.6 GB", "47 GB", "16 TB"],
    );
  });

  it("refuses what a file declares beyond the limit, with both figures", () => {
    const limit = { bytes: 16e9, holder: "this machine has" };
    expect(message(() => checkFitsMemory("f.idx", 47e9, "images", limit))).toBe("f.idx: declares 47 GB of images; this machine has 16 GB");
    expect(() => checkFitsMemory("f.idx", 16e9, "images", limit)).not.toThrow();
  });
});

describe("model file precheck", () => {
  it("bounds a file by its sizes: 64 bytes per number and per row, plus 64 KiB", () => {
    // 784-30-10: 30·785 + 10·31 numbers and 2·(30 + 10) rows
    expect(largestModelFile([784, 30, 10])).toBe(65536 + 64 * (30 * 787 + 10 * 33 + 3));
  });

  it("finds the top-level sizes wherever they are, and only there", () => {
    const sizes = (text: string): number[] | undefined => scanModelJson(Buffer.from(text), "m.json").sizes;
    expect(sizes('{"sizes": [784, 30, 10], "weights": []}')).toEqual([784, 30, 10]);
    expect(sizes('{"weights": [[1]], "cost": "x", "sizes" :\n[2,3]}')).toEqual([2, 3]);
    expect(sizes('{"cost": "\\"sizes\\": [1, 2]", "other": {"sizes": [5, 6]}}')).toBeUndefined();
    expect(sizes('{"sizes": [784, -3, 10]}')).toBeUndefined();
    expect(sizes('{"sizes": [784, 3.5]}')).toBeUndefined();
    expect(sizes('{"sizes": "784,30"}')).toBeUndefined();
    expect(sizes('{"sizes": [78')).toBeUndefined(); // a prefix ends mid-list
  });

  it("counts the JSON outside strings (what costs heap to parse), escaped quotes kept inside", () => {
    // a naive count: walk the text, toggling at every quote not preceded by an odd run of backslashes
    const naive = (text: string): number => {
      let inside = false;
      let outside = 0;
      for (let i = 0; i < text.length; i++) {
        let slashes = 0;
        while (i - 1 - slashes >= 0 && text[i - 1 - slashes] === "\\") slashes++;
        const quote = text[i] === '"' && (!inside || slashes % 2 === 0);
        if (!inside && !quote) outside++;
        if (quote) inside = !inside;
      }
      return outside;
    };
    for (const text of ['{"a": [1, 2, 3], "b": "x,y"}', '["\\"", "\\\\", 12]', '{"order": "AAAA"}', "[0,0,0,0]", '"unclosed', ""]) {
      expect(bytesOutsideStrings(Buffer.from(text))).toBe(naive(text));
    }
    expect(bytesOutsideStrings(Buffer.from('{"network": "' + "A".repeat(1000) + '"}'))).toBe(4);
  });

  it("refuses nesting deeper than the limit, ignoring brackets inside strings", () => {
    const deep = "[".repeat(MAX_DEPTH + 1);
    expect(message(() => scanModelJson(Buffer.from(`{"a": ${deep}`), "m.json"))).toBe(
      `m.json: JSON nested more than ${MAX_DEPTH} deep at byte ${6 + MAX_DEPTH - 1}; a model file nests 4 deep`,
    );
    expect(() => scanModelJson(Buffer.from(`{"a": "${deep}"}`), "m.json")).not.toThrow();
    expect(() => scanModelJson(Buffer.from(`{"a": "\\"${deep}"}`), "m.json")).not.toThrow();
  });

  it("refuses a file far larger than its sizes allow before parsing, and reads an honest one", () => {
    const file = path.join(tmp, "padded.json");
    const honest = JSON.stringify({ sizes: [2, 1], weights: [[[0.5, -0.25]]], biases: [[[0.125]]], cost: "QuadraticCost" });
    fs.writeFileSync(file, honest);
    expect(Buffer.from(readModelFile(file)).toString()).toBe(honest);
    const largest = largestModelFile([2, 1]);
    fs.writeFileSync(file, honest.replace("]]]", `]]]${" ".repeat(largest)}`));
    expect(message(() => readModelFile(file))).toBe(
      `${file}: the file is ${formatBytes(honest.length + largest)}, far larger than any 2-1 network (at most ${formatBytes(largest)})`,
    );
    // sizes after the first 64 KiB are found too
    fs.writeFileSync(file, `{"weights": [[[0.5, -0.25]]], ${" ".repeat(2 * largest)} "sizes": [2, 1]}`);
    expect(message(() => readModelFile(file))).toMatch(/far larger than any 2-1 network/);
  });

  it("reads a safetensors file whole once its header agrees with its length, and refuses one whose header does not first", () => {
    const net = new Network({ inputs: 16, shape: { C: 1, H: 4, W: 4 }, layers: parseLayers("conv:2:3x3:pool=2:relu,fc:5:tanh,softmax:10") }, plain);
    const bytes = toSafetensors(net, "log-likelihood");
    const file = path.join(tmp, "net.safetensors");
    fs.writeFileSync(file, bytes);
    expect(Buffer.compare(readModelFile(file), bytes)).toBe(0);
    // a length prefix, then no JSON nesting limit applies, but the header must be a safetensors header
    fs.writeFileSync(file, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("[".repeat(100_000))]));
    expect(message(() => readModelFile(file))).toBe(`${file}: the safetensors header is not valid UTF-8 JSON`);
    // the honest header, then a hole of 64 GiB: refused by the header's sizes before the file is read
    fs.writeFileSync(file, bytes);
    fs.truncateSync(file, 2 ** 36);
    const dataBytes = 2 ** 36 - 8 - Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect(message(() => readModelFile(file))).toMatch(new RegExp(`take 760 bytes of F64 parameters, but the file holds ${dataBytes} bytes \\(68.7 GB\\) after its header$`));
  });

  it("names a missing file", () => {
    const file = path.join(tmp, "none.json");
    expect(message(() => readModelFile(file))).toBe(`cannot read ${file}: no such file`);
  });
});
