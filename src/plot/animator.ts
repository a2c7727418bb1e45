/**
 * The book's `d2l.Animator`: plots data in animation. In a notebook (our kernel installed a display sink) the
 * figure is one output updated in place: the first `add` displays it under a fresh display id, later ones send
 * `update: true` for that id. Outside a notebook nothing is drawn (`trainCh6` prints progress itself) but the
 * points are kept in `series`.
 *
 * While points arrive the updates carry no plotly JSON (plotly's JupyterLab renderer would freeze on the first
 * state, see display/bundles.ts); `flush()` — `trainCh6` calls it when training ends — sends the final state with
 * it, so saved notebooks have the complete bundle.
 */
import { display, inNotebook, MIME_BUNDLE, PROGRESS_METADATA_KEY, type ProgressMetadata } from '../display/protocol';
import type { MimeBundle } from '../display/protocol';
import { figureBundle, renderSvg, vegaLiteSpec } from './figure';
import type { AxesConfig, Series } from './figure';
import { parseFmts } from './style';

/** The book's Animator arguments (figsize in inches, shown at 96 px per inch). */
export interface AnimatorOptions {
  xlabel?: string;
  ylabel?: string;
  legend?: string[];
  xlim?: [number, number];
  ylim?: [number, number];
  xscale?: 'linear' | 'log';
  yscale?: 'linear' | 'log';
  fmts?: string[];
  /** Accepted for the book's signature; like the book, only the first axes is drawn. */
  nrows?: number;
  ncols?: number;
  figsize?: [number, number];
}

const DPI = 96;
let displayCounter = 0;

/** Plots data points as they arrive (training curves). */
export class Animator {
  /** The points added so far, one entry per series (created on the first `add`). */
  readonly series: Series[] = [];
  readonly options: Readonly<AnimatorOptions>;
  /** Display id of the notebook output this animator updates. */
  readonly displayId = `d2l-animator-${process.pid}-${Date.now().toString(36)}-${++displayCounter}`;
  private shown = false;
  /** Whether the output shows the latest state with its plotly JSON (set by `flush`, cleared by `add`). */
  private complete = false;
  private dirty = false;
  private rendering: Promise<void> | undefined;
  private lastSvg: string | undefined;
  /**
   * How far the computation being plotted is (e.g. epochs done of all), sent with every update as display metadata
   * (PROGRESS_METADATA_KEY) so a runner can estimate the time left. Set by `trainCh6`; optional.
   */
  progress: ProgressMetadata | undefined;

  constructor(options: AnimatorOptions = {}) {
    this.options = { ...options };
    for (const lim of [options.xlim, options.ylim]) {
      if (lim !== undefined && (lim.length !== 2 || !lim.every(Number.isFinite))) {
        throw new Error(`Animator: xlim/ylim must be [min, max] numbers, got ${JSON.stringify(lim)}`);
      }
    }
  }

  /**
   * Adds one point per series: `add(x, [y1, y2, …])`; a null/undefined y (or x) skips that series. A single
   * number is one series. Returns a promise that settles when the notebook output is updated (no need to await
   * it; `flush()` waits for all updates).
   */
  add(x: number | (number | null | undefined)[], y: number | null | undefined | (number | null | undefined)[]): Promise<void> {
    const ys = Array.isArray(y) ? y : [y];
    const xs = Array.isArray(x) ? x : ys.map(() => x);
    if (this.series.length === 0) this.createSeries(ys.length);
    if (ys.length > this.series.length) {
      throw new Error(`Animator.add: got ${ys.length} y values but the animator has ${this.series.length} series`);
    }
    ys.forEach((b, i) => {
      const a = xs[i];
      if (a != null && b != null) {
        this.series[i].x.push(a);
        this.series[i].y.push(b);
      }
    });
    if (!inNotebook()) return Promise.resolve();
    this.dirty = true;
    this.complete = false;
    this.rendering ??= this.renderLoop();
    return this.rendering;
  }

  /** Waits until every pending notebook update was sent, then sends the final state with its plotly JSON. */
  async flush(): Promise<void> {
    while (this.rendering) await this.rendering;
    if (this.shown && !this.complete) {
      display(this[MIME_BUNDLE](), { displayId: this.displayId, update: true, metadata: this.metadata() });
      this.complete = true;
    }
  }

  /** The current figure as a MIME bundle (plotly JSON, HTML, SVG image, text); `plotlyJson: false` leaves out the
   * plotly JSON, as live updates do. */
  async toBundle(opts: { plotlyJson?: boolean } = {}): Promise<MimeBundle> {
    const axes = this.axes();
    let svg: string | undefined;
    try {
      svg = await renderSvg(vegaLiteSpec(this.series, axes));
    } catch (err) {
      // a missing image must not stop training; the plotly parts still render
      svg = undefined;
      if (!this.warnedSvg) console.error(`Animator: static SVG rendering failed: ${(err as Error).message}`);
      this.warnedSvg = true;
    }
    this.lastSvg = svg;
    return figureBundle(this.title(), this.series, axes, svg, opts);
  }

  private warnedSvg = false;

  /** Rich display of the animator itself (e.g. as a cell's last value): the last rendered image. */
  [MIME_BUNDLE](): MimeBundle {
    return figureBundle(this.title(), this.series, this.axes(), this.lastSvg);
  }

  private createSeries(n: number): void {
    const fmts = this.options.fmts ?? ['-', 'm--', 'g-.', 'r:'];
    const styles = parseFmts(Array.from({ length: n }, (_, i) => fmts[i % fmts.length]));
    for (let i = 0; i < n; i++) {
      this.series.push({ name: this.options.legend?.[i] ?? `series ${i + 1}`, style: styles[i], x: [], y: [] });
    }
  }

  private axes(): AxesConfig {
    const [w, h] = this.options.figsize ?? [3.5, 2.5];
    return {
      xlabel: this.options.xlabel,
      ylabel: this.options.ylabel,
      xlim: this.options.xlim,
      ylim: this.options.ylim,
      xscale: this.options.xscale ?? 'linear',
      yscale: this.options.yscale ?? 'linear',
      showLegend: (this.options.legend?.length ?? 0) > 0,
      widthPx: Math.round(w * DPI),
      heightPx: Math.round(h * DPI),
    };
  }

  private metadata(): Record<string, unknown> {
    return this.progress ? { [PROGRESS_METADATA_KEY]: { ...this.progress } } : {};
  }

  private title(): string {
    return `Animator${this.options.xlabel ? ` (x: ${this.options.xlabel})` : ''}`;
  }

  /** Sends the latest state; several adds during one render collapse into one update. */
  private async renderLoop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const bundle = await this.toBundle({ plotlyJson: false });
        display(bundle, { displayId: this.displayId, update: this.shown, metadata: this.metadata() });
        this.shown = true;
      }
    } finally {
      this.rendering = undefined;
    }
  }
}
