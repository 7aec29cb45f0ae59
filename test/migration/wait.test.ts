import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { BlockStorageClient } from '../../src/api/block-storage.js';
import { CinderApiError } from '../../src/api/errors.js';
import type { Pool, Volume } from '../../src/model/cinder.js';
import { UnavailableError } from '../../src/errors.js';
import type { Io } from '../../src/io.js';
import type { ProgressSink, ProgressSnapshot, WatchResult } from '../../src/migration/progress.js';
import { aggregateExitCode, resolvePollIntervalMs, watchVolumes } from '../../src/migration/wait.js';
import { capture } from '../helpers/run.js';

const SRC = 'h@a#a';
const DST = 'h@b#b';

function vol(migstat: string | null, host = SRC, extra: Partial<Volume> = {}): Volume {
  return {
    id: 'v1', name: 'vol-1', status: 'available', size: 1, created_at: 'c', updated_at: 'u', volume_type: 't', metadata: {},
    replication_status: null, attachments: [], migration_status: migstat, 'os-vol-mig-status-attr:migstat': migstat,
    'os-vol-host-attr:host': host, ...extra,
  };
}

/** A client whose getVolume plays a script: a Volume answers, an Error is thrown. */
function scriptedClient(script: (Volume | Error)[], pools: Pool[] = []): BlockStorageClient & { gets: number } {
  const c = {
    gets: 0,
    async getVolume() {
      const step = script[Math.min(c.gets, script.length - 1)]!;
      c.gets++;
      if (step instanceof Error) throw step;
      return step;
    },
    async getPools() {
      return pools;
    },
    async *listVolumes() {},
  };
  return c as unknown as BlockStorageClient & { gets: number };
}

function recordingSink() {
  const events: string[] = [];
  const snaps: ProgressSnapshot[] = [];
  const results: WatchResult[] = [];
  const sink: ProgressSink = {
    update: (s) => (snaps.push(s), events.push(`update ${s.phase}`)),
    notice: (m) => events.push(`notice ${m}`),
    result: (r) => (results.push(r), events.push(`result ${r.outcome}`)),
    stop: () => events.push('stop'),
  };
  return { sink, events, snaps, results };
}

function fakeIo(signals = new EventEmitter()) {
  let t = 0;
  const sleeps: number[] = [];
  const io: Io = {
    stdout: capture(), stderr: capture(), env: {}, isTTY: false, cwd: '/', signals,
    now: () => t,
    sleep: async (ms) => void (sleeps.push(ms), (t += ms)),
  };
  return { io, sleeps };
}

describe('watchVolumes', () => {
  it('backs off exponentially on transient errors, says so, and resets after an answer', async () => {
    const down = new UnavailableError('connect ECONNREFUSED 127.0.0.1:8776');
    const client = scriptedClient([vol('migrating'), down, down, down, vol('migrating'), vol('success', DST)]);
    const { io, sleeps } = fakeIo();
    const { sink, events, results } = recordingSink();
    const summary = await watchVolumes([{ volumeId: 'v1', kind: 'migration', baseline: { host: SRC, migrationStatus: null, updatedAt: 'x' } }], {
      client, io, sink, intervalMs: 1000, resumeCommand: 'volmig progress v1 --watch',
    });
    expect(summary.exitCode).toBe(0);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 1000]);
    expect(events.filter((e) => e.startsWith('notice'))).toEqual(
      Array(3).fill('notice Could not read volume v1: connect ECONNREFUSED 127.0.0.1:8776; retrying.'),
    );
    expect(results[0]!.summary).toMatch(/^vol-1: migrated h@a#a → h@b#b \(1\.0 GiB in 0:16/);
    expect(events.at(-1)).toBe('stop');
  });

  it('caps the back-off', async () => {
    const down = new CinderApiError({ status: 503, message: 'busy', method: 'GET', url: 'u' });
    const client = scriptedClient([down, down, down, down, down, down, down, vol('success', DST)]);
    const { io, sleeps } = fakeIo();
    await watchVolumes([{ volumeId: 'v1', kind: 'migration', baseline: { host: SRC, migrationStatus: null, updatedAt: 'x' } }], {
      client, io, sink: recordingSink().sink, intervalMs: 5000, maxBackoffMs: 30_000, resumeCommand: 'r',
    });
    expect(sleeps).toEqual([10_000, 20_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('403 while watching ends with an auth error (exit 4), the terminal restored', async () => {
    const client = scriptedClient([new CinderApiError({ status: 403, message: 'Policy does not allow', method: 'GET', url: 'u' })]);
    const { io } = fakeIo();
    const { sink, events } = recordingSink();
    await expect(watchVolumes([{ volumeId: 'v1', kind: 'migration' }], { client, io, sink, intervalMs: 1000, resumeCommand: 'r' })).rejects.toMatchObject({
      exitCode: 4,
    });
    expect(events).toEqual(['stop']);
  });

  it('a volume deleted while watched: exit 3', async () => {
    const client = scriptedClient([vol('migrating'), new CinderApiError({ status: 404, message: 'Volume v1 could not be found.', method: 'GET', url: 'u' })]);
    const { io } = fakeIo();
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration' }], { client, io, sink: recordingSink().sink, intervalMs: 1000, resumeCommand: 'r' });
    expect(s.exitCode).toBe(3);
    expect(s.results[0]!.summary).toBe('vol-1: the volume no longer exists (HTTP 404).');
  });

  it('Ctrl-C during a sleep: interrupted, 130, the handler removed', async () => {
    const signals = new EventEmitter();
    const client = scriptedClient([vol('migrating')]);
    const { io } = fakeIo(signals);
    io.sleep = async (_ms, signal) => {
      signals.emit('SIGINT');
      expect(signal?.aborted).toBe(true);
    };
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration' }], { client, io, sink: recordingSink().sink, intervalMs: 1000, resumeCommand: 'volmig progress v1 --watch' });
    expect(s.exitCode).toBe(130);
    expect(s.interrupted).toBe(true);
    expect(s.results.map((x) => [x.outcome, x.summary])).toEqual([['interrupted', 'Stopped watching vol-1.']]);
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect((io.stderr as ReturnType<typeof capture>).text).toBe(
      'Stopped watching; the migration continues on the server. Resume with: volmig progress v1 --watch\n',
    );
  });
});

describe('poll interval', () => {
  const client = scriptedClient([], [
    { name: SRC, capabilities: { migration_progress_report_interval: 30 } },
    { name: DST, capabilities: { migration_progress_report_interval: 10 } },
  ]);
  it('--interval, then the setting, then the pools involved (the shortest), then 5 s', async () => {
    expect(await resolvePollIntervalMs(2000, 7, client, [SRC])).toBe(2000);
    expect(await resolvePollIntervalMs(undefined, 7, client, [SRC])).toBe(7000);
    expect(await resolvePollIntervalMs(undefined, undefined, client, [SRC, 'h@b'])).toBe(10_000);
    expect(await resolvePollIntervalMs(undefined, undefined, client, ['h@c#c'])).toBe(5000);
    expect(await resolvePollIntervalMs(undefined, undefined, client, [])).toBe(5000);
  });
});

describe('exit code of several volumes', () => {
  const r = (exitCode: number) => ({ exitCode }) as WatchResult;
  it('interrupted > failed > not found > timeout > success', () => {
    expect(aggregateExitCode([r(0), r(7), r(1)])).toBe(1);
    expect(aggregateExitCode([r(0), r(7)])).toBe(7);
    expect(aggregateExitCode([r(130), r(1)])).toBe(130);
    expect(aggregateExitCode([r(0), r(0)])).toBe(0);
  });
});
