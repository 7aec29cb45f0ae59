import type { BlockStorageClient } from '../api/block-storage.js';
import type { UserMessage, Volume } from '../model/cinder.js';
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
  /** The policy the retype was sent with (unknown when only watching). */
  migrationPolicy?: 'never' | 'on-demand';
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
  /** The temporary destination of a generic migration, when the watch learnt it. */
  targetVolumeId?: string | null;
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

function baseResult(w: WatchedVolume, outcome: WatchOutcome, exitCode: number, at: number): WatchResult {
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

/**
 * A migration (or retype) the server reports a success. Not every such end is one: a migration whose volume did not
 * move was a no-op (a host@backend that resolved to the volume's own pool), and real Cinder's end of an unlocked
 * migration during which the volume got attached leaves the source `available` with an attachment record and the
 * old record stuck in `deleting` (its delete fails with VolumeAttached). Both end non-zero, saying what happened.
 */
export async function successResult(w: WatchedVolume, snap: ProgressSnapshot, at: number, client: BlockStorageClient): Promise<WatchResult> {
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
    const attachments = Array.isArray(snap.volume.attachments) ? snap.volume.attachments : [];
    if (snap.status === 'available' && attachments.length > 0) return uncleanResult(w, snap, r, client);
  } else if (w.target.kind === 'retype') {
    r.averageBytesPerSecond = null;
    r.summary = `${name}: retyped to ${snap.volume.volume_type} in place on ${snap.host ?? 'its host'} (${w.startKnown ? '' : 'watched for '}${formatClock(r.durationMs)})`;
  } else if (snap.sourceHost !== null && snap.host === snap.sourceHost) {
    r.outcome = 'error';
    r.exitCode = ExitCode.FAILED;
    r.end = 'no-op';
    r.averageBytesPerSecond = null;
    r.destinationHost = snap.host;
    r.summary = `${name}: Cinder reported the migration a success, but the volume did not move: it is still on ${snap.host}.`;
    r.details = [
      `The destination${w.target.destination ? ` ${w.target.destination}` : ''} resolved to the pool the volume was already on, and the driver did nothing (a no-op).`,
      'Name another pool as host@backend#pool (see volmig pools).',
    ];
  } else {
    r.summary = `${name}: migration finished with success on ${snap.host ?? 'an unknown host'} ${sizeAndTime(w, snap, r)}`;
  }
  return r;
}

