import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runVolmig } from '../helpers/run.js';
import { assertFitsSchema, validatedEvents } from '../helpers/json-events.js';
import { migrationSpans, startCloud, startVolmig, type TestCloud } from '../maintenance/sandbox-helpers.js';
import { childrenNamed, parseXml } from '../maintenance/xml.js';

let cloud: TestCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const LVM1 = 'sandbox@lvm-1#lvm-1';
const LVM2 = 'sandbox@lvm-2#lvm-2';
const POOL_A = 'sandbox@vendor#pool-a';

async function untilPrompt(stderr: { text: string }): Promise<void> {
  const end = Date.now() + 15_000;
  while (!stderr.text.includes('[y/N] ')) {
    if (Date.now() > end) throw new Error(`no prompt; stderr so far:\n${stderr.text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The sandbox's own migration notifications: any migration smoke sent would show here. */
async function migrations(c: TestCloud): Promise<string[]> {
  return (await c.notifications()).filter((e) => e.event_type.startsWith('volume.migrate')).map((e) => e.event_type);
}

describe('smoke --dry-run', () => {
  it('lists the pairs and the volume each would create, and creates and sends nothing', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const r = await runVolmig(['smoke', '--pools', `${LVM1},${LVM2},${POOL_A}`, '--lock', '--size', '2', '--concurrency', '2', '--dry-run'], { env: cloud.env, now: () => Date.parse('2026-12-01T10:14:19.500Z') });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const pairs = [
      [LVM1, LVM2], [LVM1, POOL_A], [LVM2, LVM1], [LVM2, POOL_A], [POOL_A, LVM1], [POOL_A, LVM2],
    ].flatMap(([s, d]) => [`${s} -> ${d}`, `${s} -> ${d} (locked)`]);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'Smoke plan: 12 pairs between 3 pools, 2 at a time',
      'Each pair creates one 2 GiB volume of type __DEFAULT__, moves it onto the source pool if the scheduler put it elsewhere, migrates it (locked pairs: with lock_volume), checks it and deletes it.',
    ]);
    expect(lines[2]).toMatch(/^ +# {2}Pair +Volume it creates$/);
    expect(lines.slice(3, 15).map((l) => l.trim().split(/ {2,}/))).toEqual(pairs.map((p, i) => [`${i + 1}`, p, `volmig-smoke-20261201-101419-${i + 1}`]));
    expect(lines.slice(15)).toEqual(['Dry run: nothing was created and nothing was sent.', '']);
    expect(await cloud.volumes()).toEqual([]);
    expect(await migrations(cloud)).toEqual([]);

    const json = await runVolmig(['smoke', '--pools', `${LVM1},${LVM2}`, '--dry-run', '--json'], { env: cloud.env });
    const [plan, ...rest] = validatedEvents('smoke', json.stdout);
    expect(rest).toEqual([]);
    assertFitsSchema('smoke.plan', plan);
    expect(plan).toMatchObject({ event: 'plan', dry_run: true, pools: [LVM1, LVM2], volume_type: '__DEFAULT__', size_gib: 1, lock: false, concurrency: 1 });
    expect(await cloud.volumes()).toEqual([]);
  }, 60_000);
});

describe('smoke asks on a terminal', () => {
  it('shows the plan on stderr and asks; "n" creates nothing (exit 0)', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const stdin = new PassThrough();
    const tty = startVolmig(['smoke', '--pools', `${LVM1},${LVM2}`, '--interval', '0.5'], cloud.env, { isTTY: true, stdin });
    await untilPrompt(tty.stderr);
    expect(tty.stderr.text).toContain('Smoke plan: 2 pairs between 2 pools, one at a time\n');
    expect(tty.stderr.text).toContain('Create 2 test volumes of 1 GiB and migrate them (2 pairs)? [y/N] ');
    expect(tty.stdout.text).toBe('');
    stdin.write('n\n');
    expect(await tty.done).toBe(0);
    expect(tty.stderr.text).toMatch(/Nothing was created\.\n$/);
    expect(await cloud.volumes()).toEqual([]);
    expect(await migrations(cloud)).toEqual([]);
  }, 60_000);

  it('"y" runs it; --yes does not ask; off a terminal it never asks (CI)', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const stdin = new PassThrough();
    const tty = startVolmig(['smoke', '--pools', `${LVM1},${LVM2}`, '--interval', '0.5'], cloud.env, { isTTY: true, stdin });
    await untilPrompt(tty.stderr);
    stdin.write('y\n');
    expect(await tty.done).toBe(0);
    expect(tty.stdout.text.trim().split('\n').map((l) => l.slice(l.indexOf('PASS'), 4 + l.indexOf('PASS')))).toEqual(['PASS', 'PASS']);

    const yes = startVolmig(['smoke', '--pools', `${LVM1},${LVM2}`, '--interval', '0.5', '--yes'], cloud.env, { isTTY: true, stdin: new PassThrough() });
    expect(await yes.done).toBe(0);
    expect(yes.stderr.text).not.toContain('[y/N]');

    const ci = await runVolmig(['smoke', '--pools', `${LVM1},${LVM2}`, '--interval', '0.5'], { env: cloud.env });
    expect(ci.code).toBe(0);
    expect(ci.stderr).not.toContain('[y/N]');
    expect(ci.stderr).not.toContain('Smoke plan');
    expect(await cloud.volumes()).toEqual([]);
  }, 90_000);
});

describe('smoke --concurrency', () => {
  it('runs N pairs at once, each on its own volume; the report keeps the pair order; every volume is deleted', async () => {
    // Throttled copies (4 MiB per GiB at 8 MiB/s, half a second each) so that migrations visibly overlap.
    cloud = await startCloud({ gibMiB: 4, copyRateMiBps: 8 });
    const pools = [LVM1, LVM2, POOL_A];
    const r = await runVolmig(['smoke', '--pools', pools.join(','), '--concurrency', '3', '--interval', '0.5', '--junit', 'c.xml'], { env: cloud.env, cwd: cloud.stateDir });
    expect(r.code).toBe(0);
    const pairs = pools.flatMap((s) => pools.filter((d) => d !== s).map((d) => `${s} -> ${d}`));
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/ {2}\(\d+:\d\d\)$/, '')).sort()).toEqual(pairs.map((p) => `PASS  ${p}`).sort());
    // With several pairs at once each step line names its pair.
    expect(r.stderr).toMatch(/^\[\d\/6\] {3}creating a volume$/m);
    const xml = parseXml(await readFile(join(cloud.stateDir, 'c.xml'), 'utf8'));
    expect(childrenNamed(childrenNamed(xml, 'testsuite')[0]!, 'testcase').map((c) => c.attrs.name)).toEqual(pairs);
    // At some moment at least two smoke migrations were running together (from the sandbox's own notifications).
    const spans = migrationSpans(await cloud.notifications());
    const overlapping = spans.some((a) => spans.some((b) => a !== b && a.volumeId !== b.volumeId && a.start < b.end && b.start < a.end));
    expect(overlapping).toBe(true);
    expect(await cloud.volumes()).toEqual([]);
  }, 120_000);

  it('Ctrl-C with pairs running at once: no new pair, every volume created so far is deleted, exit 130', async () => {
    cloud = await startCloud({ gibMiB: 4, copyRateMiBps: 4 });
    const run = startVolmig(['smoke', '--pools', [LVM1, LVM2, POOL_A].join(','), '--concurrency', '2', '--interval', '0.5'], cloud.env);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await cloud.volumes()).filter((v) => v.migration_status === 'migrating').length < 2) await new Promise((r) => setTimeout(r, 20));
    run.signals.emit('SIGINT');
    expect(await run.done).toBe(130);
    expect(run.stdout.text.trim().split('\n').filter((l) => l.startsWith('SKIP'))).toHaveLength(4);
    expect(run.stderr.text).toMatch(/Smoke interrupted: \d passed, \d failed, 4 not run of 6/);
    expect(await cloud.volumes()).toEqual([]);
  }, 120_000);

  it('a --concurrency that is no positive whole number is a usage error', async () => {
    expect(await runVolmig(['smoke', '--concurrency', '0'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "Error: invalid value for --concurrency: '0' (expected a whole number, at least 1)\n",
    });
  });
});
