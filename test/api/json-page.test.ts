import { describe, expect, it } from 'vitest';
import { scanCollectionPage } from '../../src/api/json-page.js';

const elements = (text: string, key = 'volumes') => {
  const page = scanCollectionPage(text, key);
  if (!page) return undefined;
  return { items: Array.from({ length: page.length }, (_, i) => JSON.parse(page.element(i)) as unknown), members: page.members };
};

describe('scanCollectionPage', () => {
  it('splits a page into the elements JSON.parse would give, and parses the other members', () => {
    const body = {
      volumes: [
        { id: 'a', name: 'with "quotes", [brackets] and {braces}', metadata: { k: 'v\\}' }, attachments: [] },
        { id: 'b', size: 1, bootable: false, description: null, nested: [[1, 2], { x: [] }] },
        { id: 'c', path: 'C:\\', odd: '\\"', quote: '"', key: '\\' },
        'a string element',
        42,
      ],
      volumes_links: [{ rel: 'next', href: 'http://x/v3/p/volumes/detail?marker=b' }],
      count: 4,
    };
    for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2), `  ${JSON.stringify(body, null, '\t')}\n`]) {
      expect(elements(text)).toEqual({ items: body.volumes, members: { volumes_links: body.volumes_links, count: 4 } });
    }
  });

  it('an empty collection, a collection after the links, unicode escapes', () => {
    expect(elements('{"volumes": []}')).toEqual({ items: [], members: {} });
    expect(elements('{"volumes_links": [], "volumes": [{"name": "\\u00e9t\\u00e9"}]}')).toEqual({
      items: [{ name: 'été' }],
      members: { volumes_links: [] },
    });
  });

  it('anything not shaped like a page is left to the whole-body parser (undefined)', () => {
    for (const text of [
      '',
      '<html><title>Login</title></html>',
      '[1, 2]',
      '{}',
      '{"volume": {"id": "a"}}',
      '{"volumes": {"id": "a"}}',
      '{"volumes": [{"id": "a"}',
      '{"volumes": [{"id": "a"]}',
      '{"volumes": [{"id": "a"}] trailing',
      '{"volumes": [{"id": "a"}], "count": 12x}',
      '{"volumes": [{"id": "a"},]}',
      '{"volumes": [{"id": "unterminated}]}',
    ]) {
      expect(scanCollectionPage(text, 'volumes'), text).toBeUndefined();
    }
  });
});
