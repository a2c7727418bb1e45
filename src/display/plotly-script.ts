/**
 * The html part of a chart: a div holding the static picture and a script that replaces it with a live plotly.js
 * chart. Classic Notebook and JupyterLab without plotly's extension have no plotly.js in the page, so the first
 * chart of a process inlines the installed `plotly.js-dist` bundle (offline-friendly, no CDN) and later charts reuse
 * `window.Plotly`. Where no script runs — untrusted or saved notebooks, sanitizing viewers — the picture stays.
 */

/** plotly's `{data, layout}`. */
export interface PlotlyFigure {
  data: object[];
  layout: object;
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

/** Makes the next chart inline plotly.js again (tests; a kernel whose frontend page was reloaded). */
export function resetPlotlyInlining(): void {
  (globalThis as any)[PLOTLY_LOADED] = false;
}

let elementCounter = 0;

/** `<div>` with `pictureHtml` inside, upgraded to a live plotly chart of `figure` by the script after it. */
export function liveChartHtml(figure: PlotlyFigure, pictureHtml: string, widthPx: number, heightPx: number): string {
  const id = `d2l-plot-${process.pid}-${Date.now().toString(36)}-${++elementCounter}`;
  const g = globalThis as any;
  const loader = g[PLOTLY_LOADED] ? '' : plotlyLoaderScript();
  g[PLOTLY_LOADED] = true;
  return `<div id="${id}" class="d2l-plot" style="width:${widthPx}px;height:${heightPx}px">`
    + `${pictureHtml}</div>\n<script type="text/javascript">\n${loader}\n(function () {\n`
    + `  var el = document.getElementById('${id}');\n`
    + '  if (!el || !window.Plotly) return; // no plotly.js on this page: keep the static picture\n'
    + `  var fig = ${scriptJson(figure)};\n`
    + "  el.innerHTML = '';\n"
    + '  window.Plotly.newPlot(el, fig.data, fig.layout, {displayModeBar: false});\n'
    + '})();\n</script>';
}
