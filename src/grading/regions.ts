/**
 * The regions teachers mark in exercise cells (nbgrader's markers, matched anywhere in a line, so `// ` prefixes
 * need no setting): solutions, replaced by a stub on release, and hidden tests, removed on release.
 */

export const BEGIN_SOLUTION = 'BEGIN SOLUTION';
export const END_SOLUTION = 'END SOLUTION';
export const BEGIN_HIDDEN = 'BEGIN HIDDEN TESTS';
export const END_HIDDEN = 'END HIDDEN TESTS';

/** A notebook the teachers' tools cannot use (unpaired markers, a hidden test that is not a check); the message names the cell and the fix. */
export class AssignError extends Error {
  override name = 'AssignError';
}

/** A run of lines of a cell: outside every region, or the inside of one (marker lines excluded). */
export interface RegionPart {
  inside: boolean;
  lines: string[];
  /** Index of the part's first line in the cell (for a region: the line after its BEGIN marker). */
  firstLine: number;
  /** For a region: the indentation of its BEGIN line. */
  indent: string;
}

/** Splits `source` at each `begin` … `end` region (a line containing the marker). Throws on unpaired markers. */
export function splitRegions(source: string, begin: string, end: string, where: string): RegionPart[] {
  const parts: RegionPart[] = [];
  let part: RegionPart = { inside: false, lines: [], firstLine: 0, indent: '' };
  source.split('\n').forEach((line, i) => {
    if (line.includes(begin)) {
      if (part.inside) throw new AssignError(`${where}: '${begin}' again before '${end}'; close each region before opening the next`);
      parts.push(part);
      part = { inside: true, lines: [], firstLine: i + 1, indent: /^\s*/.exec(line)![0] };
    } else if (line.includes(end)) {
      if (!part.inside) throw new AssignError(`${where}: '${end}' without a preceding '${begin}'`);
      parts.push(part);
      part = { inside: false, lines: [], firstLine: i + 1, indent: '' };
    } else {
      part.lines.push(line);
    }
  });
  if (part.inside) throw new AssignError(`${where}: '${begin}' is never closed; add a line containing '${end}'`);
  parts.push(part);
  return parts;
}

/**
 * Replaces each `BEGIN SOLUTION` … `END SOLUTION` region (marker lines included) by `stub`, indented like the
 * BEGIN line. Returns undefined when the text has no region.
 */
export function replaceRegions(source: string, begin: string, end: string, stub: string | null, where: string): string | undefined {
  const parts = splitRegions(source, begin, end, where);
  if (parts.length === 1) return undefined;
  const out = parts.flatMap((p) => (!p.inside ? p.lines : stub === null ? [] : stub.split('\n').map((l) => p.indent + l)));
  return out.join('\n');
}

