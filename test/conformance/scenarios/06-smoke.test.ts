/**
 * volmig smoke: every ordered pair of the two backends' pools, plain and locked, JUnit report, and nothing left
 * behind. Same expectations on every target (the sandbox offers more pools; --pools picks the two of the layout).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExit } from '../lib/expect.js';
import { openTarget, type Target } from '../lib/target.js';

let t: Target;
beforeAll(async () => {
  t = await openTarget();
});
afterAll(async () => {
  await t?.close();
});

describe(`smoke [${process.env.VOLMIG_TARGET ?? 'sandbox'}]`, () => {
  it('smoke --lock over both backends: every pair PASS, JUnit with one case per pair, no volume left behind', async () => {
    const before = await t.api.call('GET', '/volumes/detail?all_tenants=1');
    const junit = join(t.home, 'smoke.xml');
    const { hostA, hostB, unpinned } = t.layout;
    const r = await t.run(['smoke', '--pools', `${hostA},${hostB}`, '--volume-type', unpinned, '--lock', '--junit', junit], {
      timeoutMs: 170_000,
    });
    expectExit(r, 0);
    const pass = r.stdout.split('\n').filter((l) => l.startsWith('PASS'));
    expect(pass.some((l) => l.includes(`${hostA} -> ${hostB}`))).toBe(true);
    expect(pass.some((l) => l.includes(`${hostB} -> ${hostA}`))).toBe(true);
    expect(r.stdout).not.toMatch(/^FAIL/m);
    const xml = readFileSync(junit, 'utf8');
    const cases = xml.match(/<testcase\b/g) ?? [];
    expect(cases.length).toBe(pass.length);
    expect(cases.length).toBeGreaterThanOrEqual(4); // two pairs, plain and locked
    expect(xml).not.toMatch(/<failure\b/);
    // Cinder deletes the temporary records of generic migrations asynchronously (status deleting); those are
    // Cinder's, not volumes smoke created, so only volumes in any other state count
    const live = (x: any) => x.body.volumes.filter((v: any) => v.status !== 'deleting').map((v: any) => v.id).sort();
    let after = await t.api.call('GET', '/volumes/detail?all_tenants=1');
    for (let i = 0; i < 30 && live(after).length !== live(before).length; i++) {
      await new Promise((res) => setTimeout(res, 1000));
      after = await t.api.call('GET', '/volumes/detail?all_tenants=1');
    }
    expect(live(after)).toEqual(live(before));
  });
});
