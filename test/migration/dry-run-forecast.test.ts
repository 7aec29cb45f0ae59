import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFitsSchema } from '../helpers/json-events.js';
import { FakeRbd } from '../helpers/fake-rbd.js';
import { nock, useNock, versionsDocument } from '../helpers/nock.js';
import { runVolmig } from '../helpers/run.js';
import { API, ENDPOINT_ROOT, NOAUTH_ENV, volume } from '../commands/fixtures.js';
import type { Pool } from '../../src/model/cinder.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { startE2eSandbox, volmigRun, volumeByName } from './e2e-helpers.js';
import { assertBuilt } from '../helpers/cli-process.js';

const FSID = '09bf89f8-ea39-4580-8e39-7f3af9559968';
const ID = '70629f0c-4fed-442b-925c-50e1c3515330';
const SRC = 'realcinder@ceph-a#ceph-a';
const DST = 'realcinder@ceph-b#ceph-b';
/** RBD pools as the rig's Cinder 21.3 reports them: one cluster, a rados pool per backend. */
const POOLS: Pool[] = [SRC, DST].map((name) => ({
  name,
  capabilities: {
    storage_protocol: 'ceph',
    volume_backend_name: name.slice(name.indexOf('@') + 1, name.indexOf('#')),
    location_info: `ceph:/etc/ceph/ceph.conf:${FSID}:None:volumes-${name.slice(-1)}`,
    total_capacity_gb: 18.7,
    free_capacity_gb: 18.7,
  },
})) as Pool[];

describe('migrate --dry-run against RBD pools (the rig\'s layout, Cinder 21.3 at 3.70)', () => {
  useNock();
  const rbd = new FakeRbd();
  const conf = join(rbd.dir, 'ceph.conf');
  writeFileSync(conf, `[global]\nfsid = ${FSID}\nmon host = 127.0.0.1\n`);
  afterAll(() => rbd.remove());

  function preflight(status = 'available') {
    nock(ENDPOINT_ROOT).get('/').reply(300, versionsDocument('3.70', '3.0', ENDPOINT_ROOT));
    const api = nock(API);
    api.get(`/volumes/${ID}`).reply(200, { volume: volume({ id: ID, name: 'db', status, volume_type: 'type-any', 'os-vol-host-attr:host': SRC }) });
    api.get('/snapshots/detail').query({ volume_id: ID, all_tenants: '1' }).reply(200, { snapshots: [] });
    // One get_pools for the checks and the forecast together.
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, {
      services: ['ceph-a', 'ceph-b'].map((b) => ({ binary: 'cinder-volume', host: `realcinder@${b}`, zone: 'nova', status: 'enabled', state: 'up' })),
    });
    api.get('/types').reply(200, { volume_types: [{ id: 't1', name: 'type-any', extra_specs: {} }] });
  }

  it('same cluster, another pool, not in use: driver-assisted; progress from Ceph, with rbd and a matching conf here', async () => {
    preflight();
    const r = await runVolmig(['migrate', ID, DST, '--dry-run'], { env: { ...NOAUTH_ENV, ...rbd.env, CEPH_CONF: conf } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `Dry run: every pre-flight check passed; volume db (${ID}) can be migrated to ${DST}. Nothing was sent.`,
        `Move: driver-assisted: the RBD driver copies it itself: same Ceph cluster ${FSID}, pool volumes-a → volumes-b.`,
        "Progress: from ceph: the destination image's allocated bytes in pool volumes-b (rbd du); the server gives no migration_progress (microversion 3.70; it needs 3.72).",
        '',
      ].join('\n'),
    );
    // A dry run reads no image: rbd is looked for, never run.
    expect(readFileSync(join(rbd.dir, 'calls.log'), 'utf8')).toBe('');
  });

  it('in use: generic; without rbd on PATH no source gives numbers, and the line says what Ceph would need', async () => {
    preflight('in-use');
    const r = await runVolmig(['migrate', ID, DST, '--dry-run', '--json'], { env: { ...NOAUTH_ENV, PATH: '/nonexistent' } });
    expect(r.code).toBe(0);
    const checked = JSON.parse(r.stdout);
    assertFitsSchema('checked', checked);
    expect(checked).toMatchObject({
      event: 'checked',
      kind: 'generic',
      kind_reason: 'the RBD driver copies between pools only a volume that is not in use (it is in-use)',
      progress_source: 'none',
      progress_reason: 'the server gives no migration_progress (microversion 3.70; it needs 3.72); Ceph would give it, but rbd not installed (apt install ceph-common)',
    });
  });

  it('--force-host-copy with a conf of another cluster: generic, and the conf named', async () => {
    const other = join(rbd.dir, 'other.conf');
    writeFileSync(other, '[global]\nfsid = c0ffee00-0000-4000-8000-000000000001\n');
    preflight();
    const r = await runVolmig(['migrate', ID, DST, '--dry-run', '--force-host-copy'], { env: { ...NOAUTH_ENV, ...rbd.env, CEPH_CONF: other } });
    expect(r.stdout.split('\n').slice(1)).toEqual([
      'Move: generic: --force-host-copy: the volume service copies the data.',
      `Progress: no source gives numbers (phase and elapsed time only): the server gives no migration_progress (microversion 3.70; it needs 3.72); Ceph would give it, but ${other} (CEPH_CONF) is Ceph cluster c0ffee00-0000-4000-8000-000000000001, not ${FSID}: map fsid ${FSID} to its conf in settings ceph.clusters[].`,
      '',
    ]);
  });
});

