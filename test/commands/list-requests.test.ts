// How many requests a listing costs: pages plus a constant, never one per migration in flight (issue 14).
// Every request the server may see is declared below and counted; one more would find no mock and fail the run.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { nock, versionsDocument } from '../helpers/nock.js';
import { cinderApi, useCinderNock, volmig } from './cinder-nock.js';
import { API, ENDPOINT_ROOT, volume } from './fixtures.js';
import type { Volume } from '../../src/model/cinder.js';

useCinderNock();

// A request no mock answers (one per row, or a page asked for in vain) is recorded here and fails the test.
let unmatched: string[] = [];
const onNoMatch = (req: { method?: string; path?: string; url?: string }) => unmatched.push(`${req.method ?? "GET"} ${req.url ?? req.path ?? "?"}`);
beforeEach(() => {
  unmatched = [];
  nock.emitter.on('no match', onNoMatch);
});
afterEach(() => {
  nock.emitter.removeListener('no match', onNoMatch);
  expect(unmatched, 'requests no mock answered').toEqual([]);
});

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/**
 * `pages` pages of 6 volumes: rows 0 and 3 of each page are in flight, row 0 by a generic migration whose
 * destination is listed only by the `migration_status~=target:` listing, row 3 driver-assisted (no destination).
 */
function cloud(pages: number) {
  const pageVolumes: Volume[][] = [];
  const targets: Volume[] = [];
  for (let p = 0; p < pages; p++) {
    const rows: Volume[] = [];
    for (let r = 0; r < 6; r++) {
      const n = p * 6 + r;
      const migrating = r === 0 || r === 3;
      rows.push(
        volume({
          id: id(n),
          name: `vol-${n}`,
          status: migrating ? 'maintenance' : 'available',
          migration_status: migrating ? 'migrating' : null,
          'os-vol-host-attr:host': 'node1@ceph-a#ceph-a',
        }),
      );
      if (r === 0) {
        targets.push(
          volume({ id: id(100_000 + n), name: `vol-${n}`, migration_status: `target:${id(n)}`, 'os-vol-host-attr:host': 'node2@ceph-b#ceph-b' }),
        );
      }
    }
    pageVolumes.push(rows);
  }
  return { pageVolumes, targets, inFlight: pages * 2 };
}

/** Answers the listing page by page (volumes_links like Cinder's) and counts every request. */
function serve(scope: nock.Scope, pageVolumes: Volume[][], query: Record<string, string>, counter: { n: number }) {
  pageVolumes.forEach((rows, p) => {
    const q = p === 0 ? query : { ...query, marker: pageVolumes[p - 1]!.at(-1)!.id };
    const next = p + 1 < pageVolumes.length ? [{ rel: 'next', href: `${API}/volumes/detail?${new URLSearchParams({ ...query, marker: rows.at(-1)!.id })}` }] : undefined;
    scope
      .get('/volumes/detail')
      .query(q)
      .reply(() => {
        counter.n += 1;
        return [200, { volumes: rows, ...(next ? { volumes_links: next } : {}) }];
      });
  });
}

