import { describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { AmbiguousVolumeError, CinderApiError } from '../../src/api/errors.js';
import type { BlockStorageClient } from '../../src/api/block-storage.js';
import { NotFoundError, UnavailableError, UsageError } from '../../src/errors.js';
import { nock, testIo, useNock, versionsDocument } from '../helpers/nock.js';
import { CINDER, NOAUTH_ENV, cloudFromEnv, volume } from './fixtures.js';

useNock();

const BASE = '/v3/admin';
const A = '70629f0c-4fed-442b-925c-50e1c3515330';
const B = 'b9be2092-8b55-4e54-8e59-39c2016130dc';
const C = '59021996-dd19-4a82-aba2-238a4e05d824';

async function client(max = '3.70'): Promise<BlockStorageClient> {
  nock(CINDER).get('/').reply(300, versionsDocument(max));
  const io = testIo({ env: NOAUTH_ENV });
  return connect(await cloudFromEnv(io), io, {});
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('listVolumes', () => {
  it('follows volumes_links across pages, moving an advertised internal host onto the configured endpoint', async () => {
    const c = await client();
    nock(CINDER)
      .get(`${BASE}/volumes/detail`)
      .query({ migration_status: 'success', all_tenants: '1', limit: '2' })
      .reply(200, {
        volumes: [volume(A), volume(B)],
        volumes_links: [{ rel: 'next', href: `http://cinder-internal.cluster.local:8776/v3/admin/volumes/detail?all_tenants=1&limit=2&marker=${B}&migration_status=success` }],
      });
    nock(CINDER)
      .get(`${BASE}/volumes/detail`)
      .query({ all_tenants: '1', limit: '2', marker: B, migration_status: 'success' })
      .reply(200, {
        volumes: [volume(C)],
        volumes_links: [{ rel: 'next', href: `${CINDER}/v3/admin/volumes/detail?all_tenants=1&limit=2&marker=${C}&migration_status=success` }],
      });
    nock(CINDER)
      .get(`${BASE}/volumes/detail`)
      .query({ all_tenants: '1', limit: '2', marker: C, migration_status: 'success' })
      .reply(200, { volumes: [] });
    const ids = (await collect(c.listVolumes({ filters: { migration_status: 'success' }, allProjects: true, pageSize: 2 }))).map((v) => v.id);
    expect(ids).toEqual([A, B, C]);
  });

  it('streams: stops after max volumes without fetching the next page', async () => {
    const c = await client();
    nock(CINDER)
      .get(`${BASE}/volumes/detail`)
      .query({ limit: '2' })
      .reply(200, {
        volumes: [volume(A), volume(B)],
        volumes_links: [{ rel: 'next', href: `${CINDER}/v3/admin/volumes/detail?limit=2&marker=${B}` }],
      });
    const ids = (await collect(c.listVolumes({ max: 2 }))).map((v) => v.id);
    expect(ids).toEqual([A, B]);
  });

  it('a page with no next link ends the listing', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/detail`).reply(200, { volumes: [volume(A)] });
    expect((await collect(c.listVolumes())).map((v) => v.id)).toEqual([A]);
  });
});

describe('listVolumes: bodies that are not a clean page', () => {
  it('a malformed volume fails the listing at that volume, naming the page and the item', async () => {
    const c = await client();
    const good = JSON.stringify(volume(A));
    nock(CINDER).get(`${BASE}/volumes/detail`).reply(200, `{"volumes": [${good}, {"id": tru}]}`, { 'Content-Type': 'application/json' });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const v of c.listVolumes()) seen.push(v.id);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([A]);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toBe(`the Block Storage API answered GET ${CINDER}${BASE}/volumes/detail with a malformed body: volumes[1] is not valid JSON`);
  });

  it('an answer without the collection, or not JSON at all, gets the whole-body errors', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/detail`).reply(200, { volume: volume(A) });
    await expect(collect(c.listVolumes())).rejects.toThrow(`the Block Storage API answered GET ${CINDER}${BASE}/volumes/detail with a malformed body: volumes is missing`);
    nock(CINDER).get(`${BASE}/volumes/detail`).reply(200, '<html><title>Login</title></html>', { 'Content-Type': 'text/html' });
    await expect(collect(c.listVolumes())).rejects.toThrow(
      `the Block Storage API answered GET ${CINDER}${BASE}/volumes/detail with a malformed body: an HTML page instead of JSON: "Login" (a proxy or a wrong endpoint?)`,
    );
  });
});

