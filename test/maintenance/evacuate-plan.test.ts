import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockStorageClient } from '../../src/api/block-storage.js';
import type { Pool, Volume } from '../../src/model/cinder.js';
import { computeAggregate, orderVolumes, planEvacuation, queuedMoveState, SlotScheduler, type EvacuationRequest, type MoveState } from '../../src/migration/evacuate/index.js';
import { Journal } from '../../src/migration/journal.js';
import type { Io } from '../../src/io.js';
import { capture } from '../helpers/run.js';

const GIB = 1024 ** 3;
let dir: string;
let io: Io;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'volmig-plan-'));
  io = { stdout: capture(), stderr: capture(), env: { XDG_STATE_HOME: dir }, isTTY: false, cwd: dir };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function vol(id: string, over: Partial<Volume> = {}): Volume {
  return {
    id,
    name: `name-${id}`,
    status: 'available',
    size: 1,
    created_at: '2026-11-01T00:00:00.000000',
    updated_at: null,
    volume_type: '__DEFAULT__',
    metadata: {},
    replication_status: null,
    attachments: [],
    'os-vol-host-attr:host': 'node@lvm1#lvm1',
    'os-vol-mig-status-attr:migstat': null,
    'os-vol-tenant-attr:tenant_id': 'admin',
    ...over,
  };
}

function fakeClient(volumes: Volume[], pools: Pool[] = []): BlockStorageClient {
  return {
    microversion: '3.72',
    endpoint: 'http://127.0.0.1:1/v3/admin',
    projectId: 'admin',
    async *listVolumes(q?: { allProjects?: boolean }) {
      expect(q?.allProjects).toBe(true);
      yield* volumes;
    },
    getPools: async () => pools,
  } as unknown as BlockStorageClient;
}

const request: EvacuationRequest = {
  from: 'node@lvm1',
  to: ['node@vendor#pool-a'],
  includeInUse: false,
  order: 'size',
  force: false,
  forceHostCopy: false,
};

describe('orderVolumes', () => {
  const items = [
    { volume: vol('a', { size: 1, created_at: '2026-01-03T00:00:00' }) },
    { volume: vol('b', { size: 5, created_at: '2026-01-02T00:00:00' }) },
    { volume: vol('c', { size: 5, created_at: '2026-01-01T00:00:00' }) },
    { volume: vol('d', { size: 2, created_at: '2026-01-01T00:00:00' }) },
  ];
  it('size: largest first, ties oldest first', () => {
    expect(orderVolumes(items, 'size').map((i) => i.volume.id)).toEqual(['c', 'b', 'd', 'a']);
  });
  it('created: oldest first, ties largest first', () => {
    expect(orderVolumes(items, 'created').map((i) => i.volume.id)).toEqual(['c', 'd', 'b', 'a']);
  });
});

