/**
 * Operator habits (issue 16) on every target: `doctor`, the `-f`/`-c` output formats, completion that knows the
 * cloud, and whether `--dry-run`'s forecast (driver-assisted or generic) is what the server then does: a generic
 * migration leaves `name_id` pointing at its temporary destination, a driver-assisted one does not (api-facts.md,
 * "RBD (Ceph) migrations": the RBD driver renames the copied image, so name_id stays null).
 *
 * Legitimate differences: the sandbox's hostA → hostB (lvm-1 → lvm-2) is two backends, a generic copy; the rig's
 * (ceph-a → ceph-b) is one Ceph cluster, which the RBD driver moves itself. Real Cinder 21.3 serves 3.70: no
 * server progress.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostOf, nameIdOf } from '../lib/api.js';
import { expectExit } from '../lib/expect.js';
import { openTarget, volName, type Target } from '../lib/target.js';

let t: Target;
beforeAll(async () => {
  t = await openTarget();
});
afterAll(async () => {
  await t?.close();
});

const real = () => t.kind !== 'sandbox';

function noSecrets(text: string): void {
  for (const secret of t.secrets()) expect(text.includes(secret), 'a secret was printed').toBe(false);
}

describe(`operator habits [${process.env.VOLMIG_TARGET ?? 'sandbox'}]`, () => {
  it('doctor: authenticates, reaches the API, may migrate; exit 0; names the endpoint and microversion; no secret', async () => {
    const r = await t.run(['doctor']);
    expectExit(r, 0);
    expect(r.stdout).toContain(`  microversion:       ${real() ? '3.70' : '3.72'} in use (server 3.0 to ${real() ? '3.70' : '3.72'}, volmig up to 3.72)\n`);
    expect(r.stdout).toMatch(/\n {2}ok {4}may migrate {8}yes: get_pools \(\d+ pools?\) and os-services answered/);
    expect(r.stdout).toContain(real() ? '  no    progress: server   no migration_progress' : '  ok    progress: server   migration_progress at microversion 3.72');
    if (t.kind === 'keystone') expect(r.stdout).toContain('  ok    authentication     Keystone issued a token');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Ready: volmig authenticates and reaches the Block Storage API, and these credentials may migrate.');
    noSecrets(r.stdout + r.stderr);
    const json = await t.run(['doctor', '--json', '--debug']);
    expectExit(json, 0);
    expect(JSON.parse(json.stdout).exit_code).toBe(0);
    noSecrets(json.stdout + json.stderr);
  });

  it('list -f value -c ID, show -f value -c host, pools -f csv: the API values, nothing else on stdout', async () => {
    const vol = await t.movableVolume(volName('habits-fmt'));
    const ids = await t.run(['list', '-f', 'value', '-c', 'ID']);
    expectExit(ids, 0);
    expect(ids.stdout.split('\n')).toContain(vol.id);
    expect(ids.stdout.trim().split('\n').every((l) => /^[0-9a-f-]{36}$/.test(l))).toBe(true);
    const host = await t.run(['show', vol.id, '-f', 'value', '-c', 'host']);
    expect(host.stdout).toBe(`${t.layout.hostA}\n`);
    const csv = await t.run(['pools', '-f', 'csv', '-c', 'name']);
    expect(csv.stdout.split('\n')[0]).toBe('"Name"');
    expect(csv.stdout).toContain(`"${t.layout.hostA}"\n`);
  });

  it('completion offers the volume by name, and the pools after it', async () => {
    const vol = await t.movableVolume(volName('habits-tab'));
    const names = await t.run(['complete', '--', 'migrate', vol.name.slice(0, -3)]);
    expectExit(names, 0);
    expect(names.stderr).toBe('');
    expect(names.stdout).toContain(`${vol.name}\t${vol.id}\n`);
    const pools = await t.run(['complete', '--', 'migrate', vol.name, '']);
    expect(pools.stdout).toContain(`${t.layout.hostA}\t`);
    expect(pools.stdout).toContain(`${t.layout.hostB}\t`);
  });

  it('migrate --dry-run says driver-assisted or generic, and the migration then does what it said', async () => {
    const vol = await t.movableVolume(volName('habits-kind'));
    const dry = await t.run(['migrate', vol.id, t.layout.hostB, '--dry-run', '--json']);
    expectExit(dry, 0);
    const checked = JSON.parse(dry.stdout);
    expect(checked.kind).toBe(real() ? 'driver-assisted' : 'generic');
    expect(checked.progress_source).toEqual(real() ? expect.stringMatching(/^(ceph|process|none)$/) : 'server');

    const r = await t.run(['migrate', vol.id, t.layout.hostB, '--wait', '--interval', '1'], { timeoutMs: 170_000 });
    expectExit(r, 0);
    const after = await t.api.volume(vol.id);
    expect(hostOf(after)).toBe(t.layout.hostB);
    // generic: name_id points at the temporary destination that took its place; driver-assisted: no such volume
    expect(nameIdOf(after) === null).toBe(checked.kind === 'driver-assisted');
  });

  it('retype --dry-run on-demand to the other backend: the same forecast rule, and the retype then does it', async () => {
    const vol = await t.movableVolume(volName('habits-rt'));
    const dry = await t.run(['retype', vol.id, t.layout.pinnedB, '--migration-policy', 'on-demand', '--dry-run', '--json']);
    expectExit(dry, 0);
    const checked = JSON.parse(dry.stdout);
    // Cinder asks the driver when the types differ only in volume_backend_name (unpinned → pinned B here).
    expect(checked.kind).toBe(real() ? 'driver-assisted' : 'generic');
    const r = await t.run(['retype', vol.id, t.layout.pinnedB, '--migration-policy', 'on-demand', '--wait', '--interval', '1'], { timeoutMs: 170_000 });
    expectExit(r, 0);
    const after = await t.api.volume(vol.id);
    expect(hostOf(after)).toBe(t.layout.hostB);
    expect(nameIdOf(after) === null).toBe(checked.kind === 'driver-assisted');
  });
});
