/**
 * The vocabulary of notebook source files: each chapter notebook is a list of these cell specs, turned into
 * nbformat JSON by `build.ts`. Prose and code are written as template literals and dedented here, so the source
 * files read naturally (escape backticks and `${` inside them).
 */

/** A markdown cell. */
export interface MarkdownSpec { kind: 'markdown'; source: string }
/** A code cell written in the notebook source. */
export interface CodeSpec { kind: 'code'; source: string; tags: string[] }
/** A code cell copied verbatim from the library's `// #region book:<name>` block. */
export interface RegionSpec { kind: 'region'; name: string }
export type CellSpec = MarkdownSpec | CodeSpec | RegionSpec;

/** One chapter notebook. */
export interface NotebookSpec {
  /** File name under `notebooks/`, e.g. `7.1-alexnet.ipynb` (stable: the runner and CI refer to it). */
  file: string;
  /** The section, as in `src/profiles.ts` (`'7.1'` …). */
  section: string;
  cells: CellSpec[];
}

/** Removes the common indentation and the blank first/last lines of a template literal. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[0].trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut).replace(/\s+$/, '')).join('\n');
}

function joinTemplate(strings: TemplateStringsArray | string, values: unknown[]): string {
  if (typeof strings === 'string') return strings;
  return strings.raw.reduce((acc, s, i) => acc + unescapeRaw(s) + (i < values.length ? String(values[i]) : ''), '');
}

/**
 * The raw template text is used so code like `'\n'` reaches the notebook exactly as written; only the two escapes
 * a template literal forces on us (a backtick and `${`) are undone.
 */
function unescapeRaw(s: string): string {
  return s.replace(/\\([`$])/g, '$1');
}

const CJK_END = /[\u2010-\u201f\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$/;
const CJK_START = /^[\u2010-\u201f\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
const BLOCK_START = /^(\s*([*+-]\s|\d+\.\s|#|>|\||```|\$\$)|\s*$)/;

/**
 * Joins hard-wrapped lines of Chinese prose: Markdown renders a line break inside a paragraph as a space, which
 * shows up between two Chinese characters. A line ending in a CJK character is merged with the next line unless
 * that one starts a new block (list item, heading, quote, table, fence, display math, blank line).
 */
export function joinCjkLines(text: string): string {
  const out: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    const prev = out.length > 0 ? out[out.length - 1] : undefined;
    if (line.trim().startsWith('```')) inFence = !inFence;
    if (!inFence && prev !== undefined && CJK_END.test(prev) && !BLOCK_START.test(line)) {
      // No space between two Chinese characters; a space before Latin text or math, as Markdown would render it
      const next = line.trim();
      out[out.length - 1] = prev + (CJK_START.test(next) ? '' : ' ') + next;
    } else {
      out.push(line);
    }
  }
  return out.join('\n');
}

/** A markdown cell: md`…` or md('…'). Hard-wrapped Chinese lines are joined (see `joinCjkLines`). */
export function md(strings: TemplateStringsArray | string, ...values: unknown[]): MarkdownSpec {
  return { kind: 'markdown', source: joinCjkLines(dedent(joinTemplate(strings, values))) };
}

/** A code cell: code`…` or code('…'). */
export function code(strings: TemplateStringsArray | string, ...values: unknown[]): CodeSpec {
  return { kind: 'code', source: dedent(joinTemplate(strings, values)), tags: [] };
}

/** A code cell with cell tags (e.g. `parameters`). */
export function taggedCode(tags: string[], source: string): CodeSpec {
  return { kind: 'code', source: dedent(source), tags: [...tags] };
}

/** The library's `book:<name>` region, copied verbatim. */
export function region(name: string): RegionSpec {
  return { kind: 'region', name };
}
