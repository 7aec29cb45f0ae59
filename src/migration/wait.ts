import type { BlockStorageClient } from '../api/block-storage.js';
import { CinderApiError } from '../api/errors.js';
import { isInFlight, normalizedMigrationStatus, type Volume, volumeHost } from '../model/cinder.js';
import { AuthError, ExitCode, VolmigError } from '../errors.js';
import { nowFor, sleepFor, type Io } from '../io.js';
import { formatClock, formatDuration, formatBytesAsGiB, formatRate } from '../model/duration.js';
import { type MigrationBaseline } from './phases.js';
import type { ProgressSink, WatchOutcome, WatchResult } from './progress.js';
import { MigrationTracker, type ProgressSnapshot } from './tracker.js';

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
  /** When the request was sent; defaults to when watching began. */
  startedAt?: number;
  destination?: string | null;
  retype?: RetypeExpectation;
}

export interface WatchOptions {
  client: BlockStorageClient;
  io: Io;
  sink: ProgressSink;
  intervalMs: number;
  timeoutMs?: number;
  stallTimeoutMs?: number;
  /** How to pick the watch up again, printed on Ctrl-C, timeout and stall. */
  resumeCommand: string;
  /** Upper bound of the error back-off. */
  maxBackoffMs?: number;
  /** Called once per volume when its end is known (journal). */
  onResult?: (result: WatchResult) => void | Promise<void>;
}

export interface WatchSummary {
  exitCode: number;
  results: WatchResult[];
  interrupted: boolean;
}

const SETTLED_STATUSES = new Set(['available', 'in-use']);
/** A migration that ends in error this soon, never seen copying, was refused by the scheduler. */
const SCHEDULER_WINDOW_MS = 15_000;

/**
 * Interruption: the first Ctrl-C stops watching (the server goes on) and unhooks volmig's handler, so a second
 * Ctrl-C meets Node's default handling (or signal-exit's, once ora has loaded it) and ends the process at once.
 * The unhooking waits for the current signal to be handled: signal-exit, which ora installs, kills the process
 * on a SIGINT when its own listeners are the only ones left.
 */
class Interruption {
  readonly controller = new AbortController();
  private readonly onSigint = () => {
    this.controller.abort();
    setImmediate(() => this.detach());
  };
  private attached = false;

