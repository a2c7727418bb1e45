/**
 * The MIME bundles d2l's figures are sent as: the one place that decides which types a picture or a chart carries.
 *
 * A frontend shows one type per output, chosen by its own ranking — the order of keys in a bundle means nothing
 * (Jupyter even sorts them when it saves a notebook). What each frontend picks from a bundle of `text/html`,
 * `image/svg+xml`, (`image/png`), `text/plain` and, for charts, `application/vnd.plotly.v1+json`:
 * - JupyterLab (3.6, checked by `npm run test:lab`) ranks html (50) before svg (80) and png (90). For an output it
 *   does not trust (a saved notebook reopened; anything not produced in this session) it only considers "safe"
 *   renderers: html — run through its sanitizer, which strips `<script>` and inline `<svg>` — png and text, never
 *   svg. plotly's renderer (jupyterlab-plotly, rank 0, safe) takes the plotly JSON when installed, trusted or not.
 * - classic Notebook 6 takes html first (sanitized the same way when untrusted; svg is ignored when untrusted).
 * - nbconvert's HTML export and nbviewer take html first, unsanitized; GitHub's viewer sanitizes it (and cannot be
 *   tested offline: what it needs is a static image in every figure output, which the saved notebooks have).
 *
 * So every picture's html is an `<img src="data:image/svg+xml;base64,…">`: sanitizers keep it, and it shows the
 * same image wherever html wins. A chart's html wraps that image in a div that an inline script turns into a live
 * plotly.js chart where scripts run (trusted outputs in Lab and Notebook). `image/svg+xml` stays in the bundle for
 * frontends that take it rather than html and for tools that extract figures; `text/plain` is what terminals
 * and the runner's logs show.
 */
import type { MimeBundle } from './protocol';
import { liveChartHtml, type PlotlyFigure } from './plotly-script';

export type { PlotlyFigure } from './plotly-script';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

const escapeAttr = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An SVG document as a data: URI (base64, so neither quotes nor the page's encoding can break it). */
export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

/** An `<img>` showing the SVG: what every frontend's HTML sanitizer lets through. `alt` is the text form. */
export function svgImageHtml(svg: string, alt: string): string {
  // the alt text is for screen readers and broken images: its first line is enough
  return `<img src="${svgDataUri(svg)}" alt="${escapeAttr(alt.split('\n')[0])}" style="max-width:100%">`;
}

/** What a static picture is made of: an SVG, optionally a PNG (base64) of it, and its text form. */
export interface PictureParts {
  svg: string;
  text: string;
  png?: string;
}

/** A static picture (architecture diagrams, image grids): html `<img>`, SVG, optional PNG, text. */
export function pictureBundle({ svg, text, png }: PictureParts): MimeBundle {
  const bundle: MimeBundle = { 'text/html': svgImageHtml(svg, text), 'image/svg+xml': svg };
  if (png !== undefined) bundle['image/png'] = png;
  bundle['text/plain'] = text;
  return bundle;
}

/** What a chart is made of. `svg` may be missing when static rendering failed (the live parts still work). */
export interface ChartParts {
  figure: PlotlyFigure;
  svg: string | undefined;
  text: string;
  widthPx: number;
  heightPx: number;
  /**
   * Include the plotly JSON (default true). Live updates leave it out: plotly's JupyterLab renderer draws a figure
   * once and ignores later updates of the same output (plotly/plotly.py#3053), so while a chart changes Lab must
   * keep showing the html part; the final state carries the JSON for plotly's renderer, VS Code and saved notebooks.
   */
  plotlyJson?: boolean;
}

/** A chart: the static picture in html (made live by plotly.js where scripts run), SVG, plotly JSON, text. */
export function chartBundle({ figure, svg, text, widthPx, heightPx, plotlyJson = true }: ChartParts): MimeBundle {
  const picture = svg === undefined ? '' : svgImageHtml(svg, text);
  const bundle: MimeBundle = {};
  if (plotlyJson) bundle[PLOTLY_MIME] = figure;
  bundle['text/html'] = liveChartHtml(figure, picture, widthPx, heightPx);
  if (svg !== undefined) bundle['image/svg+xml'] = svg;
  bundle['text/plain'] = text;
  return bundle;
}

/** A table or other HTML that sanitizers keep as it is (model summaries), with its text form. */
export function htmlBundle(html: string, text: string): MimeBundle {
  return { 'text/html': html, 'text/plain': text };
}