describe('list: requests grow with pages, never with migrations', () => {
  test.each([1, 4, 9])('%i pages with 2 migrations each: pages + one destination listing', async (pages) => {
    const { pageVolumes, targets, inFlight } = cloud(pages);
    const listing = { n: 0 };
    const destinations = { n: 0 };
    const api = cinderApi();
    serve(api, pageVolumes, { all_tenants: '1' }, listing);
    api
      .get('/volumes/detail')
      .query({ 'migration_status~': 'target:', all_tenants: '1' })
      .reply(() => {
        destinations.n += 1;
        return [200, { volumes: targets }];
      });

    const r = await volmig(['list', '--all-projects']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(listing.n).toBe(pages);
    expect(destinations.n).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(pages * 6 + 1);
    // Every generic migration shows its destination, every driver-assisted one just its status.
    const migratingLines = lines.filter((l) => / migrating/.test(l));
    expect(migratingLines).toHaveLength(inFlight);
    expect(migratingLines.filter((l) => l.endsWith('migrating → node2@ceph-b#ceph-b'))).toHaveLength(pages);
    expect(migratingLines.filter((l) => l.endsWith(' migrating'))).toHaveLength(pages);
  });

  test('no migration in flight: no destination listing at all', async () => {
    const rows = [0, 1, 2].map((n) => volume({ id: id(n), name: `vol-${n}` }));
    cinderApi().get('/volumes/detail').reply(200, { volumes: rows });
    const r = await volmig(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(4);
  });

  test('the destination listing follows its own pages', async () => {
    const { pageVolumes, targets } = cloud(2);
    const api = cinderApi();
    serve(api, pageVolumes, {}, { n: 0 });
    api
      .get('/volumes/detail')
      .query({ 'migration_status~': 'target:' })
      .reply(200, {
        volumes: [targets[0]],
        volumes_links: [{ rel: 'next', href: `${API}/volumes/detail?migration_status~=target:&marker=${targets[0]!.id}` }],
      });
    api.get('/volumes/detail').query({ 'migration_status~': 'target:', marker: targets[0]!.id }).reply(200, { volumes: [targets[1]] });
    const r = await volmig(['list', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Volume[]).map((v) => v.id)).toEqual(pageVolumes.flat().map((v) => v.id));
    const table = await (async () => {
      serve(cinderApi(), pageVolumes, {}, { n: 0 });
      nock(API)
        .get('/volumes/detail')
        .query({ 'migration_status~': 'target:' })
        .reply(200, { volumes: targets });
      return volmig(['list']);
    })();
    expect(table.stdout.split('\n').filter((l) => l.includes('→ node2@ceph-b#ceph-b'))).toHaveLength(2);
  });

  test('below microversion 3.34 (no inexact filters): rows are paired from the listing itself, no extra request', async () => {
    const source = volume({ id: id(1), name: 'a', status: 'maintenance', migration_status: 'migrating' });
    const later = volume({ id: id(2), name: 'b', status: 'maintenance', migration_status: 'migrating' });
    const targetOfSource = volume({ id: id(11), name: 'a', migration_status: `target:${id(1)}`, 'os-vol-host-attr:host': 'node2@ceph-b#ceph-b' });
    const targetOfLater = volume({ id: id(12), name: 'b', migration_status: `target:${id(2)}`, 'os-vol-host-attr:host': 'node3@ceph-c#ceph-c' });
    nock(ENDPOINT_ROOT).get('/').reply(300, versionsDocument('3.33', '3.0', ENDPOINT_ROOT));
    // Cinder lists newest first, so a destination usually comes before its source; one listed after it is not found.
    nock(API).get('/volumes/detail').reply(200, { volumes: [targetOfSource, source, later, targetOfLater] });
    const r = await volmig(['list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^${id(1)} .* migrating → node2@ceph-b#ceph-b$`));
    expect(lines[2]).toMatch(new RegExp(`^${id(2)} .* migrating$`));
  });

  test('a server refusing the inexact filter (a non-admin: HTTP 400) costs one request, and rows show no destination', async () => {
    const { pageVolumes } = cloud(3);
    const refused = { n: 0 };
    const api = cinderApi();
    serve(api, pageVolumes, {}, { n: 0 });
    api
      .get('/volumes/detail')
      .query({ 'migration_status~': 'target:' })
      .reply(() => {
        refused.n += 1;
        return [400, { badRequest: { code: 400, message: 'Invalid filters migration_status~ are found in query options.' } }];
      });
    const r = await volmig(['list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(refused.n).toBe(1);
    const migrating = r.stdout.split('\n').filter((l) => / migrating/.test(l));
    expect(migrating).toHaveLength(6);
    expect(migrating.every((l) => l.endsWith(' migrating'))).toBe(true);
  });
});

describe('list --limit', () => {
  test('stops where the limit is reached and asks for no further page', async () => {
    const rows = [0, 1, 2].map((n) => volume({ id: id(n), name: `vol-${n}` }));
    cinderApi()
      .get('/volumes/detail')
      .query({ limit: '2' })
      .reply(200, { volumes: rows.slice(0, 2), volumes_links: [{ rel: 'next', href: `${API}/volumes/detail?limit=2&marker=${id(1)}` }] });
    const r = await volmig(['list', '--limit', '2', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Volume[]).map((v) => v.id)).toEqual([id(0), id(1)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
});

describe('progress of named volumes: one destination listing for all of them', () => {
  test('two volumes in flight: two reads, one destination listing', async () => {
    const a = volume({ id: id(1), name: 'a', status: 'maintenance', migration_status: 'migrating' });
    const b = volume({ id: id(2), name: 'b', status: 'maintenance', migration_status: 'starting' });
    const targetOfA = volume({ id: id(11), name: 'a', migration_status: `target:${id(1)}`, 'os-vol-host-attr:host': 'node2@ceph-b#ceph-b' });
    const unrelated = volume({ id: id(13), name: 'c', migration_status: `target:${id(3)}`, 'os-vol-host-attr:host': 'node3@ceph-c#ceph-c' });
    const api = cinderApi();
    api.get(`/volumes/${a.id}`).reply(200, { volume: a });
    api.get(`/volumes/${b.id}`).reply(200, { volume: b });
    api
      .get('/volumes/detail')
      .query({ 'migration_status~': 'target:', all_tenants: '1' })
      .reply(200, { volumes: [unrelated, targetOfA] });
    const r = await volmig(['progress', a.id, b.id, '--json']);
    expect(r.code).toBe(0);
    const events = JSON.parse(r.stdout) as { volume_id: string; destination: string | null }[];
    expect(events.map((e) => [e.volume_id, e.destination])).toEqual([
      [a.id, 'node2@ceph-b#ceph-b'],
      [b.id, null],
    ]);
  });
});