describe('--dry-run forecasts against the sandbox (built CLI)', () => {
  let sandbox: SandboxHandle;
  const state = mkdtempSync(join(tmpdir(), 'volmig-forecast-'));
  beforeAll(async () => {
    assertBuilt();
    sandbox = await startE2eSandbox();
  });
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(state, { recursive: true, force: true });
  });

  it('migrate: pool to pool of the vendor backend is driver-assisted and reported by the server; vendor-lite reports nothing', async () => {
    const a = await volumeByName(sandbox, 'demo-pool-a-1g');
    const r = await volmigRun(sandbox, ['migrate', a.id, 'sandbox@vendor#pool-b', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      "Move: driver-assisted: the sandbox's vendor backend copies between its own pools.",
      'Progress: from the server: its migration_progress: sandbox@vendor#pool-a reports its own copies (migration_progress_report, every 0.1s).',
      '',
    ]);
    const c = await volumeByName(sandbox, 'demo-pool-c-1g');
    const lite = await volmigRun(sandbox, ['migrate', c.id, 'sandbox@vendor-lite#pool-d', '--dry-run', '--json']);
    expect(JSON.parse(lite.stdout)).toMatchObject({
      kind: 'driver-assisted',
      progress_source: 'none',
      progress_reason: 'sandbox@vendor-lite#pool-c does not report its own copies (no migration_progress_report)',
    });
  });

  it('migrate at 3.70 (no migration_progress): a dd copy between LVM backends names the process source', async () => {
    const v = await volumeByName(sandbox, 'demo-lvm-1-1g');
    const r = await volmigRun(sandbox, ['migrate', v.id, 'sandbox@lvm-2#lvm-2', '--dry-run', '--os-volume-api-version', '3.70']);
    expect(r.stdout.split('\n').slice(1, 3)).toEqual([
      'Move: generic: another backend (lvm-1 → lvm-2): the volume service copies it.',
      'Progress: from process: the dd of the copy (/proc/<pid>/fdinfo/1), only if volmig runs where it runs: the volume service of sandbox@lvm-1; the server gives no migration_progress (microversion 3.70; it needs 3.72).',
    ]);
  });

  it('retype: in place for the own backend, generic with on-demand to another, refused by never', async () => {
    const v = await volumeByName(sandbox, 'demo-lvm-2-1g');
    const own = JSON.parse((await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--dry-run', '--json'])).stdout);
    assertFitsSchema('checked', own);
    expect(own).toMatchObject({ kind: 'none', progress_source: 'none', kind_reason: "type lvm-2 pins backend lvm-2, the volume's own: retyped in place" });
    const moves = JSON.parse((await volmigRun(sandbox, ['retype', v.id, 'lvm-1', '--migration-policy', 'on-demand', '--dry-run', '--json'])).stdout);
    expect(moves).toMatchObject({ kind: 'generic', progress_source: 'server' });
    // The default policy never cannot move it: the dry run refuses it as the real request would be (exit 5).
    const neverRun = await volmigRun(sandbox, ['retype', v.id, 'lvm-1', '--dry-run', '--json']);
    expect(neverRun.code).toBe(5);
    const never = JSON.parse(neverRun.stdout);
    assertFitsSchema('rejected', never);
    expect(never).toMatchObject({ event: 'rejected', by: 'volmig', exit_code: 5 });
    const failed = never.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed).toEqual([expect.objectContaining({ check: 'migration-allowed', reason: expect.stringContaining('--migration-policy never forbids it') })]);
  });

  it('evacuate --dry-run: each move says how it will go, in the table and in the plan event', async () => {
    const text = await volmigRun(sandbox, ['evacuate', '--from', 'sandbox@vendor#pool-a', '--to', 'sandbox@vendor#pool-b', '--dry-run']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\n {2}ID +Name +Size +From +To +Action +Kind +Progress\n/);
    expect(text.stdout).toMatch(/ demo-pool-a-2g +2 GiB +sandbox@vendor#pool-a +sandbox@vendor#pool-b +migrate +driver-assisted +server\n/);
    expect(text.stdout).toContain(
      [
        '\nHow they will move:',
        '  demo-pool-a-2g, demo-pool-a-1g:',
        "    Move: driver-assisted: the sandbox's vendor backend copies between its own pools.",
        '    Progress: from the server: its migration_progress: sandbox@vendor#pool-a reports its own copies (migration_progress_report, every 0.1s).',
      ].join('\n'),
    );
    const json = await volmigRun(sandbox, ['evacuate', '--from', 'sandbox@vendor#pool-a', '--to', 'sandbox@lvm-1#lvm-1', '--dry-run', '--json']);
    const plan = JSON.parse(json.stdout);
    assertFitsSchema('plan', plan);
    expect(plan.moves).toHaveLength(2);
    for (const m of plan.moves) {
      expect(m).toMatchObject({ kind: 'generic', kind_reason: 'another backend (vendor → lvm-1): the volume service copies it', progress_source: 'server' });
    }
  });
});
