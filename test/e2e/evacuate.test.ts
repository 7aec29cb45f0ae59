import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/migration/journal.js';
import { capture, runVolmig } from '../helpers/run.js';
import { ESC, EVACUATION_LAYOUT, maxOverlap, migrationSpans, startCloud, type TestCloud } from '../maintenance/sandbox-helpers.js';
import { validatedEvents } from '../helpers/json-events.js';

let cloud: TestCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const SRC = 'node@old';
const A = 'node@new#a';
const B = 'node@new#b';
const host = (v: { [k: string]: unknown }) => v['os-vol-host-attr:host'] as string;

async function seedSource(c: TestCloud, sizes: number[]) {
  const vols = [];
  for (const [i, size] of sizes.entries()) vols.push(await c.createVolume({ size, name: `vol-${i + 1}` }));
  for (const v of vols) expect(host(v)).toBe('node@old#old');
  return vols;
}

function journalOf(c: TestCloud) {
  return new Journal({ stdout: capture(), stderr: capture(), env: { XDG_STATE_HOME: c.stateDir }, isTTY: false, cwd: c.stateDir });
}

describe('volmig evacuate against the sandbox', () => {
  it('moves more volumes than the concurrency limit without ever exceeding either cap, largest first, with a right summary', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 8, gibMiB: 4 });
    const vols = await seedSource(cloud, [1, 3, 1, 2, 2]);
    const r = await runVolmig(
      ['evacuate', '--from', SRC, '--to', `${A},${B}`, '--concurrency', '2', '--max-per-destination', '1', '--interval', '0.5', '--yes'],
      { env: cloud.env },
    );
    expect(r.stderr).not.toContain(ESC);
    expect(r.stdout).not.toContain(ESC);
    expect(r.code).toBe(0);

    // Server state: every volume left the source for one of the two pools.
    for (const v of vols) {
      const now = await cloud.volume(v.id);
      expect([A, B]).toContain(host(now));
      expect(now.migration_status).toBe('success');
      expect(now.status).toBe('available');
    }

    // The server's own notifications: 5 migrations, never more than 2 at once, never more than 1 per pool.
    const spans = migrationSpans(await cloud.notifications());
    expect(spans).toHaveLength(5);
    expect(spans.every((s) => s.result === 'end')).toBe(true);
    expect(maxOverlap(spans)).toBe(2);
    expect(maxOverlap(spans.filter((s) => s.destination === A))).toBe(1);
    expect(maxOverlap(spans.filter((s) => s.destination === B))).toBe(1);
    // largest first: the 3 GiB volume is the first one sent
    const first = [...spans].sort((a, b) => a.start - b.start)[0]!;
    expect(first.volumeId).toBe(vols[1]!.id);

    // Summary table on stdout: one row per volume, all moved.
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+Name\s+Result\s+Duration\s+Reason$/);
    expect(lines).toHaveLength(6);
    for (const v of vols) {
      const row = lines.find((l) => l.startsWith(v.id))!;
      expect(row).toMatch(new RegExp(`^${v.id}\\s+${v.name}\\s+moved\\s+\\d+:\\d\\d\\s+now on node@new#[ab]$`));
    }
    expect(r.stderr).toContain('Evacuation plan: node@old -> node@new#a, node@new#b');
    expect(r.stderr).toContain('5 volumes on the source, 5 to migrate (9 GiB), 0 refused');
    expect(r.stderr).toMatch(/Evacuation complete: 5 of 5 moved \(\d+:\d\d\)\./);

    // The journal recorded each request and its success.
    const entries = await journalOf(cloud).read();
    expect(entries.filter((e) => e.outcome === 'requested')).toHaveLength(5);
    expect(entries.filter((e) => e.outcome === 'success')).toHaveLength(5);
    expect(entries[0]!.options).toMatchObject({ evacuation: { from: SRC, to: [A, B] } });
  }, 60_000);

  it('--json prints JSON lines: plan, start/progress/end events and a summary', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 16, gibMiB: 4 });
    const vols = await seedSource(cloud, [1, 2]);
    const r = await runVolmig(['evacuate', '--from', 'node@old#old', '--to', A, '--interval', '0.5', '--yes', '--json'], { env: cloud.env });
    expect(r.code).toBe(0);
    const events = validatedEvents('evacuate', r.stdout);
    expect(events[0]).toMatchObject({ event: 'plan', dry_run: false, from: 'node@old#old', to: [A], selected: 2 });
    expect(events.filter((e) => e.event === 'start').map((e) => e.volume_id)).toEqual([vols[1]!.id, vols[0]!.id]);
    expect(events.filter((e) => e.event === 'end').map((e) => e.result)).toEqual(['moved', 'moved']);
    const summary = events.at(-1);
    expect(summary).toMatchObject({ event: 'summary', end: 'completed', exit_code: 0, done: 2, total: 2, failed: 0 });
    expect((summary!.volumes as { result: string }[]).map((v) => v.result)).toEqual(['moved', 'moved']);
  }, 60_000);

  it('--force locks each volume (maintenance) and --force-host-copy forces the generic copy, as the server records them', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const a = await cloud.createVolume({ size: 1, name: 'pa' });
    const b = await cloud.createVolume({ size: 1, name: 'pb' });
    // Put both on the vendor backend's pool-a, so that pool-a -> pool-b could be driver-assisted.
    for (const v of [a, b]) {
      if (host(v) !== 'sandbox@vendor#pool-a') {
        await cloud.api('POST', `/volumes/${v.id}/action`, { 'os-migrate_volume': { host: 'sandbox@vendor#pool-a', force_host_copy: false, lock_volume: false } });
        await cloud.waitFor(v.id, (x) => x.migration_status === 'success' && host(x) === 'sandbox@vendor#pool-a');
      }
    }
    const before = (await cloud.notifications()).length;
    const r = await runVolmig(['evacuate', '--from', 'sandbox@vendor#pool-a', '--to', 'sandbox@vendor#pool-b', '--force', '--force-host-copy', '--interval', '0.5', '--yes'], { env: cloud.env });
    expect(r.code).toBe(0);
    const starts = (await cloud.notifications()).slice(before).filter((e) => e.event_type === 'volume.migrate.start');
    expect(starts.map((e) => e.payload.volume_id).sort()).toEqual([a.id, b.id].sort());
    for (const e of starts) {
      expect(e.payload.migration_type).toBe('generic');
      expect(e.payload.status).toBe('maintenance');
    }
    for (const v of [a, b]) expect(await cloud.volume(v.id)).toMatchObject({ status: 'available', 'os-vol-host-attr:host': 'sandbox@vendor#pool-b' });
  }, 60_000);

  it('--from that matches no pool and no volume: exit 3, nothing planned; --to host@backend stands for its pools, never the source\'s own', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 8, gibMiB: 4 });
    const [v] = await seedSource(cloud, [1]);
    const none = await runVolmig(['evacuate', '--from', 'node@olt', '--to', A, '--yes'], { env: cloud.env });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('Error: --from node@olt matches no pool the scheduler reports and no volume (closest: node@new#a, node@new#b, node@old#old); nothing was planned.\n');
    expect(none.stdout).toBe('');

    // A backend with several pools stands for all of them: each volume goes where the most room is left.
    const several = await runVolmig(['evacuate', '--from', SRC, '--to', 'node@new', '--dry-run'], { env: cloud.env });
    expect(several.code).toBe(0);
    expect(several.stdout).toContain(`Evacuation plan: ${SRC} -> node@new#a, node@new#b\n`);
    const onto = await runVolmig(['evacuate', '--from', 'node@new', '--to', 'node@new', '--dry-run'], { env: cloud.env });
    expect(onto.code).toBe(2);
    expect(onto.stderr).toContain('Error: --to node@new is part of --from node@new: a volume cannot be evacuated onto its own backend\n');

    await cloud.api('POST', `/volumes/${v!.id}/action`, { 'os-migrate_volume': { host: A, force_host_copy: false, lock_volume: false } });
    await cloud.waitFor(v!.id, (x) => x.migration_status === 'success' && host(x) === A);
    const back = await runVolmig(['evacuate', '--from', A, '--to', 'node@old', '--interval', '0.5', '--yes'], { env: cloud.env });
    expect(back.code).toBe(0);
    expect(host(await cloud.volume(v!.id))).toBe('node@old#old');
  }, 60_000);
});
