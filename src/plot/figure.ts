/**
 * A line chart from well-kept libraries rather than hand-drawn SVG: plotly `{data, layout}` for the live chart, a
 * vega-lite spec rendered headless to a static SVG (vega's `view.toSVG()`), a one-line text summary per series.
 * `src/display/bundles.ts` turns them into the MIME bundle (plotly JSON, html, SVG, text).
 */
import { chartBundle } from '../display/bundles';
import type { PlotlyFigure } from '../display/bundles';
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

/**
 * An axis limit to apply: none when min = max (the book's `xlim=[1, num_epochs]` with one epoch), where a fixed
 * range would squeeze every point onto one line; the axis then fits the data.
 */
function usableLim(lim: [number, number] | undefined): [number, number] | undefined {
  return lim && lim[0] !== lim[1] ? lim : undefined;
}

/** A line of one point draws nothing: such series (test accuracy after the first epoch) get a marker. */
const lonePoint = (s: Series) => s.style.line && s.x.length === 1;

/** plotly `{data, layout}` for the series. */
export function plotlyFigure(series: Series[], axes: AxesConfig): PlotlyFigure {
  const data = series.map((s) => ({
    type: 'scatter',
    mode: s.style.line ? (s.style.marker || lonePoint(s) ? 'lines+markers' : 'lines') : 'markers',
    name: s.name,
    x: s.x,
    y: s.y,
    line: { color: s.style.color, dash: s.style.dash, width: 1.5 },
    ...(s.style.marker || lonePoint(s) ? { marker: { symbol: s.style.marker ?? 'circle', color: s.style.color, size: 6 } } : {}),
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
    xaxis: axis(axes.xlabel, axes.xscale, usableLim(axes.xlim)),
    yaxis: axis(axes.ylabel, axes.yscale, usableLim(axes.ylim)),
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
  // symbols drawn as strokes (the dashes show) even where a layer of points shares the legend
  const legend = axes.showLegend ? { title: null, orient: 'top', symbolStrokeWidth: 1.5, symbolType: 'stroke' } : null;
  const scale = (type: 'linear' | 'log', lim?: [number, number]) => ({
    type, nice: !lim, ...(type === 'linear' ? { zero: false } : {}), ...(lim ? { domain: lim } : {}),
  });
  const x = { field: 'x', type: 'quantitative', title: axes.xlabel ?? null, scale: scale(axes.xscale, usableLim(axes.xlim)) };
  const y = { field: 'y', type: 'quantitative', title: axes.ylabel ?? null, scale: scale(axes.yscale, usableLim(axes.ylim)) };
  const color = { field: 'series', type: 'nominal', scale: { domain: names, range: series.map((s) => s.style.color) }, legend };
  const lines = {
    mark: { type: 'line', clip: true, strokeWidth: 1.5, point: series.some((s) => s.style.marker) },
    encoding: {
      x, y, color,
      strokeDash: { field: 'series', type: 'nominal', scale: { domain: names, range: series.map((s) => s.style.strokeDash) }, legend },
      order: { field: 'order', type: 'quantitative' },
    },
  };
  const alone = series.filter(lonePoint).map((s) => s.name);
  // not clipped, so a point on the axis' edge shows whole
  const points = { transform: [{ filter: { field: 'series', oneOf: alone } }],
    mark: { type: 'point', filled: true, clip: false, size: 30 }, encoding: { x, y, color } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: axes.widthPx,
    height: axes.heightPx,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    data: { values },
    ...(alone.length > 0 ? { layer: [lines, points] } : lines),
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

/** One line per series: name, number of points and the last point. */
export function plainSummary(title: string, series: Series[]): string {
  const lines = series.map((s) => {
    const n = s.x.length;
    const last = n > 0 ? ` (last: x=${+s.x[n - 1].toFixed(4)}, y=${+s.y[n - 1].toFixed(4)})` : '';
    return `  ${s.name}: ${n} point${n === 1 ? '' : 's'}${last}`;
  });
  return [title, ...lines].join('\n');
}

/**
 * The chart's MIME bundle (see display/bundles.ts for what each frontend shows); the SVG is optional so a rendering
 * failure never breaks training. `plotlyJson: false` for live updates.
 */
export function figureBundle(title: string, series: Series[], axes: AxesConfig, svg: string | undefined,
  opts: { plotlyJson?: boolean } = {}): MimeBundle {
  return chartBundle({ figure: plotlyFigure(series, axes), svg, text: plainSummary(title, series),
    widthPx: axes.widthPx, heightPx: axes.heightPx, plotlyJson: opts.plotlyJson });
}
