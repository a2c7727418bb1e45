/**
 * Jupyter notebook files (nbformat 4): types, reading with clear errors, and deterministic writing.
 *
 * In memory, multi-line strings (cell `source`, stream `text`, text MIME data) are plain strings; on disk they are
 * written the way nbformat itself writes them (arrays of lines, keys sorted, indent 1, trailing newline), so a
 * notebook saved twice is byte-identical and diffs stay small.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../util/atomic-write';

export type MultilineString = string;

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: MultilineString;
}

export interface DisplayDataOutput {
  output_type: 'display_data';
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Not saved by nbformat: carries the display_id so later updates can find this output. */
  transient?: { display_id?: string };
}

export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CodeCell {
  cell_type: 'code';
  id?: string;
  source: MultilineString;
  metadata: Record<string, any>;
  execution_count: number | null;
  outputs: Output[];
}

export interface MarkdownCell {
  cell_type: 'markdown' | 'raw';
  id?: string;
  source: MultilineString;
  metadata: Record<string, any>;
  attachments?: Record<string, unknown>;
}

export type Cell = CodeCell | MarkdownCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, any>;
  cells: Cell[];
}

/** A file that is not a usable notebook. The message names the file, the problem and the fix. */
export class NotebookFormatError extends Error {
  override name = 'NotebookFormatError';
}

function joinLines(value: unknown): string {
  if (Array.isArray(value)) return value.join('');
  return typeof value === 'string' ? value : '';
}

/** Splits text into lines that keep their '\n', as nbformat stores multi-line strings. */
export function splitLines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g);
  return lines ?? [];
}

/** The cell's tags (metadata.tags), always an array. */
export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function isTextMime(mime: string): boolean {
  // nbformat keeps JSON MIME types as objects; everything else (text/*, image/svg+xml, base64 images) is a string.
  return !/(^application\/(.+\+)?json$)/.test(mime);
}

function normalizeData(data: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (data && typeof data === 'object') {
    for (const [mime, v] of Object.entries(data as Record<string, unknown>)) out[mime] = isTextMime(mime) ? joinLines(v) : v;
  }
  return out;
}

function normalizeOutput(o: any): Output {
  switch (o?.output_type) {
    case 'stream':
      return { output_type: 'stream', name: o.name === 'stderr' ? 'stderr' : 'stdout', text: joinLines(o.text) };
    case 'display_data':
      return { output_type: 'display_data', data: normalizeData(o.data), metadata: o.metadata ?? {} };
    case 'execute_result':
      return { output_type: 'execute_result', execution_count: o.execution_count ?? null, data: normalizeData(o.data), metadata: o.metadata ?? {} };
    case 'error':
      return { output_type: 'error', ename: String(o.ename ?? ''), evalue: String(o.evalue ?? ''), traceback: Array.isArray(o.traceback) ? o.traceback.map(String) : [] };
    default:
      throw new Error(`unknown output_type '${o?.output_type}'`);
  }
}

/**
 * Parses notebook JSON. `name` is used in error messages only. Accepts nbformat 4.x; multi-line strings may be
 * strings or arrays of lines.
 */
