/**
 * list, show, pools read the target correctly: pool names host@backend#pool, the migration status column, the
 * --json shapes (the API's own objects), and not-found / usage exits. Same expectations on every target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostOf, migstat } from '../lib/api.js';
import { ESC, expectExit } from '../lib/expect.js';
import { openTarget, volName, type Target } from '../lib/target.js';

let t: Target;
let vol: any;

beforeAll(async () => {
  t = await openTarget();
  vol = await t.movableVolume(volName('read'));
});
afterAll(async () => {
  await t?.close();
});

describe(`read commands [${process.env.VOLMIG_TARGET ?? 'sandbox'}]`, () => {
  it('pools --json is the API pool array; every name is host@backend#pool and both backends are there', async () => {
    const r = await t.run(['pools', '--json']);
    expectExit(r, 0);
    const pools = JSON.parse(r.stdout);
    const raw = await t.api.pools();
    expect(pools.map((p: any) => p.name).sort()).toEqual(raw.map((p: any) => p.name).sort());
    for (const p of pools) expect(p.name).toMatch(/^[^@#\s]+@[^#\s]+#\S+$/);
    expect(pools.map((p: any) => p.name)).toEqual(expect.arrayContaining([t.layout.hostA, t.layout.hostB]));
    expect(pools[0].capabilities).toHaveProperty('volume_backend_name');
  });

  it('pools (table) lists each pool name with its backend', async () => {
    const r = await t.run(['pools']);
    expectExit(r, 0);
    expect(r.stdout).toContain(t.layout.hostA);
    expect(r.stdout).toContain(t.layout.hostB);
    expect(r.stdout).not.toContain(ESC);
  });

  it('list shows the volume with its host and migration status; --json gives the API volume objects', async () => {
    const table = await t.run(['list']);
    expectExit(table, 0);
    expect(table.stdout.split('\n')[0]).toMatch(/ID\s+Name\s+Status\s+Size\s+Host\s+Migration/);
    const row = table.stdout.split('\n').find((l) => l.includes(vol.id));
    expect(row, table.stdout).toBeDefined();
    expect(row).toContain(t.layout.hostA);
    expect(row).toContain('available');

    const json = await t.run(['list', '--json']);
    expectExit(json, 0);
    const listed = JSON.parse(json.stdout);
    expect(Array.isArray(listed)).toBe(true);
    const mine = listed.find((v: any) => v.id === vol.id);
    expect(mine).toMatchObject({ id: vol.id, name: vol.name, status: 'available', size: 1 });
    expect(hostOf(mine)).toBe(t.layout.hostA);
    expect(mine).toHaveProperty('os-vol-mig-status-attr:migstat');
  });

  it('list --migration-status none includes a never-migrated volume, success does not', async () => {
    const none = await t.run(['list', '--migration-status', 'none', '--json']);
    expectExit(none, 0);
    expect(JSON.parse(none.stdout).map((v: any) => v.id)).toContain(vol.id);
    const success = await t.run(['list', '--migration-status', 'success', '--json']);
    expectExit(success, 0);
    expect(JSON.parse(success.stdout).map((v: any) => v.id)).not.toContain(vol.id);
  });

  it('list --migration-status with an invalid value is a usage error (exit 2)', async () => {
    const r = await t.run(['list', '--migration-status', 'sideways']);
    expectExit(r, 2);
    expect(r.stderr).toContain('sideways');
    expect(r.stdout).toBe('');
  });

  it('show by id and by name; --json is the API volume object plus volmig\'s key', async () => {
    const byName = await t.run(['show', vol.name]);
    expectExit(byName, 0);
    expect(byName.stdout).toContain(vol.id);
    expect(byName.stdout).toContain(t.layout.hostA);

    const json = await t.run(['show', vol.id, '--json']);
    expectExit(json, 0);
    const shown = JSON.parse(json.stdout);
    const raw = await t.api.volume(vol.id);
    expect(shown.id).toBe(vol.id);
    expect(hostOf(shown)).toBe(hostOf(raw));
    expect(migstat(shown)).toBe(migstat(raw));
    expect(shown.volume_type).toBe(t.layout.unpinned);
    expect(shown.volmig).toEqual({ target: null });
  });

  it('show of an unknown volume exits 3 with one line naming it', async () => {
    const r = await t.run(['show', '00000000-0000-0000-0000-000000000000']);
    expectExit(r, 3);
    expect(r.stderr).toContain('00000000-0000-0000-0000-000000000000');
    // the Keystone target runs everything with --debug, which is where a stack trace is allowed
    if (t.kind !== 'keystone') expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
