import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, migrationSourceId, numericProgress, volumeHost, type Volume } from '../model/cinder.js';
import { ExitCode } from '../errors.js';
import { nowFor, type Io } from '../io.js';
import { formatDuration } from '../model/duration.js';
import { classifyPollError, PollEngine, type PollEnd, type TickOutcome } from './poll.js';
import type { ProgressSink, WatchResult } from './progress.js';
import type { ProbeSubject, ProgressSourceName } from './sources/probe.js';
import type { ProgressSources } from './sources/sources.js';
import { MigrationTracker, type ExternalReading, type ProgressSnapshot } from './tracker.js';
import {
  aggregateExitCode,
  displayName,
  endedResult,
  errorResult,
  goneResult,
  idleResult,
  interruptedResult,
  lapseResult,
  SETTLED_STATUSES,
  successResult,
  type WatchedVolume,
  type WatchTarget,
} from './watch-results.js';

export type { WatchTarget, RetypeExpectation } from './watch-results.js';
export { aggregateExitCode, serviceHost } from './watch-results.js';

export interface WatchOptions {
  client: BlockStorageClient;
  io: Io;
  sink: ProgressSink;
  /** The run's interruption (main's RunInterruption.signal). */
  signal: AbortSignal;
  /** Exit code of an interrupted watch: 130 after Ctrl-C, 143 after SIGTERM. */
  interruptedExitCode?: () => number;
  intervalMs: number;
  timeoutMs?: number;
  /** The absolute end of the whole command when it began before the watch (migrate's request counts too). */
  deadlineAt?: number;
  stallTimeoutMs?: number;
  /** How to pick the watch up again, printed on Ctrl-C, timeout and stall. */
  resumeCommand: string;
  /** Upper bound of the error back-off. */
  maxBackoffMs?: number;
  /** Progress sources for migrations the server gives no number for (storage probes). */
  sources?: ProgressSources;
  /** Called once per volume when its end is known (journal). */
  onResult?: (result: WatchResult) => void | Promise<void>;
}

export interface WatchSummary {
  exitCode: number;
  results: WatchResult[];
  interrupted: boolean;
}

/** A followed volume and what the watch remembers between polls. */
interface Followed extends WatchedVolume {
  done: boolean;
  /** 404s in a row: one is read again, two mean the volume is gone. */
  missing: number;
  /** The last poll of this volume failed (said once per streak). */
  failing: boolean;
  lastError: string | null;
  /** The temporary destination of a generic migration, once known (for the storage probes). */
  targetVolumeId: string | null;
  targetLookups: number;
  /** The progress source last named to the operator, and polls in a row that showed a copy with no number. */
  announced: ProgressSourceName | null;
  silentPolls: number;
}

function follow(target: WatchTarget, watchStart: number): Followed {
  const known = target.startedAt !== undefined && target.startedAt !== null;
  const startedAt = known ? (target.startedAt as number) : watchStart;
  return {
    target,
    startedAt,
    startKnown: known,
    tracker: new MigrationTracker({
      volumeId: target.volumeId,
      startedAt: known ? startedAt : null,
      watchStartedAt: watchStart,
      baseline: target.baseline,
      destination: target.destination ?? null,
    }),
    seenRetyping: false,
    seenMigration: false,
    reported: null,
    done: false,
    missing: 0,
    failing: false,
    lastError: null,
    targetVolumeId: null,
    targetLookups: 0,
    announced: null,
    silentPolls: 0,
  };
}

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

const SOURCE_WORDS: Record<ProgressSourceName, string> = {
  server: "progress from the server's migration_progress",
  ceph: "progress from Ceph (the destination image's allocated bytes)",
  process: 'progress from the dd copying it on this host (/proc)',
  none: 'no source gives progress numbers for this copy: volmig shows its phase and elapsed time, never a guessed percentage (see "Progress on your cloud" in the README)',
};

/**
 * Names where a migration's numbers come from, once (and again if that changes): the first number says its source;
 * a copy seen twice in a row without one says that no source gives any.
 */