  constructor(private readonly io: Io) {
    if (io.signals) {
      io.signals.on('SIGINT', this.onSigint);
      this.attached = true;
    }
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Resolves `undefined` as soon as Ctrl-C arrives, so a slow HTTP answer does not hold the user. */
  race<T>(p: Promise<T>): Promise<T | undefined> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  detach(): void {
    if (this.attached && this.io.signals) {
      this.io.signals.off('SIGINT', this.onSigint);
      this.attached = false;
    }
  }
}

interface Watched {
  target: WatchTarget;
  tracker: MigrationTracker;
  startedAt: number;
  seenRetyping: boolean;
  seenMigration: boolean;
  stalledReported: boolean;
  failures: number;
  done: boolean;
}

/** Is this poll error worth retrying (the API or the network hiccuped) or final? */
function isTransient(err: unknown): boolean {
  if (err instanceof CinderApiError) return err.status >= 500 || err.status === 429 || err.status === 409;
  if (err instanceof VolmigError) return err.exitCode === ExitCode.UNAVAILABLE;
  return true;
}

function describeError(err: unknown): string {
  if (err instanceof CinderApiError) return `${err.message} (HTTP ${err.status}${err.requestId ? `, request id ${err.requestId}` : ''})`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Follows volumes until each migration (or retype) ends, the timeout or stall timeout passes, or Ctrl-C.
 * Polls GET /volumes/{id} every interval; errors back off exponentially up to maxBackoffMs.
 */
export async function watchVolumes(targets: WatchTarget[], opts: WatchOptions): Promise<WatchSummary> {
  const now = nowFor(opts.io);
  const sleep = sleepFor(opts.io);
  const watchStart = now();
  const interruption = new Interruption(opts.io);
  const results: WatchResult[] = [];
  const watched: Watched[] = targets.map((target) => {
    const startedAt = target.startedAt ?? watchStart;
    return {
      target,
      startedAt,
      tracker: new MigrationTracker({
        volumeId: target.volumeId,
        startedAt,
        baseline: target.baseline,
        destination: target.destination ?? null,
      }),
      seenRetyping: false,
      seenMigration: false,
      stalledReported: false,
      failures: 0,
      done: false,
    };
  });

  const finish = async (w: Watched, result: WatchResult) => {
    w.done = true;
    results.push(result);
    opts.sink.result(result);
    await opts.onResult?.(result);
  };

  try {
    let destinationsLooked = false;
    while (watched.some((w) => !w.done)) {
      let worstFailures = 0;
      await Promise.all(
        watched
          .filter((w) => !w.done)
          .map(async (w) => {
            let volume: Volume | undefined;
            try {
              volume = await interruption.race(opts.client.getVolume(w.target.volumeId));
            } catch (err) {
              if (err instanceof CinderApiError && err.status === 404) {
                await finish(w, goneResult(w, now()));
                return;
              }
              if (err instanceof CinderApiError && (err.status === 401 || err.status === 403)) {
                throw new AuthError(`${err.message} (HTTP ${err.status})`, { cause: err });
              }
              if (!isTransient(err)) throw err;
              w.failures += 1;
              worstFailures = Math.max(worstFailures, w.failures);
              opts.sink.notice(`Could not read volume ${w.target.volumeId}: ${describeError(err)}; retrying.`, w.target.volumeId);
              return;
            }
            if (volume === undefined) return;
            w.failures = 0;
            const at = now();
            const snap = evaluate(w, volume, at);
            opts.sink.update(snap);
            if (snap.phase === 'success' || snap.phase === 'error') {
              const result =
                snap.phase === 'success'
                  ? successResult(w, snap, at)
                  : await errorResult(w, snap, at, opts.client);
              await finish(w, result);
            } else if (snap.phase === 'idle') {
              await finish(w, idleResult(w, snap, at));
            }
          }),
      );
      if (interruption.interrupted) break;

      if (!destinationsLooked) {
        destinationsLooked = true;
        await lookUpDestinations(watched, opts.client, interruption);
      }

      const at = now();
      for (const w of watched) {
        if (w.done) continue;
        if (opts.timeoutMs !== undefined && at - watchStart >= opts.timeoutMs) {
          await finish(w, lapseResult(w, 'timeout', at, opts));
        } else if (opts.stallTimeoutMs !== undefined && w.tracker.isStalled(at, opts.stallTimeoutMs)) {
          await finish(w, lapseResult(w, 'stalled', at, opts));
        }
      }
      if (!watched.some((w) => !w.done)) break;

      const backoff = worstFailures > 0 ? Math.min(opts.intervalMs * 2 ** worstFailures, Math.max(opts.maxBackoffMs ?? 60_000, opts.intervalMs)) : opts.intervalMs;
      let delay = backoff;
      if (opts.timeoutMs !== undefined) delay = Math.max(0, Math.min(delay, watchStart + opts.timeoutMs - at));
      await sleep(delay, interruption.controller.signal);
      if (interruption.interrupted) break;
    }

    if (interruption.interrupted) {
      const at = now();
      for (const w of watched) {
        if (w.done) continue;
        w.done = true;
        const r = baseResult(w, 'interrupted', ExitCode.INTERRUPTED, at);
        r.summary = `Stopped watching ${displayName(w)}.`;
        results.push(r);
        opts.sink.result(r);
        await opts.onResult?.(r);
      }
    }
  } finally {
    interruption.detach();
    opts.sink.stop();
  }

  if (interruption.interrupted) {
    opts.io.stderr.write(`Stopped watching; the migration continues on the server. Resume with: ${opts.resumeCommand}\n`);
  }
  return { exitCode: aggregateExitCode(results), results, interrupted: interruption.interrupted };
}

export interface WatchAllOptions extends Omit<WatchOptions, 'resumeCommand'> {
  resumeCommand?: string;
}

/**
 * `progress --all --watch`: one /volumes/detail?all_tenants=1 request per interval. Migrations that start appear,
 * finished ones leave with their result; the watch ends when nothing is in flight any more.
 */
export async function watchAllMigrations(opts: WatchAllOptions): Promise<WatchSummary & { seen: number }> {
  const now = nowFor(opts.io);
  const sleep = sleepFor(opts.io);
  const watchStart = now();
  const interruption = new Interruption(opts.io);
  const results: WatchResult[] = [];
  const tracked = new Map<string, Watched>();
  let failures = 0;
  let firstPoll = true;
  const resume = opts.resumeCommand ?? 'volmig progress --all --watch';

  const finish = async (w: Watched, result: WatchResult) => {
    w.done = true;
    tracked.delete(w.target.volumeId);
    results.push(result);
    opts.sink.result(result);
    await opts.onResult?.(result);
  };

  try {
    for (;;) {
      let volumes: Volume[] | undefined;
      try {
        volumes = await interruption.race(collect(opts.client.listVolumes({ allProjects: true })));
        failures = 0;
      } catch (err) {
        if (err instanceof CinderApiError && (err.status === 401 || err.status === 403)) {
          throw new AuthError(`${err.message} (HTTP ${err.status})`, { cause: err });
        }
        if (!isTransient(err)) throw err;
        failures += 1;
        opts.sink.notice(`Could not list volumes: ${describeError(err)}; retrying.`);
      }
      if (interruption.interrupted) break;
      const at = now();
      if (volumes) {
        const byId = new Map(volumes.map((v) => [v.id, v]));
        const targetHost = new Map<string, string>();
        const targetId = new Map<string, string>();
        for (const v of volumes) {
          const ms = normalizedMigrationStatus(v);
          if (!ms?.startsWith('target:')) continue;
          const source = ms.slice('target:'.length);
          targetId.set(source, v.id);
          const host = volumeHost(v);
          if (host) targetHost.set(source, host);
        }
        for (const v of volumes) {
          if (tracked.has(v.id) || !isInFlight(v)) continue;
          tracked.set(v.id, {
            target: { volumeId: v.id, name: v.name, kind: 'migration' },
            startedAt: at,
            tracker: new MigrationTracker({ volumeId: v.id, startedAt: at }),
            seenRetyping: false,
            seenMigration: false,
            stalledReported: false,
            failures: 0,
            done: false,
          });
        }
        for (const w of [...tracked.values()]) {
          const v = byId.get(w.target.volumeId);
          if (!v) {
            await finish(w, goneResult(w, at));
            continue;
          }
          w.tracker.setDestination(targetHost.get(v.id) ?? null);
          const snap = evaluate(w, v, at);
          opts.sink.update(snap);
          if (snap.phase === 'success') await finish(w, successResult(w, snap, at));
          else if (snap.phase === 'error') await finish(w, await errorResult(w, snap, at, opts.client, targetId.get(v.id) ?? null));
          else if (opts.stallTimeoutMs !== undefined && w.tracker.isStalled(at, opts.stallTimeoutMs) && !w.stalledReported) {
            w.stalledReported = true;
            opts.sink.notice(`${displayName(w)}: no progress for ${formatDuration(opts.stallTimeoutMs)} (${snap.phase}).`, v.id);
          }
        }
        if (tracked.size === 0) {
          if (firstPoll) opts.sink.notice('No migration is in flight.');
          break;
        }
        firstPoll = false;
      }
      if (opts.timeoutMs !== undefined && at - watchStart >= opts.timeoutMs) {
        for (const w of [...tracked.values()]) await finish(w, lapseResult(w, 'timeout', at, { ...opts, resumeCommand: resume }));
        break;
      }
      const delay = failures > 0 ? Math.min(opts.intervalMs * 2 ** failures, Math.max(opts.maxBackoffMs ?? 60_000, opts.intervalMs)) : opts.intervalMs;
      await sleep(opts.timeoutMs !== undefined ? Math.max(0, Math.min(delay, watchStart + opts.timeoutMs - at)) : delay, interruption.controller.signal);
      if (interruption.interrupted) break;
    }
    if (interruption.interrupted) {
      const at = now();
      for (const w of tracked.values()) {
        const r = baseResult(w, 'interrupted', ExitCode.INTERRUPTED, at);
        r.summary = `Stopped watching ${displayName(w)}.`;
        results.push(r);
        opts.sink.result(r);
      }
    }
  } finally {
    interruption.detach();
    opts.sink.stop();
  }
  if (interruption.interrupted) {
    opts.io.stderr.write(`Stopped watching; the migrations continue on the server. Resume with: ${resume}\n`);
  }
  return { exitCode: aggregateExitCode(results), results, interrupted: interruption.interrupted, seen: results.length };
}

async function collect(it: AsyncIterable<Volume>): Promise<Volume[]> {
  const out: Volume[] = [];
  for await (const v of it) out.push(v);
  return out;
}

/** 130 beats a failure, a failure beats "not found", which beats a lapse (7); all success is 0. */
export function aggregateExitCode(results: WatchResult[]): number {
  const codes = new Set(results.map((r) => r.exitCode));
  for (const code of [ExitCode.INTERRUPTED, ExitCode.FAILED, ExitCode.NOT_FOUND, ExitCode.TIMEOUT]) {
    if (codes.has(code)) return code;
  }
  return ExitCode.OK;
}

function displayName(w: Watched): string {
  const name = w.tracker.snapshot?.name ?? w.target.name;
  return name && name.trim() ? name : w.target.volumeId;
}

/** The migration tracker's reading, turned into a retype's when volmig follows one. */
function evaluate(w: Watched, volume: Volume, at: number): ProgressSnapshot {
  const snap = w.tracker.observe(volume, at);
  const ms = normalizedMigrationStatus(volume);
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
    return { ...snap, phase: 'success', percent: moved ? 100 : null, bytesCopied: moved ? snap.totalBytes : null, indeterminate: !moved, etaMs: 0 };
  }
  // The API switches to `retyping` before it answers 202, so a settled volume with the old type has been refused,
  // unless volmig has not seen anything yet (one poll of grace for a server that is slower to show it).
  if (settled && !typeMatches && (w.seenRetyping || w.seenMigration || at - w.startedAt > 10_000)) {
    return { ...snap, phase: 'error' };
  }
  if (!isInFlight(volume)) return { ...snap, phase: volume.status === 'retyping' ? 'retyping' : 'pending', percent: null, indeterminate: true, etaMs: null, bytesCopied: null };
  return snap;
}

function baseResult(w: Watched, outcome: WatchOutcome, exitCode: number, at: number): WatchResult {
  const snap = w.tracker.snapshot;
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
    averageBytesPerSecond: null,
    statusAfter: snap?.status ?? null,
    volumeType: snap?.volume.volume_type ?? null,
  };
}

