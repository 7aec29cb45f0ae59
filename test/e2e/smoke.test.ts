import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runVolmig } from '../helpers/run.js';
import { startCloud, startVolmig, type TestCloud } from '../maintenance/sandbox-helpers.js';
import { childrenNamed, parseXml } from '../maintenance/xml.js';
import type { Volume } from '../../src/model/cinder.js';
import { validatedEvents } from '../helpers/json-events.js';

let cloud: TestCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const FOUR = ['sandbox@lvm-1#lvm-1', 'sandbox@lvm-2#lvm-2', 'sandbox@vendor#pool-a', 'sandbox@vendor#pool-b'];
const snapshotOf = (vs: Volume[]) =>
  vs.map((v) => ({ id: v.id, host: v['os-vol-host-attr:host'], status: v.status, ms: v.migration_status, updated: v.updated_at })).sort((a, b) => a.id.localeCompare(b.id));

describe('volmig smoke against the sandbox', () => {
  it('tests every ordered pair of the four pools, writes valid JUnit with one case per pair, deletes what it made and touches nothing else', async () => {
    cloud = await startCloud({ seed: 'demo', gibMiB: 1 });
    const before = snapshotOf(await cloud.volumes());
    expect(before.length).toBeGreaterThan(0);
    const r = await runVolmig(['smoke', '--pools', FOUR.join(','), '--interval', '0.5', '--timeout', '60s', '--junit', 'smoke.xml'], { env: cloud.env, cwd: cloud.stateDir });
    expect(r.code).toBe(0);

    const pairs = FOUR.flatMap((s) => FOUR.filter((d) => d !== s).map((d) => `${s} -> ${d}`));
    const passLines = r.stdout.trim().split('\n');
    expect(passLines).toHaveLength(12);
    expect(passLines.map((l) => l.replace(/ {2}\(\d+:\d\d\)$/, ''))).toEqual(pairs.map((p) => `PASS  ${p}`));
    expect(r.stderr).toMatch(/Smoke finished: 12 passed, 0 failed of 12 \(pools .*; type __DEFAULT__; \d+:\d\d\)\./);

    const xml = parseXml(await readFile(join(cloud.stateDir, 'smoke.xml'), 'utf8'));
    expect(xml.name).toBe('testsuites');
    expect(xml.attrs).toMatchObject({ tests: '12', failures: '0', errors: '0' });
    const cases = childrenNamed(childrenNamed(xml, 'testsuite')[0]!, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(pairs);
    for (const c of cases) {
      expect(c.attrs.classname).toBe('volmig.smoke');
      expect(Number(c.attrs.time)).toBeGreaterThan(0);
      expect(childrenNamed(c, 'failure')).toEqual([]);
    }

    // Every volume smoke created is gone; every other volume is exactly as it was.
    const after = await cloud.volumes();
    expect(after.filter((v) => (v.name ?? '').startsWith('volmig-smoke-'))).toEqual([]);
    expect(snapshotOf(after)).toEqual(before);
    // 12 pairs, each a placement (unless the new volume already sat on the source) and the tested migration
    const starts = (await cloud.notifications()).filter((e) => e.event_type === 'volume.migrate.start');
    expect(starts.length).toBeGreaterThanOrEqual(12);
    expect(starts.length).toBeLessThanOrEqual(24);
  }, 120_000);

  it('--lock adds the locked variant, which shows maintenance while moving and restores available', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const r = await runVolmig(['smoke', '--pools', `${FOUR[0]},${FOUR[2]}`, '--lock', '--interval', '0.5', '--json'], { env: cloud.env });
    expect(r.code).toBe(0);
    const events = validatedEvents('smoke', r.stdout);
    expect(events.filter((e) => e.event === 'case').map((e) => [e.name, e.result])).toEqual([
      [`${FOUR[0]} -> ${FOUR[2]}`, 'pass'],
      [`${FOUR[0]} -> ${FOUR[2]} (locked)`, 'pass'],
      [`${FOUR[2]} -> ${FOUR[0]}`, 'pass'],
      [`${FOUR[2]} -> ${FOUR[0]} (locked)`, 'pass'],
    ]);
    expect(events.at(-1)).toMatchObject({ event: 'summary', passed: 4, failed: 0, exit_code: 0, left_behind: [] });
    expect(await cloud.volumes()).toEqual([]);
    // The server saw the lock: the tested migration of a locked case started on a volume in maintenance.
    const starts = (await cloud.notifications()).filter((e) => e.event_type === 'volume.migrate.start');
    for (const c of events.filter((e) => e.event === 'case')) {
      const tested = starts.filter((e) => e.payload.volume_id === c.volume_id && e.payload.destination_host === c.destination);
      expect(tested).toHaveLength(1);
      expect(tested[0]!.payload.status).toBe(c.locked ? 'maintenance' : 'available');
    }
  }, 120_000);

  it('a forced failure (a type pinned to one backend) fails the pairs with the reason, exit 1, and still deletes every volume', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const r = await runVolmig(
      ['smoke', '--pools', 'sandbox@lvm-1#lvm-1,sandbox@lvm-2#lvm-2', '--volume-type', 'lvm-1', '--interval', '0.5', '--timeout', '30s', '--junit', 'out.xml'],
      { env: cloud.env, cwd: cloud.stateDir },
    );
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^FAIL {2}sandbox@lvm-1#lvm-1 -> sandbox@lvm-2#lvm-2 {2}\(\d+:\d\d\): volmig-smoke-\S+: migration to sandbox@lvm-2#lvm-2 failed \(migration_status error\)\.$/);
    expect(lines[1]).toMatch(/^FAIL {2}sandbox@lvm-2#lvm-2 -> sandbox@lvm-1#lvm-1 {2}\(\d+:\d\d\): could not place the volume on the source pool sandbox@lvm-2#lvm-2: /);
    expect(r.stderr).toMatch(/Smoke finished: 0 passed, 2 failed of 2/);
    const xml = parseXml(await readFile(join(cloud.stateDir, 'out.xml'), 'utf8'));
    expect(xml.attrs).toMatchObject({ tests: '2', failures: '2' });
    const failures = childrenNamed(childrenNamed(xml, 'testsuite')[0]!, 'testcase').map((c) => childrenNamed(c, 'failure')[0]!);
    expect(failures.map((f) => f.attrs.type)).toEqual(['MigrationFailed', 'SetupFailed']);
    expect(failures[0]!.attrs.message).toContain('failed (migration_status error)');
    expect(failures[0]!.text).toContain('The volume is still on sandbox@lvm-1#lvm-1 (host unchanged).');
    // cleanup after the failure
    expect(await cloud.volumes()).toEqual([]);
  }, 120_000);

  it('Ctrl-C: finishes the current step, deletes what it created, marks the rest not run, exit 130', async () => {
    cloud = await startCloud({ gibMiB: 4, copyRateMiBps: 8 });
    const run = startVolmig(['smoke', '--pools', FOUR.slice(0, 3).join(','), '--interval', '0.5', '--junit', 'int.xml'], cloud.env);
    // interrupt while the first pair's volume is migrating
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await cloud.volumes()).some((v) => v.migration_status === 'migrating')) await new Promise((r) => setTimeout(r, 20));
    run.signals.emit('SIGINT');
    expect(await run.done).toBe(130);
    expect(run.stderr.text).toContain('Interrupted: no new pair will start');
    expect(run.stdout.text.trim().split('\n').filter((l) => l.startsWith('SKIP'))).toHaveLength(5);
    expect(run.stderr.text).toMatch(/Smoke interrupted: \d passed, \d failed, 5 not run of 6/);
    expect(await cloud.volumes()).toEqual([]);
    const xml = parseXml(await readFile(join(cloud.stateDir, 'int.xml'), 'utf8'));
    expect(xml.attrs).toMatchObject({ tests: '6', skipped: '5' });
  }, 120_000);

  it('--keep leaves the test volumes and says which they are', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const r = await runVolmig(['smoke', '--pools', `${FOUR[0]},${FOUR[1]}`, '--keep', '--interval', '0.5'], { env: cloud.env });
    expect(r.code).toBe(0);
    const kept = (await cloud.volumes()).filter((v) => (v.name ?? '').startsWith('volmig-smoke-'));
    expect(kept).toHaveLength(2);
    expect(r.stderr).toContain(`Kept (--keep): `);
    for (const v of kept) expect(r.stderr).toContain(v.id);
  }, 60_000);

  it('refuses unknown pools and fewer than two pools (exit 2)', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const bad = await runVolmig(['smoke', '--pools', 'sandbox@lvm-1#lvm-1,sandbox@nope#x'], { env: cloud.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Error: unknown pool for --pools: sandbox@nope#x (known: ');
    const one = await runVolmig(['smoke', '--pools', 'sandbox@lvm-1#lvm-1'], { env: cloud.env });
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('Error: --pools needs at least two pools (got sandbox@lvm-1#lvm-1)');
    expect(await cloud.volumes()).toEqual([]);
  }, 60_000);
});