describe('SlotScheduler', () => {
  it('never exceeds the total cap nor the per-destination cap, and keeps plan order otherwise', () => {
    const items = ['x', 'x', 'x', 'y', 'y', 'x', 'y'].map((destination, i) => ({ id: i, destination }));
    const s = new SlotScheduler(items, { concurrency: 3, maxPerDestination: 2 });
    const first = [s.take(), s.take(), s.take(), s.take()];
    // x, x, then x is full so the first y; then the total cap of 3 is reached
    expect(first.map((i) => i?.id)).toEqual([0, 1, 3, undefined]);
    expect(s.running).toBe(3);
    expect(s.runningOn('x')).toBe(2);
    s.release(first[0]!);
    expect(s.take()?.id).toBe(2); // x has room again: the oldest queued x
    s.release(first[2]!);
    expect(s.take()?.id).toBe(4);
    expect(s.take()).toBeUndefined();
    s.stop();
    expect(s.pending).toBe(0);
    s.release(first[1]!);
    expect(s.take()).toBeUndefined();
  });

  it('adopted (already running) migrations count against the caps', () => {
    const s = new SlotScheduler<{ destination: string | null }>([{ destination: 'x' }, { destination: 'y' }], { concurrency: 2, maxPerDestination: 1 });
    s.adopt({ destination: 'x' });
    s.adopt({ destination: null });
    expect(s.take()).toBeUndefined();
    s.release({ destination: null });
    expect(s.take()?.destination).toBe('y');
  });

  it('a random release order never breaks the caps (scripted run of 200 steps)', () => {
    const dests = ['a', 'b', 'c'];
    const items = Array.from({ length: 60 }, (_, i) => ({ id: i, destination: dests[i % 3]! }));
    const s = new SlotScheduler(items, { concurrency: 4, maxPerDestination: 2 });
    const running: typeof items = [];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let started = 0;
    for (let step = 0; step < 200 && (started < 60 || running.length); step++) {
      let item;
      while ((item = s.take())) {
        running.push(item);
        started++;
      }
      expect(running.length).toBeLessThanOrEqual(4);
      for (const d of dests) expect(running.filter((r) => r.destination === d).length).toBeLessThanOrEqual(2);
      if (running.length) s.release(running.splice(Math.floor(rnd() * running.length), 1)[0]!);
    }
    expect(started).toBe(60);
  });
});

