import { describe, expect, it } from 'vitest';
import { forecastMigration, forecastRetype, type ForecastContext, type SourceAccess } from '../../src/migration/move-forecast.js';
import type { Pool, Volume, VolumeType } from '../../src/model/cinder.js';

const FSID = '09bf89f8-ea39-4580-8e39-7f3af9559968';
const OTHER_FSID = 'c0ffee00-0000-4000-8000-000000000001';

function rbd(name: string, pool: string, fsid = FSID, extra: Record<string, unknown> = {}): Pool {
  return {
    name,
    capabilities: {
      storage_protocol: 'ceph',
      volume_backend_name: name.split('@')[1]!.split('#')[0],
      location_info: `ceph:/etc/ceph/ceph.conf:${fsid}:None:${pool}`,
      ...extra,
    },
  };
}
const lvm = (name: string, host: string, vg: string): Pool => ({
  name,
  capabilities: { storage_protocol: 'iSCSI', volume_backend_name: name.split('@')[1]!.split('#')[0], location_info: `LVMVolumeDriver:${host}:${vg}:thin:0` },
});

const POOLS: Pool[] = [
  rbd('realcinder@ceph-a#ceph-a', 'volumes-a'),
  rbd('realcinder@ceph-b#ceph-b', 'volumes-b'),
  rbd('realcinder@ceph-c#ceph-c', 'volumes-a'),
  rbd('other@ceph#ceph', 'volumes', OTHER_FSID),
  lvm('node1@lvm-1#lvm-1', 'node1', 'vg1'),
  lvm('node1@lvm-2#lvm-2', 'node1', 'vg2'),
  lvm('node2@lvm#lvm', 'node2', 'vg1'),
  { name: 'node3@acme#gold', capabilities: { vendor_name: 'ACME', storage_protocol: 'FC', volume_backend_name: 'acme' } },
];

function vol(host: string, overrides: Partial<Volume> = {}): Volume {
  return { id: 'v1', name: 'db', status: 'available', size: 1, 'os-vol-host-attr:host': host, ...overrides } as Volume;
}

function access(ceph: { ok: true } | { ok: false; why: string } = { ok: true }, proc = true): SourceAccess & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    ceph: async (loc) => {
      asked.push(`ceph ${loc.fsid}/${loc.pool}`);
      return ceph;
    },
    process: async () => {
      asked.push('process');
      return proc;
    },
  };
}

const ctx = (overrides: Partial<ForecastContext> = {}): ForecastContext => ({ pools: POOLS, microversion: '3.70', access: access(), ...overrides });

describe('driver-assisted or generic (migrate)', () => {
  it.each([
    ['RBD → RBD, same cluster, another pool', 'realcinder@ceph-a#ceph-a', 'realcinder@ceph-b#ceph-b', {}, 'driver-assisted', `the RBD driver copies it itself: same Ceph cluster ${FSID}, pool volumes-a → volumes-b`],
    ['the same, in-use', 'realcinder@ceph-a#ceph-a', 'realcinder@ceph-b#ceph-b', { status: 'in-use' }, 'generic', 'the RBD driver copies between pools only a volume that is not in use (it is in-use)'],
    ['RBD → RBD, same rados pool', 'realcinder@ceph-a#ceph-a', 'realcinder@ceph-c#ceph-c', { status: 'in-use' }, 'driver-assisted', 'same Ceph cluster and RBD pool volumes-a: Cinder changes only the host, no data moves'],
    ['RBD → another cluster', 'realcinder@ceph-a#ceph-a', 'other@ceph#ceph', {}, 'generic', `another Ceph cluster (${FSID} → ${OTHER_FSID}): the RBD driver declines`],
    ['RBD → LVM', 'realcinder@ceph-a#ceph-a', 'node1@lvm-1#lvm-1', {}, 'generic', 'the RBD driver moves volumes only within its Ceph cluster, and node1@lvm-1#lvm-1 is not RBD'],
    ['LVM → LVM, same host, another VG', 'node1@lvm-1#lvm-1', 'node1@lvm-2#lvm-2', {}, 'driver-assisted', 'the LVM driver copies it itself with dd: same host node1, volume group vg1 → vg2'],
    ['LVM → LVM, in-use', 'node1@lvm-1#lvm-1', 'node1@lvm-2#lvm-2', { status: 'in-use' }, 'generic', 'the LVM driver moves only an available volume (it is in-use)'],
    ['LVM → LVM on another host', 'node1@lvm-1#lvm-1', 'node2@lvm#lvm', {}, 'generic', 'another host (node1 → node2): the LVM driver declines'],
    ['an unknown vendor', 'node3@acme#gold', 'node1@lvm-1#lvm-1', {}, 'unknown', 'the ACME driver of node3@acme#gold decides: driver-assisted if it can, else a generic copy (volmig knows the rules of the RBD, LVM and sandbox drivers)'],
  ] as const)('%s', async (_label, from, to, overrides, kind, reason) => {
    const f = await forecastMigration({ volume: vol(from, overrides as Partial<Volume>), destination: to, forceHostCopy: false }, ctx());
    expect([f.kind, f.kindReason]).toEqual([kind, reason]);
  });

  it('--force-host-copy is always generic; a cluster or a pool the scheduler does not list is unknown', async () => {
    expect((await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: 'realcinder@ceph-b#ceph-b', forceHostCopy: true }, ctx())).kind).toBe('generic');
    const cluster = await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: null, cluster: 'c1', forceHostCopy: false }, ctx());
    expect([cluster.kind, cluster.kindReason]).toEqual(['unknown', 'to cluster c1: the scheduler picks the pool, then the source driver decides']);
    const gone = await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: 'nowhere@x#y', forceHostCopy: false }, ctx());
    expect(gone.kindReason).toBe("the destination nowhere@x#y is not in the scheduler's pool list");
    const noPools = await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: 'realcinder@ceph-b#ceph-b', forceHostCopy: false }, ctx({ pools: [] }));
    expect(noPools.kind).toBe('unknown');
  });
});

