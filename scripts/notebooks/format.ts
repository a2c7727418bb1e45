/**
 * nbformat 4.5 output of the notebook generator, formatted the way Jupyter itself saves notebooks
 * (`json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)` plus a newline), so that opening and saving a
 * notebook without edits leaves no diff, and generating twice gives the same bytes.
 */
import * as crypto from 'crypto';
import { BookRegion, regionCellSource } from './regions';
import { CellSpec, NotebookSpec } from './cells';

/** Our kernel (contract: kernelspec name `d2l`, display name "TypeScript (d2l)", language `typescript`). */
export const KERNELSPEC = { display_name: 'TypeScript (d2l)', language: 'typescript', name: 'd2l' };
export const LANGUAGE_INFO = { file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript' };

/** Metadata key under which a region cell records which library region it copies (checked by the tests). */
export const REGION_METADATA_KEY = 'd2l';

/** Splits cell text into nbformat's list of lines, each but the last keeping its `\n`. */
export function toSourceLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  return parts.map((p, i) => (i < parts.length - 1 ? `${p}\n` : p)).filter((p) => p !== '');
}

/** A cell id stable across runs: derived from the notebook file and the cell's index (nbformat 4.5 §cell ids). */
export function cellId(file: string, index: number): string {
  return crypto.createHash('sha1').update(`${file}#${index}`).digest('hex').slice(0, 12);
}

function cellObject(spec: CellSpec, file: string, index: number, regions: Map<string, BookRegion>): object {
  const id = cellId(file, index);
  if (spec.kind === 'markdown') {
    return { cell_type: 'markdown', id, metadata: {}, source: toSourceLines(spec.source) };
  }
  if (spec.kind === 'code') {
    const metadata = spec.tags.length > 0 ? { tags: spec.tags } : {};
    return { cell_type: 'code', execution_count: null, id, metadata, outputs: [], source: toSourceLines(spec.source) };
  }
  const region = regions.get(spec.name);
  if (!region) {
    throw new Error(`${file}: cell ${index} copies region book:${spec.name}, but no file under src/ has ` +
      `'// #region book:${spec.name}' … '// #endregion book:${spec.name}'`);
  }
  return {
    cell_type: 'code', execution_count: null, id,
    metadata: { [REGION_METADATA_KEY]: { region: spec.name, source: region.file } },
    outputs: [], source: toSourceLines(regionCellSource(region)),
  };
}

/** The notebook as a JSON value (not yet serialized). */
export function notebookObject(spec: NotebookSpec, regions: Map<string, BookRegion>): object {
  return {
    cells: spec.cells.map((c, i) => cellObject(c, spec.file, i, regions)),
    metadata: { kernelspec: KERNELSPEC, language_info: LANGUAGE_INFO },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Serializes like Jupyter: keys sorted, one-space indent, UTF-8 kept as is, trailing newline. */
export function serializeNotebook(nb: object): string {
  return `${JSON.stringify(sortKeys(nb), null, 1)}\n`;
}

/** The exact file content the generator writes for `spec`. */
export function renderNotebook(spec: NotebookSpec, regions: Map<string, BookRegion>): string {
  return serializeNotebook(notebookObject(spec, regions));
}
