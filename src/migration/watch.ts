import { isInFlight, migrationSourceId, volumeHost, type Volume } from '../model/cinder.js';
import { nowFor } from '../io.js';
import { formatDuration } from '../model/duration.js';
import { classifyPollError, PollEngine, type PollEnd, type TickOutcome } from './poll.js';
import type { WatchResult } from './progress.js';
import { aggregateExitCode, displayName, endedResult, errorResult, goneResult, idleResult, successResult, type WatchTarget } from './watch-results.js';

import { announceSource, closeWatch, endStalled, evaluate, follow, lookUpDestinations, onPollError, probe, serverStart, stallDeadline, type Followed, type WatchOptions, type WatchSummary } from './watch-followed.js';

export type { WatchTarget, RetypeExpectation } from './watch-results.js';
export { aggregateExitCode, serviceHost } from './watch-results.js';
export type { WatchOptions, WatchSummary } from './watch-followed.js';

/**
 * Follows volumes until each migration (or retype) ends, the timeout or stall timeout passes, or the run is
 * interrupted. One GET /volumes/{id} per volume per interval through the poll engine; the deadlines abort requests
 * in flight, so a hung API cannot hold the command past them.
 */
export async function watchVolumes(targets: WatchTarget[], opts: WatchOptions): Promise<WatchSummary> {
  const now = nowFor(opts.io);
  const watchStart = now();
  const watched = targets.map((t) => follow(t, watchStart));
  const results: WatchResult[] = [];
  const engine = new PollEngine({
    io: opts.io,
    signal: opts.signal,
    intervalMs: opts.intervalMs,
    maxBackoffMs: opts.maxBackoffMs,
    deadlineAt: opts.deadlineAt ?? (opts.timeoutMs !== undefined ? watchStart + opts.timeoutMs : undefined),
  });
  const finish = async (w: Followed, result: WatchResult) => {
    w.done = true;
    results.push(result);
    opts.sink.result(result);
    await opts.onResult?.(result);
  };
  const active = () => watched.filter((w) => !w.done);
  let destinationsLooked = false;

  const tick = async ({ signal }: { signal: AbortSignal }): Promise<TickOutcome> => {
    await endStalled(active(), now(), opts, finish);
    if (active().length === 0) return 'done';
    const client = opts.client.withSignal(signal);
    const answers = await Promise.all(
      active().map((w) =>
        client.getVolume(w.target.volumeId).then(
          (v) => ({ w, v, err: undefined as unknown }),
          (err: unknown) => ({ w, v: undefined, err }),
        ),
      ),
    );
    const readings = await probe(answers.flatMap((a) => (a.v ? [{ w: a.w, v: a.v }] : [])), opts, signal);
    let failed = false;
    const at = now();
    for (const { w, v, err } of answers) {
      if (v === undefined) {
        const verdict = await onPollError(w, err, at, opts, finish);
        if (verdict === 'failed') failed = true;
        continue;
      }
      w.failing = false;
      w.missing = 0;
      w.lastError = null;
      const snap = evaluate(w, v, at, readings.get(w.target.volumeId));
      announceSource(w, snap, opts.sink);
      opts.sink.update(snap);
      if (snap.phase === 'success') await finish(w, await successResult(w, snap, at, client));
      else if (snap.phase === 'error') await finish(w, await errorResult(w, snap, at, client));
      else if (snap.phase === 'idle') await finish(w, idleResult(w, snap, at));
    }
    if (!signal.aborted) {
      // Once for the display; again (a few times) while a probe may need the temporary destination of a generic copy.
      const sources = opts.sources;
      const probing = async (w: Followed) =>
        sources !== undefined && !sources.empty && (await sources.needsTarget({ sourceHost: w.tracker.snapshot?.sourceHost ?? null, destinationHost: w.target.destination ?? w.tracker.snapshot?.destination ?? null }));
      const wanted: Followed[] = [];
      for (const w of active()) {
        const forProbe = w.targetVolumeId === null && w.targetLookups < 10 && (await probing(w));
        if (forProbe || (!destinationsLooked && !w.target.destination)) wanted.push(w);
      }
      destinationsLooked = true;
      await lookUpDestinations(wanted, client, opts.io);
    }
    if (active().length === 0) return 'done';
    return failed ? 'failed' : 'continue';
  };

  let end: PollEnd = 'done';
  try {
    end = await engine.run(tick, () => stallDeadline(active(), opts.stallTimeoutMs));
    await closeWatch(end, active(), now(), opts, finish);
  } finally {
    opts.sink.stop();
  }
  const interrupted = end === 'interrupted';
  if (interrupted) opts.sink.watchStopped?.(opts.resumeCommand, watched.length);
  return { exitCode: aggregateExitCode(results), results, interrupted };
}

