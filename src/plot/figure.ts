/**
 * A line chart as a Jupyter MIME bundle, from well-kept libraries rather than hand-drawn SVG:
 * - `application/vnd.plotly.v1+json` — `{data, layout}`, rendered natively by VS Code (and JupyterLab with the
 *   plotly extension);
 * - `text/html` — a div holding the static SVG plus a script that replaces it with a live plotly.js chart.
 *   Classic Notebook needs plotly.js in the page: the first figure of a process inlines the installed
 *   `plotly.js-dist` bundle (offline-friendly, no CDN), later figures reuse `window.Plotly`. Where no script
 *   runs (saved notebooks on GitHub, nbconvert HTML, untrusted notebooks) the SVG inside the div stays visible;
 * - `image/svg+xml` — a static image rendered headless by vega-lite → vega (`view.toSVG()`);
 * - `text/plain` — a one-line summary per series.
 */
import type { MimeBundle } from '../display/protocol';
import type { LineStyle } from './style';

export interface Series {
  name: string;
  style: LineStyle;
  x: number[];
  y: number[];
}

export interface AxesConfig {
  xlabel?: string;
  ylabel?: string;
  xlim?: [number, number];
  ylim?: [number, number];
  xscale: 'linear' | 'log';
  yscale: 'linear' | 'log';
  showLegend: boolean;
  widthPx: number;
  heightPx: number;
}

/** plotly `{data, layout}` for the series. */
export function plotlyFigure(series: Series[], axes: AxesConfig): { data: object[]; layout: object } {
  const data = series.map((s) => ({
    type: 'scatter',
    mode: s.style.line ? (s.style.marker ? 'lines+markers' : 'lines') : 'markers',
    name: s.name,
    x: s.x,
    y: s.y,
    line: { color: s.style.color, dash: s.style.dash, width: 1.5 },
    ...(s.style.marker ? { marker: { symbol: s.style.marker, color: s.style.color, size: 6 } } : {}),
  }));
  const axis = (title: string | undefined, type: 'linear' | 'log', lim?: [number, number]) => ({
    title: { text: title ?? '' },
    type,
    showgrid: true,
    zeroline: false,
    showline: true, // a box around the plot area, like matplotlib's axes
    mirror: true,
    linecolor: '#444',
    ticks: 'outside',
    // plotly's range for a log axis is in log10 units
    ...(lim ? { range: type === 'log' ? lim.map(Math.log10) : lim } : { autorange: true }),
  });
  const layout = {
    width: axes.widthPx,
    height: axes.heightPx,
    margin: { l: 50, r: 10, t: axes.showLegend ? 30 : 10, b: 40 },
    xaxis: axis(axes.xlabel, axes.xscale, axes.xlim),
    yaxis: axis(axes.ylabel, axes.yscale, axes.ylim),
    showlegend: axes.showLegend,
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
    font: { size: 11 },
  };
  return { data, layout };
}

/** The vega-lite spec of the same chart, for the static SVG. */
export function vegaLiteSpec(series: Series[], axes: AxesConfig): Record<string, unknown> {
  const values = series.flatMap((s) => s.x.map((x, i) => ({ x, y: s.y[i], series: s.name, order: i })));
  const names = series.map((s) => s.name);
  const legend = axes.showLegend ? { title: null, orient: 'top', symbolStrokeWidth: 1.5 } : null;
  const scale = (type: 'linear' | 'log', lim?: [number, number]) => ({
    type, nice: !lim, ...(type === 'linear' ? { zero: false } : {}), ...(lim ? { domain: lim } : {}),
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: axes.widthPx,
    height: axes.heightPx,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    data: { values },
    mark: { type: 'line', clip: true, strokeWidth: 1.5, point: series.some((s) => s.style.marker) },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axes.xlabel ?? null, scale: scale(axes.xscale, axes.xlim) },
      y: { field: 'y', type: 'quantitative', title: axes.ylabel ?? null, scale: scale(axes.yscale, axes.ylim) },
      color: { field: 'series', type: 'nominal', scale: { domain: names, range: series.map((s) => s.style.color) }, legend },
      strokeDash: { field: 'series', type: 'nominal', scale: { domain: names, range: series.map((s) => s.style.strokeDash) }, legend },
      order: { field: 'order', type: 'quantitative' },
    },
    config: { axis: { grid: true, labelFontSize: 10, titleFontSize: 11 }, legend: { labelFontSize: 10 } },
  };
}

