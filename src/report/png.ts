// A grey-scale image as a PNG data URI, for the digit gallery.
import { PNG } from "pngjs";

/** pixels: rows x cols bytes, 0 = white background, 255 = black ink (as MNIST stores them). */
export function digitPng(pixels: Uint8Array, rows: number, cols: number): string {
  const png = new PNG({ width: cols, height: rows });
  for (let i = 0; i < rows * cols; i++) {
    const v = 255 - pixels[i];
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = v;
    png.data[4 * i + 3] = 255;
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString("base64")}`;
}
