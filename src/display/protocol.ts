/**
 * The display protocol shared by the `d2l` library and the d2l Jupyter kernel.
 *
 * The library never talks to Jupyter itself. It hands MIME bundles to a *display sink*; our kernel installs one
 * per execution (so output produced by async work lands in the cell that started it), and outside a kernel the
 * fallback prints the bundle's `text/plain` to stdout. The sink lives on `globalThis` under a registered symbol,
 * not in a module variable, so a notebook that loads a different copy of `d2l` than the kernel still finds it.
 */

/** Objects with a method under this symbol render themselves: it returns a MIME bundle (see `MimeBundle`). */
export const MIME_BUNDLE: unique symbol = Symbol.for('jupyter.mimeBundle') as any;

/** MIME type → data, as in Jupyter's `display_data.content.data`. JSON types hold objects, others strings. */
export type MimeBundle = Record<string, unknown>;

export interface DisplayOptions {
  /** Names the output so a later `display(…, {displayId, update: true})` replaces it in place. */
  displayId?: string;
  /** Replace the output previously shown under `displayId` instead of adding a new one. */
  update?: boolean;
  /** Per-MIME metadata, e.g. `{'image/png': {width: 400}}`. */
  metadata?: Record<string, unknown>;
}

export interface DisplaySink {
  display(data: MimeBundle, metadata: Record<string, unknown>, displayId: string | undefined, update: boolean): void;
  clearOutput(wait: boolean): void;
}

/**
 * Display metadata under this key says how far a long computation is (training: epochs done of all), so a
 * client such as `d2l run` can show time left. Front ends ignore metadata they do not know.
 */
export const PROGRESS_METADATA_KEY = 'd2l.progress';

/** The value under PROGRESS_METADATA_KEY. */
export interface ProgressMetadata {
  done: number;
  total: number;
  /** What is counted, e.g. 'epoch'. */
  unit?: string;
}

const SINK_KEY = Symbol.for('d2l.displaySink');

export function setDisplaySink(sink: DisplaySink | null): void {
  (globalThis as any)[SINK_KEY] = sink ?? undefined;
}

export function getDisplaySink(): DisplaySink | undefined {
  return (globalThis as any)[SINK_KEY];
}

/** True when running inside a frontend that renders rich output (our kernel installed a sink). */
export function inNotebook(): boolean {
  return getDisplaySink() !== undefined;
}

/** The value's own MIME bundle, if it implements the protocol. */
export function toMimeBundle(value: unknown): MimeBundle | undefined {
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    const fn = (value as any)[MIME_BUNDLE];
    if (typeof fn === 'function') {
      const bundle = fn.call(value);
      if (bundle && typeof bundle === 'object') return bundle as MimeBundle;
    }
  }
  return undefined;
}

function isBundle(value: unknown): value is MimeBundle {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => /^[a-z]+\/[-+.\w]+$/i.test(k));
}

/**
 * Shows a value or a MIME bundle. A plain object whose keys are all MIME types is taken as a bundle;
 * an object with a `[MIME_BUNDLE]()` method shows its own bundle; anything else is shown as text.
 */
export function display(valueOrBundle: unknown, opts: DisplayOptions = {}): void {
  const bundle = toMimeBundle(valueOrBundle)
    ?? (isBundle(valueOrBundle) ? valueOrBundle : { 'text/plain': plainText(valueOrBundle) });
  const sink = getDisplaySink();
  if (sink) {
    sink.display(bundle, opts.metadata ?? {}, opts.displayId, opts.update ?? false);
    return;
  }
  const text = bundle['text/plain'];
  if (opts.update) return; // a terminal cannot replace earlier output; the caller prints progress itself
  process.stdout.write(`${typeof text === 'string' ? text : plainText(valueOrBundle)}\n`);
}

/** Clears the current cell's output (`wait`: only when the next output arrives, to avoid flicker). */
export function clearOutput(opts: { wait?: boolean } = {}): void {
  getDisplaySink()?.clearOutput(opts.wait ?? false);
}

function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('util').inspect(value, { depth: 4, colors: false });
}
