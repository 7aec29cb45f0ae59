/**
 * The `ceph` progress source against real Ceph while real Cinder migrates (issue 11): 3 GiB volumes, one full and
 * one sparse (10% allocated, scattered), moved by the RBD driver's own copy A -> B and then by a generic
 * (--force-host-copy) copy B -> A. createCephProbe() is sampled directly every second, both migrations at once as the
 * CLI's poll engine asks; what it answers is checked against `rbd du` of the same image. Real Cinder only: the
 * sandbox has no Ceph, and the Keystone target is the same Cinder (running it there again would only cost time).
 *
 * Numbers the assertions encode (measured on this rig, docs/progress-reporting.md "Ceph progress"):
 *  - RBD driver copy: volume-<source id> appears in the destination pool and grows to the source's used size
 *    (only allocated objects are copied: 308 MiB for the sparse volume), so that is the denominator;
 *  - generic copy: volume-<target id> grows to the full 3 GiB even for the sparse volume (the file copy writes the
 *    zeros), so the volume size is the denominator, and the migrated sparse volume ends fully allocated.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCephProbe } from '../../../src/migration/sources/ceph.js';
import { hostOf } from '../lib/api.js';
import {
  GiB, RIG_CEPH_CONF, describeSamples, filledVolume, purgeTrash, rbdDu, rbdPoolOf, readingsOf, watchMigrations,
  type WatchSample, type WatchedMigration,
} from '../lib/ceph.js';
import { REALCINDER_DIR, openTarget, targetKind, volName, type Target } from '../lib/target.js';

const SIZE = 3 * GiB;
let t: Target;
let full: any;
let sparse: any;
let sparseAllocated: number;

const probeEnv = () => ({ ...process.env, CEPH_CONF: RIG_CEPH_CONF });

describe.runIf(targetKind() === 'realcinder')('Ceph progress source [realcinder]', () => {
  beforeAll(async () => {
    t = await openTarget();
    await purgeTrash(await t.api.pools());
    full = await filledVolume(t, volName('ceph-full'), 'full');
    sparse = await filledVolume(t, volName('ceph-sparse'), 'sparse');
    const pool = rbdPoolOf(await t.api.pools(), hostOf(sparse));
    sparseAllocated = (await rbdDu(pool, `volume-${sparse.id}`))!;
    expect(await rbdDu(pool, `volume-${full.id}`)).toBe(SIZE);
    // 77 of 768 objects of 4 MiB: about 10%
    expect(sparseAllocated).toBe(77 * 4 * 2 ** 20);
  }, 300_000);

  afterAll(async () => {
    if (!t) return;
    const pools = await t.api.pools();
    await t.close();
    for (const v of [full, sparse]) {
      if (v) await t.api.waitVolume(v.id, () => false, 60_000).catch(() => undefined);
    }
    await purgeTrash(pools);
  }, 120_000);

  /** Starts os-migrate_volume for each volume to `destination`; returns what the watcher needs. */
  async function migrate(vols: any[], destination: string, forceHostCopy: boolean): Promise<WatchedMigration[]> {
    const out: WatchedMigration[] = [];
    for (const v of vols) {
      const current = await t.api.volume(v.id);
      const r = await t.api.action(v.id, { 'os-migrate_volume': { host: destination, force_host_copy: forceHostCopy, lock_volume: false } });
      expect(r.status, r.text).toBe(202);
      out.push({ volumeId: v.id, sourceHost: hostOf(current), destinationHost: destination, sizeBytes: current.size * GiB });
    }
    return out;
  }

  /** The probe's figure after success (as at the poll that sees `completing`) and Ceph's own: they must be equal. */
  async function finalFigures(m: WatchedMigration) {
    const probe = createCephProbe({ env: probeEnv() });
    const answers = await probe.sample(
      [{ ...m, migrationStatus: 'completing', targetVolumeId: null }],
      { pools: await t.api.pools(), signal: AbortSignal.timeout(10_000) },
    );
    const ceph = await rbdDu(rbdPoolOf(await t.api.pools(), m.destinationHost), `volume-${m.volumeId}`);
    return { answer: answers.get(m.volumeId)!, ceph };
  }

  function expectMonotonicBelowCeph(samples: WatchSample[], volumeId: string, total: number) {
    const readings = readingsOf(samples, volumeId);
    const bytes = readings.map((r) => r.bytesCopied);
    expect(bytes, describeSamples(samples, volumeId)).toEqual([...bytes].sort((a, b) => a - b));
    for (const r of readings) expect(r.totalBytes).toBe(total);
    // never ahead of Ceph: each reading is at most what `rbd du` showed right after it
    for (const s of samples.filter((x) => x.volumeId === volumeId && x.answer.kind === 'reading' && x.cephUsed !== null)) {
      expect((s.answer as any).reading.bytesCopied, describeSamples(samples, volumeId)).toBeLessThanOrEqual(s.cephUsed!);
    }
    return bytes;
  }

  const distinctRises = (bytes: number[]) => bytes.filter((b, i) => i > 0 && b > bytes[i - 1]!).length;

  it('RBD driver copy A -> B: full rises to 3 GiB of 3 GiB, sparse ends at its allocated size; last figures equal rbd du', async () => {
    const migrations = await migrate([full, sparse], t.layout.hostB, false);
    const probe = createCephProbe({ env: probeEnv() });
    const { samples, ended } = await watchMigrations(t, probe, migrations);
    console.log(`RBD copy, full:   ${describeSamples(samples, full.id)}`);
    console.log(`RBD copy, sparse: ${describeSamples(samples, sparse.id)}`);
    expect(Object.fromEntries(ended)).toEqual({ [full.id]: 'success', [sparse.id]: 'success' });
    // the driver path ran (no temporary target volume, and cinder-volume says so)
    expect(samples.every((s) => s.targetVolumeId === null)).toBe(true);
    const log = readFileSync(join(REALCINDER_DIR, 'logs/cinder-volume.log'), 'utf8');
    for (const v of [full, sparse]) expect(log).toContain(`Attempting RBD assisted volume migration. volume: ${v.id}`);

    const fullBytes = expectMonotonicBelowCeph(samples, full.id, SIZE);
    expect(distinctRises(fullBytes), describeSamples(samples, full.id)).toBeGreaterThanOrEqual(3);
    // the sparse copy moves only allocated objects and may be over within one interval: the total is what matters
    expectMonotonicBelowCeph(samples, sparse.id, sparseAllocated);
    expect(samples.filter((s) => s.volumeId === full.id).every((s) => s.answer.kind !== 'failed')).toBe(true);

    for (const [m, want] of [[migrations[0]!, SIZE], [migrations[1]!, sparseAllocated]] as const) {
      const { answer, ceph } = await finalFigures(m);
      expect(ceph).toBe(want);
      expect(answer).toEqual({ kind: 'reading', reading: { bytesCopied: ceph, totalBytes: ceph } });
    }
  }, 240_000);

  it('generic copy B -> A (--force-host-copy): both rise over the 3 GiB size (sparse too: zeros are written); last figures equal rbd du', async () => {
    const migrations = await migrate([full, sparse], t.layout.hostA, true);
    const probe = createCephProbe({ env: probeEnv() });
    const { samples, ended } = await watchMigrations(t, probe, migrations);
    console.log(`generic copy, full:   ${describeSamples(samples, full.id)}`);
    console.log(`generic copy, sparse: ${describeSamples(samples, sparse.id)}`);
    expect(Object.fromEntries(ended)).toEqual({ [full.id]: 'success', [sparse.id]: 'success' });
    for (const v of [full, sparse]) {
      expect(samples.some((s) => s.volumeId === v.id && s.targetVolumeId !== null), describeSamples(samples, v.id)).toBe(true);
      const bytes = expectMonotonicBelowCeph(samples, v.id, SIZE);
      expect(distinctRises(bytes), describeSamples(samples, v.id)).toBeGreaterThanOrEqual(3);
      // followed close to the end before Cinder said success
      expect(Math.max(...bytes), describeSamples(samples, v.id)).toBeGreaterThanOrEqual(0.75 * SIZE);
    }
    for (const m of migrations) {
      const { answer, ceph } = await finalFigures(m);
      // the migrated sparse volume is now fully allocated: Ceph says 3 GiB, and so does the probe
      expect(ceph).toBe(SIZE);
      expect(answer).toEqual({ kind: 'reading', reading: { bytesCopied: SIZE, totalBytes: SIZE } });
    }
  }, 300_000);
});