describe('undici without its whole package', () => {
  it('loads the request API and global dispatcher alone (not the fallback to the package index)', async () => {
    const { loadUndiciRequest } = await import('../../src/api/undici-request.js');
    const undici = await import('undici');
    expect(await loadUndiciRequest()).not.toBe(undici.request);
  });
});

describe('findVolume', () => {
  it('an exact id is fetched directly', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/${A}`).reply(200, { volume: volume(A) });
    expect((await c.findVolume(A)).id).toBe(A);
  });

  it('a name is looked up with the name filter (all projects when asked)', async () => {
    const c = await client();
    nock(CINDER)
      .get(`${BASE}/volumes/detail`)
      .query({ name: 'mig-vol', all_tenants: '1' })
      .reply(200, { volumes: [volume(A)] });
    expect((await c.findVolume('mig-vol', { allProjects: true })).id).toBe(A);
  });

  it('an id-shaped name that is not an id falls back to the name', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/${C}`).reply(404, { itemNotFound: { code: 404, message: `Volume ${C} could not be found.` } });
    nock(CINDER).get(`${BASE}/volumes/detail`).query({ name: C }).reply(200, { volumes: [volume(A, { name: C })] });
    expect((await c.findVolume(C)).id).toBe(A);
  });

  it('several matches: AmbiguousVolumeError (exit 3) listing id, name and host of each', async () => {
    const c = await client();
    nock(CINDER)
      .get(`${BASE}/volumes/detail`)
      .query({ name: 'mig-vol' })
      .reply(200, {
        volumes: [volume(A), volume(C, { 'os-vol-host-attr:host': 'realcinder@ceph-b#ceph-b' })],
      });
    const err = (await c.findVolume('mig-vol').catch((e: unknown) => e)) as AmbiguousVolumeError;
    expect(err).toBeInstanceOf(AmbiguousVolumeError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(
      "2 volumes are named 'mig-vol'; give one of these IDs instead:\n" +
        `  ${A}  mig-vol  realcinder@ceph-a#ceph-a\n` +
        `  ${C}  mig-vol  realcinder@ceph-b#ceph-b`,
    );
    expect(err.candidates.map((v) => v.id)).toEqual([A, C]);
  });

  it('the temporary destination of a generic migration (target:<id>) does not make the name ambiguous', async () => {
    const c = await client();
    nock(CINDER)
      .get(`${BASE}/volumes/detail`)
      .query({ name: 'mig-vol' })
      .reply(200, {
        volumes: [
          volume(A, { status: 'maintenance', 'os-vol-mig-status-attr:migstat': 'migrating', migration_status: 'migrating' }),
          volume(B, { 'os-vol-mig-status-attr:migstat': `target:${A}`, migration_status: `target:${A}` }),
        ],
      });
    expect((await c.findVolume('mig-vol')).id).toBe(A);
  });

  it('no match: NotFoundError with cinderclient’s wording (exit 3)', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/detail`).query({ name: 'nope' }).reply(200, { volumes: [] });
    const err = await c.findVolume('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).exitCode).toBe(3);
    expect((err as Error).message).toBe("No volume with a name or ID of 'nope' exists.");
  });

  it('a non-404 error on the id lookup is not hidden by the name search', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/${A}`).reply(403, { forbidden: { code: 403, message: 'Policy does not allow' } });
    const err = await c.findVolume(A).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CinderApiError);
    expect((err as CinderApiError).exitCode).toBe(4);
  });
});

