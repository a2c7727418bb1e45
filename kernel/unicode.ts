/**
 * Jupyter counts cursor positions in Unicode code points (spec 5.2+); JavaScript strings index UTF-16 units.
 * The two differ only after characters outside the Basic Multilingual Plane (emoji, some CJK).
 */

/** UTF-16 index of the code-point offset `cursor` in `text`. */
export function fromCodePoints(text: string, cursor: number): number {
  let units = 0;
  let points = 0;
  while (points < cursor && units < text.length) {
    const code = text.codePointAt(units)!;
    units += code > 0xffff ? 2 : 1;
    points++;
  }
  return units;
}

/** Code-point offset of the UTF-16 index `index` in `text`. */
export function toCodePoints(text: string, index: number): number {
  return Array.from(text.slice(0, Math.max(0, index))).length;
}
