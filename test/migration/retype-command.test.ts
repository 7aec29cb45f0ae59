import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { cinderApi, useCinderNock, volmig as volmigIn } from '../commands/cinder-nock.js';
import { volume } from '../commands/fixtures.js';
import type { RunOptions } from '../helpers/run.js';

useCinderNock();

const STATE = mkdtempSync(join(tmpdir(), 'volmig-retype-test-'));
const volmig = (args: string[], o: RunOptions = {}) => volmigIn(args, { ...o, env: { XDG_STATE_HOME: STATE, ...(o.env ?? {}) } });

const ID = '70629f0c-4fed-442b-925c-50e1c3515330';
const ACCEPTED =
  'Your retype request has been received. Please check the volume status, migration status and the server log to see more information.';
const REFUSED = 'Your retype request failed to process: ';
const TYPES = [
  { id: '605d4ce1-1046-48ec-803d-8bfe7d4d47c5', name: 'type-any', extra_specs: {} },
  { id: 'b66ac7ae-39dc-40be-bf49-99427d734126', name: 'type-b', extra_specs: { volume_backend_name: 'ceph-b' } },
];
const RETYPE_400 =
  'Invalid volume: Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.';

function vol(over: Partial<Volume> = {}): Volume {
  return volume({ id: ID, name: 'mig-vol', volume_type: 'type-any', ...over });
}
const ON_B = { 'os-vol-host-attr:host': 'realcinder@ceph-b#ceph-b' } as Partial<Volume>;
const POOLS = [
  { name: 'realcinder@ceph-a#ceph-a', capabilities: { volume_backend_name: 'ceph-a', total_capacity_gb: 18.7, free_capacity_gb: 18.7, reserved_percentage: 0 } },
  { name: 'realcinder@ceph-b#ceph-b', capabilities: { volume_backend_name: 'ceph-b', total_capacity_gb: 18.7, free_capacity_gb: 18.7, reserved_percentage: 0 } },
];
const SERVICES = [
  { binary: 'cinder-volume', host: 'realcinder@ceph-a', zone: 'nova', status: 'enabled', state: 'up' },
  { binary: 'cinder-volume', host: 'realcinder@ceph-b', zone: 'nova', status: 'enabled', state: 'up' },
];