describe('resources and actions', () => {
  it('getPools reads scheduler-stats/get_pools?detail=true', async () => {
    const c = await client();
    const pools = [{ name: 'realcinder@ceph-a#ceph-a', capabilities: { volume_backend_name: 'ceph-a', free_capacity_gb: 18.7 } }];
    nock(CINDER).get(`${BASE}/scheduler-stats/get_pools`).query({ detail: 'true' }).reply(200, { pools });
    expect(await c.getPools()).toEqual(pools);
  });

  it('listServices passes binary and host', async () => {
    const c = await client();
    const services = [{ binary: 'cinder-volume', host: 'realcinder@ceph-a', status: 'enabled', state: 'up' }];
    nock(CINDER).get(`${BASE}/os-services`).query({ binary: 'cinder-volume', host: 'realcinder@ceph-a' }).reply(200, { services });
    expect(await c.listServices({ binary: 'cinder-volume', host: 'realcinder@ceph-a' })).toEqual(services);
  });

  it('listSnapshots filters by volume and project scope', async () => {
    const c = await client();
    const snapshots = [{ id: 's1', volume_id: A, name: 's1', status: 'available', size: 1, created_at: 'x' }];
    nock(CINDER).get(`${BASE}/snapshots/detail`).query({ volume_id: A, all_tenants: '1' }).reply(200, { snapshots });
    expect(await c.listSnapshots({ volumeId: A, allProjects: true })).toEqual(snapshots);
  });

  it('volume types: list with extra_specs, find by name or id, unknown is NotFoundError', async () => {
    const c = await client();
    const types = [
      { id: 'e8a736be-410e-4db3-8e92-0176dfce9fde', name: 'type-a', extra_specs: { volume_backend_name: 'ceph-a' } },
      { id: '605d4ce1-1046-48ec-803d-8bfe7d4d47c5', name: 'type-any', extra_specs: {} },
    ];
    nock(CINDER).get(`${BASE}/types`).times(3).reply(200, { volume_types: types });
    expect((await c.findVolumeType('type-a')).extra_specs).toEqual({ volume_backend_name: 'ceph-a' });
    expect((await c.findVolumeType('605d4ce1-1046-48ec-803d-8bfe7d4d47c5')).name).toBe('type-any');
    const err = await c.findVolumeType('type-z').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe("No volume type with a name or ID of 'type-z' exists.");
  });

  it('migrateVolume sends the os-migrate_volume body with explicit booleans; 202 with the request id', async () => {
    const c = await client();
    nock(CINDER)
      .post(`${BASE}/volumes/${A}/action`, {
        'os-migrate_volume': { host: 'realcinder@ceph-b#ceph-b', force_host_copy: true, lock_volume: false },
      })
      .matchHeader('content-type', 'application/json')
      .matchHeader('openstack-api-version', 'volume 3.70')
      .reply(202, '', { 'x-openstack-request-id': 'req-a408' });
    expect(await c.migrateVolume(A, { host: 'realcinder@ceph-b#ceph-b', forceHostCopy: true })).toEqual({ status: 202, requestId: 'req-a408' });
  });

  it('migrateVolume to a cluster (>= 3.16) sends cluster and no host; both or neither is a usage error', async () => {
    const c = await client();
    nock(CINDER)
      .post(`${BASE}/volumes/${A}/action`, { 'os-migrate_volume': { cluster: 'c1', force_host_copy: false, lock_volume: true } })
      .reply(202, '');
    expect((await c.migrateVolume(A, { cluster: 'c1', lockVolume: true })).status).toBe(202);
    await expect(c.migrateVolume(A, { host: 'h', cluster: 'c1' })).rejects.toBeInstanceOf(UsageError);
    await expect(c.migrateVolume(A, {})).rejects.toBeInstanceOf(UsageError);
  });

  it('retype, reset-status, attach and detach send their action bodies', async () => {
    const c = await client();
    const action = `${BASE}/volumes/${A}/action`;
    nock(CINDER).post(action, { 'os-retype': { new_type: 'type-b', migration_policy: 'on-demand' } }).reply(202, '');
    nock(CINDER).post(action, { 'os-reset_status': { migration_status: 'none' } }).reply(202, '');
    nock(CINDER).post(action, { 'os-attach': { host_name: 'h1', mountpoint: '/dev/vdb' } }).reply(202, '');
    nock(CINDER).post(action, { 'os-detach': { attachment_id: 'att-1' } }).reply(202, '');
    await c.retypeVolume(A, 'type-b', 'on-demand');
    await c.resetStatus(A, { migration_status: 'none' });
    await c.attachVolume(A, { host_name: 'h1', mountpoint: '/dev/vdb' });
    await c.detachVolume(A, 'att-1');
  });

  it('createVolume and deleteVolume', async () => {
    const c = await client();
    nock(CINDER)
      .post(`${BASE}/volumes`, { volume: { size: 1, name: 'mig-vol', volume_type: 'type-a' } })
      .reply(202, { volume: volume(A, { status: 'creating' }) });
    nock(CINDER).delete(`${BASE}/volumes/${A}`).reply(202, '');
    expect((await c.createVolume({ size: 1, name: 'mig-vol', volume_type: 'type-a' })).status).toBe('creating');
    expect((await c.deleteVolume(A)).status).toBe(202);
  });

  it('request() returns the raw answer, error statuses included, relative to the endpoint or absolute', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/${A}`).reply(404, { itemNotFound: { code: 404, message: 'gone' } }, { 'x-openstack-request-id': 'req-r' });
    nock(CINDER).get('/v3/').reply(200, versionsDocument('3.70'));
    const raw = await c.request('GET', `/volumes/${A}`);
    expect(raw).toMatchObject({ status: 404, body: { itemNotFound: { code: 404, message: 'gone' } }, requestId: 'req-r' });
    expect((await c.request<{ versions: unknown[] }>('GET', `${CINDER}/v3/`)).body.versions).toHaveLength(1);
  });
});

describe('listMessages', () => {
  const message = (id: string, created: string, uuid = A) => ({
    id,
    event_id: 'VOLUME_VOLUME_900_003',
    user_message: 'migrate volume:Could not find any available weighted backend.',
    message_level: 'ERROR',
    created_at: created,
    guaranteed_until: '2026-12-27T09:12:48.000000',
    request_id: `req-${id}`,
    links: [],
    resource_type: 'VOLUME',
    resource_uuid: uuid,
  });

  it('from 3.5: filtered on the server by resource_uuid, pages followed, newest first', async () => {
    const c = await client('3.70');
    nock(CINDER)
      .get(`${BASE}/messages`)
      .query({ resource_uuid: A })
      .reply(200, { messages: [message('m1', '2026-11-27T09:12:48.000000')], messages_links: [{ rel: 'next', href: `${CINDER}/v3/admin/messages?resource_uuid=${A}&marker=m1` }] });
    nock(CINDER).get(`${BASE}/messages`).query({ resource_uuid: A, marker: 'm1' }).reply(200, { messages: [message('m2', '2026-11-27T10:00:00.000000')] });
    expect((await c.listMessages({ resourceUuid: A })).map((m) => m.id)).toEqual(['m2', 'm1']);
  });

  it('3.3 and 3.4 have no filters: the list is filtered here; below 3.3 there are no messages and nothing is asked', async () => {
    const c = await client('3.4');
    nock(CINDER).get(`${BASE}/messages`).reply(200, { messages: [message('m1', '2026-11-27T09:12:48.000000'), message('m2', '2026-11-27T09:13:00.000000', B)] });
    expect((await c.listMessages({ resourceUuid: A })).map((m) => m.id)).toEqual(['m1']);
    const old = await client('3.2');
    expect(await old.listMessages({ resourceUuid: A })).toEqual([]);
  });
});
