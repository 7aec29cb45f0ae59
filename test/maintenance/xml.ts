/**
 * A strict, small XML 1.0 reader for the tests: it throws on anything a conforming parser would reject
 * (unbalanced tags, unquoted or duplicate attributes, raw '<' or '&', unknown entities, control characters,
 * several roots), so "the JUnit file parses" means something without adding a dependency.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(source: string): XmlElement {
  let i = 0;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(source)) throw new Error('control character in XML');
  const fail = (msg: string): never => {
    throw new Error(`XML error at offset ${i}: ${msg}`);
  };
  const skipWs = () => {
    while (i < source.length && /\s/.test(source[i]!)) i++;
  };
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(source);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const decode = (raw: string, inAttr: boolean): string => {
    if (inAttr && raw.includes('<')) fail("raw '<' in attribute");
    return raw.replace(/&([^;]*);|&/g, (all, ent: string | undefined) => {
      if (ent === undefined) fail("raw '&'");
      if (ent!.startsWith('#x')) return String.fromCodePoint(parseInt(ent!.slice(2), 16));
      if (ent!.startsWith('#')) return String.fromCodePoint(parseInt(ent!.slice(1), 10));
      if (!(ent! in ENTITIES)) fail(`unknown entity &${ent};`);
      return ENTITIES[ent!]!;
    });
  };
  const skipMisc = () => {
    for (;;) {
      skipWs();
      if (source.startsWith('<?', i)) {
        const end = source.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const parseElement = (): XmlElement => {
    if (source[i] !== '<') fail("expected '<'");
    i++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      skipWs();
      if (source.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace before attribute');
      const attr = readName();
      skipWs();
      if (source[i] !== '=') fail("expected '='");
      i++;
      skipWs();
      const q = source[i];
      if (q !== '"' && q !== "'") fail('attribute value must be quoted');
      const end = source.indexOf(q!, i + 1);
      if (end < 0) fail('unterminated attribute');
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      el.attrs[attr] = decode(source.slice(i + 1, end), true);
      i = end + 1;
    }
    for (;;) {
      if (i >= source.length) fail(`unclosed <${el.name}>`);
      if (source.startsWith('</', i)) {
        i += 2;
        const name = readName();
        if (name !== el.name) fail(`</${name}> closes <${el.name}>`);
        skipWs();
        if (source[i] !== '>') fail("expected '>'");
        i++;
        return el;
      }
      if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (source.startsWith('<![CDATA[', i)) {
        const end = source.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        el.text += source.slice(i + 9, end);
        i = end + 3;
      } else if (source[i] === '<') {
        el.children.push(parseElement());
      } else {
        const next = source.indexOf('<', i);
        const raw = source.slice(i, next < 0 ? source.length : next);
        if (raw.includes(']]>')) fail("']]>' in text");
        el.text += decode(raw, false);
        i = next < 0 ? source.length : next;
      }
    }
  };
  skipMisc();
  const root = parseElement();
  skipMisc();
  if (i !== source.length) fail('content after the root element');
  return root;
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