describe('planEvacuation', () => {
  it('selects every pool of the backend, follows in-flight migrations, refuses attached and pre-flight failures, orders by size', async () => {
    const volumes = [
      vol('small', { size: 1 }),
      vol('big', { size: 3, 'os-vol-host-attr:host': 'node@lvm1#other' }),
      vol('elsewhere', { 'os-vol-host-attr:host': 'node@lvm2#lvm2' }),
      vol('prefix-trap', { 'os-vol-host-attr:host': 'node@lvm10#lvm10' }),
      vol('attached', { status: 'in-use', attachments: [{ attachment_id: 'att', volume_id: 'attached', server_id: 's' }] }),
      vol('snap', { size: 2 }),
      vol('moving', { 'os-vol-mig-status-attr:migstat': 'migrating' }),
      vol('tgt', { 'os-vol-host-attr:host': 'node@vendor#pool-b', 'os-vol-mig-status-attr:migstat': 'target:moving' }),
    ];
    const journal = new Journal(io);
    const plan = await planEvacuation(
      {
        client: fakeClient(volumes),
        journal,
        cloud: 'c',
        preflight: async (v) => (v.id === 'snap' ? 'the volume has 1 snapshot' : null),
      },
      request,
    );
    expect(plan.moves.map((m) => [m.volume.id, m.action, m.destination])).toEqual([
      ['moving', 'follow', 'node@vendor#pool-b'],
      ['big', 'migrate', 'node@vendor#pool-a'],
      ['small', 'migrate', 'node@vendor#pool-a'],
    ]);
    expect(plan.refusals.map((r) => [r.volume.id, r.reason])).toEqual([
      ['attached', 'attached to a server (add --include-in-use to migrate attached volumes too)'],
      ['snap', 'the volume has 1 snapshot'],
    ]);
    expect(plan.selectedCount).toBe(5);
    expect(plan.warnings).toEqual([]);
    expect(plan.totalBytes).toBe(5 * GIB);
  });

  it('lists only the source backend (host filter on the server) and finds destinations in flight with one destination listing', async () => {
    const volumes = [
      vol('moving', { 'os-vol-mig-status-attr:migstat': 'migrating' }),
      vol('assisted', { 'os-vol-mig-status-attr:migstat': 'starting', 'os-vol-host-attr:host': 'node@lvm1#other' }),
      vol('still', {}),
      vol('elsewhere', { 'os-vol-host-attr:host': 'node@lvm2#lvm2' }),
      vol('tgt', { 'os-vol-host-attr:host': 'node@vendor#pool-b', 'os-vol-mig-status-attr:migstat': 'target:moving' }),
    ];
    const queries: Record<string, string>[] = [];
    // Filters as Cinder applies them: host at backend level (host@backend and host@backend#*), migration_status~ as LIKE.
    const client = {
      microversion: '3.70',
      endpoint: 'http://127.0.0.1:1/v3/admin',
      projectId: 'admin',
      async *listVolumes(q?: { allProjects?: boolean; filters?: Record<string, string> }) {
        expect(q?.allProjects).toBe(true);
        const f = q?.filters ?? {};
        queries.push(f);
        for (const v of volumes) {
          const host = v['os-vol-host-attr:host'] as string;
          const ms = (v['os-vol-mig-status-attr:migstat'] as string | null) ?? '';
          if (f.host !== undefined && host !== f.host && !host.startsWith(`${f.host}#`)) continue;
          if (f['migration_status~'] !== undefined && !ms.includes(f['migration_status~'])) continue;
          yield v;
        }
      },
      getPools: async () => [],
    } as unknown as BlockStorageClient;
    const plan = await planEvacuation({ client, journal: new Journal(io), cloud: 'c', preflight: async () => null }, request);
    expect(queries).toEqual([{ host: 'node@lvm1' }, { 'migration_status~': 'target:' }]);
    expect(plan.moves.map((m) => [m.volume.id, m.action, m.destination])).toEqual([
      ['moving', 'follow', 'node@vendor#pool-b'],
      ['assisted', 'follow', null],
      ['still', 'migrate', 'node@vendor#pool-a'],
    ]);
  });

  it('--to host@backend stands for its pools, less those that are part of --from', async () => {
    const pools: Pool[] = [
      { name: 'node@vendor#pool-a', capabilities: { free_capacity_gb: 50 } },
      { name: 'node@vendor#pool-b', capabilities: { free_capacity_gb: 60 } },
      { name: 'node@vendor#pool-c', capabilities: { free_capacity_gb: 70 } },
    ];
    const volumes = [vol('v1', { 'os-vol-host-attr:host': 'node@vendor#pool-c' })];
    const plan = await planEvacuation(
      { client: fakeClient(volumes, pools), journal: new Journal(io), cloud: 'c', preflight: async () => null },
      { ...request, from: 'node@vendor#pool-c', to: ['node@vendor'] },
    );
    expect(plan.request.to).toEqual(['node@vendor#pool-a', 'node@vendor#pool-b']);
    expect(plan.moves.map((m) => m.destination)).toEqual(['node@vendor#pool-b']);
  });

  it('narrows by type and project, spreads over several destinations by free capacity and refuses what would not fit', async () => {
    const volumes = [
      vol('v1', { size: 4 }),
      vol('v2', { size: 3 }),
      vol('v3', { size: 2 }),
      vol('v4', { size: 2 }),
      vol('gold', { volume_type: 'gold' }),
      vol('other-project', { 'os-vol-tenant-attr:tenant_id': 'p2' }),
    ];
    const pools: Pool[] = [
      { name: 'node@vendor#pool-a', capabilities: { free_capacity_gb: 5 } },
      { name: 'node@vendor#pool-b', capabilities: { free_capacity_gb: 6 } },
    ];
    const plan = await planEvacuation(
      { client: fakeClient(volumes, pools), journal: new Journal(io), cloud: 'c', preflight: async () => null },
      { ...request, to: ['node@vendor#pool-a', 'node@vendor#pool-b'], volumeType: '__DEFAULT__', project: 'admin' },
    );
    // v1 (4) → b (6 free → 2), v2 (3) → a (5 → 2), v3 (2) → a or b: both 2 left, stable order picks a, v4 → b
    expect(plan.moves.map((m) => [m.volume.id, m.destination])).toEqual([
      ['v1', 'node@vendor#pool-b'],
      ['v2', 'node@vendor#pool-a'],
      ['v3', 'node@vendor#pool-a'],
      ['v4', 'node@vendor#pool-b'],
    ]);
    const tight = await planEvacuation(
      { client: fakeClient(volumes.slice(0, 3), [{ name: 'node@vendor#pool-a', capabilities: { free_capacity_gb: 6 } }]), journal: new Journal(io), cloud: 'c', preflight: async () => null },
      request,
    );
    // the pools the scheduler reports do not include the source: said, but nothing is refused for it
    expect(tight.warnings).toEqual(['no pool the scheduler reports matches --from node@lvm1 (closest: node@vendor#pool-a)']);
    // 6 GiB free: v1 (4) fits, v2 (3) does not, v3 (2) fills it exactly
    expect(tight.moves.map((m) => m.volume.id)).toEqual(['v1', 'v3']);
    expect(tight.refusals.map((r) => [r.volume.id, r.reason])).toEqual([
      ['v2', 'node@vendor#pool-a would be full: 2.0 GiB left after the volumes planned before this one, 3 GiB needed'],
    ]);
  });

  it('reads the journal: reports volumes an earlier run moved, refuses to resend a request whose answer was lost', async () => {
    const journal = new Journal(io);
    const tag = { evacuation: { from: 'node@lvm1', to: ['node@vendor#pool-a'] } };
    await journal.append({ cloud: 'c', action: 'migrate', volume_id: 'done', volume_name: 'd', source_host: 'node@lvm1#lvm1', destination: 'node@vendor#pool-a', options: tag, outcome: 'requested' });
    await journal.append({ cloud: 'c', action: 'migrate', volume_id: 'done', volume_name: 'd', source_host: 'node@lvm1#lvm1', destination: 'node@vendor#pool-a', options: tag, outcome: 'success' });
    await journal.append({ cloud: 'other-cloud', action: 'migrate', volume_id: 'x', source_host: null, destination: null, options: tag, outcome: 'success' });
    await journal.append({ cloud: 'c', action: 'migrate', volume_id: 'lost', source_host: 'node@lvm1#lvm1', destination: 'node@vendor#pool-a', options: tag, outcome: 'unknown', time: '2026-11-27T10:00:00.000Z' });
    const plan = await planEvacuation(
      { client: fakeClient([vol('lost'), vol('fresh')]), journal, cloud: 'c', preflight: async () => null },
      request,
    );
    expect(plan.alreadyMoved.map((a) => a.volume_id)).toEqual(['done']);
    expect(plan.warnings).toEqual([]);
    expect(plan.moves.map((m) => m.volume.id)).toEqual(['fresh']);
    expect(plan.refusals[0]!.reason).toMatch(/^a migration request sent at 2026-11-27T10:00:00.000Z got no answer/);
  });
});

