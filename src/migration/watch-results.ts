import type { BlockStorageClient } from '../api/block-storage.js';
import type { Volume } from '../model/cinder.js';
import { ExitCode } from '../errors.js';
import { formatClock, formatDuration, formatBytesAsGiB, formatRate } from '../model/duration.js';
import type { MigrationBaseline } from './phases.js';
import type { WatchOutcome, WatchResult } from './progress.js';
import type { MigrationTracker, ProgressSnapshot } from './tracker.js';

export interface RetypeExpectation {
  /** The requested type as the user named it, and its id and name once resolved. */
  newTypeName: string;
  newTypeId: string | null;
  previousType: string | null;
}

/** One volume to follow to the end of its migration (or retype). */
export interface WatchTarget {
  volumeId: string;
  name?: string | null;
  kind: 'migration' | 'retype';
  /** State before volmig's own request; absent when only watching (`progress --watch`). */
  baseline?: MigrationBaseline;
  /**
   * When the migration started: volmig's own request, the journal's record of it, or the server's timestamps.
   * Null or absent: unknown, and durations say "watched for".
   */
  startedAt?: number | null;
  destination?: string | null;
  retype?: RetypeExpectation;
}

/** A followed volume as the watch keeps it. */
export interface WatchedVolume {
  target: WatchTarget;
  tracker: MigrationTracker;
  /** Durations count from here: the migration's start when known, else when this watch began. */
  startedAt: number;
  startKnown: boolean;
  seenRetyping: boolean;
  seenMigration: boolean;
  /** The last snapshot as the watch reported it (a retype's reading, not the migration tracker's raw one). */
  reported: ProgressSnapshot | null;
}

const SETTLED_STATUSES = new Set(['available', 'in-use']);
/** A migration that ends in error this soon, never seen copying, was refused by the scheduler. */
const SCHEDULER_WINDOW_MS = 15_000;

/**
 * 130 or 143 beat a failure, a failure (a refused read, 5, included) beats "not found", which beats a lapse (7);
 * all success is 0. No failure is ever lost: a code outside the list still beats success.
 */
export function aggregateExitCode(results: WatchResult[]): number {
  const codes = new Set(results.map((r) => r.exitCode));
  const order = [ExitCode.TERMINATED, ExitCode.INTERRUPTED, ExitCode.AUTH, ExitCode.FAILED, ExitCode.REJECTED, ExitCode.UNAVAILABLE, ExitCode.NOT_FOUND, ExitCode.TIMEOUT];
  for (const code of order) {
    if (codes.has(code)) return code;
  }
  return [...codes].find((code) => code !== ExitCode.OK) ?? ExitCode.OK;
}

export function displayName(w: WatchedVolume): string {
  const name = (w.reported ?? w.tracker.snapshot)?.name ?? w.target.name;
  return name && name.trim() ? name : w.target.volumeId;
}

export function baseResult(w: WatchedVolume, outcome: WatchOutcome, exitCode: number, at: number): WatchResult {
  const snap = w.reported ?? w.tracker.snapshot;
  return {
    volumeId: w.target.volumeId,
    name: snap?.name ?? w.target.name ?? null,
    kind: w.target.kind,
    outcome,
    exitCode,
    snapshot: snap,
    summary: '',
    details: [],
    sourceHost: snap?.sourceHost ?? w.target.baseline?.host ?? null,
    destinationHost: snap?.destination ?? w.target.destination ?? null,
    durationMs: Math.max(0, at - w.startedAt),
    durationFrom: w.startKnown ? 'start' : 'watch',
    averageBytesPerSecond: null,
    source: snap?.source ?? 'none',
    statusAfter: snap?.status ?? null,
    volumeType: snap?.volume.volume_type ?? null,
  };
}

/** "(2.0 GiB in 0:41, 50 MiB/s average)", or "(2.0 GiB; watched for 0:25)" for a migration volmig joined late. */
function sizeAndTime(w: WatchedVolume, snap: ProgressSnapshot, r: WatchResult): string {
  const size = `${formatBytesAsGiB(snap.sizeBytes)} GiB`;
  const took = formatClock(r.durationMs);
  if (!w.startKnown) return `(${size}; watched for ${took})`;
  const avg = r.averageBytesPerSecond;
  return `(${size} in ${took}${avg !== null && avg > 0 ? `, ${formatRate(avg)} average` : ''})`;
}

