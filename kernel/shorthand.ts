/**
 * Works around a tslab defect: shorthand properties `{ x }` that refer to a variable of an earlier cell.
 *
 * tslab shares top-level names between cells by rewriting references to earlier cells' variables into
 * `exports.x` (converter.js, `wrapPrevIdentifier`). It decides per identifier with `checker.getSymbolAtLocation`,
 * which for the name of a shorthand property returns the *property* symbol, not the variable it reads — so
 * `{ x }` stays `{ x }` and throws `ReferenceError: x is not defined`, and the destructuring assignment
 * `({ x } = obj)` assigns a stray global instead of the shared variable. Spelled out as `{ x: x }` the value
 * side is an ordinary identifier that tslab rewrites correctly, so we expand shorthands before compiling.
 *
 * Only shorthand properties of object literals change (in expressions and in destructuring assignments);
 * binding patterns of declarations (`const { x } = obj`) are different nodes and stay as they are. The text is
 * inserted within the same line, so line numbers do not move; `originalColumn` maps diagnostics' columns back.
 */
import type * as TS from 'typescript';

// tslab's own TypeScript build (the one that compiles cells).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ts: typeof TS = require('@tslab/typescript-for-tslab');

/** One `: name` inserted after a shorthand name; positions are 0-based within the cell's line. */
interface Insertion {
  line: number;
  /** Column of the original text where the insertion goes (just after the name). */
  column: number;
  /** Column where the shorthand name starts (diagnostics pointing into the inserted text map here). */
  nameColumn: number;
  length: number;
}

export interface ExpandedCell {
  code: string;
  /** Maps a 1-based line/column of `code` back to the 1-based column in the original cell. */
  originalColumn(line: number, column: number): number;
}

/** Returns `src` with every object-literal shorthand property `{ a }` spelled out as `{ a: a }`. */
export function expandShorthandProperties(src: string): ExpandedCell {
  const identity: ExpandedCell = { code: src, originalColumn: (_line, column) => column };
  if (!src.includes('{')) return identity;
  const sf = ts.createSourceFile('cell.ts', src, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const points: Array<{ at: number; nameStart: number; text: string }> = [];
  const visit = (node: TS.Node): void => {
    if (ts.isShorthandPropertyAssignment(node) && ts.isObjectLiteralExpression(node.parent)) {
      const name = node.name.getText(sf);
      points.push({ at: node.name.end, nameStart: node.name.getStart(sf), text: `: ${name}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (points.length === 0) return identity;
  points.sort((a, b) => a.at - b.at);

  let code = '';
  let last = 0;
  const insertions: Insertion[] = [];
  for (const p of points) {
    code += src.slice(last, p.at) + p.text;
    last = p.at;
    const { line, character } = sf.getLineAndCharacterOfPosition(p.at);
    insertions.push({ line, column: character, nameColumn: sf.getLineAndCharacterOfPosition(p.nameStart).character, length: p.text.length });
  }
  code += src.slice(last);

  return {
    code,
    originalColumn(line: number, column: number): number {
      let col = column - 1; // 0-based column in `code`
      let shift = 0; // characters inserted before `col` on this line so far
      for (const ins of insertions) {
        if (ins.line !== line - 1) continue;
        const start = ins.column + shift; // where this insertion starts in `code`
        if (col < start) break;
        if (col < start + ins.length) return ins.nameColumn + 1; // inside `: name`: point at the shorthand
        shift += ins.length;
      }
      col -= shift;
      return col + 1;
    },
  };
}