function announceSource(w: Followed, snap: ProgressSnapshot, sink: ProgressSink): void {
  let say: ProgressSourceName | null = null;
  if (snap.source !== 'none') {
    w.silentPolls = 0;
    if (w.announced !== snap.source) say = snap.source;
  } else if (snap.phase === 'migrating') {
    w.silentPolls += 1;
    if (w.silentPolls >= 2 && w.announced === null) say = 'none';
  }
  if (say === null) return;
  w.announced = say;
  sink.notice(`${displayName(w)}: ${SOURCE_WORDS[say]}.`, w.target.volumeId, 'source');
}

/** A start the watch did not know when it began, from the server's timestamps. */
function learnStart(w: Followed, at: number | null): void {
  if (w.startKnown || at === null) return;
  w.tracker.learnStart(at);
  w.startedAt = at;
  w.startKnown = true;
}

/**
 * The temporary destination's creation is the start of a generic migration, as the server records it (UTC, often
 * without a zone). A time in the future, or more than a week back, says the clocks disagree: then it is not used.
 */
function serverStart(target: Volume | undefined, now: number): number | null {
  if (!target?.created_at) return null;
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(target.created_at) ? target.created_at : `${target.created_at}Z`);
  if (!Number.isFinite(at) || at > now + 5_000 || now - at > 7 * 86_400_000) return null;
  return Math.min(at, now);
}

async function endStalled(
  active: Followed[],
  at: number,
  opts: WatchOptions,
  finish: (w: Followed, r: WatchResult) => Promise<void>,
): Promise<void> {
  if (opts.stallTimeoutMs === undefined) return;
  for (const w of active) {
    if (w.tracker.isStalled(at, opts.stallTimeoutMs)) await finish(w, lapseResult(w, 'stalled', at, { ...opts, lastError: w.lastError }));
  }
}

function stallDeadline(active: Followed[], stallMs: number | undefined): number | undefined {
  if (stallMs === undefined) return undefined;
  let first: number | undefined;
  for (const w of active) {
    const d = w.tracker.stallDeadline(stallMs);
    if (d !== undefined && (first === undefined || d < first)) first = d;
  }
  return first;
}

/** The volumes still followed when the engine stopped: timed out, or interrupted. */
async function closeWatch(
  end: PollEnd,
  left: Followed[],
  at: number,
  opts: WatchOptions,
  finish: (w: Followed, r: WatchResult) => Promise<void>,
): Promise<void> {
  if (end === 'deadline') {
    for (const w of left) await finish(w, lapseResult(w, 'timeout', at, { ...opts, lastError: w.lastError }));
  } else if (end === 'interrupted') {
    const code = opts.interruptedExitCode?.() ?? ExitCode.INTERRUPTED;
    for (const w of left) await finish(w, interruptedResult(w, at, code));
  }
}

/** A failed read of one volume: retried (said once per streak), read again after one 404, or the end of the watch. */
async function onPollError(
  w: Followed,
  err: unknown,
  at: number,
  opts: WatchOptions,
  finish: (w: Followed, r: WatchResult) => Promise<void>,
): Promise<'failed' | 'continue'> {
  const failure = classifyPollError(err);
  switch (failure.kind) {
    case 'stopped':
      return 'continue';
    case 'missing':
      w.missing += 1;
      if (w.missing >= 2) {
        await finish(w, goneResult(w, at));
        return 'continue';
      }
      w.lastError = failure.description;
      opts.sink.notice(`Volume ${w.target.volumeId} answered ${failure.description}; reading it again before concluding it is gone.`, w.target.volumeId);
      return 'failed';
    case 'end':
      await finish(w, endedResult(w, at, failure.exitCode, failure.description, opts.resumeCommand));
      return 'continue';
    case 'retry':
      w.lastError = failure.description;
      if (!w.failing) opts.sink.notice(`Could not read volume ${w.target.volumeId}: ${failure.description}; retrying.`, w.target.volumeId);
      w.failing = true;
      return 'failed';
  }
}

