import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, normalizedMigrationStatus, volumeHost, type Volume } from '../model/cinder.js';
import { nowFor, sleepFor, type Io } from '../io.js';
import type { MigrationBaseline } from './phases.js';
import { classifyPollError, describePollError } from './poll.js';

/**
 * After a state-changing request whose answer was lost, volmig never sends it again: it reads the volume back and
 * decides from what the volume shows (host, migration_status, type, status) whether the request was carried out.
 */
export type ReconcileVerdict =
  /** Already done: the volume is on the destination (migration) or has the new type (retype). */
  | 'moved'
  /** Under way, or visibly changed since volmig's baseline. */
  | 'started'
  /** Unchanged: the request most probably never reached Cinder. */
  | 'not-started'
  /** The read-back itself failed within its budget. */
  | 'unknown';

export interface ReconcileExpectation {
  action: 'migration' | 'retype';
  baseline: MigrationBaseline & { volumeType?: string | null };
  /** Migration: where it was sent (a pool, or a backend whose pools all count). */
  destination?: string | null;
  /** Retype: the requested type's name and id. */
  newType?: { name: string; id: string | null };
}

export interface Reconciliation {
  verdict: ReconcileVerdict;
  volume: Volume | null;
  error: string | null;
}

export interface ReconcileOptions {
  io: Io;
  /** The run's interruption. */
  signal: AbortSignal;
  /** How long the read-back may try (default 10 s; a few seconds when the command's deadline has passed). */
  budgetMs?: number;
}

/**
 * How long the read-back after a lost answer may try: 10 s, but never past the command's deadline by more than
 * about a second (--timeout bounds the whole command, the read-back included).
 */
export function readBackBudget(deadlineAt: number | undefined, now: number): number {
  if (deadlineAt === undefined) return 10_000;
  return Math.max(1000, Math.min(10_000, deadlineAt - now));
}

export async function reconcileLostRequest(
  client: BlockStorageClient,
  volumeId: string,
  expect: ReconcileExpectation,
  options: ReconcileOptions,
): Promise<Reconciliation> {
  const now = nowFor(options.io);
  const sleep = sleepFor(options.io);
  const budget = options.budgetMs ?? 10_000;
  const until = now() + budget;
  // The read-back has its own bounded deadline, and still stops on Ctrl-C.
  const deadline = AbortSignal.timeout(Math.max(1, budget));
  const scoped = client.withSignal(AbortSignal.any([options.signal, deadline]));
  let lastError = 'no answer';
  for (let attempt = 0; ; attempt++) {
    if (options.signal.aborted) return { verdict: 'unknown', volume: null, error: 'interrupted before the volume could be read back' };
    try {
      const volume = await scoped.getVolume(volumeId);
      return { verdict: judge(volume, expect), volume, error: null };
    } catch (err) {
      const failure = classifyPollError(err);
      lastError = failure.kind === 'stopped' ? `no answer within ${Math.round(budget / 1000)} s` : describePollError(err);
      if (failure.kind === 'end' || failure.kind === 'stopped') break;
    }
    const left = until - now();
    if (left <= 0) break;
    await sleep(Math.min(left, 500 * 2 ** attempt), options.signal);
  }
  return { verdict: 'unknown', volume: null, error: lastError };
}

/** What the volume shows, against what volmig knew before it sent the request. */
function judge(v: Volume, expect: ReconcileExpectation): ReconcileVerdict {
  const base = expect.baseline;
  const host = volumeHost(v);
  const ms = normalizedMigrationStatus(v);
  if (expect.action === 'retype' && expect.newType) {
    const t = expect.newType;
    const typed = v.volume_type === t.name || (t.id !== null && (v.volume_type === t.id || v.volume_type_id === t.id));
    if (typed && !isInFlight(v) && v.status !== 'retyping') return 'moved';
    if (v.status === 'retyping' || isInFlight(v) || typed) return 'started';
  } else {
    const settled = !isInFlight(v);
    const onDestination = expect.destination ? host === expect.destination || (!expect.destination.includes('#') && host?.startsWith(`${expect.destination}#`)) : false;
    if (settled && host !== null && host !== base.host && (onDestination || !expect.destination)) return 'moved';
    if (isInFlight(v)) return 'started';
  }
  if (ms !== base.migrationStatus) return 'started';
  if (base.updatedAt !== null && v.updated_at !== base.updatedAt && (ms === 'error' || ms === 'success')) return 'started';
  return 'not-started';
}
