import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded, RECORDED_VOLUME_ID } from './fixtures/cinder-faults.js';
import { startTestSandbox, waitFor, type TestSandbox } from './helpers.js';

let sb: TestSandbox;

beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  await sb.stop();
});

describe('versions and microversions', () => {
  it('GET / answers 300 with the versions document (max 3.72) and GET /v3/ 200', async () => {
    const root = await sb.call('GET', '/', { token: null, mv: null });
    expect(root.status).toBe(300);
    expect(root.body.versions).toHaveLength(1);
    expect(root.body.versions[0]).toMatchObject({ id: 'v3.0', status: 'CURRENT', version: '3.72', min_version: '3.0' });
    expect(root.body.versions[0].links).toContainEqual({ rel: 'self', href: `${sb.origin}/v3/` });
    const v3 = await sb.call('GET', '/v3/', { token: null, mv: null });
    expect(v3.status).toBe(200);
    expect(v3.body.versions[0].version).toBe('3.72');
  });

  it('echoes the microversion (3.0 when none is sent) and sets a req-<uuid> request id on every answer', async () => {
    const a = await sb.call('GET', '/volumes', { mv: '3.60' });
    expect(a.headers.get('openstack-api-version')).toBe('volume 3.60');
    expect(a.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const b = await sb.call('GET', '/volumes', { mv: null });
    expect(b.headers.get('openstack-api-version')).toBe('volume 3.0');
    const latest = await sb.call('GET', '/volumes', { mv: 'latest' });
    expect(latest.headers.get('openstack-api-version')).toBe('volume 3.72');
    const fault = await sb.call('GET', '/volumes/nope');
    expect(fault.headers.get('x-openstack-request-id')).toMatch(/^req-/);
  });

  it('answers 406 computeFault for a version out of range and 400 for a malformed one', async () => {
    const high = await sb.call('GET', '/volumes', { mv: '3.73' });
    expect(high.status).toBe(406);
    expect(high.body).toEqual({
      computeFault: { code: 406, message: 'Version 3.73 is not supported by the API. Minimum is 3.0 and maximum is 3.72.' },
    });
    const bad = await sb.call('GET', '/volumes', { mv: '3.x' });
    expect(bad.status).toBe(400);
    expect(bad.body.badRequest.message).toContain('is of invalid format');
  });
});

describe('faults compared with the recorded Cinder answers', () => {
  it('404 for an unknown volume, on GET and on the migrate action (transcript H4)', async () => {
    for (const label of ['H4-get-unknown-volume', 'H4-migrate-unknown-volume']) {
      const rec = recorded(label);
      const r = await sb.call(rec.method, rec.path, {
        body: rec.request === null ? undefined : JSON.parse(JSON.stringify(rec.request).replaceAll('realcinder@ceph-b#ceph-b', 'sandbox@lvm-2#lvm-2')),
        mv: '3.60',
      });
      expect(r.status).toBe(rec.status);
      expect(r.body).toEqual(rec.body);
    }
  });

  it('invalid host, schema errors, same host, error status and snapshot refusals match Cinder word for word', async () => {
    const vol = await sb.volumeByName('demo-lvm-1-1g');
    const id = vol.id as string;
    const toSandbox = (text: string) =>
      text
        .replaceAll(RECORDED_VOLUME_ID, id)
        .replaceAll('realcinder@ceph-a#ceph-a', 'sandbox@lvm-1#lvm-1')
        .replaceAll('realcinder@ceph-b#ceph-b', 'sandbox@lvm-2#lvm-2');
    for (const label of ['H1-bogus-host', 'H2-bogus-host-no-backend', 'H3-same-host', 'H5-no-host-no-cluster', 'H5-bad-boolean', 'H5-host-and-cluster']) {
      const rec = recorded(label);
      const r = await sb.call('POST', `/volumes/${id}/action`, { body: JSON.parse(toSandbox(JSON.stringify(rec.request))), mv: '3.60' });
      expect({ label, status: r.status, body: r.body }).toEqual({ label, status: rec.status, body: JSON.parse(toSandbox(JSON.stringify(rec.body))) });
    }
    // H6: a volume in error status is refused with the generic message.
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'error' } } })).status).toBe(202);
    const h6 = recorded('H6-status-error');
    const r6 = await sb.call('POST', `/volumes/${id}/action`, { body: JSON.parse(toSandbox(JSON.stringify(h6.request))), mv: '3.60' });
    expect(r6.status).toBe(400);
    expect(r6.body).toEqual(JSON.parse(toSandbox(JSON.stringify(h6.body))));
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'available' } } })).status).toBe(202);
    // H7: a volume with a snapshot is refused with the same message.
    const snap = await sb.call('POST', '/snapshots', { body: { snapshot: { volume_id: id, name: 's1' } } });
    expect(snap.status).toBe(202);
    expect(snap.body.snapshot).toMatchObject({ volume_id: id, name: 's1', status: 'creating' });
    const r7 = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2' } } });
    expect(r7.body).toEqual(JSON.parse(toSandbox(JSON.stringify(recorded('H7-has-snapshot').body)).replaceAll('59021996-dd19-4a82-aba2-238a4e05d824', id)));
    const snapId = snap.body.snapshot.id as string;
    await waitFor(() => sb.call('GET', `/snapshots/${snapId}`), (x) => x.body.snapshot.status === 'available');
    const listed = await sb.call('GET', `/snapshots/detail?volume_id=${id}`);
    expect(listed.body.snapshots.map((s: { id: string }) => s.id)).toEqual([snapId]);
    expect((await sb.call('DELETE', `/snapshots/${snapId}`)).status).toBe(202);
    await waitFor(() => sb.call('GET', `/snapshots/${snapId}`), (x) => x.status === 404);
    await expect(sb.volume(id)).resolves.toMatchObject({ status: 'available', migration_status: null });
  });

  it('schema: unknown keys, cluster below 3.16, missing host below 3.16, no such action', async () => {
    const id = (await sb.volumeByName('demo-lvm-2-1g')).id as string;
    const extra = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { host: 'sandbox@lvm-1#lvm-1', bogus: 1 } } });
    expect(extra.body).toEqual({
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute os-migrate_volume. Value: {'host': 'sandbox@lvm-1#lvm-1', 'bogus': 1}. Additional properties are not allowed ('bogus' was unexpected)",
      },
    });
    const cluster = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { cluster: 'c1' } }, mv: '3.15' });
    expect(cluster.status).toBe(400);
    expect(cluster.body.badRequest.message).toContain("Additional properties are not allowed ('cluster' was unexpected)");
    const noHost = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { force_host_copy: false } }, mv: '3.0' });
    expect(noHost.body.badRequest.message).toBe(
      "Invalid input for field/attribute os-migrate_volume. Value: {'force_host_copy': False}. 'host' is a required property",
    );
    const clusterOnly = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { cluster: 'c1' } }, mv: '3.16' });
    expect(clusterOnly.body).toEqual({ badRequest: { code: 400, message: "Invalid host: No available service named 'c1'" } });
    // Recorded from real Cinder 21.3 by the conformance suite (test/conformance/fixtures/migrate-force-host-copy-null.json).
    const nullBoolean = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { host: 'sandbox@lvm-1#lvm-1', force_host_copy: null } } });
    expect(nullBoolean.body).toEqual({
      badRequest: { code: 400, message: "Invalid input for field/attribute force_host_copy. Value: None. None is not of type 'boolean', 'string'" },
    });
    const none = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-frobnicate': {} } });
    expect(none.body).toEqual({ badRequest: { code: 400, message: 'There is no such action: os-frobnicate' } });
  });
});

