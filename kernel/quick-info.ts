/**
 * The text of an inspect_reply (Lab's Shift+Tab tooltip, Notebook's pager): TypeScript's QuickInfo for the symbol
 * under the cursor — signature, documentation, then every JSDoc tag under its own name.
 *
 * tslab's printQuickInfo keeps the name of `@param` only: `@returns`, `@throws`, `@example`, `@see`, … print as bare
 * text that reads as part of the description, and tags without text (`@deprecated`) vanish.
 */

/** The parts of `ts.QuickInfo` used here (TypeScript's SymbolDisplayPart / JSDocTagInfo). */
export interface QuickInfoParts {
  displayParts?: { text: string }[];
  documentation?: { text: string }[];
  tags?: { name: string; text?: { text: string }[] }[];
}

const joined = (parts: { text: string }[] | undefined): string => (parts ?? []).map((p) => p.text).join('');

/** One JSDoc tag as text: `@returns value`, `@param name text`; an example's code starts on its own line. */
export function formatTag(tag: { name: string; text?: { text: string }[] }): string {
  const text = joined(tag.text).trim();
  if (!text) return `@${tag.name}`;
  const multiline = tag.name === 'example' || text.includes('\n');
  return `@${tag.name}${multiline ? '\n' : ' '}${text}`;
}

/** Signature, a blank line, the documentation, a blank line, one line (or block) per tag. */
export function formatQuickInfo(info: QuickInfoParts): string {
  const sections = [joined(info.displayParts), joined(info.documentation).trim(),
    (info.tags ?? []).map(formatTag).join('\n')];
  return sections.filter((s) => s.length > 0).join('\n\n');
}