describe('retype', () => {
  it('accepted: sends new_type and the policy once, prints the seed-style answer, exit 0', async () => {
    let body: unknown;
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol() });
    api.get('/types').reply(200, { volume_types: TYPES });
    // type-b pins ceph-b and the volume is on ceph-a: the move's checks, as migrate makes them
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    api.get('/snapshots/detail').query({ volume_id: ID, all_tenants: '1' }).reply(200, { snapshots: [] });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: SERVICES });
    api.post(`/volumes/${ID}/action`, (b) => ((body = b), true)).reply(202, '');
    const r = await volmig(['retype', ID, 'type-b', '--migration-policy', 'on-demand']);
    expect(r.code).toBe(0);
    expect(body).toEqual({ 'os-retype': { new_type: 'type-b', migration_policy: 'on-demand' } });
    expect(r.stderr).toBe(`${ACCEPTED}\nNext: volmig show ${ID} (and volmig progress ${ID} --watch if it migrates)\n`);
  });

  it('the default policy is never', async () => {
    let body: unknown;
    const api = cinderApi();
    // on ceph-b already: type-b (pinned to ceph-b) can be set in place, so policy never is fine
    api.get(`/volumes/${ID}`).reply(200, { volume: vol(ON_B) });
    api.get('/types').reply(200, { volume_types: TYPES });
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    api.post(`/volumes/${ID}/action`, (b) => ((body = b), true)).reply(202, '');
    expect((await volmig(['retype', ID, 'type-b'])).code).toBe(0);
    expect(body).toEqual({ 'os-retype': { new_type: 'type-b', migration_policy: 'never' } });
  });

  it('pre-flight refusals: in-flight migration and same type, each on its own line, exit 5', async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol({ migration_status: 'migrating', volume_type: 'type-b' }) });
    api.get('/types').reply(200, { volume_types: TYPES });
    const r = await volmig(['retype', ID, 'type-b']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      `${REFUSED}a migration of volume mig-vol (${ID}) is in flight (migration_status migrating). Watch it with: volmig progress ${ID} --watch\n` +
        `${REFUSED}volume mig-vol (${ID}) already has type type-b.\n`,
    );
  });

  it("--skip-checks: Cinder's 400 with HTTP code and request id, exit 5; its 404 for an unknown type, exit 3", async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).twice().reply(200, { volume: vol() });
    api.post(`/volumes/${ID}/action`).reply(400, { badRequest: { code: 400, message: RETYPE_400 } }, { 'x-openstack-request-id': 'req-7' });
    api.post(`/volumes/${ID}/action`).reply(404, { itemNotFound: { code: 404, message: 'Volume type with name gold could not be found.' } });
    const r400 = await volmig(['retype', ID, 'type-any', '--skip-checks']);
    expect(r400.code).toBe(5);
    expect(r400.stderr).toBe(`${REFUSED}${RETYPE_400} (HTTP 400) (Request-ID: req-7)\n`);
    cinderApi(); // the second run reads the versions document too
    const r404 = await volmig(['retype', ID, 'gold', '--skip-checks']);
    expect(r404.code).toBe(3);
    expect(r404.stderr).toBe(`${REFUSED}Volume type with name gold could not be found. (HTTP 404)\n`);
  });

  it('--dry-run: checks pass, nothing sent', async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol(ON_B) });
    api.get('/types').reply(200, { volume_types: TYPES });
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    const r = await volmig(['retype', ID, 'type-b', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `Dry run: every pre-flight check passed; volume mig-vol (${ID}) can be retyped to type-b. Nothing was sent.`,
        "Move: no migration: type type-b pins backend ceph-b, the volume's own: retyped in place.",
        'Progress: none needed (no data moves).',
        '',
      ].join('\n'),
    );
  });

  it('--migration-policy never to a type pinned to another backend: refused up front (exit 5), as migrate does', async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol() });
    api.get('/types').reply(200, { volume_types: TYPES });
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    const r = await volmig(['retype', ID, 'type-b', '--dry-run']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      `${REFUSED}volume type type-b pins volume_backend_name=ceph-b, but volume mig-vol (${ID}) is on realcinder@ceph-a#ceph-a (backend ceph-a): ` +
        'the retype needs a migration, and --migration-policy never forbids it (the scheduler would refuse it). Allow the move with --migration-policy on-demand.\n',
    );
    expect(r.stdout).toBe('');
  });

  it('on-demand when the type moves the volume: the migration checks (snapshot, service, capacity), each named, exit 5', async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol({ size: 400 }) });
    api.get('/types').reply(200, { volume_types: TYPES });
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, {
      pools: [
        POOLS[0],
        { name: 'realcinder@ceph-b#ceph-b', capabilities: { ...POOLS[1]!.capabilities, thin_provisioning_support: true, max_over_subscription_ratio: '20.0', allocated_capacity_gb: 2 } },
      ],
    });
    api.get('/snapshots/detail').query({ volume_id: ID, all_tenants: '1' }).reply(200, {
      snapshots: [{ id: '9ffef350-59cc-4264-bdf1-36e8fa2789e5', volume_id: ID, name: 's1', status: 'available', size: 1, created_at: 'x' }],
    });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: SERVICES });
    const r = await volmig(['retype', ID, 'type-b', '--migration-policy', 'on-demand']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      `${REFUSED}volume mig-vol (${ID}) has snapshot s1 (9ffef350-59cc-4264-bdf1-36e8fa2789e5); the retype needs a migration, and a volume with snapshots cannot migrate ("Volume must not have snapshots."). Delete it first.\n` +
        `${REFUSED}realcinder@ceph-b#ceph-b has 372.0 GiB of over-subscribed virtual capacity left (thin provisioning: 18.7 GiB × max_over_subscription_ratio 20 − 2 GiB provisioned), 18.7 GiB really free; volume mig-vol (${ID}) needs 400 GiB.\n`,
    );
  });
});