describe('projects, policy and visibility', () => {
  it('a member gets the recorded policy 403 for migrate, and 404 for another project\'s volume', async () => {
    const own = (await sb.volumeByName('demo-member-volume')).id as string;
    const r = await sb.call('POST', `/volumes/${own}/action`, { project: 'demo', body: { 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2' } } });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed." },
    });
    const adminVol = (await sb.volumeByName('demo-lvm-1-2g')).id as string;
    const other = await sb.call('GET', `/volumes/${adminVol}`, { project: 'demo' });
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ itemNotFound: { code: 404, message: `Volume ${adminVol} could not be found.` } });
    const pools = await sb.call('GET', '/scheduler-stats/get_pools', { project: 'demo' });
    expect(pools.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed." } });
    const services = await sb.call('GET', '/os-services', { project: 'demo' });
    expect(services.status).toBe(403);
    const reset = await sb.call('POST', `/volumes/${own}/action`, { project: 'demo', body: { 'os-reset_status': { status: 'error' } } });
    expect(reset.body.forbidden.message).toBe("Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be performed.");
  });

  it('admin-only keys appear for admins only; the member sees only its own volume and no all_tenants', async () => {
    const own = await sb.call('GET', '/volumes/detail?all_tenants=1', { project: 'demo' });
    expect(own.body.volumes).toHaveLength(1);
    const v = own.body.volumes[0];
    expect(v.name).toBe('demo-member-volume');
    for (const key of ['os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id', 'os-vol-host-attr:host', 'os-vol-tenant-attr:tenant_id', 'migration_status']) {
      expect(v).not.toHaveProperty(key);
    }
    const asAdmin = await sb.volume(v.id, '3.60');
    expect(asAdmin).toMatchObject({
      'os-vol-tenant-attr:tenant_id': 'demo',
      'os-vol-mig-status-attr:migstat': null,
      'os-vol-mig-status-attr:name_id': null,
      'os-vol-host-attr:host': 'sandbox@lvm-1#lvm-1',
      migration_status: null,
    });
    // Same keys in the same order as the recorded Cinder 21.3 body at 3.60 (transcript section B).
    expect(Object.keys(asAdmin)).toEqual([
      'id', 'status', 'size', 'availability_zone', 'created_at', 'updated_at', 'name', 'description', 'volume_type',
      'snapshot_id', 'source_volid', 'metadata', 'links', 'user_id', 'bootable', 'encrypted', 'replication_status',
      'consistencygroup_id', 'multiattach', 'attachments', 'migration_status', 'group_id', 'provider_id',
      'shared_targets', 'service_uuid', 'os-vol-tenant-attr:tenant_id', 'os-vol-mig-status-attr:migstat',
      'os-vol-mig-status-attr:name_id', 'os-vol-host-attr:host',
    ]);
    const badFilter = await sb.call('GET', '/volumes/detail?host=sandbox@lvm-1', { project: 'demo' });
    expect(badFilter.body).toEqual({ badRequest: { code: 400, message: 'Invalid filters host are found in query options.' } });
  });

  it('a project id in the URL that is not the caller\'s is a malformed URL; 3.67+ accepts no project id', async () => {
    const r = await sb.call('GET', '/v3/admin/volumes', { token: 'demo:demo' });
    expect(r.body).toEqual({ badRequest: { code: 400, message: 'Malformed request url' } });
    const noProject = await sb.call('GET', '/v3/volumes/detail', { token: null, mv: '3.67', headers: { 'x-project-id': 'admin', 'x-user-id': 'admin' } });
    expect(noProject.status).toBe(200);
    expect(noProject.body.volumes.length).toBeGreaterThanOrEqual(12);
    const old = await sb.call('GET', '/v3/volumes/detail', { mv: '3.66' });
    expect(old.status).toBe(404);
  });
});

