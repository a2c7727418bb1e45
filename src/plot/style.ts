/**
 * Matplotlib format strings ('-', 'm--', 'g-.', 'r:', 'bo', …) as the book passes them to `Animator`, turned into
 * line styles for plotly (interactive figure) and vega (static SVG).
 */

export interface LineStyle {
  color: string;
  /** plotly `line.dash` name. */
  dash: 'solid' | 'dash' | 'dashdot' | 'dot';
  /** vega `strokeDash` pattern in pixels (empty = solid). */
  strokeDash: number[];
  /** plotly marker symbol, when the format names one. */
  marker?: string;
  /** false for marker-only formats such as 'o'. */
  line: boolean;
}

/** Matplotlib's single-letter colours. */
const COLORS: Record<string, string> = {
  b: '#0000ff', g: '#008000', r: '#ff0000', c: '#00bfbf', m: '#bf00bf', y: '#bfbf00', k: '#000000', w: '#ffffff',
};

/** Matplotlib's default colour cycle (tab10), used by formats without a colour. */
const CYCLE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf'];

const MARKERS: Record<string, string> = {
  '.': 'circle', o: 'circle', s: 'square', '^': 'triangle-up', v: 'triangle-down', '*': 'star', '+': 'cross',
  x: 'x', d: 'diamond', D: 'diamond',
};

/** Dash patterns scaled from matplotlib's defaults for a 1.5 px line. */
const DASHES: Record<LineStyle['dash'], number[]> = {
  solid: [], dash: [5.5, 2.4], dashdot: [9.6, 2.4, 1.5, 2.4], dot: [1.5, 2.5],
};

/**
 * Parses one format; `cycleIndex` picks the default colour for formats without one (matplotlib advances its
 * cycle only for such lines, so callers count them).
 */
export function parseFmt(fmt: string, cycleIndex: number): LineStyle {
  let rest = fmt;
  let dash: LineStyle['dash'] | undefined;
  for (const [token, name] of [['--', 'dash'], ['-.', 'dashdot'], ['-', 'solid'], [':', 'dot']] as const) {
    if (rest.includes(token)) {
      dash = name;
      rest = rest.replace(token, '');
      break;
    }
  }
  let color: string | undefined;
  let marker: string | undefined;
  for (const ch of rest) {
    if (COLORS[ch] !== undefined && color === undefined) color = COLORS[ch];
    else if (MARKERS[ch] !== undefined) marker = MARKERS[ch];
    else throw new Error(`Animator: cannot read format '${fmt}' (use matplotlib style such as '-', 'm--', 'g-.', 'r:')`);
  }
  const line = dash !== undefined || marker === undefined;
  const style: LineStyle = {
    color: color ?? CYCLE[cycleIndex % CYCLE.length],
    dash: dash ?? 'solid',
    strokeDash: DASHES[dash ?? 'solid'],
    line,
  };
  if (marker !== undefined) style.marker = marker;
  return style;
}

/** Styles for a list of formats, cycling default colours like matplotlib. */
export function parseFmts(fmts: readonly string[]): LineStyle[] {
  let cycle = 0;
  return fmts.map((fmt) => {
    const hasColor = [...fmt].some((ch) => COLORS[ch] !== undefined);
    return parseFmt(fmt, hasColor ? 0 : cycle++);
  });
}