export function parseNotebook(text: string, name = 'notebook'): Notebook {
  let raw: any;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new NotebookFormatError(
      `${name} is not valid JSON (${(e as Error).message}); a .ipynb file must be a Jupyter notebook saved as JSON — ` +
      're-save it from Jupyter or restore it from version control.');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new NotebookFormatError(`${name} is JSON but not a notebook (expected an object with "nbformat" and "cells").`);
  }
  if (raw.nbformat !== 4) {
    const got = raw.nbformat === undefined ? 'no "nbformat" field' : `nbformat ${JSON.stringify(raw.nbformat)}`;
    throw new NotebookFormatError(
      `${name} has ${got}; only nbformat 4 notebooks are supported — convert it with ` +
      '`jupyter nbconvert --to notebook --nbformat 4` or re-save it from a current Jupyter.');
  }
  if (!Array.isArray(raw.cells)) throw new NotebookFormatError(`${name}: "cells" must be an array (nbformat 4).`);
  const cells: Cell[] = raw.cells.map((c: any, i: number) => {
    const where = `${name}: cell ${i}`;
    if (!c || typeof c !== 'object') throw new NotebookFormatError(`${where} is not an object.`);
    const base = { source: joinLines(c.source), metadata: c.metadata && typeof c.metadata === 'object' ? c.metadata : {} };
    const id = typeof c.id === 'string' ? { id: c.id } : {};
    if (c.cell_type === 'code') {
      let outputs: Output[];
      try {
        outputs = (Array.isArray(c.outputs) ? c.outputs : []).map(normalizeOutput);
      } catch (e) {
        throw new NotebookFormatError(`${where}: ${(e as Error).message}.`);
      }
      return { cell_type: 'code', ...id, ...base, execution_count: c.execution_count ?? null, outputs } as CodeCell;
    }
    if (c.cell_type === 'markdown' || c.cell_type === 'raw') {
      return { cell_type: c.cell_type, ...id, ...base, ...(c.attachments ? { attachments: c.attachments } : {}) } as MarkdownCell;
    }
    throw new NotebookFormatError(`${where} has cell_type ${JSON.stringify(c.cell_type)}; expected "code", "markdown" or "raw".`);
  });
  return {
    nbformat: 4,
    nbformat_minor: typeof raw.nbformat_minor === 'number' ? raw.nbformat_minor : 5,
    metadata: raw.metadata && typeof raw.metadata === 'object' ? raw.metadata : {},
    cells,
  };
}

/** Reads and validates a notebook file (see `parseNotebook`). */
export function readNotebook(file: string): Notebook {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NotebookFormatError(code === 'ENOENT' ? `${file}: no such notebook.` : `${file}: cannot read (${(e as Error).message}).`);
  }
  return parseNotebook(text, file);
}

function diskData(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [mime, v] of Object.entries(data)) out[mime] = typeof v === 'string' && isTextMime(mime) ? splitLines(v) : v;
  return out;
}

function diskOutput(o: Output): unknown {
  switch (o.output_type) {
    case 'stream':
      return { output_type: 'stream', name: o.name, text: splitLines(o.text) };
    case 'display_data':
      return { output_type: 'display_data', data: diskData(o.data), metadata: o.metadata };
    case 'execute_result':
      return { output_type: 'execute_result', execution_count: o.execution_count, data: diskData(o.data), metadata: o.metadata };
    case 'error':
      return { output_type: 'error', ename: o.ename, evalue: o.evalue, traceback: o.traceback };
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** The notebook as nbformat writes it: sorted keys, indent 1, multi-line strings as line arrays, final newline. */
export function serializeNotebook(nb: Notebook): string {
  const cells = nb.cells.map((c) => {
    const common = { ...(c.id !== undefined ? { id: c.id } : {}), cell_type: c.cell_type, metadata: c.metadata, source: splitLines(c.source) };
    if (c.cell_type === 'code') return { ...common, execution_count: c.execution_count, outputs: c.outputs.map(diskOutput) };
    return { ...common, ...((c as MarkdownCell).attachments ? { attachments: (c as MarkdownCell).attachments } : {}) };
  });
  const disk = { cells, metadata: nb.metadata, nbformat: nb.nbformat, nbformat_minor: nb.nbformat_minor };
  return `${JSON.stringify(sortKeys(disk), null, 1)}\n`;
}

// Until every caller imports it from src/util (scripts/ do not yet), it is re-exported here.
export { writeFileAtomic };

/** Saves a notebook deterministically and atomically (see `serializeNotebook`, util/atomic-write). */
export function writeNotebook(file: string, nb: Notebook): void {
  writeFileAtomic(file, serializeNotebook(nb));
}

/** A fresh code cell. */
export function newCodeCell(source: string, metadata: Record<string, any> = {}): CodeCell {
  return { cell_type: 'code', source, metadata, execution_count: null, outputs: [] };
}
