/**
 * Measuring and cutting text as a terminal shows it: escape sequences take no columns, East Asian wide characters
 * and emoji take two, combining marks none. The live region cuts every row to the terminal width with these, so a
 * row never wraps (a wrapped row would break the cursor-up redraw).
 */

// CSI (colours, cursor moves) and OSC (hyperlinks, titles) sequences.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
// eslint-disable-next-line no-control-regex
const ESCAPE_AT_START = /^(?:\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))/;

function stripEscapes(text: string): string {
  return text.replace(ESCAPES, '');
}

/** Columns one code point takes. */
function charWidth(codePoint: number): number {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return 0;
  // Combining marks, zero-width space/joiners, variation selectors.
  if (
    (codePoint >= 0x0300 && codePoint <= 0x036f) ||
    (codePoint >= 0x200b && codePoint <= 0x200f) ||
    (codePoint >= 0xfe00 && codePoint <= 0xfe0f) ||
    (codePoint >= 0x20d0 && codePoint <= 0x20ff)
  ) {
    return 0;
  }
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Columns the text takes on a terminal. */
export function visibleWidth(text: string): number {
  let width = 0;
  for (const ch of stripEscapes(text)) width += charWidth(ch.codePointAt(0)!);
  return width;
}

/**
 * The text cut to at most `columns` columns, escape sequences kept. A cut text ends with `…` and a colour reset,
 * so a colour opened before the cut does not leak into the rest of the line.
 */
export function fitToWidth(text: string, columns: number): string {
  if (visibleWidth(text) <= columns) return text;
  if (columns <= 0) return '';
  let out = '';
  let width = 0;
  let rest = text;
  while (rest.length) {
    const esc = ESCAPE_AT_START.exec(rest);
    if (esc) {
      out += esc[0];
      rest = rest.slice(esc[0].length);
      continue;
    }
    const ch = String.fromCodePoint(rest.codePointAt(0)!);
    const w = charWidth(ch.codePointAt(0)!);
    if (width + w > columns - 1) break;
    out += ch;
    width += w;
    rest = rest.slice(ch.length);
  }
  const reset = out.includes('\x1b[') ? '\x1b[0m' : '';
  return out + '…' + reset;
}

/** Pads with spaces to `columns` visible columns (cutting when longer). */
export function padToWidth(text: string, columns: number): string {
  const fitted = fitToWidth(text, columns);
  return fitted + ' '.repeat(Math.max(0, columns - visibleWidth(fitted)));
}

/** Pads on the left to `columns` visible columns. */
export function padStartToWidth(text: string, columns: number): string {
  return ' '.repeat(Math.max(0, columns - visibleWidth(text))) + text;
}
