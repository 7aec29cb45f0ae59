import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/model/cinder.js';
import { createCephProbe, findPool, parseLocationInfo, type CephProbeOptions } from '../../src/migration/sources/ceph.js';
import type { ProbeAnswer, ProbeSubject } from '../../src/migration/sources/probe.js';
import { FakeRbd } from '../helpers/fake-rbd.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const FSID = '09bf89f8-ea39-4580-8e39-7f3af9559968';
const OTHER_FSID = '4b5c8c0d-1f0e-4c1a-9a57-2d1e0f3c9b11';
// the volume host's conf path: the probe must never use it
const HOST_CONF = '/etc/ceph/on-the-volume-host.conf';
const OPERATOR_CONF = '/home/op/ceph/prod.conf';
const CONF_TEXT = `[global]\nfsid = ${FSID}\nmon host = 127.0.0.1\n`;

function rbdPool(name: string, pool: string, fsid = FSID, cluster = 'ceph'): Pool {
  return {
    name,
    capabilities: { storage_protocol: 'ceph', volume_backend_name: name.split('@')[1]!.split('#')[0], location_info: `${cluster}:${HOST_CONF}:${fsid}:None:${pool}` },
  };
}
const POOLS: Pool[] = [
  rbdPool('cloud@ceph-a#ceph-a', 'volumes-a'),
  rbdPool('cloud@ceph-b#ceph-b', 'volumes-b'),
  rbdPool('cloud@ceph-c#ceph-c', 'volumes-c'),
  rbdPool('cloud@ceph-shared#ceph-shared', 'volumes-a'),
  rbdPool('cloud@far#far', 'volumes-far', OTHER_FSID, 'far'),
  { name: 'cloud@lvm#lvm', capabilities: { storage_protocol: 'iSCSI', location_info: 'LVMVolumeDriver:cloud:cinder-volumes:thin:0' } },
];

function subject(over: Partial<ProbeSubject> & { volumeId: string }): ProbeSubject {
  return {
    sizeBytes: 3 * GiB,
    migrationStatus: 'migrating',
    sourceHost: 'cloud@ceph-a#ceph-a',
    destinationHost: 'cloud@ceph-b#ceph-b',
    targetVolumeId: null,
    ...over,
  };
}

let fake: FakeRbd;
beforeEach(() => {
  fake = new FakeRbd({ CEPH_CONF: OPERATOR_CONF });
});
afterEach(() => {
  fake.remove();
});

