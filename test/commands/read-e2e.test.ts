// End to end against the sandbox Cinder on a loopback port: real HTTP through undici's own global dispatcher.
// No nock in this file (nock replaces the global dispatcher for the whole process once imported).
import { getGlobalDispatcher, request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import type { Pool, Volume } from '../../src/model/cinder.js';
import { runVolmig } from '../helpers/run.js';

let sandbox: SandboxHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    seed: 'demo',
    gibBytes: 4 * 1024 * 1024, // a "GiB" is 4 MiB here, so copies are small
    copyRateMiBps: 1, // ...and slow enough (8 s for a 2 GiB volume) to look at while they run
    reportIntervalSeconds: 1,
    phaseDelayMs: 50,
  });
  env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: sandbox.url, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' };
});

afterAll(async () => {
  await sandbox?.stop();
});

const volmig = (args: string[]) => runVolmig(args, { env });

async function listJson(args: string[] = []): Promise<Volume[]> {
  const r = await volmig(['list', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Volume[];
}

test('this file talks to a real server: nock is not intercepting', () => {
  expect(getGlobalDispatcher().constructor.name).not.toBe('NockAgent');
});

describe('read commands on the seeded demo data', () => {
  test('pools lists every sandbox pool with capacity and the progress-report capability', async () => {
    const json = await volmig(['pools', '--json']);
    expect(json.code).toBe(0);
    const pools = JSON.parse(json.stdout) as Pool[];
    expect(pools.length).toBeGreaterThanOrEqual(3);
    for (const p of pools) expect(p.name).toMatch(/^sandbox@[^@#]+#[^@#]+$/);

    const r = await volmig(['pools']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Name +Backend +Free +Total +Progress report$/);
    expect(lines).toHaveLength(pools.length + 1);
    expect(lines.find((l) => l.startsWith('sandbox@lvm-1#lvm-1 '))).toMatch(/ lvm-1 +[\d.]+ GiB +100 GiB +no$/);
    expect(lines.some((l) => /^sandbox@vendor#\S+ .* yes, every 1s$/.test(l))).toBe(true);
  });

  test('list shows the admin project\'s volumes; --all-projects adds the member project\'s', async () => {
    const mine = await listJson();
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((v) => v.name?.startsWith('demo-') && v.name !== 'demo-member-volume')).toBe(true);
    const all = await listJson(['--all-projects']);
    expect(all.map((v) => v.name)).toContain('demo-member-volume');
    expect(all.length).toBe(mine.length + 1);

    const table = await volmig(['list']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +Name +Status +Size +Host +Migration$/);
    expect(lines).toHaveLength(mine.length + 1);
    expect(lines.find((l) => l.includes(' demo-lvm-1-2g '))).toMatch(/ available +2 GiB +sandbox@lvm-1#lvm-1 +-$/);
  });

  test('filters: --host at backend and host level (matched by the server), --migration-status none, --name, --limit', async () => {
    const onLvm1 = await listJson(['--host', 'sandbox@lvm-1']);
    expect(onLvm1.map((v) => v.name).sort()).toEqual(['demo-lvm-1-1g', 'demo-lvm-1-2g']);
    expect(await listJson(['--host', 'sandbox@lvm-1#lvm-1'])).toEqual(onLvm1);
    // A bare host matches every backend on it, as Cinder's _filter_host does.
    expect((await listJson(['--host', 'sandbox'])).map((v) => v.id).sort()).toEqual((await listJson()).map((v) => v.id).sort());
    expect(await listJson(['--host', 'sandbo'])).toEqual([]);
    const never = await listJson(['--migration-status', 'none']);
    expect(never.length).toBe((await listJson()).length);
    expect((await listJson(['--name', 'demo-lvm-2-1g'])).map((v) => v.name)).toEqual(['demo-lvm-2-1g']);
    expect(await listJson(['--limit', '2'])).toHaveLength(2);
    expect(await volmig(['list', '--migration-status', 'error'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No volumes found in project admin (--all-projects lists every project).\n',
    });
  });

  test('show by name, and a name that does not exist (exit 3)', async () => {
    const r = await volmig(['show', 'demo-lvm-2-1g']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^id: +[0-9a-f-]{36}\nname: +demo-lvm-2-1g\nstatus: +available\nsize: +1 GiB\n/);
    expect(r.stdout).toContain('host:                sandbox@lvm-2#lvm-2\n');
    expect(r.stdout).toContain('migration status:    -\n');

    const missing = await volmig(['show', 'no-such-volume']);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(
      "Error: No volume with a name or ID of 'no-such-volume' exists.\n" +
        'Only project admin was searched; every project: volmig show no-such-volume --all-projects\n',
    );
  });
});

describe('while a generic migration copies', () => {
  let source: Volume;
  let target: Volume;

  beforeAll(async () => {
    [source] = await listJson(['--name', 'demo-lvm-1-2g']);
    const res = await request(`${sandbox.url}/admin/volumes/${source!.id}/action`, {
      method: 'POST',
      headers: { 'x-auth-token': 'admin:admin', 'content-type': 'application/json', 'openstack-api-version': 'volume 3.72' },
      body: JSON.stringify({ 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2', force_host_copy: true, lock_volume: false } }),
    });
    await res.body.text();
    expect(res.statusCode).toBe(202);
    // Wait for the copy to start: the temporary destination exists and the source reads `migrating`.
    for (let i = 0; i < 100; i++) {
      const targets = await listJson(['--all-projects', '--migration-status', `target:${source!.id}`]);
      const [now] = await listJson(['--name', 'demo-lvm-1-2g']);
      if (targets.length === 1 && now!.migration_status === 'migrating') {
        target = targets[0]!;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the migration did not reach migrating with a target volume');
  });

  test('list hides the target and shows the destination on the source row', async () => {
    const all = await volmig(['list', '--all-projects']);
    expect(all.code).toBe(0);
    expect(all.stdout).not.toContain(target.id);
    const row = all.stdout.split('\n').find((l) => l.startsWith(source.id));
    expect(row).toMatch(/ sandbox@lvm-1#lvm-1 +migrating → sandbox@lvm-2#lvm-2$/);

    const withTargets = await volmig(['list', '--all-projects', '--show-targets']);
    const targetRow = withTargets.stdout.split('\n').find((l) => l.startsWith(target.id));
    expect(targetRow).toMatch(new RegExp(` sandbox@lvm-2#lvm-2 +target:${source.id}$`));

    const migrating = await listJson(['--migration-status', 'migrating', '--all-projects']);
    expect(migrating.map((v) => v.id)).toEqual([source.id]);
  });

  test('a listing the destination is not part of (--migration-status migrating) finds it with the one migration_status~ listing', async () => {
    const r = await volmig(['list', '--migration-status', 'migrating', '--all-projects']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${source.id} .* sandbox@lvm-1#lvm-1 +migrating → sandbox@lvm-2#lvm-2$`));
  });

  test('show names the target volume, the destination host and the progress', async () => {
    const r = await volmig(['show', source.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('migration status:    migrating\n');
    expect(r.stdout).toContain(`migration target:    ${target.id} (`);
    expect(r.stdout).toContain('destination host:    sandbox@lvm-2#lvm-2\n');
    expect(r.stdout).toMatch(/\nmigration progress: +(\d+(\.\d+)?%|\S+)\n/);

    const json = await volmig(['show', source.id, '--json']);
    const shown = JSON.parse(json.stdout) as Volume & { volmig: { target: Volume | null } };
    expect(shown.id).toBe(source.id);
    expect(shown.volmig.target?.id).toBe(target.id);
    expect(shown.volmig.target?.['os-vol-host-attr:host']).toBe('sandbox@lvm-2#lvm-2');
  });
});
