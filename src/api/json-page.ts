/**
 * A collection page (`{"volumes": [...], "volumes_links": [...]}`) read one element at a time. JSON.parse of a
 * whole page of 1000 volumes builds about 5 MB of objects that all stay alive until the last row is printed, and
 * V8 grows its young generation to fit them; parsing each element when the listing reaches it keeps one volume
 * alive at a time, so memory stays flat however long the listing is (issue 14).
 *
 * The scan checks the page's structure (an object, the collection an array, balanced brackets and strings);
 * each other member is checked by JSON.parse. An element's own syntax is checked when it is parsed. Anything the
 * scan does not recognise returns undefined, and the caller parses the page as a whole, with that path's errors.
 */
export interface CollectionPage {
  /** Number of elements in the collection array. */
  readonly length: number;
  /** The element's text, for JSON.parse. */
  element(index: number): string;
  /** The other top-level members (`volumes_links`, `count`), parsed. */
  readonly members: Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

class NotAPage extends Error {}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just after the string that opens at `i` (indexOf finds the quotes; most of a page is inside strings). */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) throw new NotAPage();
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index just after the value that starts at `i` (strings and brackets balanced; scalars up to a delimiter). */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) j = stringEnd(text, j) - 1;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new NotAPage();
  }
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
    j++;
  }
  if (j === i) throw new NotAPage();
  return j;
}

/** Splits `text` as a page whose collection is `key`; undefined when it is not shaped like one. */
export function scanCollectionPage(text: string, key: string): CollectionPage | undefined {
  try {
    return scan(text, key);
  } catch (err) {
    if (err instanceof NotAPage || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function scan(text: string, key: string): CollectionPage {
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  const members: Record<string, unknown> = {};
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) throw new NotAPage();
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) throw new NotAPage(); // `{}`: no collection at all
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) throw new NotAPage();
    const nameEnd = stringEnd(text, i);
    const name = JSON.parse(text.slice(i, nameEnd)) as string;
    i = skipSpace(text, nameEnd);
    if (text.charCodeAt(i) !== COLON) throw new NotAPage();
    i = skipSpace(text, i + 1);
    if (name === key) {
      if (text.charCodeAt(i) !== OPEN_BRACKET) throw new NotAPage();
      starts = [];
      ends = [];
      i = skipSpace(text, i + 1);
      if (text.charCodeAt(i) === CLOSE_BRACKET) i += 1;
      else {
        for (;;) {
          const end = valueEnd(text, i);
          starts.push(i);
          ends.push(end);
          i = skipSpace(text, end);
          const c = text.charCodeAt(i);
          if (c === CLOSE_BRACKET) {
            i += 1;
            break;
          }
          if (c !== COMMA) throw new NotAPage();
          i = skipSpace(text, i + 1);
        }
      }
    } else {
      const end = valueEnd(text, i);
      members[name] = JSON.parse(text.slice(i, end));
      i = end;
    }
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA) throw new NotAPage();
    i = skipSpace(text, i + 1);
  }
  if (skipSpace(text, i + 1) !== text.length || starts === undefined || ends === undefined) throw new NotAPage();
  const s = starts;
  const e = ends;
  return {
    length: s.length,
    element: (index) => text.slice(s[index], e[index]),
    members,
  };
}