export function successResult(w: WatchedVolume, snap: ProgressSnapshot, at: number): WatchResult {
  const r = baseResult(w, 'success', ExitCode.OK, at);
  const name = displayName(w);
  const moved = snap.sourceHost !== null && snap.host !== null && snap.host !== snap.sourceHost;
  // Rates come from progress volmig saw move, and only when the whole duration is known.
  r.averageBytesPerSecond = w.startKnown ? w.tracker.averageRate() : null;
  if (moved) {
    r.destinationHost = snap.host;
    r.summary =
      w.target.kind === 'retype'
        ? `${name}: retyped to ${snap.volume.volume_type} and migrated ${snap.sourceHost} → ${snap.host} ${sizeAndTime(w, snap, r)}`
        : `${name}: migrated ${snap.sourceHost} → ${snap.host} ${sizeAndTime(w, snap, r)}`;
  } else if (w.target.kind === 'retype') {
    r.averageBytesPerSecond = null;
    r.summary = `${name}: retyped to ${snap.volume.volume_type} in place on ${snap.host ?? 'its host'} (${w.startKnown ? '' : 'watched for '}${formatClock(r.durationMs)})`;
  } else {
    r.summary = `${name}: migration finished with success on ${snap.host ?? 'an unknown host'} ${sizeAndTime(w, snap, r)}`;
  }
  return r;
}

export function idleResult(w: WatchedVolume, snap: ProgressSnapshot, at: number): WatchResult {
  const name = displayName(w);
  if (snap.lastResult === 'error') {
    const r = baseResult(w, 'error', ExitCode.FAILED, at);
    r.summary = `${name}: no migration in flight; the last migration ended in error (volume on ${snap.host ?? 'unknown host'}, status ${snap.status}).`;
    r.details = [`Look in the cinder-volume log on ${serviceHost(snap.host)} and the cinder-scheduler log for the cause.`];
    return r;
  }
  const r = baseResult(w, 'idle', ExitCode.OK, at);
  r.summary =
    snap.lastResult === 'success'
      ? `${name}: no migration in flight; the last migration succeeded (volume on ${snap.host ?? 'unknown host'}).`
      : `${name}: no migration in flight (volume on ${snap.host ?? 'unknown host'}, migration status ${snap.migrationStatus ?? 'none'}).`;
  return r;
}

export function goneResult(w: WatchedVolume, at: number): WatchResult {
  const r = baseResult(w, 'gone', ExitCode.NOT_FOUND, at);
  r.summary = `${displayName(w)}: the volume no longer exists (HTTP 404 twice in a row).`;
  return r;
}

/** The wait ended on a failed poll that asking again will not fix (401/403, another 4xx). */
export function endedResult(w: WatchedVolume, at: number, exitCode: number, description: string, resumeCommand: string): WatchResult {
  const r = baseResult(w, 'error', exitCode, at);
  const what = w.target.kind === 'retype' ? 'retype' : 'migration';
  r.outcome = exitCode === ExitCode.AUTH ? 'denied' : 'error';
  r.summary = `${displayName(w)}: could not read the volume: ${description}; stopped watching (the ${what} may go on on the server).`;
  r.details = [
    ...(exitCode === ExitCode.AUTH ? ['Reading migration status needs an admin role in Cinder (policy admin_api).'] : []),
    `Resume watching with: ${resumeCommand}`,
  ];
  return r;
}

export function lapseResult(
  w: WatchedVolume,
  outcome: 'timeout' | 'stalled',
  at: number,
  opts: { timeoutMs?: number; stallTimeoutMs?: number; resumeCommand: string; lastError?: string | null },
): WatchResult {
  const r = baseResult(w, outcome, ExitCode.TIMEOUT, at);
  const snap = w.reported ?? w.tracker.snapshot;
  const where = snap ? `${snap.phase}${snap.percent !== null ? ` at ${snap.percent}%` : ''}` : 'no answer yet';
  const what = w.target.kind === 'retype' ? 'retype' : 'migration';
  r.summary =
    outcome === 'timeout'
      ? `${displayName(w)}: timed out after ${formatDuration(opts.timeoutMs ?? 0)} (${where}); the ${what} continues on the server.`
      : `${displayName(w)}: no progress for ${formatDuration(opts.stallTimeoutMs ?? 0)} (${where}); the ${what} continues on the server.`;
  r.details = [
    ...(opts.lastError ? [`The last read failed: ${opts.lastError}`] : []),
    `Resume watching with: ${opts.resumeCommand}`,
  ];
  return r;
}

export function interruptedResult(w: WatchedVolume, at: number, exitCode: number): WatchResult {
  const r = baseResult(w, 'interrupted', exitCode, at);
  r.summary = `Stopped watching ${displayName(w)}.`;
  return r;
}

