import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runVolmig } from '../helpers/run.js';
import { ESC, EVACUATION_LAYOUT, migrationSpans, startCloud, startVolmig, type TestCloud } from '../maintenance/sandbox-helpers.js';
import type { Volume } from '../../src/model/cinder.js';
import { Journal } from '../../src/migration/journal.js';
import { capture } from '../helpers/run.js';
import { assertFitsSchema } from '../helpers/json-events.js';

async function untilPrompt(stderr: { text: string }) {
  const deadline = Date.now() + 15_000;
  while (!stderr.text.includes('[y/N] ') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
}

function journalOf(c: TestCloud) {
  return new Journal({ stdout: capture(), stderr: capture(), env: { XDG_STATE_HOME: c.stateDir }, isTTY: false, cwd: c.stateDir });
}

let cloud: TestCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const A = 'node@new#a';
const host = (v: Volume) => v['os-vol-host-attr:host'] as string;

async function seed(c: TestCloud, sizes: number[]): Promise<Volume[]> {
  const out: Volume[] = [];
  for (const [i, size] of sizes.entries()) out.push(await c.createVolume({ size, name: `vol-${i + 1}` }));
  return out;
}

/** Attaching a volume whose unlocked migration runs aborts it in the sandbox (the seed's rule). */
async function abortByAttach(c: TestCloud, v: Volume) {
  await c.waitFor(v.id, (x) => x.migration_status === 'migrating');
  const r = await c.api('POST', `/volumes/${v.id}/action`, {
    'os-attach': { instance_uuid: '8f4c2b1e-5d7a-4c3b-9e2f-1a6b7c8d9e0f', mountpoint: '/dev/vdb' },
  });
  expect(r.status).toBe(202);
}

describe('evacuate: failures, interruption and resume', () => {
  it('a failure mid-run stops new migrations without --continue-on-error (exit 1, the rest not started)', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 4, gibMiB: 4 });
    const [big, ...rest] = await seed(cloud, [3, 1, 1, 1]);
    const run = startVolmig(['evacuate', '--from', 'node@old', '--to', A, '--concurrency', '1', '--interval', '0.5', '--yes'], cloud.env);
    await abortByAttach(cloud, big!);
    const code = await run.done;
    expect(code).toBe(1);
    expect(run.stderr.text).toContain('Not starting new migrations after the failure of vol-1');
    expect(run.stderr.text).toMatch(/Evacuation finished with problems: 0 of 4 moved, 1 failed, 3 not started/);
    const rows = run.stdout.text.trim().split('\n');
    expect(rows.find((l) => l.startsWith(big!.id))).toMatch(
      /failed\s+\d+:\d\d\s+migration ended in error on the server \(the server's message: "migrate volume:The volume was attached while it was migrating without a lock; the migration was aborted\."\); the volume stayed on node@old#old \(status in-use\)$/,
    );
    for (const v of rest) expect(rows.find((l) => l.startsWith(v.id))).toMatch(/not started\s+-\s+not started after an earlier failure$/);
    // The server saw exactly one migration, which ended in error; nothing else moved.
    const spans = migrationSpans(await cloud.notifications());
    expect(spans.map((s) => [s.volumeId, s.result])).toEqual([[big!.id, 'error']]);
    for (const v of rest) expect(host(await cloud.volume(v.id))).toBe('node@old#old');
  }, 60_000);

  it('with --continue-on-error the others still run; exit 1 and the summary names the failure', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 4, gibMiB: 4 });
    const [big, ...rest] = await seed(cloud, [3, 1, 1]);
    const run = startVolmig(
      ['evacuate', '--from', 'node@old', '--to', A, '--concurrency', '1', '--interval', '0.5', '--yes', '--continue-on-error'],
      cloud.env,
    );
    await abortByAttach(cloud, big!);
    expect(await run.done).toBe(1);
    expect(run.stderr.text).not.toContain('Not starting new migrations');
    expect(run.stderr.text).toMatch(/Evacuation finished with problems: 2 of 3 moved, 1 failed/);
    for (const v of rest) expect(host(await cloud.volume(v.id))).toBe(A);
    expect(host(await cloud.volume(big!.id))).toBe('node@old#old');
    const rows = run.stdout.text.trim().split('\n');
    expect(rows.filter((l) => /\smoved\s/.test(l))).toHaveLength(2);
    expect(rows.filter((l) => /\sfailed\s/.test(l))).toHaveLength(1);
  }, 60_000);

  it('Ctrl-C stops starting migrations, names those still running (exit 130); a second run finishes without sending any twice', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 4, gibMiB: 4 });
    const vols = await seed(cloud, [2, 2, 2, 2, 2]);
    const args = ['evacuate', '--from', 'node@old', '--to', A, '--concurrency', '2', '--interval', '0.5', '--yes'];
    const first = startVolmig(args, cloud.env);
    // Wait until two migrations copy, then interrupt.
    const deadline = Date.now() + 15_000;
    let migrating: Volume[] = [];
    while (Date.now() < deadline) {
      migrating = (await cloud.volumes()).filter((v) => v.migration_status === 'migrating');
      if (migrating.length === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(migrating).toHaveLength(2);
    first.signals.emit('SIGINT');
    expect(await first.done).toBe(130);
    const running = migrating.map((v) => v.id).sort();
    const stillLine = first.stderr.text.split('\n').find((l) => l.startsWith('Still migrating on the server: '))!;
    expect(stillLine.replace('Still migrating on the server: ', '').split(' ').sort()).toEqual(running);
    expect(first.stderr.text).toMatch(/Follow them with: volmig progress \S+ \S+ --watch/);
    expect(first.stderr.text).toContain('Run the same evacuate command again to resume');
    expect(first.stderr.text).toMatch(/Evacuation interrupted: 0 of 5 moved, 2 still running on the server, 3 not started/);

    const second = await runVolmig(args, { env: cloud.env });
    expect(second.code).toBe(0);
    for (const v of migrating) {
      expect(second.stderr).toContain(`following ${v.name} (2 GiB) node@old#old -> ${A} (migration already in flight, not sent again)`);
    }
    expect(second.stderr).toContain('2 already migrating (followed, not sent again)');
    for (const v of vols) expect(host(await cloud.volume(v.id))).toBe(A);

    // The server saw exactly one migration start per volume.
    const starts = (await cloud.notifications()).filter((e) => e.event_type === 'volume.migrate.start').map((e) => e.payload.volume_id);
    expect(starts.sort()).toEqual(vols.map((v) => v.id).sort());

    // A third run finds nothing on the source and reports what the earlier runs moved.
    const third = await runVolmig([...args, '--dry-run'], { env: cloud.env });
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('0 volumes on the source, 0 to migrate (0 GiB), 0 refused, 5 moved by an earlier run');
  }, 60_000);

  it('--timeout: exit 7, says which migrations go on on the server and how to follow them', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 2, gibMiB: 8 });
    const [slow] = await seed(cloud, [2]);
    const r = await runVolmig(['evacuate', '--from', 'node@old', '--to', A, '--interval', '0.5', '--timeout', '1s', '--yes'], { env: cloud.env });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/Evacuation timed out: 0 of 1 moved, 1 still running on the server/);
    expect(r.stderr).toContain(`Still migrating on the server: ${slow!.id}\nFollow them with: volmig progress ${slow!.id} --watch\n`);
    expect(r.stdout).toMatch(new RegExp(`${slow!.id}\\s+vol-1\\s+still running\\s+-\\s+still migrating on the server at the deadline`));
    expect((await cloud.volume(slow!.id)).migration_status).toBe('migrating');
    const entries = await journalOf(cloud).read({ volume: slow!.id });
    expect(entries.map((e) => e.outcome)).toEqual(['requested', 'timeout']);
  }, 60_000);

  it('--dry-run prints moves and refusals with their reasons and sends nothing', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, gibMiB: 4 });
    const [ok, withSnap, attached, pinned] = [
      await cloud.createVolume({ size: 2, name: 'ok' }),
      await cloud.createVolume({ size: 1, name: 'with-snap' }),
      await cloud.createVolume({ size: 1, name: 'attached' }),
      await cloud.createVolume({ size: 1, name: 'pinned', volume_type: 'old-only' }),
    ];
    const snap = await cloud.api('POST', '/snapshots', { snapshot: { volume_id: withSnap.id, name: 'snap-1' } });
    expect(snap.status).toBe(202);
    await cloud.api('POST', `/volumes/${attached.id}/action`, { 'os-attach': { instance_uuid: '8f4c2b1e-5d7a-4c3b-9e2f-1a6b7c8d9e0f', mountpoint: '/dev/vdb' } });
    await cloud.waitFor(attached.id, (v) => v.status === 'in-use');

    const r = await runVolmig(['evacuate', '--from', 'node@old#old', '--to', A, '--dry-run'], { env: cloud.env });
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('Evacuation plan: node@old#old -> node@new#a\n4 volumes on the source, 1 to migrate (2 GiB), 3 refused\n');
    expect(out).toMatch(new RegExp(`${ok.id}\\s+ok\\s+2 GiB\\s+node@old#old\\s+node@new#a\\s+migrate`));
    expect(out).toMatch(new RegExp(`${withSnap.id}\\s+with-snap\\s+volume with-snap \\(${withSnap.id}\\) has snapshot snap-1 \\(\\S+\\); a volume with snapshots cannot migrate`));
    expect(out).toMatch(new RegExp(`${attached.id}\\s+attached\\s+attached to a server \\(add --include-in-use to migrate attached volumes too\\)`));
    expect(out).toMatch(new RegExp(`${pinned.id}\\s+pinned\\s+volume type old-only pins volume_backend_name=old, but node@new#a belongs to backend new`));

    const j = await runVolmig(['evacuate', '--from', 'node@old#old', '--to', A, '--dry-run', '--json'], { env: cloud.env });
    const plan = JSON.parse(j.stdout);
    assertFitsSchema('plan', plan);
    expect(plan).toMatchObject({ event: 'plan', dry_run: true, selected: 4, moves: [{ volume_id: ok.id, action: 'migrate', destination: A }] });
    expect(plan.refusals.map((x: { volume_id: string }) => x.volume_id).sort()).toEqual([withSnap.id, attached.id, pinned.id].sort());

    // --include-in-use moves the attached one too
    const inUse = await runVolmig(['evacuate', '--from', 'node@old#old', '--to', A, '--dry-run', '--include-in-use', '--json'], { env: cloud.env });
    expect(JSON.parse(inUse.stdout).moves.map((m: { volume_id: string }) => m.volume_id).sort()).toEqual([ok.id, attached.id].sort());

    expect((await cloud.notifications()).filter((e) => e.event_type.startsWith('volume.migrate'))).toEqual([]);
    for (const v of [ok, withSnap, attached, pinned]) expect((await cloud.volume(v.id)).migration_status).toBeNull();
  }, 60_000);

  it('off a terminal it refuses to start without --yes (exit 2); on a terminal it asks, and "n" sends nothing', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, gibMiB: 4 });
    await seed(cloud, [1]);
    const r = await runVolmig(['evacuate', '--from', 'node@old', '--to', A], { env: cloud.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error: evacuate sends migrations: confirm with --yes (there is no terminal to ask on)\n');

    const stdin = new PassThrough();
    const tty = startVolmig(['evacuate', '--from', 'node@old', '--to', A], cloud.env, { isTTY: true, stdin });
    await untilPrompt(tty.stderr);
    expect(tty.stderr.text).toContain('Migrate 1 volume (1 GiB) from node@old to node@new#a? [y/N] ');
    stdin.write('n\n');
    expect(await tty.done).toBe(0);
    expect(tty.stderr.text).toContain('Nothing was sent.');
    expect((await cloud.notifications()).filter((e) => e.event_type.startsWith('volume.migrate'))).toEqual([]);
  }, 60_000);

  it('on a terminal, Ctrl-C stops the bars (cursor shown again) before the summary, exit 130', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 2, gibMiB: 4 });
    const [v] = await seed(cloud, [2]);
    const tty = startVolmig(['evacuate', '--from', 'node@old', '--to', A, '--interval', '0.5', '--yes'], cloud.env, { isTTY: true });
    await cloud.waitFor(v!.id, (x) => x.migration_status === 'migrating');
    await new Promise((res) => setTimeout(res, 300));
    tty.signals.emit('SIGINT');
    expect(await tty.done).toBe(130);
    const text = tty.stderr.text;
    const shown = text.lastIndexOf(`${ESC}[?25h`);
    expect(shown).toBeGreaterThan(text.lastIndexOf(`${ESC}[?25l`));
    expect(text.indexOf('Evacuation interrupted: 0 of 1 moved, 1 still running on the server')).toBeGreaterThan(shown);
    expect(text).toContain(`Follow them with: volmig progress ${v!.id} --watch`);
  }, 60_000);

  it('on a terminal, "y" runs it with an aggregate bar and per-volume bars', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 8, gibMiB: 4 });
    const vols = await seed(cloud, [2, 1]);
    const stdin = new PassThrough();
    const tty = startVolmig(['evacuate', '--from', 'node@old', '--to', A, '--interval', '0.5'], cloud.env, { isTTY: true, stdin });
    await untilPrompt(tty.stderr);
    stdin.write('y\n');
    expect(await tty.done).toBe(0);
    expect(tty.stderr.text).toContain(ESC);
    // eslint-disable-next-line no-control-regex
    const plain = tty.stderr.text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    expect(plain).toMatch(/Evacuating node@old [█░]{24} 0\/2 volumes {2}0\.0\/3\.0 GiB/);
    expect(plain).toMatch(/Evacuating node@old █{24} 2\/2 volumes {2}3\.0\/3\.0 GiB/);
    expect(plain).toMatch(/vol-1 +migrating +[█░]+ +\d+% [\d.]+\/2\.0 GiB/);
    expect(plain).toContain('✔ moved vol-2 to node@new#a');
    expect(plain).toContain('✔ moved vol-1 to node@new#a');
    for (const v of vols) expect(host(await cloud.volume(v.id))).toBe(A);
  }, 60_000);
});