function successResult(w: Watched, snap: ProgressSnapshot, at: number): WatchResult {
  const r = baseResult(w, 'success', ExitCode.OK, at);
  const name = displayName(w);
  const size = `${formatBytesAsGiB(snap.totalBytes)} GiB`;
  const took = formatClock(r.durationMs);
  const moved = snap.sourceHost !== null && snap.host !== null && snap.host !== snap.sourceHost;
  if (moved) {
    r.destinationHost = snap.host;
    const avg = w.tracker.averageRate(at);
    r.averageBytesPerSecond = avg;
    const rate = avg !== null && avg > 0 ? `, ${formatRate(avg)} average` : '';
    r.summary =
      w.target.kind === 'retype'
        ? `${name}: retyped to ${snap.volume.volume_type} and migrated ${snap.sourceHost} → ${snap.host} (${size} in ${took}${rate})`
        : `${name}: migrated ${snap.sourceHost} → ${snap.host} (${size} in ${took}${rate})`;
  } else if (w.target.kind === 'retype') {
    r.summary = `${name}: retyped to ${snap.volume.volume_type} in place on ${snap.host ?? 'its host'} (${took})`;
  } else {
    r.summary = `${name}: migration finished with success on ${snap.host ?? 'an unknown host'} (${size} in ${took})`;
  }
  return r;
}