describe('listing', () => {
  it('paginates with limit/marker and volumes_links until the last page', async () => {
    const all = await sb.call('GET', '/volumes/detail?all_tenants=1');
    const total = all.body.volumes.length as number;
    expect(total).toBeGreaterThanOrEqual(13);
    expect(all.body.volumes_links).toBeUndefined();
    const seen: string[] = [];
    let next: string | undefined = '/volumes?all_tenants=1&limit=5';
    let pages = 0;
    while (next) {
      const page: { body: { volumes: { id: string }[]; volumes_links?: { rel: string; href: string }[] } } = await sb.call('GET', next);
      seen.push(...page.body.volumes.map((v) => v.id));
      const link = page.body.volumes_links?.find((l) => l.rel === 'next');
      next = link ? link.href.replace(sb.origin, '') : undefined;
      if (link) expect(link.href).toMatch(/limit=5/);
      pages++;
    }
    // Cinder links a next page from every full page, so a multiple of 5 ends with an empty page.
    expect(pages).toBe(Math.floor(total / 5) + 1);
    const exact = await sb.call('GET', `/volumes?all_tenants=1&limit=${total}`);
    expect(exact.body.volumes).toHaveLength(total);
    const last = await sb.call('GET', exact.body.volumes_links[0].href.replace(sb.origin, ''));
    expect(last.body).toEqual({ volumes: [] });
    const counted = await sb.call('GET', '/volumes?all_tenants=1&limit=2&with_count=true', { mv: '3.45' });
    expect(counted.body.count).toBe(total);
    expect(counted.body.volumes).toHaveLength(2);
    expect(seen).toEqual(all.body.volumes.map((v: { id: string }) => v.id));
    const marker = await sb.call('GET', '/volumes?marker=00000000-0000-0000-0000-000000000000');
    // Cinder fetches the marker as a volume (VolumeNotFound), not as a list member.
    expect(marker.body).toEqual({ itemNotFound: { code: 404, message: 'Volume 00000000-0000-0000-0000-000000000000 could not be found.' } });
    const badLimit = await sb.call('GET', '/volumes?limit=abc');
    expect(badLimit.body).toEqual({ badRequest: { code: 400, message: 'limit param must be an integer' } });
  });

  it('filters by host (pool or backend), status, name and migration_status (None = never migrated)', async () => {
    const pool = await sb.call('GET', '/volumes/detail?host=sandbox@vendor%23pool-a');
    expect(pool.body.volumes.map((v: { name: string }) => v.name).sort()).toEqual(['demo-pool-a-1g', 'demo-pool-a-2g']);
    const backend = await sb.call('GET', '/volumes/detail?host=sandbox@vendor');
    expect(backend.body.volumes).toHaveLength(4);
    const never = await sb.call('GET', '/volumes/detail?all_tenants=1&migration_status=None&name=demo-pool-c-2g');
    expect(never.body.volumes).toHaveLength(1);
    const summary = await sb.call('GET', '/volumes?name=demo-pool-c-2g');
    expect(Object.keys(summary.body.volumes[0])).toEqual(['id', 'name', 'links']);
  });
});

