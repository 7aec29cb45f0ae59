import { expect, test } from 'vitest';
import type { Pool } from '../../src/model/cinder.js';
import { ProgressSources } from '../../src/migration/sources/sources.js';
import type { ProbeAnswer, ProbeSubject, ProgressProbe } from '../../src/migration/sources/probe.js';

const subject = (volumeId: string): ProbeSubject => ({
  volumeId,
  sizeBytes: 2 ** 30,
  migrationStatus: 'migrating',
  sourceHost: 'node@ceph-a#ceph-a',
  destinationHost: 'node@ceph-b#ceph-b',
  targetVolumeId: null,
});

function probeAnswering(answer: (s: ProbeSubject, pools: readonly Pool[]) => ProbeAnswer, source: ProgressProbe['source'] = 'ceph') {
  const seenPools: (readonly Pool[])[] = [];
  const probe: ProgressProbe = {
    source,
    async sample(subjects, ctx) {
      seenPools.push(ctx.pools);
      return new Map(subjects.map((s) => [s.volumeId, answer(s, ctx.pools)]));
    },
  };
  return { probe, seenPools };
}

test('the pools are read once per run, also when that read fails (a watch of 500 migrations asks once per interval)', async () => {
  let poolReads = 0;
  const { probe, seenPools } = probeAnswering(() => ({ kind: 'unobservable' }));
  const sources = new ProgressSources([probe], async () => {
    poolReads += 1;
    throw new Error('403 Forbidden');
  });
  for (let poll = 0; poll < 3; poll += 1) await sources.read([subject('v1')], new AbortController().signal);
  expect(poolReads).toBe(1);
  expect(seenPools).toEqual([[], [], []]);
});

test('a probe reading wins; what it cannot see goes to the next probe; a failing probe is said once until it works again', async () => {
  const pools = [{ name: 'node@ceph-a#ceph-a', capabilities: {} }] as unknown as Pool[];
  let failing = true;
  const ceph = probeAnswering((s) => {
    if (s.volumeId === 'v2') return { kind: 'unobservable' };
    return failing ? { kind: 'failed', message: 'rbd: command not found' } : { kind: 'reading', reading: { bytesCopied: 10, totalBytes: 100 } };
  });
  const proc = probeAnswering(() => ({ kind: 'reading', reading: { bytesCopied: 5, totalBytes: 50 } }), 'process');
  const sources = new ProgressSources([ceph.probe, proc.probe], async () => pools);
  const notices: string[] = [];
  const poll = () => sources.read([subject('v1'), subject('v2')], new AbortController().signal, (m) => notices.push(m));

  const first = await poll();
  expect(Object.fromEntries(first)).toEqual({
    v1: { source: 'process', bytesCopied: 5, totalBytes: 50 },
    v2: { source: 'process', bytesCopied: 5, totalBytes: 50 },
  });
  await poll();
  expect(notices).toEqual(['progress source ceph unavailable: rbd: command not found; going on without it.']);
  expect(ceph.seenPools[0]).toBe(pools);

  failing = false;
  const third = await poll();
  expect(third.get('v1')).toEqual({ source: 'ceph', bytesCopied: 10, totalBytes: 100 });
  expect(third.get('v2')?.source).toBe('process');
  failing = true;
  await poll();
  expect(notices).toHaveLength(2);
});
