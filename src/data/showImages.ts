/**
 * The book's `show_images(imgs, num_rows, num_cols, titles=None, scale=1.5)`: a grid of greyscale images with
 * a title above each.
 *
 * The picture is an SVG (the images as embedded PNGs plus `<text>` titles: a PNG alone cannot carry the titles as
 * text), shown through display/bundles.ts' picture bundle (html `<img>`, SVG), plus an `image/png` of the grid
 * without titles for frontends that only show bitmaps, and a `text/plain` summary, which is what a terminal prints.
 */
import type * as tf from '@tensorflow/tfjs';
import { pictureBundle } from '../display/bundles';
import { MimeBundle, display } from '../display/protocol';
import { encodeGrayPng } from './png';

/** The picture of one grid, ready to display (exported for tests). */
export function imageGridBundle(
  imgs: tf.Tensor, numRows: number, numCols: number, titles?: readonly string[], scale = 1.5,
): MimeBundle {
  for (const [name, v] of [['numRows', numRows], ['numCols', numCols]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`showImages: ${name} must be a positive integer, got ${v}`);
  }
  if (!(scale > 0)) throw new Error(`showImages: scale must be positive, got ${scale}`);
  const shape = imgs.shape;
  const ok = shape.length === 3 || (shape.length === 4 && shape[3] === 1);
  if (!ok) {
    throw new Error(`showImages: expected greyscale images of shape [N, H, W] or [N, H, W, 1], ` +
      `got [${shape.join(', ')}]`);
  }
  const [n, height, width] = shape;
  const count = Math.min(n, numRows * numCols); // like the book's zip(axes, imgs)
  const images = toBytes(imgs.dataSync(), count, height * width);

  // The book's figure is (num_cols·scale) × (num_rows·scale) inches; at 72 px per inch a cell is 108 px.
  const cell = Math.round(72 * scale);
  const cellW = Math.round((cell * width) / Math.max(width, height));
  const cellH = Math.round((cell * height) / Math.max(width, height));
  const titleH = titles ? 16 : 0;
  const gap = 6;
  const svgW = numCols * (cellW + gap) + gap;
  const svgH = numRows * (cellH + titleH + gap) + gap;
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const x = gap + (i % numCols) * (cellW + gap);
    const y = gap + Math.floor(i / numCols) * (cellH + titleH + gap);
    const png = encodeGrayPng(width, height, images[i]).toString('base64');
    if (titles && i < titles.length) {
      parts.push(`<text x="${x + cellW / 2}" y="${y + 12}" text-anchor="middle" font-family="sans-serif" ` +
        `font-size="12">${escapeXml(String(titles[i]))}</text>`);
    }
    parts.push(`<image x="${x}" y="${y + titleH}" width="${cellW}" height="${cellH}" preserveAspectRatio="none" ` +
      `style="image-rendering:pixelated" xlink:href="data:image/png;base64,${png}"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${svgW}" height="${svgH}" viewBox="0 0 ${svgW} ${svgH}">` +
    `<rect width="${svgW}" height="${svgH}" fill="white"/>${parts.join('')}</svg>`;

  const shown = titles ? `: ${titles.slice(0, count).join(', ')}` : '';
  const text = `showImages: ${count} image${count === 1 ? '' : 's'} of ${height}×${width} ` +
    `in a ${numRows}×${numCols} grid${shown}`;
  return pictureBundle({
    svg,
    png: gridPng(images, height, width, numRows, numCols, cell).toString('base64'),
    text: text.length > 300 ? `${text.slice(0, 297)}...` : text,
  });
}

/**
 * Shows images in a `numRows × numCols` grid with optional titles (the book's `show_images`); in a terminal
 * it prints a one-line summary. Values in [0, 1] are shown as is (0 black, 1 white); other images are
 * stretched from their own minimum to maximum, as matplotlib's `imshow` does.
 */
export function showImages(
  imgs: tf.Tensor, numRows: number, numCols: number, titles?: readonly string[], scale = 1.5,
): void {
  display(imageGridBundle(imgs, numRows, numCols, titles, scale));
}

function toBytes(values: ArrayLike<number>, count: number, pixels: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = 0; p < pixels; p++) {
      const v = values[i * pixels + p];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const unit = lo >= 0 && hi <= 1;
    const offset = unit ? 0 : lo;
    const range = unit ? 1 : hi - lo || 1;
    const bytes = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) {
      bytes[p] = Math.round(((values[i * pixels + p] - offset) / range) * 255);
    }
    out.push(bytes);
  }
  return out;
}

/** The grid as one PNG: each image enlarged by a whole factor (sharp pixels), white gaps between cells. */
function gridPng(images: Uint8Array[], height: number, width: number, rows: number, cols: number, cell: number): Buffer {
  const k = Math.max(1, Math.floor(cell / Math.max(height, width)));
  const gap = 4;
  const gridW = cols * (width * k + gap) + gap;
  const gridH = rows * (height * k + gap) + gap;
  const grid = new Uint8Array(gridW * gridH).fill(255);
  images.forEach((img, i) => {
    const x0 = gap + (i % cols) * (width * k + gap);
    const y0 = gap + Math.floor(i / cols) * (height * k + gap);
    for (let y = 0; y < height * k; y++) {
      const row = (y0 + y) * gridW + x0;
      const srcRow = Math.floor(y / k) * width;
      for (let x = 0; x < width * k; x++) grid[row + x] = img[srcRow + Math.floor(x / k)];
    }
  });
  return encodeGrayPng(gridW, gridH, grid);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
