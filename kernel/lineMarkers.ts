/**
 * Cell line numbers for runtime errors.
 *
 * tslab compiles a cell in two TypeScript passes without source maps, so a stack frame's line in the generated
 * JavaScript says little about the cell's line. We append a comment `/*@d2l:N*\/` to the end of every line of the
 * cell before compiling (only where a comment is safe: not inside a string, template or block comment). TypeScript
 * keeps these trailing comments, so the first marker at or after an error position in the generated code names
 * the cell line the failing code came from. Markers are at line ends, so diagnostics' columns do not move.
 */
import type * as TS from 'typescript';

// tslab's own TypeScript build (the one that compiles cells); only its scanner is used here.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ts: typeof TS = require('@tslab/typescript-for-tslab');

const MARKER = /\/\*@d2l:(\d+)\*\//g;

/** Returns `src` with a line marker at the end of every line where a comment cannot change the code. */
export function addLineMarkers(src: string): string {
  const unsafe = newlinesInsideTokens(src);
  const lines = src.split('\n');
  let offset = 0;
  const out: string[] = [];
  lines.forEach((line, i) => {
    const newlineAt = offset + line.length;
    offset = newlineAt + 1;
    if (i < lines.length - 1 && unsafe.has(newlineAt)) {
      out.push(line);
      return;
    }
    // A lone '\r' also ends a line in JavaScript: the marker must go before it.
    const cr = line.endsWith('\r') ? '\r' : '';
    out.push(`${cr ? line.slice(0, -1) : line} /*@d2l:${i + 1}*/${cr}`);
  });
  return out.join('\n');
}

/** Removes the markers again (for code shown to the user, e.g. a function's source). */
export function stripLineMarkers(text: string): string {
  return text.replace(/ ?\/\*@d2l:\d+\*\//g, '');
}

/**
 * The cell line (1-based) of the code at `line`:`column` (1-based, as in V8 stack frames) of generated `js`,
 * or undefined when no marker follows.
 */
export function cellLineAt(js: string, line: number, column: number): number | undefined {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = js.indexOf('\n', offset);
    if (nl < 0) return undefined;
    offset = nl + 1;
  }
  const position = offset + Math.max(0, column - 1);
  MARKER.lastIndex = position;
  const after = MARKER.exec(js);
  if (after) return Number(after[1]);
  // The compiler dropped this line's marker (it does for some final statements): count lines from the last one.
  let before: RegExpExecArray | null = null;
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(js); m && m.index < position; m = MARKER.exec(js)) before = m;
  if (!before) return undefined;
  const linesBetween = js.slice(before.index, position).split('\n').length - 1;
  return Number(before[1]) + linesBetween;
}

/** Offsets of '\n' characters that lie inside a string, template literal or block comment. */
function newlinesInsideTokens(src: string): Set<number> {
  const unsafe = new Set<number>();
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, src);
  const templateBraceDepth: number[] = [];
  let braceDepth = 0;
  let previous: TS.SyntaxKind = ts.SyntaxKind.Unknown;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) {
      if (!endsExpression(previous)) kind = scanner.reScanSlashToken();
    } else if (kind === ts.SyntaxKind.OpenBraceToken) {
      braceDepth++;
    } else if (kind === ts.SyntaxKind.CloseBraceToken) {
      if (templateBraceDepth.length > 0 && templateBraceDepth[templateBraceDepth.length - 1] === braceDepth) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateTail) templateBraceDepth.pop();
      } else {
        braceDepth--;
      }
    }
    if (kind === ts.SyntaxKind.TemplateHead) templateBraceDepth.push(braceDepth);
    const text = scanner.getTokenText();
    if (kind !== ts.SyntaxKind.NewLineTrivia && text.includes('\n')) {
      const start = scanner.getTokenPos();
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) unsafe.add(start + i);
    }
    if (kind !== ts.SyntaxKind.WhitespaceTrivia && kind !== ts.SyntaxKind.NewLineTrivia
      && kind !== ts.SyntaxKind.SingleLineCommentTrivia && kind !== ts.SyntaxKind.MultiLineCommentTrivia) {
      previous = kind;
    }
  }
  return unsafe;
}

/** After these tokens a '/' is division; otherwise it starts a regular expression. */
function endsExpression(kind: TS.SyntaxKind): boolean {
  return kind === ts.SyntaxKind.Identifier || kind === ts.SyntaxKind.NumericLiteral
    || kind === ts.SyntaxKind.StringLiteral || kind === ts.SyntaxKind.CloseParenToken
    || kind === ts.SyntaxKind.CloseBracketToken || kind === ts.SyntaxKind.CloseBraceToken
    || kind === ts.SyntaxKind.TemplateTail || kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral
    || kind === ts.SyntaxKind.ThisKeyword || kind === ts.SyntaxKind.PlusPlusToken
    || kind === ts.SyntaxKind.MinusMinusToken || kind === ts.SyntaxKind.BigIntLiteral
    || kind === ts.SyntaxKind.RegularExpressionLiteral;
}
