/**
 * Generates the chapter notebooks `notebooks/*.ipynb` from their Markdown sources `notebooks/src/*.md` and the
 * library's book regions.
 *
 *   npx ts-node --transpile-only scripts/notebooks/build.ts           # write the notebooks
 *   npx ts-node --transpile-only scripts/notebooks/build.ts --check   # exit 1 if a committed notebook differs
 *
 * A source's blocks become cells: prose → Markdown, ```` ```ts ```` → code, ```` ```{region} name ```` → the
 * library's `// #region book:<name>` block verbatim (preceded, for each run of regions, by one cell bringing into
 * scope the library names those regions import), ```` ```{parameters} ```` → the cell tagged `parameters` for the
 * section in the front matter. The committed notebooks are generated files: edit the sources or the library
 * region, then rebuild. They carry no outputs; executed copies (`d2l run --out …`) are build artifacts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cell, Notebook, serializeNotebook } from '../../src/jupyter/nbformat';
import { bookParameters } from '../../src/profiles';
import { D2L_METADATA_KEY, KERNELSPEC, LANGUAGE_INFO, builderMain, cellId, writeOrCheck } from './format';
import { BookRegion, collectRegions, regionCellSource, regionScope } from './regions';
import { Block, DirectiveBlock, SourceError, listSources, readSource } from './source';

/** The repository root (this file lives in scripts/notebooks/). */
export const ROOT = path.resolve(__dirname, '..', '..');
export const NOTEBOOK_DIR = path.join(ROOT, 'notebooks');
export const SOURCE_DIR = path.join(NOTEBOOK_DIR, 'src');

type CellContent = { cell_type: 'markdown' | 'code'; source: string; metadata: Record<string, unknown> };

/** Which names the notebook's cells have brought into scope so far (values and types are separate in TS). */
interface Scope { values: Set<string>; types: Set<string> }

/** The parameters cell: the profile, the book's values as a comment, and the one call that resolves them. */
export function parametersCell(section: string): string {
  const book: Record<string, unknown> = bookParameters(section);
  const names = Object.keys(book);
  const hyper = names.filter((n) => n !== 'trainLimit' && n !== 'testLimit');
  return [
    `let profile = 'auto';`,
    `// 书中的设置：${hyper.map((n) => `${n} = ${typeof book[n] === 'string' ? `'${book[n]}'` : book[n]}`).join(', ')}`,
    `let { ${names.join(', ')} } = d2l.settings('${section}', profile);`,
  ].join('\n');
}

/** The cell that brings the library names a run of regions uses into scope (`const {…} = d2l; type X = d2l.X;`). */
function scopeCellFor(run: BookRegion[], scope: Scope, regions: Map<string, BookRegion>): string | undefined {
  const values: string[] = [];
  const types: string[] = [];
  const declared = new Set<string>();
  const rank = new Map<string, number>(); // the order the file imports or declares a name
  for (const region of run) {
    const text = fs.readFileSync(path.join(ROOT, region.file), 'utf8');
    const inFile = [...regions.values()].filter((x) => x.file === region.file);
    const { uses, declares } = regionScope(region, text, inFile);
    for (const u of uses) {
      if (declared.has(u.name)) continue;
      if (!rank.has(u.name)) rank.set(u.name, u.order);
      if (u.value && !scope.values.has(u.name) && !values.includes(u.name)) values.push(u.name);
      if (u.type && !scope.types.has(u.name) && !types.includes(u.name)) types.push(u.name);
    }
    for (const d of declares) declared.add(d);
  }
  const byRank = (a: string, b: string) => rank.get(a)! - rank.get(b)!;
  values.sort(byRank);
  types.sort(byRank);
  for (const v of values) scope.values.add(v);
  for (const t of types) scope.types.add(t);
  for (const d of declared) { scope.values.add(d); scope.types.add(d); }
  const lines = [...(values.length ? [`const { ${values.join(', ')} } = d2l;`] : []), ...types.map((t) => `type ${t} = d2l.${t};`)];
  return lines.length ? lines.join('\n') : undefined;
}

function regionOf(b: DirectiveBlock, regions: Map<string, BookRegion>): BookRegion {
  const region = regions.get(b.arg);
  if (!region) {
    throw new SourceError(`${b.at.file}:${b.at.line}: {region} ${b.arg}: no file under src/ has ` +
      `'// #region book:${b.arg}' … '// #endregion book:${b.arg}'`);
  }
  return region;
}

/** The cells of one chapter notebook source. */
function chapterCells(blocks: Block[], section: string, regions: Map<string, BookRegion>): CellContent[] {
  const cells: CellContent[] = [];
  const scope: Scope = { values: new Set(), types: new Set() };
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.kind === 'markdown') {
      cells.push({ cell_type: 'markdown', source: b.text, metadata: {} });
    } else if (b.kind === 'code') {
      cells.push({ cell_type: 'code', source: b.text, metadata: {} });
    } else if (b.name === 'region') {
      // A run of consecutive regions shares one scope cell, placed before the first
      const run: DirectiveBlock[] = [];
      for (let k = i; k < blocks.length && blocks[k].kind === 'directive' && (blocks[k] as DirectiveBlock).name === 'region'; k++) {
        run.push(blocks[k] as DirectiveBlock);
      }
      const runRegions = run.map((r) => regionOf(r, regions));
      const scopeSource = scopeCellFor(runRegions, scope, regions);
      if (scopeSource) cells.push({ cell_type: 'code', source: scopeSource, metadata: {} });
      for (const r of runRegions) {
        cells.push({ cell_type: 'code', source: regionCellSource(r),
                     metadata: { [D2L_METADATA_KEY]: { region: r.name, source: r.file } } });
      }
      i += run.length - 1;
    } else if (b.name === 'parameters') {
      cells.push({ cell_type: 'code', source: parametersCell(section), metadata: { tags: ['parameters'] } });
    } else {
      throw new SourceError(`${b.at.file}:${b.at.line}: unknown directive {${b.name}} in a chapter notebook ` +
        '(known: region, parameters, include)');
    }
  }
  return cells;
}

/** The notebook a chapter source describes (`file`: its name under notebooks/, for cell ids). */
export function chapterNotebook(sourceFile: string, file: string, regions: Map<string, BookRegion>): Notebook {
  const doc = readSource(sourceFile, ROOT, { file });
  const section = doc.meta.section;
  if (!section) throw new SourceError(`${doc.file}: the front matter needs 'section: 7.x' (the profile table to use)`);
  bookParameters(section); // an unknown section fails here, naming the known ones
  const cells: Cell[] = chapterCells(doc.blocks, section, regions).map((c, i) =>
    c.cell_type === 'code'
      ? { ...c, cell_type: 'code', id: cellId(file, i), execution_count: null, outputs: [] }
      : { ...c, cell_type: 'markdown', id: cellId(file, i) });
  return {
    cells,
    metadata: { [D2L_METADATA_KEY]: { section }, kernelspec: KERNELSPEC, language_info: LANGUAGE_INFO },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** File name → the exact content the generator produces. */
export function generateAll(): Map<string, string> {
  const regions = collectRegions(ROOT);
  const out = new Map<string, string>();
  for (const source of listSources(SOURCE_DIR)) {
    const file = `${path.basename(source, '.md')}.ipynb`;
    out.set(file, serializeNotebook(chapterNotebook(source, file, regions)));
  }
  return out;
}

if (require.main === module) {
  process.exitCode = builderMain(process.argv.slice(2), (check) =>
    writeOrCheck(NOTEBOOK_DIR, generateAll(), check, ROOT, 'npm run notebooks'));
}