export interface WatchAllOptions extends Omit<WatchOptions, 'resumeCommand'> {
  resumeCommand?: string;
}

/**
 * `progress --all --watch`: one /volumes/detail?all_tenants=1 listing per interval. Migrations that start appear,
 * finished ones leave with their result; the watch ends when nothing is in flight any more.
 */
export async function watchAllMigrations(opts: WatchAllOptions): Promise<WatchSummary & { seen: number }> {
  const now = nowFor(opts.io);
  const watchStart = now();
  const resume = opts.resumeCommand ?? 'volmig progress --all --watch';
  const options: WatchOptions = { ...opts, resumeCommand: resume };
  const results: WatchResult[] = [];
  const tracked = new Map<string, Followed>();
  const engine = new PollEngine({
    io: opts.io,
    signal: opts.signal,
    intervalMs: opts.intervalMs,
    maxBackoffMs: opts.maxBackoffMs,
    deadlineAt: opts.timeoutMs !== undefined ? watchStart + opts.timeoutMs : undefined,
  });
  const finish = async (w: Followed, result: WatchResult) => {
    w.done = true;
    tracked.delete(w.target.volumeId);
    results.push(result);
    opts.sink.result(result);
    await opts.onResult?.(result);
  };
  let listFailing = false;
  let firstList = true;
  const stalled = new Set<string>();

  const tick = async ({ signal }: { signal: AbortSignal }): Promise<TickOutcome> => {
    const client = opts.client.withSignal(signal);
    let volumes: Volume[];
    try {
      volumes = [];
      for await (const v of client.listVolumes({ allProjects: true })) volumes.push(v);
    } catch (err) {
      const failure = classifyPollError(err);
      if (failure.kind === 'stopped') return 'continue';
      if (failure.kind === 'end') {
        if (tracked.size === 0) throw failure.error;
        for (const w of [...tracked.values()]) await finish(w, endedResult(w, now(), failure.exitCode, failure.description, resume));
        return 'done';
      }
      if (!listFailing) opts.sink.notice(`Could not list volumes: ${failure.description}; retrying.`);
      listFailing = true;
      return 'failed';
    }
    listFailing = false;
    const at = now();
    const byId = new Map(volumes.map((v) => [v.id, v]));
    const targetOf = new Map<string, Volume>();
    for (const v of volumes) {
      const source = migrationSourceId(v);
      if (source !== undefined) targetOf.set(source, v);
    }
    for (const v of volumes) {
      if (tracked.has(v.id) || !isInFlight(v)) continue;
      tracked.set(v.id, follow({ volumeId: v.id, name: v.name, kind: 'migration', startedAt: serverStart(targetOf.get(v.id), at) }, at));
    }
    for (const w of tracked.values()) w.targetVolumeId = targetOf.get(w.target.volumeId)?.id ?? null;
    const present = [...tracked.values()].flatMap((w) => (byId.has(w.target.volumeId) ? [{ w, v: byId.get(w.target.volumeId)! }] : []));
    const readings = await probe(present, options, signal);
    for (const w of [...tracked.values()]) {
      const v = byId.get(w.target.volumeId);
      if (!v) {
        await finish(w, goneResult(w, at));
        continue;
      }
      const target = targetOf.get(v.id);
      w.tracker.setDestination(target ? volumeHost(target) : null);
      const snap = evaluate(w, v, at, readings.get(v.id));
      announceSource(w, snap, opts.sink);
      opts.sink.update(snap);
      if (snap.phase === 'success') await finish(w, await successResult(w, snap, at, client));
      else if (snap.phase === 'error') await finish(w, await errorResult(w, snap, at, client, target?.id ?? null));
      else if (opts.stallTimeoutMs !== undefined && w.tracker.isStalled(at, opts.stallTimeoutMs) && !stalled.has(v.id)) {
        // With --all a stall is reported, not ended: the others go on being watched.
        stalled.add(v.id);
        opts.sink.notice(`${displayName(w)}: no progress for ${formatDuration(opts.stallTimeoutMs)} (${snap.phase}).`, v.id);
      }
    }
    if (tracked.size === 0) {
      if (firstList) opts.sink.notice('No migration is in flight.');
      return 'done';
    }
    firstList = false;
    return 'continue';
  };

  let end: PollEnd = 'done';
  let seenTotal = 0;
  try {
    end = await engine.run(tick);
    seenTotal = tracked.size;
    await closeWatch(end, [...tracked.values()], now(), options, finish);
  } finally {
    opts.sink.stop();
  }
  const interrupted = end === 'interrupted';
  if (interrupted) opts.sink.watchStopped?.(resume, seenTotal);
  return { exitCode: aggregateExitCode(results), results, interrupted, seen: results.length };
}
