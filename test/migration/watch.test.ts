import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { BlockStorageClient } from '../../src/api/block-storage.js';
import { CinderApiError, RequestAbortedError } from '../../src/api/errors.js';
import type { Pool, Volume } from '../../src/model/cinder.js';
import { UnavailableError } from '../../src/errors.js';
import type { Io } from '../../src/io.js';
import type { ProgressSink, ProgressSnapshot, WatchResult } from '../../src/migration/progress.js';
import { resolvePollIntervalMs } from '../../src/migration/interval.js';
import { aggregateExitCode, watchVolumes, type WatchOptions } from '../../src/migration/watch.js';
import { RunInterruption } from '../../src/interruption.js';
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

/** A client whose getVolume plays a script: a Volume answers, an Error is thrown, 'hang' never answers until aborted. */
function scriptedClient(script: (Volume | Error | 'hang')[], pools: Pool[] = []): BlockStorageClient & { gets: number } {
  let signal: AbortSignal | undefined;
  const c = {
    gets: 0,
    withSignal(s: AbortSignal) {
      signal = s;
      return c;
    },
    async getVolume() {
      const step = script[Math.min(c.gets, script.length - 1)]!;
      c.gets++;
      if (step === 'hang') {
        const s = signal;
        return new Promise<Volume>((_resolve, reject) => {
          s?.addEventListener('abort', () => reject(new RequestAbortedError({ method: 'GET', url: 'u', reason: s.reason })), { once: true });
        });
      }
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

const never = new AbortController().signal;

function watchOpts(over: Partial<WatchOptions> & Pick<WatchOptions, 'client' | 'io' | 'sink'>): WatchOptions {
  return { intervalMs: 1000, resumeCommand: 'r', signal: never, ...over };
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
    watchStopped: (resume, n) => events.push(`stopped ${n} ${resume}`),
  };
  return { sink, events, snaps, results };
}

/** A fake clock; `random` 1 makes the jittered back-off its ceiling (deterministic). */
function fakeIo(signals = new EventEmitter(), random = 1) {
  let t = 0;
  const sleeps: number[] = [];
  const io: Io = {
    stdout: capture(), stderr: capture(), env: {}, isTTY: false, cwd: '/', signals,
    now: () => t,
    sleep: async (ms) => void (sleeps.push(ms), (t += ms)),
    random: () => random,
  };
  return { io, sleeps };
}

describe('watchVolumes', () => {
  it('backs off exponentially on transient errors, says so once per streak, and resets after an answer', async () => {
    const down = new UnavailableError('connect ECONNREFUSED 127.0.0.1:8776');
    const client = scriptedClient([vol('migrating'), down, down, down, vol('migrating'), vol('success', DST)]);
    const { io, sleeps } = fakeIo();
    const { sink, events, results } = recordingSink();
    const summary = await watchVolumes(
      [{ volumeId: 'v1', kind: 'migration', baseline: { host: SRC, migrationStatus: null, updatedAt: 'x' }, startedAt: 0 }],
      watchOpts({ client, io, sink, resumeCommand: 'volmig progress v1 --watch' }),
    );
    expect(summary.exitCode).toBe(0);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 1000]);
    expect(events.filter((e) => e.startsWith('notice'))).toEqual([
      'notice Could not read volume v1: connect ECONNREFUSED 127.0.0.1:8776; retrying.',
      'notice vol-1: no source gives progress numbers for this copy: volmig shows its phase and elapsed time, never a guessed percentage (see "Progress on your cloud" in the README).',
    ]);
    expect(results[0]!.summary).toMatch(/^vol-1: migrated h@a#a → h@b#b \(1\.0 GiB in 0:16\)$/);
    expect(events.at(-1)).toBe('stop');
  });

  it('caps the back-off, and jitters it between half the ceiling and the ceiling', async () => {
    const down = new CinderApiError({ status: 503, message: 'busy', method: 'GET', url: 'u' });
    const script = [down, down, down, down, down, down, down, vol('success', DST)];
    const top = fakeIo(new EventEmitter(), 1);
    await watchVolumes([{ volumeId: 'v1', kind: 'migration', baseline: { host: SRC, migrationStatus: null, updatedAt: 'x' } }], watchOpts({
      client: scriptedClient(script), io: top.io, sink: recordingSink().sink, intervalMs: 5000, maxBackoffMs: 30_000,
    }));
    expect(top.sleeps).toEqual([10_000, 20_000, 30_000, 30_000, 30_000, 30_000, 30_000]);
    const bottom = fakeIo(new EventEmitter(), 0);
    await watchVolumes([{ volumeId: 'v1', kind: 'migration', baseline: { host: SRC, migrationStatus: null, updatedAt: 'x' } }], watchOpts({
      client: scriptedClient(script), io: bottom.io, sink: recordingSink().sink, intervalMs: 5000, maxBackoffMs: 30_000,
    }));
    expect(bottom.sleeps).toEqual([5000, 10_000, 15_000, 15_000, 15_000, 15_000, 15_000]);
  });

  it('403 while watching ends the watch at once with exit 4 and says an admin role is needed', async () => {
    const client = scriptedClient([new CinderApiError({ status: 403, message: 'Policy does not allow', method: 'GET', url: 'u' })]);
    const { io } = fakeIo();
    const { sink, events, results } = recordingSink();
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration' }], watchOpts({ client, io, sink }));
    expect(s.exitCode).toBe(4);
    expect(client.gets).toBe(1);
    expect(events).toEqual(['result denied', 'stop']);
    expect(results[0]!.summary).toBe('v1: could not read the volume: Policy does not allow (HTTP 403); stopped watching (the migration may go on on the server).');
    expect(results[0]!.details[0]).toMatch(/admin role/);
  });

  it('a volume deleted while watched: read twice before "no longer exists", exit 3', async () => {
    const gone = new CinderApiError({ status: 404, message: 'Volume v1 could not be found.', method: 'GET', url: 'u' });
    const client = scriptedClient([vol('migrating'), gone, gone]);
    const { io } = fakeIo();
    const { sink, events } = recordingSink();
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration' }], watchOpts({ client, io, sink }));
    expect(s.exitCode).toBe(3);
    expect(client.gets).toBe(3);
    expect(s.results[0]!.summary).toBe('vol-1: the volume no longer exists (HTTP 404 twice in a row).');
    expect(events.filter((e) => e.startsWith('notice'))).toHaveLength(1);
  });

  it('one transient 404 does not end the watch', async () => {
    const gone = new CinderApiError({ status: 404, message: 'Volume v1 could not be found.', method: 'GET', url: 'u' });
    const client = scriptedClient([vol('migrating'), gone, vol('migrating'), vol('success', DST)]);
    const { io } = fakeIo();
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration', baseline: { host: SRC, migrationStatus: null, updatedAt: 'x' } }], watchOpts({ client, io, sink: recordingSink().sink }));
    expect(s.exitCode).toBe(0);
    expect(s.results[0]!.outcome).toBe('success');
  });

  it('Ctrl-C during a sleep: interrupted, 130, the resume line, the handlers let go', async () => {
    const signals = new EventEmitter();
    const interruption = new RunInterruption();
    const client = scriptedClient([vol('migrating')]);
    const { io } = fakeIo(signals);
    interruption.attach(io);
    io.sleep = async (_ms, signal) => {
      signals.emit('SIGINT');
      expect(signal?.aborted).toBe(true);
    };
    const { sink, events } = recordingSink();
    const s = await watchVolumes(
      [{ volumeId: 'v1', kind: 'migration' }],
      watchOpts({ client, io, sink, signal: interruption.signal, interruptedExitCode: () => interruption.exitCode, resumeCommand: 'volmig progress v1 --watch' }),
    );
    expect(s.exitCode).toBe(130);
    expect(s.interrupted).toBe(true);
    expect(s.results.map((x) => [x.outcome, x.summary])).toEqual([['interrupted', 'Stopped watching vol-1.']]);
    expect(events.at(-1)).toBe('stopped 1 volmig progress v1 --watch');
    await new Promise((r) => setImmediate(r));
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('SIGTERM: 143', async () => {
    const signals = new EventEmitter();
    const interruption = new RunInterruption();
    const { io } = fakeIo(signals);
    interruption.attach(io);
    io.sleep = async () => void signals.emit('SIGTERM');
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration' }], watchOpts({
      client: scriptedClient([vol('migrating')]), io, sink: recordingSink().sink, signal: interruption.signal, interruptedExitCode: () => interruption.exitCode,
    }));
    expect(s.exitCode).toBe(143);
  });
});

