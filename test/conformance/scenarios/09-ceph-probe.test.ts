/**
 * The `ceph` progress source against real Ceph while real Cinder migrates (issue 11): 3 GiB volumes, one full and
 * one sparse (10% allocated, scattered). A -> B the full one moves by a generic (--force-host-copy) copy while the
 * sparse one moves by the RBD driver's own copy; B -> A the other way round (the sparse volume must take the RBD
 * path first: a generic copy leaves it fully allocated). Two migrations at once keep the scenario short and make the
 * probe answer a generic and an RBD subject in one sample, as the CLI's poll engine asks. createCephProbe() is
 * sampled every second; what it answers is checked against `rbd du` of the same image. Real Cinder only: the
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

  /** Starts os-migrate_volume for each volume (generic when forceHostCopy); returns what the watcher needs. */
  async function migrate(moves: Array<{ v: any; forceHostCopy: boolean }>, destination: string): Promise<WatchedMigration[]> {
    const out: WatchedMigration[] = [];
    for (const { v, forceHostCopy } of moves) {
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

  /**
   * One migration's samples: monotonic, every total as the path says, never ahead of `rbd du` taken right after;
   * `rising`: at least three increases and followed to within a quarter of the end before success (long copies).
   */
  function expectReadings(samples: WatchSample[], volumeId: string, total: number, rising: boolean) {
    const shown = describeSamples(samples, volumeId);
    const readings = readingsOf(samples, volumeId);
    const bytes = readings.map((r) => r.bytesCopied);
    expect(readings.length, shown).toBeGreaterThan(0);
    expect(bytes, shown).toEqual([...bytes].sort((a, b) => a - b));
    for (const r of readings) expect(r.totalBytes, shown).toBe(total);
    for (const s of samples.filter((x) => x.volumeId === volumeId && x.answer.kind === 'reading' && x.cephUsed !== null)) {
      expect((s.answer as any).reading.bytesCopied, shown).toBeLessThanOrEqual(s.cephUsed!);
    }
    expect(samples.filter((x) => x.volumeId === volumeId).every((x) => x.answer.kind !== 'failed'), shown).toBe(true);
    if (rising) {
      expect(bytes.filter((b, i) => i > 0 && b > bytes[i - 1]!).length, shown).toBeGreaterThanOrEqual(3);
      expect(Math.max(...bytes), shown).toBeGreaterThanOrEqual(0.75 * total);
    }
  }

  const cinderVolumeLog = () => readFileSync(join(REALCINDER_DIR, 'logs/cinder-volume.log'), 'utf8');

  it('A -> B at once: the full volume by a generic copy (over 3 GiB), the sparse one by the RBD driver (over its 308 MiB); last figures equal rbd du', async () => {
    const [generic, driver] = await migrate([{ v: full, forceHostCopy: true }, { v: sparse, forceHostCopy: false }], t.layout.hostB);
    const { samples, ended } = await watchMigrations(t, createCephProbe({ env: probeEnv() }), [generic!, driver!]);
    console.log(`generic copy, full volume: ${describeSamples(samples, full.id)}`);
    console.log(`RBD driver copy, sparse volume: ${describeSamples(samples, sparse.id)}`);
    expect(Object.fromEntries(ended)).toEqual({ [full.id]: 'success', [sparse.id]: 'success' });
    // which path Cinder took: a temporary target for the generic copy; none, and the driver's log line, for the other
    expect(samples.some((s) => s.volumeId === full.id && s.targetVolumeId !== null), describeSamples(samples, full.id)).toBe(true);
    expect(samples.filter((s) => s.volumeId === sparse.id).every((s) => s.targetVolumeId === null)).toBe(true);
    expect(cinderVolumeLog()).toContain(`Attempting RBD assisted volume migration. volume: ${sparse.id}`);

    expectReadings(samples, full.id, SIZE, true);
    // the sparse RBD copy moves only allocated objects and may be over within one interval: its total is what matters
    expectReadings(samples, sparse.id, sparseAllocated, false);
    for (const [m, want] of [[generic!, SIZE], [driver!, sparseAllocated]] as const) {
      const { answer, ceph } = await finalFigures(m);
      expect(ceph).toBe(want);
      expect(answer).toEqual({ kind: 'reading', reading: { bytesCopied: want, totalBytes: want } });
    }
  }, 300_000);

  it('B -> A at once: the full volume by the RBD driver (over 3 GiB), the sparse one by a generic copy (over 3 GiB: zeros are written); last figures equal rbd du', async () => {
    const [driver, generic] = await migrate([{ v: full, forceHostCopy: false }, { v: sparse, forceHostCopy: true }], t.layout.hostA);
    const { samples, ended } = await watchMigrations(t, createCephProbe({ env: probeEnv() }), [driver!, generic!]);
    console.log(`RBD driver copy, full volume: ${describeSamples(samples, full.id)}`);
    console.log(`generic copy, sparse volume: ${describeSamples(samples, sparse.id)}`);
    expect(Object.fromEntries(ended)).toEqual({ [full.id]: 'success', [sparse.id]: 'success' });
    expect(samples.filter((s) => s.volumeId === full.id).every((s) => s.targetVolumeId === null)).toBe(true);
    expect(samples.some((s) => s.volumeId === sparse.id && s.targetVolumeId !== null), describeSamples(samples, sparse.id)).toBe(true);
    expect(cinderVolumeLog()).toContain(`Attempting RBD assisted volume migration. volume: ${full.id}`);

    expectReadings(samples, full.id, SIZE, true);
    expectReadings(samples, sparse.id, SIZE, true);
    for (const m of [driver!, generic!]) {
      const { answer, ceph } = await finalFigures(m);
      // the sparse volume is fully allocated after the generic copy: Ceph says 3 GiB, and so does the probe
      expect(ceph).toBe(SIZE);
      expect(answer).toEqual({ kind: 'reading', reading: { bytesCopied: SIZE, totalBytes: SIZE } });
    }
  }, 300_000);
});