describe('planEvacuation closes what an earlier run left open', () => {
  it('an interrupted entry whose volume reached the destination is closed as success (and counted moved); one still on the source and idle stays open', async () => {
    const journal = new Journal(io);
    const tag = { evacuation: { from: 'node@lvm1', to: ['node@vendor#pool-a'] } };
    const base = { cloud: 'c', action: 'migrate' as const, source_host: 'node@lvm1#lvm1', destination: 'node@vendor#pool-a', options: tag };
    await journal.append({ ...base, volume_id: 'gone-away', volume_name: 'g', outcome: 'requested', request_id: 'req-1' });
    await journal.append({ ...base, volume_id: 'gone-away', volume_name: 'g', outcome: 'interrupted', reason: 'still migrating on the server' });
    await journal.append({ ...base, volume_id: 'failed-here', volume_name: 'f', outcome: 'requested' });
    await journal.append({ ...base, volume_id: 'moving', volume_name: 'm', outcome: 'timeout' });
    const volumes = [vol('failed-here', { 'os-vol-mig-status-attr:migstat': 'error' }), vol('moving', { 'os-vol-mig-status-attr:migstat': 'migrating' })];
    const moved = vol('gone-away', { 'os-vol-host-attr:host': 'node@vendor#pool-a', 'os-vol-mig-status-attr:migstat': 'success' });
    const client = { ...fakeClient(volumes), getVolume: async (id: string) => (id === 'gone-away' ? moved : Promise.reject(new Error(`unexpected GET ${id}`))) } as unknown as BlockStorageClient;
    const plan = await planEvacuation({ client, journal, cloud: 'c', preflight: async () => null }, request);
    expect(plan.alreadyMoved.map((a) => a.volume_id)).toEqual(['gone-away']);
    const written = (await journal.read()).slice(4);
    expect(written.map((e) => [e.volume_id, e.outcome, e.destination, e.options.observed_by, e.request_id])).toEqual([
      ['gone-away', 'success', 'node@vendor#pool-a', 'evacuate', undefined],
      ['failed-here', 'error', 'node@vendor#pool-a', 'evacuate', undefined],
    ]);
    expect(written[1]!.reason).toBe('migration_status error; the volume is on node@lvm1#lvm1 (status available)');
    // the evacuation tag is kept, so a later run still recognises its own work
    expect(written[0]!.options.evacuation).toEqual(tag.evacuation);
  });
});

