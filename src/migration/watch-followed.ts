// A followed volume and what the watch does with each poll of it: shared by watchVolumes and watchAllMigrations.
import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, numericProgress, volumeHost, type Volume } from '../model/cinder.js';
import { ExitCode } from '../errors.js';
import { nowFor, type Io } from '../io.js';
import { classifyPollError, type PollEnd } from './poll.js';
import type { ProgressSink, WatchResult } from './progress.js';
import type { ProbeSubject, ProgressSourceName } from './sources/probe.js';
import type { ProgressSources } from './sources/sources.js';
import { MigrationTracker, type ExternalReading, type ProgressSnapshot } from './tracker.js';
import { displayName, endedResult, goneResult, interruptedResult, lapseResult, SETTLED_STATUSES, type WatchedVolume, type WatchTarget } from './watch-results.js';


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
export interface Followed extends WatchedVolume {
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

export function follow(target: WatchTarget, watchStart: number): Followed {
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
export function announceSource(w: Followed, snap: ProgressSnapshot, sink: ProgressSink): void {
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
export function learnStart(w: Followed, at: number | null): void {
  if (w.startKnown || at === null) return;
  w.tracker.learnStart(at);
  w.startedAt = at;
  w.startKnown = true;
}

/**
 * The temporary destination's creation is the start of a generic migration, as the server records it (UTC, often
 * without a zone). A time in the future, or more than a week back, says the clocks disagree: then it is not used.
 */
export function serverStart(target: Volume | undefined, now: number): number | null {
  if (!target?.created_at) return null;
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(target.created_at) ? target.created_at : `${target.created_at}Z`);
  if (!Number.isFinite(at) || at > now + 5_000 || now - at > 7 * 86_400_000) return null;
  return Math.min(at, now);
}

export async function endStalled(
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

export function stallDeadline(active: Followed[], stallMs: number | undefined): number | undefined {
  if (stallMs === undefined) return undefined;
  let first: number | undefined;
  for (const w of active) {
    const d = w.tracker.stallDeadline(stallMs);
    if (d !== undefined && (first === undefined || d < first)) first = d;
  }
  return first;
}

/** The volumes still followed when the engine stopped: timed out, or interrupted. */
export async function closeWatch(
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
export async function onPollError(
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
export async function probe(polled: { w: Followed; v: Volume }[], opts: WatchOptions, signal: AbortSignal): Promise<Map<string, ExternalReading>> {
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
export function evaluate(w: Followed, volume: Volume, at: number, reading?: ExternalReading): ProgressSnapshot {
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
export async function lookUpDestinations(active: Followed[], client: BlockStorageClient, io: Io): Promise<void> {
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