const confs = (files: Record<string, string> = { [OPERATOR_CONF]: CONF_TEXT }) => async (path: string) => {
  if (path in files) return files[path]!;
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

function probe(options: CephProbeOptions = {}) {
  return createCephProbe({ env: fake.env, readConf: confs(), timeoutMs: 5000, ...options });
}

async function sampleOne(p: ReturnType<typeof probe>, s: ProbeSubject, pools = POOLS, signal = new AbortController().signal): Promise<ProbeAnswer> {
  const answers = await p.sample([s], { pools, signal });
  return answers.get(s.volumeId)!;
}

const reading = (bytesCopied: number, totalBytes: number): ProbeAnswer => ({ kind: 'reading', reading: { bytesCopied, totalBytes } });
/** The arguments after the client options: what rbd was asked. */
const asked = (call: string[]) => call.slice(call.indexOf('du'));

describe('parseLocationInfo / findPool', () => {
  it('splits cluster name, host conf, fsid, user and pool (a conf path with ":" included)', () => {
    expect(parseLocationInfo(`ceph:/etc/ceph/ceph.conf:${FSID}:None:volumes-b`)).toEqual({
      clusterName: 'ceph', hostConf: '/etc/ceph/ceph.conf', fsid: FSID, user: null, pool: 'volumes-b',
    });
    expect(parseLocationInfo(`prod:/srv/a:b/ceph.conf:${FSID.toUpperCase()}:cinder:vols`)).toEqual({
      clusterName: 'prod', hostConf: '/srv/a:b/ceph.conf', fsid: FSID, user: 'cinder', pool: 'vols',
    });
    expect(parseLocationInfo('LVMVolumeDriver:host:vg:thin:0')?.pool).toBe('0'); // parseable, but not a Ceph pool:
    expect(parseLocationInfo('ceph:only:three')).toBeNull();
    expect(parseLocationInfo(undefined)).toBeNull();
  });

  it('host@backend#pool exactly, host@backend when the backend has one pool', () => {
    expect(findPool(POOLS, 'cloud@ceph-b#ceph-b')?.name).toBe('cloud@ceph-b#ceph-b');
    expect(findPool(POOLS, 'cloud@ceph-b')?.name).toBe('cloud@ceph-b#ceph-b');
    expect(findPool(POOLS, 'cloud@ceph-b#other')).toBeNull();
    expect(findPool(POOLS, null)).toBeNull();
  });
});

describe('ceph progress probe: generic (--force-host-copy) migration', () => {
  it('reads volume-<target id> in the destination pool, over the volume size; the client conf is CEPH_CONF, never the host conf', async () => {
    const p = probe();
    const s = subject({ volumeId: 'src-1', targetVolumeId: 'tgt-1' });
    const spec = 'volumes-b/volume-tgt-1';
    const seen: ProbeAnswer[] = [];
    for (const used of [0, 120 * MiB, 1544 * MiB, 3036 * MiB, 3 * GiB]) {
      fake.du(spec, [{ name: 'volume-tgt-1', used }]);
      seen.push(await sampleOne(p, s));
    }
    expect(seen).toEqual([0, 120 * MiB, 1544 * MiB, 3036 * MiB, 3 * GiB].map((b) => reading(b, 3 * GiB)));
    const calls = fake.calls();
    expect(calls).toHaveLength(5);
    for (const c of calls) {
      expect(c.slice(0, 2)).toEqual(['--conf', OPERATOR_CONF]);
      expect(asked(c)).toEqual(['du', '--format', 'json', spec]);
      expect(c.join(' ')).not.toContain(HOST_CONF);
    }
  });

  it('sparse source: the denominator is still the volume size (the file copy writes the zeros too), the source is never read', async () => {
    const p = probe();
    const s = subject({ volumeId: 'sparse-1', targetVolumeId: 'tgt-2' });
    fake.du('volumes-a/volume-sparse-1', [{ name: 'volume-sparse-1', used: 308 * MiB }]);
    fake.du('volumes-b/volume-tgt-2', [{ name: 'volume-tgt-2', used: 1024 * MiB }]);
    expect(await sampleOne(p, s)).toEqual(reading(1024 * MiB, 3 * GiB));
    expect(fake.calls().map(asked)).toEqual([['du', '--format', 'json', 'volumes-b/volume-tgt-2']]);
  });

  it('no target image yet: unobservable; target renamed at completion: read under volume-<source id> in the destination pool', async () => {
    const p = probe();
    const s = subject({ volumeId: 'src-3', targetVolumeId: 'tgt-3' });
    fake.fails('volumes-b/volume-tgt-3', 'specified image volume-tgt-3 is not found.\nrbd: du failed: (2) No such file or directory\n', 2);
    expect(await sampleOne(p, s)).toEqual({ kind: 'unobservable', why: 'no image volumes-b/volume-tgt-3 yet' });
    fake.du('volumes-b/volume-tgt-3', [{ name: 'volume-tgt-3', used: 3000 * MiB }]);
    expect(await sampleOne(p, s)).toEqual(reading(3000 * MiB, 3 * GiB));
    // Cinder renames volume-<target id> to volume-<source id>: the last figure stays until it is found again
    fake.fails('volumes-b/volume-tgt-3', 'specified image volume-tgt-3 is not found.\nrbd: du failed: (2) No such file or directory\n', 2);
    expect(await sampleOne(p, s)).toEqual(reading(3000 * MiB, 3 * GiB));
    fake.du('volumes-b', [{ name: 'volume-src-3', used: 3 * GiB }, { name: 'volume-other', used: 5 * GiB }]);
    fake.resetCalls();
    expect(await sampleOne(p, s)).toEqual(reading(3 * GiB, 3 * GiB));
    // both names wanted from one pool: one pool-wide call
    expect(fake.calls().map(asked)).toEqual([['du', '--format', 'json', '--pool', 'volumes-b']]);
  });
});

describe('ceph progress probe: RBD driver migration (source.copy into the destination pool)', () => {
  it('full volume: volume-<source id> in the destination pool over the source image used size (read once)', async () => {
    const p = probe();
    const s = subject({ volumeId: 'full-1' });
    fake.du('volumes-a/volume-full-1', [{ name: 'volume-full-1', used: 3 * GiB }]);
    const got: ProbeAnswer[] = [];
    for (const used of [40 * MiB, 1488 * MiB, 3 * GiB]) {
      fake.du('volumes-b/volume-full-1', [{ name: 'volume-full-1', used }]);
      got.push(await sampleOne(p, s));
    }
    expect(got).toEqual([reading(40 * MiB, 3 * GiB), reading(1488 * MiB, 3 * GiB), reading(3 * GiB, 3 * GiB)]);
    // exactly one read of the source pool, one of the destination per poll
    const specs = fake.calls().map((c) => c[c.length - 1]);
    expect(specs.filter((x) => x === 'volumes-a/volume-full-1')).toHaveLength(1);
    expect(specs.filter((x) => x === 'volumes-b/volume-full-1')).toHaveLength(3);
  });

  it('sparse volume (308 MiB of 3 GiB allocated): the denominator is the allocated 308 MiB, so the copy ends at 100% of it', async () => {
    const p = probe();
    const s = subject({ volumeId: 'sparse-2' });
    fake.du('volumes-a/volume-sparse-2', [{ name: 'volume-sparse-2', used: 308 * MiB }]);
    fake.du('volumes-b/volume-sparse-2', [{ name: 'volume-sparse-2', used: 16 * MiB }]);
    expect(await sampleOne(p, s)).toEqual(reading(16 * MiB, 308 * MiB));
    fake.du('volumes-b/volume-sparse-2', [{ name: 'volume-sparse-2', used: 308 * MiB }]);
    expect(await sampleOne(p, s)).toEqual(reading(308 * MiB, 308 * MiB));
  });

  it('first seen after the driver deleted the source: the destination holds everything, its used size is the total', async () => {
    const p = probe();
    const s = subject({ volumeId: 'late-1', migrationStatus: 'completing' });
    fake.fails('volumes-a/volume-late-1', 'specified image volume-late-1 is not found.\nrbd: du failed: (2) No such file or directory\n', 2);
    fake.du('volumes-b/volume-late-1', [{ name: 'volume-late-1', used: 308 * MiB }]);
    expect(await sampleOne(p, s)).toEqual(reading(308 * MiB, 308 * MiB));
  });

  it('same pool (Cinder changes only the host), another cluster or a non-RBD end: unobservable, nothing run', async () => {
    const p = probe();
    const same = await sampleOne(p, subject({ volumeId: 'v1', destinationHost: 'cloud@ceph-shared#ceph-shared' }));
    expect(same).toEqual({ kind: 'unobservable', why: 'same RBD pool volumes-a: Cinder moves no data' });
    const far = await sampleOne(p, subject({ volumeId: 'v2', destinationHost: 'cloud@far#far' }));
    expect(far.kind).toBe('unobservable');
    const lvm = await sampleOne(p, subject({ volumeId: 'v3', destinationHost: 'cloud@lvm#lvm' }));
    expect(lvm).toEqual({ kind: 'unobservable', why: 'destination pool cloud@lvm#lvm is not Ceph RBD' });
    const unknown = await sampleOne(p, subject({ volumeId: 'v4', destinationHost: null }));
    expect(unknown).toEqual({ kind: 'unobservable', why: 'destination not known yet' });
    expect(fake.calls()).toEqual([]);
  });
});

describe('ceph progress probe: guarantees', () => {
  it('monotonic: a smaller used size later (Ceph re-counting) never lowers the answer; the probe keeps the highest', async () => {
    const p = probe();
    const s = subject({ volumeId: 'm-1', targetVolumeId: 't-m-1' });
    const got: number[] = [];
    for (const used of [100 * MiB, 900 * MiB, 400 * MiB, 950 * MiB, 0]) {
      fake.du('volumes-b/volume-t-m-1', [{ name: 'volume-t-m-1', used }]);
      const a = await sampleOne(p, s);
      got.push(a.kind === 'reading' ? a.reading.bytesCopied : -1);
    }
    expect(got).toEqual([100 * MiB, 900 * MiB, 900 * MiB, 950 * MiB, 950 * MiB]);
  });

  it('one rbd du per pool per poll for N moving volumes (pool-wide), answers for each', async () => {
    const p = probe();
    const subjects = [
      subject({ volumeId: 'n1', targetVolumeId: 't1' }),
      subject({ volumeId: 'n2', targetVolumeId: 't2' }),
      subject({ volumeId: 'n3', targetVolumeId: 't3' }),
      subject({ volumeId: 'n4', targetVolumeId: 't4', destinationHost: 'cloud@ceph-c#ceph-c' }),
      subject({ volumeId: 'n5', targetVolumeId: 't5', destinationHost: 'cloud@ceph-c' }),
    ];
    fake.du('volumes-b', [
      { name: 'volume-t1', used: 1 * GiB },
      { name: 'volume-t2', used: 2 * GiB },
      { name: 'volume-t2', used: 1 * GiB, snapshot: 'snap' },
      { name: 'volume-unrelated', used: 7 * GiB },
    ]);
    fake.du('volumes-c', [{ name: 'volume-t4', used: 512 * MiB }, { name: 'volume-t5', used: 0 }]);
    const answers = await p.sample(subjects, { pools: POOLS, signal: new AbortController().signal });
    expect(Object.fromEntries(answers)).toEqual({
      n1: reading(1 * GiB, 3 * GiB),
      n2: reading(2 * GiB, 3 * GiB),
      n3: { kind: 'unobservable', why: 'no image volumes-b/volume-t3 yet' },
      n4: reading(512 * MiB, 3 * GiB),
      n5: reading(0, 3 * GiB),
    });
    expect(fake.calls().map(asked).sort()).toEqual([
      ['du', '--format', 'json', '--pool', 'volumes-b'],
      ['du', '--format', 'json', '--pool', 'volumes-c'],
    ]);
  });

  it('rbd missing: failed, one line naming what to install; settings ceph.rbd missing: named', async () => {
    const noRbd = createCephProbe({ env: { PATH: '/nonexistent', CEPH_CONF: OPERATOR_CONF }, readConf: confs() });
    expect(await sampleOne(noRbd, subject({ volumeId: 'x', targetVolumeId: 'y' }))).toEqual({
      kind: 'failed',
      message: 'rbd not installed (apt install ceph-common)',
    });
    const badPath = probe({ settings: { rbd: '/opt/ceph/bin/rbd' } });
    expect(await sampleOne(badPath, subject({ volumeId: 'x', targetVolumeId: 'y' }))).toEqual({
      kind: 'failed',
      message: 'rbd not found at /opt/ceph/bin/rbd (settings ceph.rbd)',
    });
  });

  it('permission denied: failed, naming the pool and the settings to give volmig a reading client', async () => {
    const p = probe();
    fake.fails('volumes-b/volume-y', "2026-12-01T08:03:21.258+0000 7f9d -1 librbd: x\nrbd: error opening pool 'volumes-b': (1) Operation not permitted\n", 1);
    const a = await sampleOne(p, subject({ volumeId: 'x', targetVolumeId: 'y' }));
    expect(a).toEqual({
      kind: 'failed',
      message:
        "permission denied reading pool volumes-b: give volmig a Ceph client with read access (settings ceph.clusters[].keyring, client_id; caps osd 'profile rbd-read-only pool=volumes-b')",
    });
  });

  it('a cluster that does not answer, a missing pool, a missing keyring: each its own one-line message', async () => {
    const p = probe();
    const s = subject({ volumeId: 'x', targetVolumeId: 'y' });
    fake.fails('volumes-b/volume-y', '2026 0 monclient(hunting): authenticate timed out after 5\nrbd: couldn\'t connect to the cluster!\n', 110);
    expect(await sampleOne(p, s)).toEqual({
      kind: 'failed',
      message: `cannot connect to Ceph cluster ${FSID} with ${OPERATOR_CONF} (CEPH_CONF) as client.admin: check its mon host and keyring, or settings ceph.clusters[] (fsid, conf, keyring, client_id)`,
    });
    fake.fails('volumes-b/volume-y', "rbd: error opening pool 'volumes-b': (2) No such file or directory\n", 2);
    expect(await sampleOne(p, s)).toEqual({
      kind: 'failed',
      message: `pool volumes-b not found through ${OPERATOR_CONF} (CEPH_CONF): is that conf for cluster ${FSID}? (settings ceph.clusters[] (fsid, conf, keyring, client_id))`,
    });
    fake.fails('volumes-b/volume-y', 'auth: unable to find a keyring on /etc/ceph/ceph.client.admin.keyring: (2) No such file or directory\nrbd: couldn\'t connect to the cluster!\n', 1);
    expect((await sampleOne(p, s)) as { message: string }).toMatchObject({ kind: 'failed', message: expect.stringMatching(/^no keyring for client.admin to read pool volumes-b: set settings ceph.clusters\[\].keyring/) });
  });

  it('per-call timeout: the hanging rbd is killed and the answer says so', async () => {
    const p = probe({ timeoutMs: 400 });
    fake.hangs('volumes-b/volume-y');
    const t0 = Date.now();
    const a = await sampleOne(p, subject({ volumeId: 'x', targetVolumeId: 'y' }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(a).toEqual({ kind: 'failed', message: `rbd du volumes-b/volume-y timed out after 0.4s: check that ${OPERATOR_CONF} reaches cluster ${FSID}` });
    const pid = fake.pidOf('volumes-b/volume-y');
    expect(pid).not.toBeNull();
    expect(alive(pid!)).toBe(false);
  });

  it('abort (poll deadline, Ctrl-C): the child is killed at once; the last reading stands, or unobservable', async () => {
    const p = probe({ timeoutMs: 20_000 });
    const s = subject({ volumeId: 'x', targetVolumeId: 'y' });
    fake.du('volumes-b/volume-y', [{ name: 'volume-y', used: 700 * MiB }]);
    expect(await sampleOne(p, s)).toEqual(reading(700 * MiB, 3 * GiB));
    fake.hangs('volumes-b/volume-y');
    const ac = new AbortController();
    const pending = sampleOne(p, s, POOLS, ac.signal);
    await waitFor(() => fake.pidOf('volumes-b/volume-y') !== null);
    const pid = fake.pidOf('volumes-b/volume-y')!;
    expect(alive(pid)).toBe(true);
    const t0 = Date.now();
    ac.abort();
    expect(await pending).toEqual(reading(700 * MiB, 3 * GiB));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(alive(pid)).toBe(false);
    // a migration it never read: nothing to say
    const fresh = probe();
    const ac2 = new AbortController();
    fake.hangs('volumes-b/volume-z');
    const pending2 = sampleOne(fresh, subject({ volumeId: 'w', targetVolumeId: 'z' }), POOLS, ac2.signal);
    await waitFor(() => fake.pidOf('volumes-b/volume-z') !== null);
    ac2.abort();
    expect(await pending2).toEqual({ kind: 'unobservable', why: 'stopped at the poll deadline' });
  });

  it('never throws: a runner that throws becomes a failed answer for every subject', async () => {
    const p = createCephProbe({
      env: fake.env,
      readConf: confs(),
      runner: async () => {
        throw new Error('boom\nsecond line');
      },
    });
    const answers = await p.sample([subject({ volumeId: 'a', targetVolumeId: 'b' }), subject({ volumeId: 'c' })], {
      pools: POOLS,
      signal: new AbortController().signal,
    });
    expect(Object.fromEntries(answers)).toEqual({
      a: { kind: 'failed', message: 'ceph progress: boom' },
      c: { kind: 'failed', message: 'ceph progress: boom' },
    });
  });
});

describe('ceph progress probe: which Ceph client configuration', () => {
  const s = subject({ volumeId: 'x', targetVolumeId: 'y' });
  beforeEach(() => {
    fake.du('volumes-b/volume-y', [{ name: 'volume-y', used: 1 * MiB }]);
  });

  it('settings by fsid: that conf, keyring and client id', async () => {
    const p = probe({
      settings: { clusters: [{ name: 'ceph', conf: '/wrong.conf' }, { fsid: FSID, conf: '/etc/ceph/prod.conf', keyring: '/etc/ceph/prod.client.volmig.keyring', client_id: 'volmig' }] },
      readConf: confs({ '/etc/ceph/prod.conf': CONF_TEXT }),
    });
    expect(await sampleOne(p, s)).toEqual(reading(1 * MiB, 3 * GiB));
    expect(fake.calls()[0]!.slice(0, 6)).toEqual(['--conf', '/etc/ceph/prod.conf', '--keyring', '/etc/ceph/prod.client.volmig.keyring', '--id', 'volmig']);
  });

  it('settings by cluster name (the first field of location_info) when no entry has the fsid', async () => {
    const p = probe({ settings: { clusters: [{ name: 'ceph', conf: '/etc/ceph/by-name.conf' }] }, readConf: confs({ '/etc/ceph/by-name.conf': '[global]\n' }) });
    expect(await sampleOne(p, s)).toEqual(reading(1 * MiB, 3 * GiB));
    expect(fake.calls()[0]!.slice(0, 2)).toEqual(['--conf', '/etc/ceph/by-name.conf']);
  });

  it('no settings and no CEPH_CONF: /etc/ceph/ceph.conf; missing: failed, naming what to set', async () => {
    const env = { ...fake.env };
    delete env.CEPH_CONF;
    const p = probe({ env, readConf: confs({ '/etc/ceph/ceph.conf': CONF_TEXT }) });
    expect(await sampleOne(p, s)).toEqual(reading(1 * MiB, 3 * GiB));
    expect(fake.calls()[0]!.slice(0, 2)).toEqual(['--conf', '/etc/ceph/ceph.conf']);
    const missing = probe({ env, readConf: confs({}) });
    expect(await sampleOne(missing, s)).toEqual({
      kind: 'failed',
      message: `no Ceph configuration for cluster ${FSID} (pool volumes-b): /etc/ceph/ceph.conf (the default) does not exist; set CEPH_CONF or settings ceph.clusters[] (fsid, conf, keyring, client_id)`,
    });
  });

  it('a conf that declares another fsid is refused before rbd runs', async () => {
    const p = probe({ readConf: confs({ [OPERATOR_CONF]: `[global]\n  fsid = ${OTHER_FSID}\n` }) });
    fake.resetCalls();
    expect(await sampleOne(p, s)).toEqual({
      kind: 'failed',
      message: `${OPERATOR_CONF} (CEPH_CONF) is Ceph cluster ${OTHER_FSID}, but pool volumes-b is in cluster ${FSID}: map fsid ${FSID} to its conf in settings ceph.clusters[] (fsid, conf, keyring, client_id)`,
    });
    expect(fake.calls()).toEqual([]);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