describe('pools, services, types, volumes', () => {
  it('reports every pool with capabilities, both progress-report values and accounted capacity', async () => {
    const r = await sb.call('GET', '/scheduler-stats/get_pools?detail=true');
    const names = r.body.pools.map((p: { name: string }) => p.name);
    expect(names).toEqual([
      'sandbox@lvm-1#lvm-1', 'sandbox@lvm-2#lvm-2', 'sandbox@vendor#pool-a', 'sandbox@vendor#pool-b',
      'sandbox@vendor-lite#pool-c', 'sandbox@vendor-lite#pool-d',
    ]);
    const byName = Object.fromEntries(r.body.pools.map((p: { name: string; capabilities: Record<string, unknown> }) => [p.name, p.capabilities]));
    expect(byName['sandbox@vendor#pool-a']).toMatchObject({
      volume_backend_name: 'vendor', migration_progress_report: true, migration_progress_report_interval: 0.1, total_capacity_gb: 200,
    });
    expect(byName['sandbox@vendor-lite#pool-c'].migration_progress_report).toBe(false);
    const lvm2 = byName['sandbox@lvm-2#lvm-2'];
    expect(lvm2.free_capacity_gb).toBe(lvm2.total_capacity_gb - lvm2.allocated_capacity_gb);
    expect(lvm2.allocated_capacity_gb).toBeGreaterThanOrEqual(3);
    const plain = await sb.call('GET', '/scheduler-stats/get_pools');
    expect(plain.body.pools[0]).toEqual({ name: 'sandbox@lvm-1#lvm-1' });
  });

  it('lists services up and enabled; a disabled destination is an invalid host', async () => {
    const r = await sb.call('GET', '/os-services');
    expect(r.body.services.map((s: { binary: string; host: string; state: string; status: string }) => `${s.binary} ${s.host} ${s.state} ${s.status}`)).toEqual([
      'cinder-scheduler sandbox up enabled',
      'cinder-volume sandbox@lvm-1 up enabled',
      'cinder-volume sandbox@lvm-2 up enabled',
      'cinder-volume sandbox@vendor up enabled',
      'cinder-volume sandbox@vendor-lite up enabled',
    ]);
    const off = await sb.call('PUT', '/os-services/disable', { body: { host: 'sandbox@vendor-lite', binary: 'cinder-volume' } });
    expect(off.body).toMatchObject({ disabled: true, status: 'disabled' });
    const id = (await sb.volumeByName('demo-lvm-1-2g')).id as string;
    const refused = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { host: 'sandbox@vendor-lite#pool-c' } } });
    expect(refused.body).toEqual({ badRequest: { code: 400, message: "Invalid host: No available service named 'sandbox@vendor-lite#pool-c'" } });
    await sb.call('PUT', '/os-services/enable', { body: { host: 'sandbox@vendor-lite', binary: 'cinder-volume' } });
  });

  it('has the unpinned default type plus one type pinned per backend', async () => {
    const r = await sb.call('GET', '/types');
    const types = Object.fromEntries(r.body.volume_types.map((t: { name: string; extra_specs: Record<string, string> }) => [t.name, t.extra_specs]));
    expect(types).toEqual({
      __DEFAULT__: {},
      'lvm-1': { volume_backend_name: 'lvm-1' },
      'lvm-2': { volume_backend_name: 'lvm-2' },
      vendor: { volume_backend_name: 'vendor' },
      'vendor-lite': { volume_backend_name: 'vendor-lite' },
    });
  });

  it('creates a volume (creating, then available on a pool of its pinned backend) and deletes it', async () => {
    const r = await sb.call('POST', '/volumes', { body: { volume: { size: 1, name: 'made', volume_type: 'lvm-2' } }, mv: '3.60' });
    expect(r.status).toBe(202);
    expect(r.body.volume).toMatchObject({ status: 'creating', name: 'made', volume_type: 'lvm-2', size: 1, updated_at: null, migration_status: null });
    const id = r.body.volume.id as string;
    const v = await waitFor(() => sb.volume(id), (x) => x.status === 'available');
    expect(v['os-vol-host-attr:host']).toBe('sandbox@lvm-2#lvm-2');
    const unknown = await sb.call('POST', '/volumes', { body: { volume: { size: 1, volume_type: 'gold' } } });
    expect(unknown.body).toEqual({ itemNotFound: { code: 404, message: 'Volume type with name gold could not be found.' } });
    expect((await sb.call('DELETE', `/volumes/${id}`)).status).toBe(202);
    await waitFor(() => sb.call('GET', `/volumes/${id}`), (x) => x.status === 404);
  });
});
