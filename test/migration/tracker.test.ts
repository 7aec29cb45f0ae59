import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { MigrationTracker } from '../../src/migration/tracker.js';
import { readPhase } from '../../src/migration/phases.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const SRC = 'realcinder@ceph-a#ceph-a';
const DST = 'realcinder@ceph-b#ceph-b';

function vol(over: { migstat?: string | null; host?: string; status?: string; progress?: string; updated?: string; size?: number } = {}): Volume {
  return {
    id: 'v1',
    name: 'vol-1',
    status: over.status ?? 'available',
    size: over.size ?? 10,
    created_at: '2026-11-27T09:12:42.000000',
    updated_at: over.updated ?? '2026-11-27T09:12:43.000000',
    volume_type: 'type-any',
    metadata: {},
    replication_status: null,
    attachments: [],
    migration_status: over.migstat ?? null,
    'os-vol-mig-status-attr:migstat': over.migstat ?? null,
    'os-vol-host-attr:host': over.host ?? SRC,
    ...(over.progress !== undefined ? { migration_progress: over.progress } : {}),
  };
}

type Step = [atSeconds: number, volume: Volume];

function run(steps: Step[], opts: Partial<ConstructorParameters<typeof MigrationTracker>[0]> = {}) {
  const t = new MigrationTracker({ volumeId: 'v1', startedAt: 0, ...opts });
  return { tracker: t, snaps: steps.map(([s, v]) => t.observe(v, s * 1000)) };
}

const acceptedFromNone = { host: SRC, migrationStatus: null, updatedAt: '2026-11-27T09:12:43.000000' };