describe('computeAggregate', () => {
  it('counts done, failed, running and bytes (running volumes by their copied bytes)', () => {
    const mk = (size: number, result: MoveState['result'], copied: number | null = null): MoveState => ({
      ...queuedMoveState({ volume: vol(String(Math.random()), { size }), destination: 'd', action: 'migrate' }),
      stage: result === 'queued' ? 'queued' : result === 'active' ? 'active' : 'ended',
      result,
      startedAt: 0,
      snapshot: copied === null ? null : ({ bytesCopied: copied, rateBytesPerSecond: null } as MoveState['snapshot']),
    });
    const agg = computeAggregate([mk(2, 'moved'), mk(1, 'failed'), mk(4, 'active', GIB), mk(1, 'queued')], 10_000);
    expect(agg).toMatchObject({ total: 4, done: 1, failed: 1, running: 1, totalBytes: 8 * GIB, bytesDone: 3 * GIB });
    expect(agg.rateBytesPerSecond).toBeCloseTo((3 * GIB) / 10);
    expect(agg.etaMs).toBeCloseTo((5 * GIB) / ((3 * GIB) / 10) * 1000);
  });
});

describe('preflightFor', () => {
  it('reads pools, services and types once per plan, snapshots per volume, and reports the reasons', async () => {
    const { preflightFor } = await import('../../src/migration/evacuate/index.js');
    const calls: Record<string, number> = {};
    const count = (k: string) => (calls[k] = (calls[k] ?? 0) + 1);
    const client = {
      getPools: async () => (count('getPools'), [{ name: 'node@vendor#pool-a', capabilities: { free_capacity_gb: 100, volume_backend_name: 'vendor' } }]),
      listServices: async () => (count('listServices'), [{ binary: 'cinder-volume', host: 'node@vendor', state: 'up', status: 'enabled' }]),
      findVolumeType: async () => (count('findVolumeType'), { id: 't', name: '__DEFAULT__', extra_specs: {} }),
      listSnapshots: async (q: { volumeId: string }) => (count('listSnapshots'), q.volumeId === 'v3' ? [{ id: 's1', name: 'snap', volume_id: 'v3' }] : []),
    } as unknown as BlockStorageClient;
    const check = preflightFor(client);
    const verdicts = await Promise.all(['v1', 'v2', 'v3', 'v4'].map((id) => check(vol(id), 'node@vendor#pool-a')));
    expect(verdicts.slice(0, 2)).toEqual([null, null]);
    expect(verdicts[2]).toBe('volume name-v3 (v3) has snapshot snap (s1); a volume with snapshots cannot migrate (delete the snapshot first).');
    expect(calls).toEqual({ getPools: 1, listServices: 1, findVolumeType: 1, listSnapshots: 4 });
  });
});