describe('where progress will come from', () => {
  it('an RBD driver copy or a generic copy onto RBD: Ceph, when rbd and the conf are there', async () => {
    const a = access();
    const f = await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: 'realcinder@ceph-b#ceph-b', forceHostCopy: false }, ctx({ access: a }));
    expect([f.progress, f.progressReason]).toEqual([
      'ceph',
      "the destination image's allocated bytes in pool volumes-b (rbd du); the server gives no migration_progress (microversion 3.70; it needs 3.72)",
    ]);
    expect(a.asked).toEqual([`ceph ${FSID}/volumes-b`]);
    const missing = await forecastMigration(
      { volume: vol('node1@lvm-1#lvm-1'), destination: 'realcinder@ceph-b#ceph-b', forceHostCopy: false },
      ctx({ access: access({ ok: false, why: 'rbd not installed (apt install ceph-common)' }) }),
    );
    expect([missing.kind, missing.progress, missing.progressReason]).toEqual([
      'generic',
      'none',
      'the server gives no migration_progress (microversion 3.70; it needs 3.72); Ceph would give it, but rbd not installed (apt install ceph-common)',
    ]);
  });

  it('a dd copy (LVM to LVM): the process source, when /proc is readable', async () => {
    const f = await forecastMigration({ volume: vol('node1@lvm-1#lvm-1'), destination: 'node2@lvm#lvm', forceHostCopy: false }, ctx());
    expect([f.progress, f.progressReason]).toEqual([
      'process',
      'the dd of the copy (/proc/<pid>/fdinfo/1), only if volmig runs where it runs: the volume service of node1@lvm-1; the server gives no migration_progress (microversion 3.70; it needs 3.72)',
    ]);
    const noProc = await forecastMigration({ volume: vol('node1@lvm-1#lvm-1'), destination: 'node2@lvm#lvm', forceHostCopy: false }, ctx({ access: access({ ok: true }, false) }));
    expect(noProc.progress).toBe('none');
  });

  it('at microversion 3.72 the server reports a generic copy, and a driver copy where the pool reports them', async () => {
    const generic = await forecastMigration({ volume: vol('node1@lvm-1#lvm-1'), destination: 'node2@lvm#lvm', forceHostCopy: false }, ctx({ microversion: '3.72' }));
    expect([generic.progress, generic.progressReason]).toEqual(['server', 'its migration_progress (microversion 3.72): the volume service reports the copy']);
    const reporting = [...POOLS.slice(0, 1).map((p) => ({ ...p, capabilities: { ...p.capabilities, migration_progress_report: true, migration_progress_report_interval: 5 } })), ...POOLS.slice(1)];
    const driver = await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: 'realcinder@ceph-b#ceph-b', forceHostCopy: false }, ctx({ microversion: '3.72', pools: reporting }));
    expect([driver.progress, driver.progressReason]).toEqual(['server', 'its migration_progress: realcinder@ceph-a#ceph-a reports its own copies (migration_progress_report, every 5s)']);
    const silent = await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: 'realcinder@ceph-b#ceph-b', forceHostCopy: false }, ctx({ microversion: '3.72' }));
    expect(silent.progress).toBe('ceph');
    expect(silent.progressReason).toContain('realcinder@ceph-a#ceph-a does not report its own copies (no migration_progress_report)');
  });

  it('a move that copies nothing needs no progress and asks no source', async () => {
    const a = access();
    const f = await forecastMigration({ volume: vol('realcinder@ceph-a#ceph-a'), destination: 'realcinder@ceph-c#ceph-c', forceHostCopy: false }, ctx({ access: a }));
    expect([f.progress, f.copiesData]).toEqual(['none', false]);
    expect(a.asked).toEqual([]);
  });
});