function idleResult(w: Watched, snap: ProgressSnapshot, at: number): WatchResult {
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

function goneResult(w: Watched, at: number): WatchResult {
  const r = baseResult(w, 'gone', ExitCode.NOT_FOUND, at);
  r.summary = `${displayName(w)}: the volume no longer exists (HTTP 404).`;
  return r;
}

function lapseResult(w: Watched, outcome: 'timeout' | 'stalled', at: number, opts: { timeoutMs?: number; stallTimeoutMs?: number; resumeCommand: string }): WatchResult {
  const r = baseResult(w, outcome, ExitCode.TIMEOUT, at);
  const snap = w.tracker.snapshot;
  const where = snap ? `${snap.phase}${snap.percent !== null ? ` at ${snap.percent}%` : ''}` : 'no answer yet';
  const what = w.target.kind === 'retype' ? 'retype' : 'migration';
  r.summary =
    outcome === 'timeout'
      ? `${displayName(w)}: timed out after ${formatDuration(opts.timeoutMs ?? 0)} (${where}); the ${what} continues on the server.`
      : `${displayName(w)}: no progress for ${formatDuration(opts.stallTimeoutMs ?? 0)} (${where}); the ${what} continues on the server.`;
  r.details = [`Resume watching with: ${opts.resumeCommand}`];
  return r;
}

/** `host@backend#pool` → `host@backend`, the name of the cinder-volume service that ran the copy. */
export function serviceHost(host: string | null | undefined): string {
  if (!host) return 'the source host';
  return host.split('#')[0]!;
}

/** `knownLeftover`: the `target:` volume as a listing already showed it (null: none), so no extra request is made. */
async function errorResult(w: Watched, snap: ProgressSnapshot, at: number, client: BlockStorageClient, knownLeftover?: string | null): Promise<WatchResult> {
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

async function lookUpDestinations(watched: Watched[], client: BlockStorageClient, interruption: Interruption): Promise<void> {
  const { findMigrationTarget } = await import('./list.js');
  await Promise.all(
    watched
      .filter((w) => !w.done && !w.target.destination && w.tracker.snapshot && isInFlight(w.tracker.snapshot.volume))
      .map(async (w) => {
        try {
          const target = await interruption.race(findMigrationTarget(client, w.target.volumeId));
          if (target) w.tracker.setDestination(volumeHost(target));
        } catch {
          // The destination is a nicety of the display; the watch goes on without it.
        }
      }),
  );
}

export const DEFAULT_INTERVAL_MS = 5000;

/**
 * Poll interval: --interval, else volmig's `migration_progress_report_interval` setting, else the
 * `migration_progress_report_interval` capability of the pools involved (the seed's option, where a server
 * reports it), else 5 s.
 */
export async function resolvePollIntervalMs(
  explicitMs: number | undefined,
  settingSeconds: number | undefined,
  client: BlockStorageClient,
  hosts: (string | null | undefined)[],
): Promise<number> {
  if (explicitMs !== undefined) return explicitMs;
  if (typeof settingSeconds === 'number' && settingSeconds > 0) return settingSeconds * 1000;
  const wanted = hosts.filter((h): h is string => typeof h === 'string' && h !== '');
  if (wanted.length > 0) {
    try {
      const pools = await client.getPools();
      const intervals = pools
        .filter((p) => wanted.some((h) => p.name === h || p.name.startsWith(`${h}#`)))
        .map((p) => Number(p.capabilities?.migration_progress_report_interval))
        .filter((n) => Number.isFinite(n) && n > 0);
      if (intervals.length > 0) return Math.min(...intervals) * 1000;
    } catch {
      // Not an admin, or no scheduler stats: the default will do.
    }
  }
  return DEFAULT_INTERVAL_MS;
}
