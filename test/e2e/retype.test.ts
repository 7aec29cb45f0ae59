import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { ESC, api, createVolume, getVolume, host, startE2eSandbox, volmigRun } from '../migration/e2e-helpers.js';
import { validatedEvents } from '../helpers/json-events.js';

const ACCEPTED =
  'Your retype request has been received. Please check the volume status, migration status and the server log to see more information.';
const REFUSED = 'Your retype request failed to process: ';

let sandbox: SandboxHandle;
beforeAll(async () => {
  assertBuilt();
  sandbox = await startE2eSandbox({ seed: 'none' });
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('retype against the sandbox', () => {
  it('on-demand to a type pinned elsewhere: follows retyping and the migration it starts, exit 0', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'rt-ondemand', volume_type: 'lvm-1' });
    expect(host(v)).toBe('sandbox@lvm-1#lvm-1');
    const r = await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--migration-policy', 'on-demand', '--wait', '--interval', '0.5']);
    expect(r.stderr).toContain(ACCEPTED);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/rt-ondemand (waiting|retyping) elapsed \d+:\d\d\n/);
    expect(r.stderr).toMatch(/rt-ondemand migrating \(retyping\) \d+%/);
    expect(r.stderr).toContain('rt-ondemand success 100% 1.0/1.0 GiB\n');
    expect(r.stderr).not.toMatch(ESC);
    expect(r.stdout).toMatch(/^rt-ondemand: retyped to lvm-2 and migrated sandbox@lvm-1#lvm-1 → sandbox@lvm-2#lvm-2 \(1\.0 GiB in \d+:\d\d/);
    const after = await getVolume(sandbox, v.id);
    expect([after.volume_type, host(after), after.status]).toEqual(['lvm-2', 'sandbox@lvm-2#lvm-2', 'available']);
  });

  it('to an unpinned type: retyped in place, exit 0', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'rt-inplace', volume_type: 'vendor' });
    const r = await volmigRun(sandbox, ['retype', v.id, '__DEFAULT__', '--wait', '--interval', '0.5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^rt-inplace: retyped to __DEFAULT__ in place on ${host(v)!.replace(/[#@]/g, '.')} \\(\\d+:\\d\\d\\)\\n$`));
    expect((await getVolume(sandbox, v.id)).volume_type).toBe('__DEFAULT__');
  });

  it('policy never when the type needs another backend: refused up front (5); with --skip-checks the scheduler refuses it (1)', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'rt-never', volume_type: 'lvm-1' });
    const pre = await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--dry-run']);
    expect(pre.code).toBe(5);
    expect(pre.stderr).toContain(`${REFUSED}volume type lvm-2 pins volume_backend_name=lvm-2, but volume rt-never (${v.id}) is on sandbox@lvm-1#lvm-1 (backend lvm-1): the retype needs a migration, and --migration-policy never forbids it`);
    const r = await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--skip-checks', '--wait', '--interval', '0.5', '--timeout', '20s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rt-never: retype to type lvm-2 failed.\n');
    expect(r.stderr).toContain('  Its type is still lvm-1.\n');
    expect(r.stderr).toContain('  The scheduler found no backend for the new type where the volume is, and --migration-policy never forbids moving it.\n');
    expect(r.stderr).toContain('  Where to look: the cinder-scheduler log (the request was refused before any copy ran).\n');
    expect((await getVolume(sandbox, v.id)).volume_type).toBe('lvm-1');
  });

  it('on-demand with a snapshot: refused up front (5); with --skip-checks the explanation names the snapshot, not policy never (1)', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'rt-snap', volume_type: 'lvm-1' });
    const snap = await api<{ snapshot: { id: string } }>(sandbox, 'POST', '/snapshots', { snapshot: { volume_id: v.id, name: 'rt-snap-s1' } });
    expect(snap.status).toBe(202);
    const pre = await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--migration-policy', 'on-demand']);
    expect(pre.code).toBe(5);
    expect(pre.stderr).toBe(
      `${REFUSED}volume rt-snap (${v.id}) has snapshot rt-snap-s1 (${snap.body.snapshot.id}); the retype needs a migration, and a volume with snapshots cannot migrate ("Volume must not have snapshots."). Delete it first.\n`,
    );
    const r = await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--migration-policy', 'on-demand', '--skip-checks', '--wait', '--interval', '0.5', '--timeout', '20s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rt-snap: retype to type lvm-2 failed.\n');
    expect(r.stderr).toContain(
      `  The volume has snapshot rt-snap-s1 (${snap.body.snapshot.id}): the new type needs a migration, and the volume service refuses to migrate a volume with snapshots ("Volume must not have snapshots.").\n`,
    );
    expect(r.stderr).toContain('  Where to look: the cinder-volume service log on the source host sandbox@lvm-1 (the copy and the swap run there).\n');
    expect(r.stderr).not.toContain('never');
    const after = await getVolume(sandbox, v.id);
    expect([after.volume_type, after.status]).toEqual(['lvm-1', 'available']);
  });

  it('--json: accepted, progress and a result line, all parse', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'rt-json', volume_type: 'lvm-2' });
    const r = await volmigRun(sandbox, ['retype', v.id, 'vendor', '--migration-policy', 'on-demand', '--wait', '--interval', '0.5', '--json']);
    expect(r.code).toBe(0);
    const events = validatedEvents('retype', r.stdout);
    expect(events[0]).toMatchObject({ event: 'accepted', previous_type: 'lvm-2', new_type: 'vendor', migration_policy: 'on-demand' });
    expect(events.at(-1)).toMatchObject({ event: 'result', kind: 'retype', result: 'success', volume_type: 'vendor', exit_code: 0 });
  });

  it('pre-flight: same type (5), unknown type (3), status (5); nothing sent', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'rt-checks', volume_type: 'lvm-1' });
    const same = await volmigRun(sandbox, ['retype', v.id, 'lvm-1']);
    expect(same.code).toBe(5);
    expect(same.stderr).toBe(`${REFUSED}volume rt-checks (${v.id}) already has type lvm-1.\n`);
    const unknown = await volmigRun(sandbox, ['retype', v.id, 'gold']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe(`${REFUSED}No volume type with a name or ID of 'gold' exists.\n`);
    await api(sandbox, 'POST', `/volumes/${v.id}/action`, { 'os-reset_status': { status: 'error' } });
    const status = await volmigRun(sandbox, ['retype', v.id, 'lvm-2']);
    expect(status.code).toBe(5);
    expect(status.stderr).toBe(`${REFUSED}volume rt-checks (${v.id}) is error; only available or in-use volumes can be retyped.\n`);
    const api400 = await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--skip-checks']);
    expect(api400.code).toBe(5);
    expect(api400.stderr).toMatch(new RegExp(`^${REFUSED}Invalid volume: Retype needs volume to be in available or in-use state`));
  });

  it('a bad --migration-policy is a usage error', async () => {
    const r = await volmigRun(sandbox, ['retype', 'x', 'y', '--migration-policy', 'always']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Error: invalid value for --migration-policy: 'always' (expected never or on-demand)\n");
  });
});