describe('retype', () => {
  const type = (name: string, pin?: string): VolumeType => ({ id: `t-${name}`, name, extra_specs: pin ? { volume_backend_name: pin } : {} }) as VolumeType;

  it('a type for the volume\'s own backend, or one that pins none: retyped in place', async () => {
    const own = await forecastRetype({ volume: vol('realcinder@ceph-a#ceph-a'), type: type('a', 'ceph-a'), migrationPolicy: 'on-demand' }, ctx());
    expect([own.kind, own.kindReason, own.copiesData]).toEqual(['none', "type a pins backend ceph-a, the volume's own: retyped in place", false]);
    const any = await forecastRetype({ volume: vol('realcinder@ceph-a#ceph-a'), type: type('any'), migrationPolicy: 'on-demand' }, ctx());
    expect(any.kind).toBe('none');
  });

  it('another backend, types that differ only in it: the driver is asked, as for a migration (seen on the rig)', async () => {
    const moves = await forecastRetype({ volume: vol('realcinder@ceph-a#ceph-a'), type: type('b', 'ceph-b'), currentType: async () => type('any'), migrationPolicy: 'on-demand' }, ctx());
    expect([moves.kind, moves.progress]).toEqual(['driver-assisted', 'ceph']);
    expect(moves.kindReason).toBe(`the types differ only in the backend, so Cinder asks the driver: the RBD driver copies it itself: same Ceph cluster ${FSID}, pool volumes-a → volumes-b`);
  });

  it('types that differ in other extra specs or in QoS: generic; the current type unreadable: said so', async () => {
    const thin = { ...type('b-thin', 'ceph-b'), extra_specs: { volume_backend_name: 'ceph-b', provisioning: 'thin' } } as VolumeType;
    const other = await forecastRetype({ volume: vol('realcinder@ceph-a#ceph-a'), type: thin, currentType: async () => type('a', 'ceph-a'), migrationPolicy: 'on-demand' }, ctx());
    expect([other.kind, other.kindReason]).toEqual(['generic', 'the types differ in more than the backend (extra spec provisioning): Cinder copies through the volume service']);
    const qos = await forecastRetype(
      { volume: vol('realcinder@ceph-a#ceph-a'), type: { ...type('b', 'ceph-b'), qos_specs_id: 'q1' } as VolumeType, currentType: async () => type('any'), migrationPolicy: 'on-demand' },
      ctx(),
    );
    expect(qos.kindReason).toBe('the types differ in more than the backend (QoS specs): Cinder copies through the volume service');
    const unread = await forecastRetype({ volume: vol('realcinder@ceph-a#ceph-a'), type: type('b', 'ceph-b'), currentType: async () => { throw new Error('403'); }, migrationPolicy: 'on-demand' }, ctx());
    expect(unread.kind).toBe('driver-assisted');
    expect(unread.kindReason).toMatch(/^Cinder asks the driver when the types differ only in the backend \(type .* could not be read\): the RBD driver/);
  });

  it('with --migration-policy never nothing moves, and the current type is not even read', async () => {
    let read = false;
    const never = await forecastRetype({ volume: vol('realcinder@ceph-a#ceph-a'), type: type('b', 'ceph-b'), currentType: async () => ((read = true), null), migrationPolicy: 'never' }, ctx());
    expect(read).toBe(false);
    expect([never.kind, never.kindReason]).toEqual([
      'none',
      'type b pins backend ceph-b and the volume is on ceph-a: with --migration-policy never Cinder will not move it, and the retype fails',
    ]);
  });
});