/** Renders the vega-lite spec to an SVG string (headless, no browser or canvas needed). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  // loaded on first use: vega is large and only notebooks need the image
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vega = require('vega') as typeof import('vega');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vl = require('vega-lite') as typeof import('vega-lite');
  const view = new vega.View(vega.parse(vl.compile(spec as any).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const PLOTLY_LOADED = Symbol.for('d2l.plotlyInlined');

/** plotly.js source wrapped so it defines `window.Plotly` even where require.js (classic Notebook) is present. */
function plotlyLoaderScript(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fs = require('fs') as typeof import('fs');
  // \u-escaping non-ASCII (in strings and comments) keeps the script valid whatever encoding the page has
  const source = fs.readFileSync(require.resolve('plotly.js-dist'), 'utf8')
    .replace(/<\/script/gi, '<\\/script')
    .replace(/^\ufeff/gm, ' ') // byte-order marks left between concatenated files: whitespace in code
    .replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `(function (define, module, exports) {\n${source}\n}).call(window);`;
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Makes the next figure inline plotly.js again (tests; a kernel whose frontend page was reloaded). */
export function resetPlotlyInlining(): void {
  (globalThis as any)[PLOTLY_LOADED] = false;
}

let elementCounter = 0;

/** The HTML part: static SVG in a div, upgraded to a live plotly chart where scripts run. */
export function plotlyHtml(figure: { data: object[]; layout: object }, svg: string | undefined,
  axes: AxesConfig): string {
  const id = `d2l-plot-${process.pid}-${Date.now().toString(36)}-${++elementCounter}`;
  const g = globalThis as any;
  const loader = g[PLOTLY_LOADED] ? '' : plotlyLoaderScript();
  g[PLOTLY_LOADED] = true;
  return `<div id="${id}" class="d2l-plot" style="width:${axes.widthPx}px;height:${axes.heightPx}px">`
    + `${svg ?? ''}</div>\n<script type="text/javascript">\n${loader}\n(function () {\n`
    + `  var el = document.getElementById('${id}');\n`
    + '  if (!el || !window.Plotly) return; // no plotly.js on this page: keep the static SVG\n'
    + `  var fig = ${scriptJson(figure)};\n`
    + "  el.innerHTML = '';\n"
    + '  window.Plotly.newPlot(el, fig.data, fig.layout, {displayModeBar: false});\n'
    + '})();\n</script>';
}

/** One line per series: name, number of points and the last point. */
export function plainSummary(title: string, series: Series[]): string {
  const lines = series.map((s) => {
    const n = s.x.length;
    const last = n > 0 ? ` (last: x=${+s.x[n - 1].toFixed(4)}, y=${+s.y[n - 1].toFixed(4)})` : '';
    return `  ${s.name}: ${n} point${n === 1 ? '' : 's'}${last}`;
  });
  return [title, ...lines].join('\n');
}

/** The full MIME bundle; the SVG is optional so a rendering failure never breaks training. */
export function figureBundle(title: string, series: Series[], axes: AxesConfig, svg: string | undefined): MimeBundle {
  const figure = plotlyFigure(series, axes);
  const bundle: MimeBundle = {
    'application/vnd.plotly.v1+json': figure,
    'text/html': plotlyHtml(figure, svg, axes),
    'text/plain': plainSummary(title, series),
  };
  if (svg !== undefined) bundle['image/svg+xml'] = svg;
  return bundle;
}