describe('MigrationTracker: percent', () => {
  it('is monotonic when the server value goes backwards and capped at 99 until success', () => {
    const { snaps } = run(
      [
        [1, vol({ migstat: 'migrating', progress: '10' })],
        [2, vol({ migstat: 'migrating', progress: '40' })],
        [3, vol({ migstat: 'migrating', progress: '35' })],
        [4, vol({ migstat: 'migrating', progress: '100' })],
        [5, vol({ migstat: 'completing' })],
        [6, vol({ migstat: 'success', host: DST })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(snaps.map((s) => s.percent)).toEqual([10, 40, 40, 99, 99, 100]);
    expect(snaps.map((s) => s.phase)).toEqual(['migrating', 'migrating', 'migrating', 'migrating', 'completing', 'success']);
    expect(snaps[5]!.bytesCopied).toBe(10 * GIB);
    expect(snaps[5]!.destination).toBe(DST);
  });

  it('is indeterminate (null, never 0) without a numeric migration_progress, and for a driver word', () => {
    const { snaps } = run(
      [
        [1, vol({ migstat: 'starting' })],
        [2, vol({ migstat: 'migrating' })],
        [3, vol({ migstat: 'migrating', progress: 'in progress' })],
        [4, vol({ migstat: 'success', host: DST })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(snaps.slice(0, 3).map((s) => [s.percent, s.indeterminate, s.bytesCopied, s.etaMs])).toEqual([
      [null, true, null, null],
      [null, true, null, null],
      [null, true, null, null],
    ]);
    expect(snaps[2]!.serverProgress).toBe('in progress');
    // The server never gave a number, so the end gives none either (no invented 100%).
    expect(snaps[3]!.percent).toBeNull();
    expect(snaps[3]!.indeterminate).toBe(true);
  });

  it('ends at 100% when the server did report numeric progress', () => {
    const { snaps } = run(
      [
        [1, vol({ migstat: 'migrating', progress: '40' })],
        [2, vol({ migstat: 'success', host: DST })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(snaps.map((s) => [s.percent, s.indeterminate])).toEqual([
      [40, false],
      [100, false],
    ]);
  });

  it('accepts "0" as a real 0% when the server says so', () => {
    const { snaps } = run([[1, vol({ migstat: 'migrating', progress: '0' })]], { baseline: acceptedFromNone });
    expect(snaps[0]!.percent).toBe(0);
    expect(snaps[0]!.indeterminate).toBe(false);
  });
});

describe('MigrationTracker: rate and ETA', () => {
  it('smooths the rate and derives the ETA from the remaining bytes', () => {
    // 10 GiB volume, 1% = 102.4 MiB; a steady 2% per 2 s = 102.4 MiB/s.
    const steps: Step[] = [];
    for (let i = 0; i <= 10; i++) steps.push([i * 2, vol({ migstat: 'migrating', progress: String(i * 2) })]);
    const { snaps } = run(steps, { baseline: acceptedFromNone });
    expect(snaps[0]!.rateBytesPerSecond).toBeNull();
    expect(snaps[0]!.etaMs).toBeNull();
    const last = snaps[10]!;
    expect(last.rateBytesPerSecond! / MIB).toBeCloseTo(102.4, 3);
    // 80% of 10 GiB left at 102.4 MiB/s = 80 s.
    expect(last.etaMs! / 1000).toBeCloseTo(80, 3);
  });

  it('does not jump with one burst: a single fast sample moves the smoothed rate only part of the way', () => {
    const { snaps } = run(
      [
        [0, vol({ migstat: 'migrating', progress: '0' })],
        [5, vol({ migstat: 'migrating', progress: '5' })], // 102.4 MiB/s
        [10, vol({ migstat: 'migrating', progress: '10' })], // 102.4 MiB/s
        [11, vol({ migstat: 'migrating', progress: '20' })], // burst: 1024 MiB/s for 1 s
      ],
      { baseline: acceptedFromNone },
    );
    const rate = snaps[3]!.rateBytesPerSecond! / MIB;
    expect(rate).toBeGreaterThan(102.4);
    expect(rate).toBeLessThan(200);
  });

  it('gives ETA 0 once the copy reached 100% and on success', () => {
    const { snaps } = run(
      [
        [0, vol({ migstat: 'migrating', progress: '50' })],
        [2, vol({ migstat: 'migrating', progress: '100' })],
        [4, vol({ migstat: 'success', host: DST })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(snaps[1]!.etaMs).toBe(0);
    expect(snaps[2]!.etaMs).toBe(0);
  });
});

describe('MigrationTracker: phases', () => {
  it('takes the empty migration_status between completing and success (poll-I-nameid.log) for completing, not a reset', () => {
    const { snaps } = run(
      [
        [0.42, vol({ migstat: 'migrating' })],
        [11.05, vol({ migstat: 'completing' })],
        [11.19, vol({ migstat: null, host: DST })],
        [11.32, vol({ migstat: 'success', host: DST })],
      ],
      { baseline: { host: SRC, migrationStatus: 'success', updatedAt: 'x' } },
    );
    expect(snaps.map((s) => s.phase)).toEqual(['migrating', 'completing', 'completing', 'success']);
    expect(snaps[2]!.completionGap).toBe(true);
    expect(snaps[2]!.resetObserved).toBe(false);
  });

  it('treats a long empty status after the host switch as success once the grace has passed', () => {
    const { snaps } = run(
      [
        [1, vol({ migstat: 'completing' })],
        [2, vol({ migstat: null, host: DST })],
        [40, vol({ migstat: null, host: DST })],
      ],
      { baseline: acceptedFromNone, completionGapGraceMs: 30_000 },
    );
    expect(snaps.map((s) => s.phase)).toEqual(['completing', 'completing', 'success']);
  });

  it('reports an empty status on the source host after in-flight as a reset (error)', () => {
    const { snaps } = run(
      [
        [1, vol({ migstat: 'migrating' })],
        [2, vol({ migstat: null })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(snaps[1]!.phase).toBe('error');
    expect(snaps[1]!.resetObserved).toBe(true);
  });

  it('recognises a migration that finished before the first poll from the host (previous result success)', () => {
    const { snaps } = run([[0.5, vol({ migstat: 'success', host: DST })]], {
      baseline: { host: SRC, migrationStatus: 'success', updatedAt: 'a' },
    });
    expect(snaps[0]!.phase).toBe('success');
    expect(snaps[0]!.percent).toBeNull();
  });

  it('does not take the previous success on the same host for this migration (pending)', () => {
    const { snaps } = run([[0.5, vol({ migstat: 'success', host: SRC })]], {
      baseline: { host: SRC, migrationStatus: 'success', updatedAt: 'a' },
    });
    expect(snaps[0]!.phase).toBe('pending');
  });

  it('recognises a scheduler error before the first poll (poll-C-pinned.log: None -> error, host unchanged)', () => {
    const { snaps } = run([[0.59, vol({ migstat: 'error' })]], { baseline: acceptedFromNone });
    expect(snaps[0]!.phase).toBe('error');
  });

  it('tells a new error from the previous one by updated_at (poll-E: previous result error)', () => {
    const base = { host: SRC, migrationStatus: 'error', updatedAt: 'T1' };
    expect(run([[0.1, vol({ migstat: 'error', updated: 'T1' })]], { baseline: base }).snaps[0]!.phase).toBe('pending');
    expect(run([[0.1, vol({ migstat: 'error', updated: 'T2' })]], { baseline: base }).snaps[0]!.phase).toBe('error');
  });

  it('follows poll-E-assisted.log: error(previous) -> starting -> migrating -> success on the other backend', () => {
    const { snaps } = run(
      [
        [0.05, vol({ migstat: 'error', updated: 'T0' })],
        [0.63, vol({ migstat: 'starting', updated: 'T1' })],
        [0.81, vol({ migstat: 'migrating', updated: 'T2' })],
        [2.01, vol({ migstat: 'success', host: DST, updated: 'T3' })],
      ],
      { baseline: { host: SRC, migrationStatus: 'error', updatedAt: 'T0' } },
    );
    expect(snaps.map((s) => s.phase)).toEqual(['pending', 'starting', 'migrating', 'success']);
    expect(snaps.map((s) => s.indeterminate)).toEqual([true, true, true, true]);
    expect(snaps.map((s) => s.percent)).toEqual([null, null, null, null]);
  });

  it('without a baseline, a volume with nothing in flight is idle with its last result', () => {
    const idle = readPhase(vol({ migstat: 'success' }), { sourceHost: SRC, seenInFlight: false });
    expect(idle).toMatchObject({ phase: 'idle', lastResult: 'success' });
    expect(readPhase(vol({ migstat: null }), { sourceHost: SRC, seenInFlight: false }).phase).toBe('idle');
  });

  it('maintenance (lock_volume) is carried through in status while the phase follows migration_status', () => {
    const { snaps } = run(
      [
        [0.5, vol({ status: 'maintenance', migstat: 'migrating' })],
        [14, vol({ status: 'available', migstat: 'success', host: DST })],
      ],
      { baseline: { host: SRC, migrationStatus: 'success', updatedAt: 'a' } },
    );
    expect(snaps.map((s) => [s.status, s.phase])).toEqual([
      ['maintenance', 'migrating'],
      ['available', 'success'],
    ]);
  });
});

describe('MigrationTracker: stall detection', () => {
  it('counts time since the last percent or phase change', () => {
    const { tracker } = run(
      [
        [0, vol({ migstat: 'migrating', progress: '10' })],
        [10, vol({ migstat: 'migrating', progress: '20' })],
        [20, vol({ migstat: 'migrating', progress: '20' })],
        [30, vol({ migstat: 'migrating', progress: '20' })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(tracker.isStalled(30_000, 25_000)).toBe(false);
    expect(tracker.isStalled(30_000, 20_000)).toBe(true);
    expect(tracker.snapshot!.lastChangeAt).toBe(10_000);
  });

  it('a server percent that goes backwards is not progress', () => {
    const { tracker } = run(
      [
        [0, vol({ migstat: 'migrating', progress: '30' })],
        [10, vol({ migstat: 'migrating', progress: '20' })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(tracker.snapshot!.lastChangeAt).toBe(0);
  });

  it('indeterminate migrations stall on phase alone, and a finished one never stalls', () => {
    const { tracker } = run(
      [
        [0, vol({ migstat: 'migrating' })],
        [60, vol({ migstat: 'migrating' })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(tracker.isStalled(60_000, 30_000)).toBe(true);
    tracker.observe(vol({ migstat: 'success', host: DST }), 61_000);
    expect(tracker.isStalled(500_000, 30_000)).toBe(false);
  });

  it('marks changed only when something visible changed', () => {
    const { snaps } = run(
      [
        [0, vol({ migstat: 'migrating', progress: '10' })],
        [1, vol({ migstat: 'migrating', progress: '10' })],
        [2, vol({ migstat: 'migrating', progress: '11' })],
      ],
      { baseline: acceptedFromNone },
    );
    expect(snaps.map((s) => s.changed)).toEqual([true, false, true]);
  });
});