describe('deadlines bound the whole watch, even when the API never answers', () => {
  const realIo = (): Io => ({ stdout: capture(), stderr: capture(), env: {}, isTTY: false, cwd: '/' });

  it('--timeout aborts a request in flight: the watch ends at its deadline, exit 7', async () => {
    const client = scriptedClient([vol('migrating'), 'hang']);
    const started = Date.now();
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration' }], watchOpts({ client, io: realIo(), sink: recordingSink().sink, intervalMs: 500, timeoutMs: 900 }));
    const took = Date.now() - started;
    expect(s.exitCode).toBe(7);
    expect(s.results[0]!.outcome).toBe('timeout');
    expect(took).toBeGreaterThanOrEqual(850);
    expect(took).toBeLessThan(2500);
  });

  it('--stall-timeout fires during a hang (no answer is no change)', async () => {
    const client = scriptedClient([vol('migrating'), 'hang']);
    const started = Date.now();
    const s = await watchVolumes([{ volumeId: 'v1', kind: 'migration' }], watchOpts({ client, io: realIo(), sink: recordingSink().sink, intervalMs: 500, stallTimeoutMs: 800 }));
    const took = Date.now() - started;
    expect(s.results[0]!.outcome).toBe('stalled');
    expect(s.exitCode).toBe(7);
    expect(took).toBeLessThan(2500);
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
  it('interrupted > not allowed > failed > not found > timeout > success', () => {
    expect(aggregateExitCode([r(0), r(4), r(1)])).toBe(4);
    expect(aggregateExitCode([r(143), r(130)])).toBe(143);
    expect(aggregateExitCode([r(0), r(7), r(1)])).toBe(1);
    expect(aggregateExitCode([r(0), r(7)])).toBe(7);
    expect(aggregateExitCode([r(130), r(1)])).toBe(130);
    expect(aggregateExitCode([r(0), r(0)])).toBe(0);
  });

  it('a read the API refused (another 4xx: 5) or kept failing (6) is never lost to success', () => {
    expect(aggregateExitCode([r(5)])).toBe(5);
    expect(aggregateExitCode([r(0), r(6)])).toBe(6);
    expect(aggregateExitCode([r(5), r(3), r(7)])).toBe(5);
    expect(aggregateExitCode([r(1), r(5)])).toBe(1);
  });
});

describe('the progress source is named once', () => {
  it('the first number names its source; a later source is named again', async () => {
    const client = scriptedClient([
      vol('migrating', SRC, { migration_progress: '10' }),
      vol('migrating', SRC, { migration_progress: '40' }),
      vol('success', DST),
    ]);
    const { io } = fakeIo();
    const { sink, events } = recordingSink();
    await watchVolumes([{ volumeId: 'v1', kind: 'migration', baseline: { host: SRC, migrationStatus: null, updatedAt: 'x' } }], watchOpts({ client, io, sink }));
    expect(events.filter((e) => e.startsWith('notice'))).toEqual(["notice vol-1: progress from the server's migration_progress."]);
  });
});

