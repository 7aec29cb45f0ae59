import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, waitFor, type TestSandbox } from './helpers.js';

type Vol = { id: string; name: string; status: string; migration_status: string | null; created_at: string; 'os-vol-host-attr:host': string };
type Page = { volumes: Vol[]; volumes_links?: { rel: string; href: string }[]; count?: number };

const names = (vols: Vol[]) => vols.map((v) => v.name).sort();

describe('listing filters against the running sandbox (demo seed)', () => {
  let sb: TestSandbox;
  let migratingId: string;
  beforeAll(async () => {
    // Slow copies, so that a generic migration keeps its temporary target volume for the whole describe.
    sb = await startTestSandbox({ copyRateMiBps: 0.5 });
    const source = await sb.volumeByName('demo-lvm-1-2g');
    migratingId = source.id as string;
    const r = await sb.call('POST', `/volumes/${migratingId}/action`, { body: { 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2' } } });
    expect(r.status).toBe(202);
    await waitFor(() => sb.volume(migratingId), (v) => v.migration_status === 'migrating');
  });
  afterAll(async () => {
    await sb.stop();
  });

  it('admin: migration_status~=target: (3.34) returns exactly the temporary destinations, across projects', async () => {
    const r = await sb.call('GET', '/volumes/detail?all_tenants=1&migration_status~=target:', { mv: '3.34' });
    expect(r.status).toBe(200);
    const vols = r.body.volumes as Vol[];
    expect(vols).toHaveLength(1);
    expect(vols[0]!.migration_status).toBe(`target:${migratingId}`);
    expect(vols[0]!['os-vol-host-attr:host']).toBe('sandbox@lvm-2#lvm-2');
    // The source (migrating) and never-migrated volumes do not match; without all_tenants the internal project's
    // target is not the admin's own volume.
    const own = await sb.call('GET', '/volumes/detail?migration_status~=target:', { mv: '3.72' });
    expect(own.body.volumes).toEqual([]);
    const partial = await sb.call('GET', '/volumes/detail?all_tenants=1&migration_status~=grat', { mv: '3.72' });
    expect(partial.body.volumes.map((v: Vol) => v.id)).toEqual([migratingId]);
  });

  it('admin: name~ is LIKE %value%: either case, % and _ as wildcards; combined with exact filters', async () => {
    const upper = await sb.call('GET', '/volumes/detail?name~=POOL-A', { mv: '3.34' });
    expect(names(upper.body.volumes)).toEqual(['demo-pool-a-1g', 'demo-pool-a-2g']);
    const underscore = await sb.call('GET', '/volumes/detail?name~=pool-_-1g', { mv: '3.34' });
    expect(names(underscore.body.volumes)).toEqual(['demo-pool-a-1g', 'demo-pool-b-1g', 'demo-pool-c-1g', 'demo-pool-d-1g']);
    const percent = await sb.call('GET', '/volumes/detail?name~=demo%25lvm%25-2g', { mv: '3.34' });
    expect(names(percent.body.volumes)).toEqual(['demo-lvm-1-2g', 'demo-lvm-2-2g']);
    const both = await sb.call('GET', '/volumes/detail?name~=pool&host=sandbox@vendor-lite', { mv: '3.34' });
    expect(names(both.body.volumes)).toEqual(['demo-pool-c-1g', 'demo-pool-c-2g', 'demo-pool-d-1g', 'demo-pool-d-2g']);
    const none = await sb.call('GET', '/volumes/detail?name~=no-such-volume', { mv: '3.34' });
    expect(none.body.volumes).toEqual([]);
  });

  it('non-admin: an inexact key is not on the allow-list (400, as Cinder words it); the exact migration_status is', async () => {
    for (const mv of ['3.31', '3.34', '3.72']) {
      const r = await sb.call('GET', '/volumes/detail?migration_status~=target:', { project: 'demo', mv });
      expect(r.status, mv).toBe(400);
      expect(r.body).toEqual({ badRequest: { code: 400, message: 'Invalid filters migration_status~ are found in query options.' } });
    }
    const two = await sb.call('GET', '/volumes/detail?name~=demo&host=x', { project: 'demo', mv: '3.72' });
    expect(two.body).toEqual({ badRequest: { code: 400, message: 'Invalid filters name~,host are found in query options.' } });
    const exact = await sb.call('GET', '/volumes/detail?migration_status=None', { project: 'demo', mv: '3.72' });
    expect(exact.status).toBe(200);
    expect(names(exact.body.volumes)).toEqual(['demo-member-volume']);
    const filters = await sb.call('GET', '/resource_filters', { project: 'demo', mv: '3.33' });
    expect(filters.body.resource_filters[0].filters).toContain('migration_status');
    expect(filters.body.resource_filters[0].filters).not.toContain('migration_status~');
  });

  it('host matches at pool, backend and host level, never by a mere prefix', async () => {
    const list = async (host: string) => names((await sb.call('GET', `/volumes/detail?host=${encodeURIComponent(host)}`)).body.volumes);
    expect(await list('sandbox@vendor#pool-a')).toEqual(['demo-pool-a-1g', 'demo-pool-a-2g']);
    expect(await list('sandbox@vendor')).toEqual(['demo-pool-a-1g', 'demo-pool-a-2g', 'demo-pool-b-1g', 'demo-pool-b-2g']);
    // vendor-lite starts with "vendor" but is another backend.
    expect(await list('sandbox@vendor-lite')).toEqual(['demo-pool-c-1g', 'demo-pool-c-2g', 'demo-pool-d-1g', 'demo-pool-d-2g']);
    const all = names((await sb.call('GET', '/volumes/detail')).body.volumes);
    expect(all).toHaveLength(12);
    expect(await list('sandbox')).toEqual(all);
    expect(await list('sandb')).toEqual([]);
    expect(await list('sandbox@vendor#pool')).toEqual([]);
    expect(await list('sandbox@vend')).toEqual([]);
  });
});

describe('pagination of 10,000 volumes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'volmig-sandbox-10k-'));
  let sb: TestSandbox;
  let expected: string[];
  beforeAll(async () => {
    // Write 10,000 volumes into a stopped sandbox's state (creating them one request at a time would rewrite the
    // state file 10,000 times), 100 at each of 100 timestamps so that the id breaks most ties.
    const first = await startTestSandbox({ dataDir, seed: 'none' });
    await first.stop();
    const statePath = join(dataDir, 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    const typeId = Object.values(state.volumeTypes as Record<string, { id: string; name: string }>).find((t) => t.name === '__DEFAULT__')!.id;
    const hosts = ['sandbox@lvm-1#lvm-1', 'sandbox@lvm-2#lvm-2', 'sandbox@vendor#pool-a', 'sandbox@vendor-lite#pool-d'];
    const records: { id: string; created_at: string }[] = [];
    for (let i = 0; i < 10_000; i++) {
      const id = `${(i * 7919 % 10_000).toString(16).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const created = `2026-01-01T00:${String(Math.floor(i / 100) % 60).padStart(2, '0')}:${String(Math.floor(i / 6000)).padStart(2, '0')}.000000`;
      records.push({ id, created_at: created });
      state.volumes[id] = {
        id, project_id: 'admin', user_id: 'admin', name: `bulk-${i}`, description: null, size: 1, status: i % 10 === 0 ? 'error' : 'available',
        previous_status: null, host: hosts[i % hosts.length], volume_type_id: typeId, name_id: null, migration_status: i % 6 === 0 ? 'success' : null,
        attach_status: 'detached', attachments: [], metadata: {}, availability_zone: 'nova', snapshot_id: null, source_volid: null,
        replication_status: null, multiattach: false, bootable: false, created_at: created, updated_at: created, launched_at: created,
      };
    }
    writeFileSync(statePath, JSON.stringify(state));
    records.sort((a, b) => (a.created_at !== b.created_at ? (a.created_at < b.created_at ? 1 : -1) : a.id < b.id ? 1 : -1));
    expected = records.map((r) => r.id);
    sb = await startTestSandbox({ dataDir, seed: 'none', gibBytes: 4096 });
  }, 120_000);
  afterAll(async () => {
    await sb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function follow(firstPath: string, mv = '3.72'): Promise<{ ids: string[]; pages: Page[] }> {
    const ids: string[] = [];
    const pages: Page[] = [];
    let next: string | undefined = firstPath;
    while (next && pages.length < 50) {
      const r = await sb.call('GET', next, { mv });
      expect(r.status).toBe(200);
      const page = r.body as Page;
      pages.push(page);
      ids.push(...page.volumes.map((v) => v.id));
      const href = page.volumes_links?.find((l) => l.rel === 'next')?.href;
      next = href?.replace(sb.origin, '');
    }
    return { ids, pages };
  }

  it('pages of at most 1000 (osapi_max_limit) cover every volume once, newest first, id descending on ties', async () => {
    const { ids, pages } = await follow('/volumes/detail');
    expect(ids).toEqual(expected);
    // Ten full pages, each linking a next one, and Cinder's empty page after a full last page.
    expect(pages.map((p) => p.volumes.length)).toEqual([...Array(10).fill(1000), 0]);
    expect(pages.at(-1)).toEqual({ volumes: [] });
    const big = await follow('/volumes?limit=1500');
    expect(big.pages[0]!.volumes).toHaveLength(1000);
    expect(big.pages[0]!.volumes_links![0]!.href).toMatch(new RegExp(`^${sb.origin}/v3/admin/volumes\\?limit=1500&marker=${expected[999]}$`));
    expect(big.ids).toEqual(expected);
  });

  it('a filtered listing pages with its filters kept in the next links; with_count links every page', async () => {
    const wanted = expected.filter((id) => Number(id.slice(-12)) % 6 === 0 && Number(id.slice(-12)) % 10 !== 0);
    const { ids, pages } = await follow('/volumes?migration_status=success&status=available&limit=400');
    expect(ids).toEqual(wanted);
    expect(pages.map((p) => p.volumes.length)).toEqual([400, 400, 400, 133]);
    for (const p of pages.slice(0, -1)) expect(p.volumes_links![0]!.href).toContain('migration_status=success&status=available&limit=400&marker=');
    const counted = await follow('/volumes?migration_status=success&status=available&limit=400&with_count=true', '3.45');
    expect(counted.ids).toEqual(wanted);
    expect(counted.pages.map((p) => p.count)).toEqual([1333, 1333, 1333, 1333, 1333]);
    // With the count, Cinder compares the limit with the whole count: even the short last page links on, to nothing.
    expect(counted.pages.map((p) => p.volumes.length)).toEqual([400, 400, 400, 133, 0]);
  });

  it('the marker is a position: a volume that stopped matching the filter still marks where the next page starts', async () => {
    const first = await sb.call('GET', '/volumes?status=available&limit=3');
    const page = first.body as Page;
    const markerId = page.volumes[2]!.id;
    const reset = await sb.call('POST', `/volumes/${markerId}/action`, { body: { 'os-reset_status': { status: 'error' } } });
    expect(reset.status).toBe(202);
    const second = await sb.call('GET', page.volumes_links![0]!.href.replace(sb.origin, ''));
    expect(second.status).toBe(200);
    const availableAfterMarker = expected.slice(expected.indexOf(markerId) + 1).filter((id) => Number(id.slice(-12)) % 10 !== 0);
    expect(second.body.volumes.map((v: Vol) => v.id)).toEqual(availableAfterMarker.slice(0, 3));
    const member = await sb.call('GET', `/volumes?marker=${markerId}`, { project: 'demo' });
    expect(member.body).toEqual({ itemNotFound: { code: 404, message: `Volume ${markerId} could not be found.` } });
  });
});