/** `host@backend#pool` → `host@backend`, the name of the cinder-volume service that ran the copy. */
export function serviceHost(host: string | null | undefined): string {
  if (!host) return 'the source host';
  return host.split('#')[0]!;
}

/**
 * The end of a migration that failed, with what volmig can say about why. `knownLeftover`: the `target:` volume as a
 * listing already showed it (null: none), so that no extra request is made.
 */
export async function errorResult(
  w: WatchedVolume,
  snap: ProgressSnapshot,
  at: number,
  client: BlockStorageClient,
  knownLeftover?: string | null,
): Promise<WatchResult> {
  const r = baseResult(w, 'error', ExitCode.FAILED, at);
  const name = displayName(w);
  const source = snap.sourceHost ?? snap.host;
  const what = w.target.kind === 'retype' ? 'retype' : 'migration';
  const dest = w.target.kind === 'retype' ? `to type ${w.target.retype?.newTypeName}` : snap.destination ? `to ${snap.destination}` : '';
  // A retype that never migrated fails with the previous migration's status still shown: do not quote that one.
  const quoteStatus = snap.migrationStatus !== null && (w.target.kind === 'migration' || w.seenMigration || snap.migrationStatus === 'error');
  r.summary = `${name}: ${what} ${dest} failed${quoteStatus ? ` (migration_status ${snap.migrationStatus})` : ''}.`.replace(/ {2,}/g, ' ');
  const details: string[] = [];
  if (snap.host === source) details.push(`The volume is still on ${source ?? 'its host'} (host unchanged).`);
  else details.push(`The volume is on ${snap.host ?? 'an unknown host'} (it was on ${source ?? 'an unknown host'}).`);
  if (w.target.kind === 'retype') details.push(`Its type is still ${snap.volume.volume_type ?? 'unknown'}.`);
  if (snap.resetObserved) details.push('Its migration status was reset to none while the migration was in flight (os-reset_status).');
  const reason = failureReason(snap.volume);
  if (reason) details.push(`Reason reported by the server: ${reason}`);
  let leftover: string | null | undefined = knownLeftover;
  if (leftover === undefined) {
    try {
      const { findMigrationTarget } = await import('./list.js');
      const target = await findMigrationTarget(client, w.target.volumeId);
      leftover = target ? target.id : null;
    } catch {
      leftover = undefined;
    }
  }
  r.leftoverTarget = leftover ?? null;
  if (leftover) details.push(`A temporary destination volume was left behind: ${leftover} (migration_status target:${w.target.volumeId}); delete it once you have checked it.`);
  else if (leftover === null) details.push('No temporary destination volume was left behind.');
  details.push(`Its status went back to ${snap.status}.`);
  const before = w.target.baseline?.status;
  const attachChanged =
    before !== undefined && before !== snap.status && (before === 'in-use' || snap.status === 'in-use') && SETTLED_STATUSES.has(snap.status);
  if (attachChanged) {
    details.push(
      `The volume was ${snap.status === 'in-use' ? 'attached' : 'detached'} during the migration, which was not locked: servers with the migration improvement (such as volmig sandbox) abort an unlocked migration on attach or detach. Use --force to lock the volume (status maintenance) for the migration.`,
    );
  } else if (w.target.kind === 'retype' && !w.seenMigration) {
    details.push('The scheduler found no backend for the new type under this migration policy (with --migration-policy never the volume cannot move); see the cinder-scheduler log.');
  } else if (!w.seenMigration && at - w.startedAt < SCHEDULER_WINDOW_MS) {
    details.push('It ended before any copying was seen: usually the scheduler refused the destination (for example the volume type pins another backend, or the pool is full); see the cinder-scheduler log.');
  }
  details.push(`Where to look: the cinder-volume service log on the source host ${serviceHost(source)} (the copy and the swap run there).`);
  r.details = details;
  return r;
}

/** Servers that say why (the sandbox keeps the reason for an abort); upstream Cinder does not expose one. */
function failureReason(v: Volume): string | null {
  for (const key of ['migration_error', 'migration_error_reason', 'os-vol-mig-status-attr:error', 'volmig:migration_error']) {
    const value = v[key];
    if (typeof value === 'string' && value.trim()) return value;
  }
  const meta = v.metadata ?? {};
  for (const key of ['migration_error', 'migration_abort_reason']) {
    if (typeof meta[key] === 'string' && meta[key]!.trim()) return meta[key]!;
  }
  return null;
}

export { SETTLED_STATUSES };
