import { describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { MalformedBodyError } from '../../src/api/errors.js';
import { poolsBody, servicesBody, tokenBody as tokenShape, versionsBody, volumeBody, volumeShape, volumeTypesBody } from '../../src/api/shapes.js';
import { list, nullable, number, object, optional, string } from '../../src/api/validate.js';
import { ExitCode } from '../../src/errors.js';
import { nock, testIo, useNock, versionsDocument } from '../helpers/nock.js';
import { runVolmig } from '../helpers/run.js';
import { CINDER, NOAUTH_ENV, cloudFromEnv, tokenBody, volume } from './fixtures.js';

useNock();

const BASE = '/v3/admin';
const A = '70629f0c-4fed-442b-925c-50e1c3515330';
const B = 'b9be2092-8b55-4e54-8e59-39c2016130dc';
const REQ = { 'x-openstack-request-id': 'req-0b5e1d9c' };

describe('the validator says where a body departs from its shape', () => {
  const shape = object({ volumes: list(object({ id: string, size: number, name: optional(nullable(string)) })) });

  it('names the field by its path, what it is and what it should be', () => {
    expect(shape.check({ volumes: [{ id: 'a', size: 1 }, { id: 'b', size: '1' }] }, '')).toBe('volumes[1].size is a string, not a number');
    expect(shape.check({ volumes: 'none' }, '')).toBe('volumes is a string, not a list');
    expect(shape.check({ volumes: [null] }, '')).toBe('volumes[0] is null, not an object');
    expect(shape.check({ volumes: [{ size: 1 }] }, '')).toBe('volumes[0].id is missing');
    expect(shape.check({ volumes: [{ id: 'a', size: 1, name: 7 }] }, '')).toBe('volumes[0].name is a number, not a string or null');
    expect(shape.check([], '')).toBe('the body is a list, not an object');
    expect(shape.check({ volumes: [{ id: 'a', size: 1, name: null, extra: { anything: true } }] }, '')).toBeUndefined();
  });

  it('keys that are not identifiers are quoted', () => {
    expect(volumeShape.check({ ...volume(A), 'os-vol-host-attr:host': 42 }, 'volume')).toBe('volume["os-vol-host-attr:host"] is a number, not a string or null');
  });
});

describe('every shape accepts what real Cinder and Keystone send', () => {
  // Bodies as recorded from Cinder 21.3 (shared/cinder/transcripts) and Keystone 22 (test/api/fixtures.ts).
  it('volume, pools, services, types, versions, token', () => {
    expect(volumeBody.check({ volume: volume(A) }, '')).toBeUndefined();
    expect(volumeBody.check({ volume: volume(A, { status: 'creating', updated_at: null, migration_progress: '42' }) }, '')).toBeUndefined();
    const pool = {
      name: 'realcinder@ceph-b#ceph-b',
      capabilities: {
        vendor_name: 'Open Source', driver_version: '1.3.0', storage_protocol: 'ceph', total_capacity_gb: 18.7, free_capacity_gb: 18.7,
        reserved_percentage: 0, multiattach: true, max_over_subscription_ratio: '20.0', backend_state: 'up', volume_backend_name: 'ceph-b',
        allocated_capacity_gb: 0, filter_function: null, location_info: 'ceph:/etc/ceph/ceph.conf:652fdca4:None:volumes-b',
      },
    };
    expect(poolsBody.check({ pools: [pool, { name: 'lvm@lvm#lvm', capabilities: { free_capacity_gb: 'infinite', total_capacity_gb: 'unknown' } }] }, '')).toBeUndefined();
    expect(
      servicesBody.check({ services: [{ binary: 'cinder-volume', host: 'realcinder@ceph-a', zone: 'nova', status: 'enabled', state: 'up', updated_at: '2026-11-27T09:12:35.148245', cluster: null, disabled_reason: null, backend_state: 'up' }] }, ''),
    ).toBeUndefined();
    expect(volumeTypesBody.check({ volume_types: [{ id: 't1', name: 'type-a', description: null, is_public: true, extra_specs: { volume_backend_name: 'ceph-a' } }] }, '')).toBeUndefined();
    expect(versionsBody.check(versionsDocument('3.70'), '')).toBeUndefined();
    expect(tokenShape.check(tokenBody(), '')).toBeUndefined();
  });
});

async function client() {
  nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
  const io = testIo({ env: NOAUTH_ENV });
  return connect(await cloudFromEnv(io), io, {});
}

describe('a body that does not fit is a server fault naming the field and the request id', () => {
  it('a listing fails at the element that does not fit, after the ones before it', async () => {
    const c = await client();
    const page = { volumes: [volume(A), volume(B), volume(A), { ...volume(B), status: 42 }] };
    nock(CINDER).get(`${BASE}/volumes/detail`).reply(200, page, REQ);
    const seen: string[] = [];
    const err = await (async () => {
      for await (const v of c.listVolumes()) seen.push(v.id);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([A, B, A]);
    expect(err).toBeInstanceOf(MalformedBodyError);
    expect((err as MalformedBodyError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect((err as Error).message).toBe(
      `the Block Storage API answered GET ${CINDER}${BASE}/volumes/detail with a malformed body: volumes[3].status is a number, not a string (request id req-0b5e1d9c)`,
    );
  });

  it('volumes_links that is not a list of links', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/volumes/detail`).reply(200, { volumes: [volume(A)], volumes_links: [{ rel: 'next' }] }, REQ);
    await expect((async () => { for await (const _ of c.listVolumes()) void _; })()).rejects.toThrow('volumes_links[0].href is missing (request id req-0b5e1d9c)');
  });

  it('snapshots, pools, services and types are checked too', async () => {
    const c = await client();
    nock(CINDER).get(`${BASE}/snapshots/detail`).query(true).reply(200, { snapshots: [{ id: 's1', status: 'available' }] }, REQ);
    await expect(c.listSnapshots({ volumeId: A })).rejects.toThrow('with a malformed body: snapshots[0].volume_id is missing');
    nock(CINDER).get(`${BASE}/scheduler-stats/get_pools`).query(true).reply(200, { pools: {} }, REQ);
    await expect(c.getPools()).rejects.toThrow('with a malformed body: pools is an object, not a list');
    nock(CINDER).get(`${BASE}/os-services`).query(true).reply(200, { services: [{ binary: 'cinder-volume', host: 'h@b', status: 'enabled', state: true }] }, REQ);
    await expect(c.listServices({ binary: 'cinder-volume' })).rejects.toThrow('with a malformed body: services[0].state is true, not a string');
    nock(CINDER).get(`${BASE}/types`).reply(200, { volume_types: [{ id: 't1' }] }, REQ);
    await expect(c.listVolumeTypes()).rejects.toThrow('with a malformed body: volume_types[0].name is missing');
    nock(CINDER).get(`${BASE}/volumes/${A}`).reply(200, '', REQ);
    await expect(c.getVolume(A)).rejects.toThrow('with a malformed body: an empty body (request id req-0b5e1d9c)');
  });
});

describe('commands: a malformed body is exit 6 in one line, never "not found", never JSON', () => {
  it('show <name> over a listing whose volumes is "none"', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    nock(CINDER).get(`${BASE}/volumes/detail`).query({ name: 'db-1' }).reply(200, { volumes: 'none' }, REQ);
    const r = await runVolmig(['show', 'db-1'], { env: NOAUTH_ENV });
    expect(r.code).toBe(ExitCode.UNAVAILABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: the Block Storage API answered GET ${CINDER}${BASE}/volumes/detail?name=db-1 with a malformed body: volumes is a string, not a list (request id req-0b5e1d9c)\n`,
    );
  });

  it('list --json prints nothing of a "none" collection', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    nock(CINDER).get(`${BASE}/volumes/detail`).reply(200, { volumes: 'none' }, REQ);
    const r = await runVolmig(['list', '--json'], { env: NOAUTH_ENV });
    expect(r.code).toBe(ExitCode.UNAVAILABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: the Block Storage API answered GET \S+ with a malformed body: volumes is a string, not a list \(request id req-0b5e1d9c\)\n$/);
  });

  it('pools --json prints nothing of [null]', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    nock(CINDER).get(`${BASE}/scheduler-stats/get_pools`).query(true).reply(200, { pools: [null] }, REQ);
    const r = await runVolmig(['pools', '--json'], { env: NOAUTH_ENV });
    expect(r.code).toBe(ExitCode.UNAVAILABLE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/with a malformed body: pools\[0\] is null, not an object \(request id req-0b5e1d9c\)\n$/);
  });
});
