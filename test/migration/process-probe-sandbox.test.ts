/**
 * The process probe against the sandbox's real dd mover (lvm-1 → lvm-2, throttled), with the sandbox pinned to 3.71
 * so that the server gives no migration_progress: the only number comes from /proc/<dd pid>/fdinfo/1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessProbe } from '../../src/migration/sources/process.js';
import type { ProbeAnswer, ProbeSubject } from '../../src/migration/sources/probe.js';
import { startTestSandbox, TEST_GIB_BYTES, waitFor, type TestSandbox } from '../sandbox/helpers.js';

describe('process probe on the sandbox dd mover (API pinned to 3.71)', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox({ maxMinorVersion: 71, copyRateMiBps: 8 });
  });
  afterAll(async () => {
    await sb.stop();
  });

  it('reads rising byte counts from the dd copying the volume while the API shows no number', async () => {
    // The test helpers ask for 3.72 by default: this sandbox answers 406 to that, so every call names 3.71 or latest.
    const listed = await sb.call('GET', '/volumes/detail?name=demo-lvm-1-2g', { mv: '3.71' });
    const id = listed.body.volumes[0].id as string;
    const accepted = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2' } }, mv: '3.71' });
    expect(accepted.status).toBe(202);
    const migrating = await waitFor(() => sb.volume(id, 'latest'), (v) => v.migration_status === 'migrating');
    expect(migrating).not.toHaveProperty('migration_progress');
    const targets = await sb.call('GET', `/volumes/detail?all_tenants=1&migration_status=target:${id}`, { mv: '3.71' });
    expect(targets.body.volumes).toHaveLength(1);

    const subject: ProbeSubject = {
      volumeId: id,
      sizeBytes: 2 * 1024 ** 3,
      migrationStatus: 'migrating',
      sourceHost: 'sandbox@lvm-1#lvm-1',
      destinationHost: 'sandbox@lvm-2#lvm-2',
      targetVolumeId: targets.body.volumes[0].id as string,
    };
    const probe = createProcessProbe();
    const answers: ProbeAnswer[] = [];
    for (;;) {
      const v = await sb.volume(id, 'latest');
      if (v.migration_status !== 'migrating') break;
      expect(v).not.toHaveProperty('migration_progress');
      const answer = (await probe.sample([subject], { pools: [], signal: AbortSignal.timeout(2000) })).get(id)!;
      answers.push(answer);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await waitFor(() => sb.volume(id, 'latest'), (v) => v.migration_status === 'success')).migration_status).toBe('success');

    const readings = answers.flatMap((a) => (a.kind === 'reading' ? [a.reading] : []));
    const bytes = readings.map((r) => r.bytesCopied);
    // The 32 MiB copy at 8 MiB/s takes 4 s, one dd all along: nearly every poll reads it.
    expect(readings.length).toBeGreaterThanOrEqual(10);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(new Set(bytes).size).toBeGreaterThanOrEqual(5);
    // The total is the byte count dd was told (count=, the volume file's 32 MiB here), not the volume's nominal 2 GiB.
    for (const r of readings) expect(r.totalBytes).toBe(2 * TEST_GIB_BYTES);
    expect(bytes.at(-1)!).toBeGreaterThan(TEST_GIB_BYTES);
    expect(bytes.at(-1)!).toBeLessThanOrEqual(2 * TEST_GIB_BYTES);
    expect(answers.filter((a) => a.kind === 'failed')).toEqual([]);
  });
});