/** Asks the storage probes about the in-flight migrations the server gives no number for. */
async function probe(polled: { w: Followed; v: Volume }[], opts: WatchOptions, signal: AbortSignal): Promise<Map<string, ExternalReading>> {
  const sources = opts.sources;
  if (!sources || sources.empty) return new Map();
  const subjects: ProbeSubject[] = polled
    .filter(({ v }) => isInFlight(v) && numericProgress(v) === null)
    .map(({ w, v }) => ({
      volumeId: v.id,
      sizeBytes: Math.max(0, Number(v.size) || 0) * 1024 ** 3,
      migrationStatus: String(v['os-vol-mig-status-attr:migstat'] ?? v.migration_status ?? ''),
      sourceHost: w.tracker.snapshot?.sourceHost ?? volumeHost(v),
      destinationHost: w.tracker.snapshot?.destination ?? w.target.destination ?? null,
      targetVolumeId: w.targetVolumeId,
    }));
  return sources.read(subjects, signal, (m) => opts.sink.notice(m, undefined, 'problem'));
}

/** The migration tracker's reading, turned into a retype's when volmig follows one. */
function evaluate(w: Followed, volume: Volume, at: number, reading?: ExternalReading): ProgressSnapshot {
  const snap = retypeReading(w, volume, at, w.tracker.observe(volume, at, reading));
  w.reported = snap;
  return snap;
}

function retypeReading(w: Followed, volume: Volume, at: number, snap: ProgressSnapshot): ProgressSnapshot {
  const ms = snap.migrationStatus;
  if (ms === 'migrating' || ms === 'completing') w.seenMigration = true;
  if (w.target.kind !== 'retype' || !w.target.retype) return snap;
  const r = w.target.retype;
  if (volume.status === 'retyping') w.seenRetyping = true;
  const typeMatches =
    volume.volume_type === r.newTypeName ||
    (r.newTypeId !== null && (volume.volume_type === r.newTypeId || volume.volume_type_id === r.newTypeId));
  const settled = SETTLED_STATUSES.has(volume.status) && !isInFlight(volume);
  if (settled && typeMatches) {
    const moved = w.seenMigration || snap.percent !== null;
    return { ...snap, phase: 'success', percent: moved && snap.source !== 'none' ? 100 : null, bytesCopied: moved && snap.source !== 'none' ? snap.totalBytes : null, indeterminate: !(moved && snap.source !== 'none'), etaMs: 0 };
  }
  // The API switches to `retyping` before it answers 202, so a settled volume with the old type has been refused,
  // unless volmig has not seen anything yet (one poll of grace for a server that is slower to show it).
  if (settled && !typeMatches && (w.seenRetyping || w.seenMigration || at - w.startedAt > 10_000)) {
    return { ...snap, phase: 'error' };
  }
  if (!isInFlight(volume)) return { ...snap, phase: volume.status === 'retyping' ? 'retyping' : 'pending', percent: null, indeterminate: true, etaMs: null, bytesCopied: null };
  return snap;
}

/** The temporary destinations of the volumes that need one: one listing for all of them (see findMigrationTargets). */
async function lookUpDestinations(active: Followed[], client: BlockStorageClient, io: Io): Promise<void> {
  const wanted = active.filter((w) => w.tracker.snapshot && isInFlight(w.tracker.snapshot.volume));
  if (wanted.length === 0) return;
  for (const w of wanted) w.targetLookups += 1;
  const { findMigrationTargets } = await import('./list.js');
  let targets: Map<string, Volume> | undefined;
  try {
    targets = await findMigrationTargets(client, { allProjects: true, of: wanted.map((w) => w.target.volumeId) });
  } catch {
    // The destination is a nicety of the display (and a probe's hint); the watch goes on without it.
    return;
  }
  for (const w of wanted) {
    const target = targets?.get(w.target.volumeId);
    if (!target) continue;
    w.targetVolumeId = target.id;
    if (!w.target.destination) w.tracker.setDestination(volumeHost(target));
    learnStart(w, serverStart(target, nowFor(io)()));
  }
}
