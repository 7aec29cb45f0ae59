import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../src/migration/junit.js';
import { childrenNamed, parseXml } from './xml.js';

describe('renderJUnit', () => {
  it('writes one testsuite with one testcase per case, counts and failure messages', () => {
    const xml = renderJUnit([
      {
        name: 'volmig smoke',
        timestamp: '2026-11-27T10:00:00',
        properties: { cloud: 'http://127.0.0.1:1/v3/admin' },
        cases: [
          { name: 'a@lvm#a -> b@lvm#b', classname: 'volmig.smoke', time: 1.5 },
          {
            name: 'b@lvm#b -> a@lvm#a',
            classname: 'volmig.smoke',
            time: 2,
            failure: { message: 'Invalid volume: Volume x status must be available or in-use & "quoted" <tag>', type: 'MigrationRejected', details: 'HTTP 400, request id req-1\nline2' },
          },
          { name: 'c -> d', classname: 'volmig.smoke', time: 0, skipped: 'not run after Ctrl-C' },
        ],
      },
    ]);
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '3', failures: '1', errors: '0', skipped: '1', time: '3.500' });
    const [suite] = childrenNamed(root, 'testsuite');
    expect(suite!.attrs).toMatchObject({ name: 'volmig smoke', tests: '3', failures: '1', timestamp: '2026-11-27T10:00:00' });
    expect(childrenNamed(childrenNamed(suite!, 'properties')[0]!, 'property')[0]!.attrs).toEqual({ name: 'cloud', value: 'http://127.0.0.1:1/v3/admin' });
    const cases = childrenNamed(suite!, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['a@lvm#a -> b@lvm#b', 'b@lvm#b -> a@lvm#a', 'c -> d']);
    expect(childrenNamed(cases[0]!, 'failure')).toHaveLength(0);
    const failure = childrenNamed(cases[1]!, 'failure')[0]!;
    expect(failure.attrs.message).toBe('Invalid volume: Volume x status must be available or in-use & "quoted" <tag>');
    expect(failure.attrs.type).toBe('MigrationRejected');
    expect(failure.text).toBe('HTTP 400, request id req-1\nline2');
    expect(childrenNamed(cases[2]!, 'skipped')[0]!.attrs.message).toBe('not run after Ctrl-C');
  });

  it('drops characters XML cannot carry and keeps newlines in attributes', () => {
    const xml = renderJUnit([{ name: 's', cases: [{ name: 'x', classname: 'c', time: 0.1, failure: { message: 'bad\u0007bell\nsecond line' } }] }]);
    const failure = childrenNamed(childrenNamed(childrenNamed(parseXml(xml), 'testsuite')[0]!, 'testcase')[0]!, 'failure')[0]!;
    expect(failure.attrs.message).toBe('badbell\nsecond line');
  });

  it('the test XML reader rejects malformed documents (so a parse in a test means something)', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a x=1/>')).toThrow();
    expect(() => parseXml('<a>&bogus;</a>')).toThrow();
    expect(() => parseXml('<a>1 & 2</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow();
    expect(parseXml('<?xml version="1.0"?>\n<a x="&lt;&#65;"><!-- c --><b/>t</a>\n').attrs.x).toBe('<A');
  });
});
