/**
 * Reads the Markdown sources of the notebooks (`notebooks/src/**.md`, MyST-style; the format is described in
 * notebooks/src/README.md): prose is prose, ```` ```ts ```` fences are code cells, ```` ```{name} arg ```` and
 * `:::{name} arg` blocks are directives (options as leading `:key: value` lines), `+++` separates two Markdown
 * cells, and ```` ```{include} file ```` splices another source. The builders (`build.ts`,
 * `../exercises/build.ts`) turn the blocks into cells.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Where a block starts, for messages: `notebooks/src/7.6-resnet.md:42`. */
export interface Location {
  file: string;
  line: number;
}

/** A run of prose: one Markdown cell. */
export interface MarkdownBlock { kind: 'markdown'; text: string; at: Location }
/** A fenced ```` ```ts ```` block: one code cell. */
export interface CodeBlock { kind: 'code'; text: string; at: Location }
/** A directive: ```` ```{name} arg ```` (code-like body) or `:::{name} arg` (Markdown body). */
export interface DirectiveBlock {
  kind: 'directive';
  name: string;
  arg: string;
  options: Record<string, string>;
  body: string;
  /** True for a `:::` (colon) fence, whose body is Markdown. */
  colon: boolean;
  at: Location;
}
export type Block = MarkdownBlock | CodeBlock | DirectiveBlock;

/** A parsed source: its front matter (`key: value` lines between `---` lines) and its blocks. */
export interface SourceDoc {
  file: string;
  meta: Record<string, string>;
  blocks: Block[];
}

/** A source that cannot be read as written; the message names the file and line. */
export class SourceError extends Error {
  override name = 'SourceError';
}

const FENCE = /^(`{3,}|:{3,})(.*)$/;
const DIRECTIVE = /^\{([a-z][\w-]*)\}\s*(.*)$/;

function fail(at: Location, message: string): never {
  throw new SourceError(`${at.file}:${at.line}: ${message}`);
}

/** Removes leading and trailing blank lines. */
function trimBlankLines(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === '') a++;
  while (b > a && lines[b - 1].trim() === '') b--;
  return lines.slice(a, b);
}

/** Splits a directive body into its leading `:key: value` options and the rest. */
function splitOptions(lines: string[]): { options: Record<string, string>; body: string[] } {
  const options: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^:([\w-]+):\s*(.*)$/.exec(lines[i]);
    if (!m) break;
    options[m[1]] = m[2].trim();
  }
  return { options, body: lines.slice(i) };
}

/** Parses the text of one source (`file` is used in messages). Includes are not expanded here. */
export function parseSource(text: string, file: string): SourceDoc {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const meta: Record<string, string> = {};
  let i = 0;
  if (lines[0] === '---') {
    const end = lines.indexOf('---', 1);
    if (end < 0) fail({ file, line: 1 }, "front matter opened with '---' is never closed");
    for (let k = 1; k < end; k++) {
      const m = /^([\w-]+):\s*(.*)$/.exec(lines[k]);
      if (!m) fail({ file, line: k + 1 }, `front matter line is not 'key: value': ${lines[k]}`);
      meta[m[1]] = m[2].trim();
    }
    i = end + 1;
  }
  const blocks: Block[] = [];
  let prose: string[] = [];
  let proseStart = i + 1;
  const flushProse = () => {
    const kept = trimBlankLines(prose);
    if (kept.length > 0) blocks.push({ kind: 'markdown', text: kept.join('\n'), at: { file, line: proseStart } });
    prose = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    const at = { file, line: i + 1 };
    if (line === '+++') {
      flushProse();
      i++;
      proseStart = i + 1;
      continue;
    }
    const fence = FENCE.exec(line);
    const info = fence ? fence[2].trim() : '';
    const directive = fence ? DIRECTIVE.exec(info) : null;
    const isCell = fence && (directive || (fence[1][0] === '`' && info === 'ts'));
    if (!fence || !isCell) {
      // Prose, including fenced examples in other languages (kept whole, so '+++' inside them is text)
      if (fence && fence[1][0] === '`') {
        const close = lines.findIndex((l, k) => k > i && /^`+$/.test(l.trim()) && l.trim().length >= fence[1].length);
        if (close < 0) fail(at, `fence ${fence[1]} is never closed`);
        if (prose.length === 0) proseStart = i + 1;
        prose.push(...lines.slice(i, close + 1));
        i = close + 1;
      } else {
        if (prose.length === 0) proseStart = i + 1;
        prose.push(line);
        i++;
      }
      continue;
    }
    flushProse();
    const marker = fence[1];
    const close = lines.findIndex((l, k) => k > i && l === marker);
    if (close < 0) fail(at, `'${marker}${info}' is never closed with a line '${marker}'`);
    const inner = lines.slice(i + 1, close);
    if (directive) {
      const { options, body } = splitOptions(inner);
      blocks.push({ kind: 'directive', name: directive[1], arg: directive[2].trim(), options,
                    body: trimBlankLines(body).join('\n'), colon: marker[0] === ':', at });
    } else {
      blocks.push({ kind: 'code', text: trimBlankLines(inner).join('\n'), at });
    }
    i = close + 1;
    proseStart = i + 1;
  }
  flushProse();
  return { file, meta, blocks };
}

/** Replaces `{{ name }}` with `values[name]`; an unknown name is an error. */
export function substitute(text: string, values: Record<string, string>, at: Location): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    if (!(name in values)) fail(at, `unknown substitution {{ ${name} }}; known: ${Object.keys(values).join(', ')}`);
    return values[name];
  });
}

/**
 * Reads a source file and expands its ```` ```{include} other.md ```` blocks (paths relative to the including
 * file). Prose of an included file may use `{{ name }}` for the including document's front matter and `file`
 * (the notebook it becomes, e.g. `7.6-resnet.ipynb`).
 */
export function readSource(file: string, root: string, vars: Record<string, string> = {}): SourceDoc {
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  const doc = parseSource(fs.readFileSync(file, 'utf8'), rel(file));
  const values = { ...doc.meta, ...vars };
  const expand = (d: SourceDoc, depth: number, fromFile: string): Block[] => d.blocks.flatMap((b) => {
    if (b.kind !== 'directive' || b.name !== 'include') return [b];
    if (depth > 4) fail(b.at, 'includes nest more than 4 deep (an include cycle?)');
    const target = path.resolve(path.dirname(fromFile), b.arg);
    if (!fs.existsSync(target)) fail(b.at, `cannot include ${b.arg}: no file ${rel(target)}`);
    const part = parseSource(fs.readFileSync(target, 'utf8'), rel(target));
    const blocks = expand(part, depth + 1, target);
    return blocks.map((x) => (x.kind === 'markdown' ? { ...x, text: substitute(x.text, values, x.at) } : x));
  });
  return { ...doc, blocks: expand(doc, 0, file) };
}

/** The Markdown sources in `dir` (not starting with `_`, which are fragments to include; not README.md). */
export function listSources(dir: string): string[] {
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.md') && !f.startsWith('_') && f !== 'README.md')
    .sort()
    .map((f) => path.join(dir, f));
}
