/**
 * The library side of "one source": finds every `// #region book:<name>` … `// #endregion book:<name>` block in
 * `src/**` so the notebook generator can copy it into a cell and the tests can check the copy.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One book definition as written in the library. */
export interface BookRegion {
  name: string;
  /** Path relative to the repository root, e.g. `src/layers/batch-norm.ts`. */
  file: string;
  /** 1-based line of the `#region` marker. */
  line: number;
  /** The lines between the markers, exactly as in the file. */
  body: string;
}

const OPEN = /^\s*\/\/\s*#region\s+book:(\S+)\s*$/;
const CLOSE = /^\s*\/\/\s*#endregion\s+book:(\S+)\s*$/;

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTsFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Parses the book regions of one file's text; `file` is used in messages. */
export function parseRegions(text: string, file: string): BookRegion[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const regions: BookRegion[] = [];
  let open: { name: string; line: number; start: number } | null = null;
  lines.forEach((l, i) => {
    const o = OPEN.exec(l);
    const c = CLOSE.exec(l);
    if (o) {
      if (open) throw new Error(`${file}:${i + 1}: region book:${o[1]} starts inside book:${open.name} (line ${open.line})`);
      open = { name: o[1], line: i + 1, start: i + 1 };
    } else if (c) {
      if (!open || open.name !== c[1]) {
        throw new Error(`${file}:${i + 1}: '#endregion book:${c[1]}' does not close the open region ` +
          `(${open ? `book:${open.name} from line ${open.line}` : 'none is open'})`);
      }
      regions.push({ name: open.name, file, line: open.line, body: lines.slice(open.start, i).join('\n') });
      open = null;
    }
  });
  if (open) {
    const o = open as { name: string; line: number };
    throw new Error(`${file}:${o.line}: region book:${o.name} is never closed with '// #endregion book:${o.name}'`);
  }
  return regions;
}

/** All book regions under `<root>/src`, by name. Two regions with one name are an error. */
export function collectRegions(root: string): Map<string, BookRegion> {
  const byName = new Map<string, BookRegion>();
  for (const full of listTsFiles(path.join(root, 'src'))) {
    const file = path.relative(root, full).split(path.sep).join('/');
    for (const r of parseRegions(fs.readFileSync(full, 'utf8'), file)) {
      const seen = byName.get(r.name);
      if (seen) throw new Error(`region book:${r.name} is defined twice: ${seen.file}:${seen.line} and ${file}:${r.line}`);
      byName.set(r.name, r);
    }
  }
  return byName;
}

/**
 * The notebook cell for a region: its body with the common indentation and surrounding blank lines removed, and a
 * leading `export ` dropped from top-level declarations (tslab rejects `export` in a cell; the library normally
 * exports below the region anyway). Nothing else changes, so the cell reads exactly like the library.
 */
export function regionCellSource(region: BookRegion): string {
  const lines = region.body.split('\n');
  while (lines.length > 0 && lines[0].trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines
    .map((l) => l.slice(cut))
    .map((l) => l.replace(/^export\s+(?=(async\s+)?(function|class|const|let|var|interface|type|enum|abstract)\b)/, ''))
    .join('\n');
}
