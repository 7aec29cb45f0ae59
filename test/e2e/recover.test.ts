import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runVolmig } from '../helpers/run.js';
import { startCloud, startVolmig, type TestCloud } from '../maintenance/sandbox-helpers.js';

let cloud: TestCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

const SERVER = '8f4c2b1e-5d7a-4c3b-9e2f-1a6b7c8d9e0f';

async function migrate(c: TestCloud, id: string, host: string, lock = false) {
  const r = await c.api('POST', `/volumes/${id}/action`, { 'os-migrate_volume': { host, force_host_copy: false, lock_volume: lock } });
  expect(r.status).toBe(202);
}

describe('volmig recover against the sandbox', () => {
  it('after a migration aborted by an attach: explains, refuses without --yes off a terminal, then resets the migration status', async () => {
    cloud = await startCloud({ gibMiB: 4, copyRateMiBps: 2 });
    const v = await cloud.createVolume({ size: 2, name: 'aborted' });
    const dest = v['os-vol-host-attr:host'] === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    const source = v['os-vol-host-attr:host'];
    await migrate(cloud, v.id, dest);
    await cloud.waitFor(v.id, (x) => x.migration_status === 'migrating');
    const attach = await cloud.api('POST', `/volumes/${v.id}/action`, { 'os-attach': { instance_uuid: SERVER, mountpoint: '/dev/vdb' } });
    expect(attach.status).toBe(202);
    const failed = await cloud.waitFor(v.id, (x) => x.migration_status === 'error');
    expect(failed.status).toBe('in-use');

    const dry = await runVolmig(['recover', v.id], { env: cloud.env });
    expect(dry.code).toBe(2);
    expect(dry.stdout).toBe(
      [
        `Volume aborted (${v.id}):`,
        `  status in-use, migration status error, host ${source}, attached`,
        '  no leftover destination (target:) volume',
        '  the last migration ended in error',
        '',
      ].join('\n'),
    );
    expect(dry.stderr).toContain('recover will:\n  - reset migration status error to none (os-reset_status)\n');
    expect(dry.stderr).toContain(`It rolls no data back: the volume's data stays where it is (on ${source})`);
    expect(dry.stderr).toContain('Error: recover changes volume state: confirm with --yes (there is no terminal to ask on)');
    expect((await cloud.volume(v.id)).migration_status).toBe('error');

    const r = await runVolmig(['recover', 'aborted', '--yes'], { env: cloud.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('done: reset migration status error to none (os-reset_status)');
    expect(r.stderr).toContain(`Recovered volume ${v.id}: status in-use, migration status none, host ${source}.`);
    const after = await cloud.volume(v.id);
    expect(after.migration_status).toBeNull();
    expect(after.status).toBe('in-use');
    expect(after['os-vol-host-attr:host']).toBe(source);

    // Run again: nothing to do.
    const again = await runVolmig(['recover', v.id, '--yes'], { env: cloud.env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to recover');
    expect(again.stderr).toContain('Nothing to do.');
    const json = await runVolmig(['recover', v.id, '--yes', '--json'], { env: cloud.env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      volume_id: v.id,
      status: 'in-use',
      migration_status: null,
      host: source,
      leftover_target: null,
      motion: null,
      refusal: null,
      actions: [],
      applied: [],
    });
  }, 60_000);

  it('refuses while the copy is visibly progressing (exit 5) and changes nothing', async () => {
    cloud = await startCloud({ gibMiB: 8, copyRateMiBps: 2 });
    const v = await cloud.createVolume({ size: 2, name: 'busy' });
    const dest = v['os-vol-host-attr:host'] === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    await migrate(cloud, v.id, dest, true);
    await cloud.waitFor(v.id, (x) => x.migration_status === 'migrating');
    const r = await runVolmig(['recover', v.id, '--yes', '--sample', '1.5', '--assume-stuck', '--min-age', '1s'], { env: cloud.env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`Error: the migration of volume ${v.id} is visibly progressing \\(progress went from \\d+% to \\d+%.*\\); recover changes nothing while a copy runs\\. Watch it with: volmig progress ${v.id} --watch`));
    const now = await cloud.volume(v.id);
    expect(now.status).toBe('maintenance');
    expect(now.migration_status).toBe('migrating');
    // and the migration still finishes
    const done = await cloud.waitFor(v.id, (x) => x.migration_status === 'success', 30_000);
    expect(done['os-vol-host-attr:host']).toBe(dest);
  }, 60_000);

  it('a stuck locked migration (status left in maintenance, no progress): resets status and migration status after a "y"', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const v = await cloud.createVolume({ size: 1, name: 'stuck' });
    // What a crashed volume service leaves: maintenance + migrating, and nothing copying.
    const reset = await cloud.api('POST', `/volumes/${v.id}/action`, { 'os-reset_status': { status: 'maintenance', migration_status: 'migrating' } });
    expect(reset.status).toBe(202);
    // Without --assume-stuck silence is no evidence: refused, nothing changed.
    const refused = await runVolmig(['recover', v.id, '--yes', '--sample', '1'], { env: cloud.env });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/still says migration_status migrating and .*run again with --assume-stuck/);
    expect((await cloud.volume(v.id)).status).toBe('maintenance');
    // With it, but younger than --min-age: still refused.
    const young = await runVolmig(['recover', v.id, '--yes', '--sample', '1', '--assume-stuck'], { env: cloud.env });
    expect(young.code).toBe(5);
    expect(young.stderr).toContain('--assume-stuck needs volume');
    // Quiet for longer than --min-age, and the operator says it is stuck: after a "y" it is reset.
    await new Promise((res) => setTimeout(res, 2100));
    const stdin = new PassThrough();
    const run = startVolmig(['recover', v.id, '--sample', '1', '--assume-stuck', '--min-age', '2s'], cloud.env, { isTTY: true, stdin });
    const deadline = Date.now() + 10_000;
    while (!run.stderr.text.includes('[y/N]') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(run.stdout.text).toMatch(/ {2}taken as stuck \(--assume-stuck\): no change for \d+s/);
    expect(run.stderr.text).toContain('  - reset migration status to none and status maintenance to available (os-reset_status)');
    stdin.write('y\n');
    expect(await run.done).toBe(0);
    const after = await cloud.volume(v.id);
    expect(after.status).toBe('available');
    expect(after.migration_status).toBeNull();
  }, 60_000);

  it('an unknown volume is exit 3', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const r = await runVolmig(['recover', 'no-such-volume', '--yes'], { env: cloud.env });
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n')[0]).toMatch(/^Error: .*no-such-volume/);
  }, 60_000);
});
