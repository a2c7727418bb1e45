/**
 * The library side of "one source": finds every `// #region book:<name>` … `// #endregion book:<name>` block in
 * `src/**` so the notebook generator can copy it into a cell and the tests can check the copy, and reads which
 * library names a region uses (from its file's imports and exports), so the notebook can bring exactly those into
 * scope.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** One book definition as written in the library. */
export interface BookRegion {
  name: string;
  /** Path relative to the repository root, e.g. `src/layers/batch-norm.ts`. */
  file: string;
  /** 1-based line of the `#region` marker. */
  line: number;
  /** The lines between the markers, exactly as in the file. */
  body: string;
  /** 1-based line of the `#endregion` marker. */
  endLine: number;
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
      regions.push({ name: open.name, file, line: open.line, endLine: i + 1, body: lines.slice(open.start, i).join('\n') });
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

/** A library name a region uses: whether as a value, as a type, or both. */
export interface NameUse {
  name: string;
  value: boolean;
  type: boolean;
  /** Position among the names the file imports, then exports from outside its regions. */
  order: number;
}

/** What a region needs and provides in a notebook. */
export interface RegionScope {
  /** Library names the region uses, in the order its file imports or declares them. */
  uses: NameUse[];
  /** Names the region declares at its top level (later cells may use them). */
  declares: string[];
}

function hasExport(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** The top-level names a declaration statement introduces. */
function declaredNames(st: ts.Statement): string[] {
  if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) ||
       ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) return [st.name.text];
  if (ts.isVariableStatement(st)) {
    return st.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  }
  return [];
}

const typeOnly = (st: ts.Statement) => ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st);

/**
 * The names a file offers its regions, in order: its named imports from other library modules, then what it
 * exports from outside its regions (an interface such as `ResidualArgs` that the region's code mentions).
 */
function offeredNames(text: string, regions: BookRegion[]): { name: string; typeOnly: boolean }[] {
  const sf = ts.createSourceFile('file.ts', text, ts.ScriptTarget.ES2020, true);
  const inRegion = (node: ts.Node) => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    return regions.some((r) => line > r.line && line < r.endLine);
  };
  const offered: { name: string; typeOnly: boolean }[] = [];
  const exportedByList = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause) && !st.moduleSpecifier) {
      for (const e of st.exportClause.elements) exportedByList.add((e.propertyName ?? e.name).text);
    }
  }
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text.startsWith('.')) {
      const bindings = st.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) offered.push({ name: el.name.text, typeOnly: false });
      }
    } else if (!inRegion(st)) {
      for (const name of declaredNames(st)) {
        if (hasExport(st) || exportedByList.has(name)) offered.push({ name, typeOnly: typeOnly(st) });
      }
    }
  }
  return offered;
}

/** Identifiers the code refers to (not property names or declared names), as value and/or type references. */
function references(code: string): Map<string, { value: boolean; type: boolean }> {
  const sf = ts.createSourceFile('region.ts', code, ts.ScriptTarget.ES2020, true);
  const found = new Map<string, { value: boolean; type: boolean }>();
  const visit = (node: ts.Node, inType: boolean) => {
    // `class X extends Base` names a value; other heritage clauses and type nodes name types
    const extendsValue = ts.isExpressionWithTypeArguments(node) && ts.isHeritageClause(node.parent) &&
      node.parent.token === ts.SyntaxKind.ExtendsKeyword && ts.isClassLike(node.parent.parent);
    const typeHere = extendsValue ? false : inType || ts.isTypeNode(node);
    if (ts.isIdentifier(node) && isReference(node)) {
      const use = found.get(node.text) ?? { value: false, type: false };
      if (typeHere) use.type = true; else use.value = true;
      found.set(node.text, use);
    }
    ts.forEachChild(node, (child) => visit(child, typeHere));
  };
  visit(sf, false);
  return found;
}

function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) && (ts.isPropertyAccessExpression(p) ? p.name : p.right) === id) {
    return false;
  }
  const named = p as ts.Node & { name?: ts.Node; propertyName?: ts.Node };
  if (named.name === id && !ts.isShorthandPropertyAssignment(p)) return false; // a declaration or a property key
  if (named.propertyName === id) return false; // `{ key: local }` in a binding pattern
  return true;
}

/** What `region` uses from the library and declares, given the text of its file and the file's regions. */
export function regionScope(region: BookRegion, fileText: string, fileRegions: BookRegion[]): RegionScope {
  const refs = references(region.body);
  const declares = ts.createSourceFile('region.ts', region.body, ts.ScriptTarget.ES2020, true)
    .statements.flatMap(declaredNames);
  const uses: NameUse[] = [];
  offeredNames(fileText, fileRegions).forEach(({ name, typeOnly: onlyType }, order) => {
    const ref = refs.get(name);
    if (!ref || declares.includes(name) || uses.some((u) => u.name === name)) return;
    uses.push({ name, value: ref.value && !onlyType, type: ref.type, order });
  });
  return { uses, declares };
}