/** The moved-but-attached end (see successResult): names the attachment and the leftover record. */
async function uncleanResult(w: WatchedVolume, snap: ProgressSnapshot, r: WatchResult, client: BlockStorageClient): Promise<WatchResult> {
  const id = w.target.volumeId;
  const attachments = snap.volume.attachments ?? [];
  const attached = attachments.map((a) => `${a.attachment_id ?? a.id}${a.server_id ? ` (server ${a.server_id})` : ''}`).join(', ');
  let leftover: Volume | null | undefined;
  try {
    const { findMigrationLeftover } = await import('./list.js');
    leftover = await findMigrationLeftover(client, id, w.targetVolumeId ?? null);
  } catch {
    leftover = undefined;
  }
  r.outcome = 'error';
  r.exitCode = ExitCode.FAILED;
  r.end = 'unclean';
  r.leftoverTarget = leftover?.id ?? null;
  r.summary = `${displayName(w)}: migrated ${snap.sourceHost} → ${snap.host}, but not cleanly: the volume was attached during the migration, which was not locked.`;
  r.details = [
    `Cinder left it ${snap.status} with attachment ${attached}: that attachment was made to the copy on ${snap.sourceHost} while the data was being copied; what was written through it may not be on ${snap.host}.`,
    leftover
      ? `The old record was left behind: volume ${leftover.id} (status ${leftover.status}, migration_status ${leftover['os-vol-mig-status-attr:migstat'] ?? leftover.migration_status ?? 'none'}, on ${leftover['os-vol-host-attr:host'] ?? snap.sourceHost}); Cinder could not delete it because it is marked attached (VolumeAttached in the cinder-volume log on ${serviceHost(snap.sourceHost)}).`
      : leftover === null
        ? 'No leftover record of the old copy was found.'
        : 'Whether a leftover record of the old copy remains could not be read.',
    `Clean up with: volmig recover ${id}${leftover ? ` (deletes the leftover ${leftover.id})` : ''}; then detach the volume and attach it again through the compute service, so that the instance uses the migrated copy.`,
    'Use --force to lock the volume (status maintenance) for the migration.',
  ];
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
  const message = await cinderMessage(client, w);
  if (message) details.push(`The server's message about it: "${message.user_message}"${message.request_id ? ` (request ${message.request_id})` : ''}.`);
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
  // Which service's log holds the cause: the scheduler's when it refused before any copy ran, else the volume
  // service's on the source host, where the copy and the swap run.
  let log: 'scheduler' | 'volume' = 'volume';
  if (attachChanged) {
    details.push(
      `The volume was ${snap.status === 'in-use' ? 'attached' : 'detached'} during the migration, which was not locked: servers with the migration improvement (such as volmig sandbox) abort an unlocked migration on attach or detach. Use --force to lock the volume (status maintenance) for the migration.`,
    );
  } else if (w.target.kind === 'retype' && !w.seenMigration) {
    const policy = w.target.retype?.migrationPolicy;
    if (policy === 'never') {
      log = 'scheduler';
      details.push('The scheduler found no backend for the new type where the volume is, and --migration-policy never forbids moving it.');
    } else {
      const snapshots = await client.listSnapshots({ volumeId: w.target.volumeId, allProjects: true }).then(
        (list) => list.filter((x) => x.volume_id === w.target.volumeId),
        () => null,
      );
      if (snapshots && snapshots.length > 0) {
        details.push(
          `The volume has ${snapshots.length === 1 ? `snapshot ${snapshots[0]!.name ? `${snapshots[0]!.name} (${snapshots[0]!.id})` : snapshots[0]!.id}` : `${snapshots.length} snapshots`}: the new type needs a migration, and the volume service refuses to migrate a volume with snapshots ("Volume must not have snapshots.").`,
        );
      } else {
        log = 'scheduler';
        details.push(`The retype ended before any copying was seen: usually the scheduler found no backend for the new type${policy ? '' : ' (or the migration policy forbade moving it)'}.`);
      }
    }
  } else if (!w.seenMigration && at - w.startedAt < SCHEDULER_WINDOW_MS) {
    log = 'scheduler';
    details.push('It ended before any copying was seen: usually the scheduler refused the destination (for example the volume type pins another backend, or the pool is full).');
  }
  details.push(
    log === 'scheduler'
      ? 'Where to look: the cinder-scheduler log (the request was refused before any copy ran).'
      : `Where to look: the cinder-volume service log on the source host ${serviceHost(source)} (the copy and the swap run there).`,
  );
  r.details = details;
  return r;
}

/**
 * The newest user message Cinder keeps about the volume since the request (GET /messages, 3.3+): the server's own
 * words for an asynchronous failure, where it writes one. None is not an error: most failures write none.
 */
async function cinderMessage(client: BlockStorageClient, w: WatchedVolume): Promise<UserMessage | null> {
  let messages: UserMessage[];
  try {
    messages = await client.listMessages({ resourceUuid: w.target.volumeId });
  } catch {
    return null;
  }
  // Server clocks are UTC and often zone-less; a minute of slack for clocks that disagree.
  const since = w.startKnown ? w.startedAt - 60_000 : null;
  const recent = messages.filter((m) => {
    if (since === null) return true;
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(m.created_at) ? m.created_at : `${m.created_at}Z`);
    return !Number.isFinite(t) || t >= since;
  });
  return recent[0] ?? null;
}

export { SETTLED_STATUSES };
