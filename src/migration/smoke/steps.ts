import type { BlockStorageClient } from '../../api/block-storage.js';
import { CinderApiError, RequestOutcomeUnknownError } from '../../api/errors.js';
import { normalizedMigrationStatus, volumeHost, type Volume } from '../../model/cinder.js';
import type { Io } from '../../io.js';
import { formatDuration } from '../../model/duration.js';
import type { Journal } from '../journal.js';
import { classifyPollError, PollEngine } from '../poll.js';
import type { ProgressSink, WatchResult } from '../progress.js';
import { reconcileLostRequest } from '../reconcile.js';
import { apiReason } from '../report.js';
import { watchVolumes } from '../watch.js';
import type { SmokePair } from './pairs.js';
import { StepFailure } from './types.js';

/** The silent sink smoke watches through: results are what matter, and they come back from watchVolumes. */
const quietSink: ProgressSink = { update() {}, notice() {}, result() {}, stop() {} };

export interface StepContext {
  io: Io;
  client: BlockStorageClient;
  journal: Journal;
  cloud: string;
  runId: string;
  timeoutMs: number;
  intervalMs: number;
}

/** Polls one volume through the poll engine until `done`, the step's timeout, or `signal`. */
export async function waitForVolume(ctx: StepContext, id: string, done: (v: Volume) => boolean, what: string, signal: AbortSignal): Promise<Volume> {
  const engine = new PollEngine({ io: ctx.io, signal, intervalMs: ctx.intervalMs, deadlineAt: (ctx.io.now ?? Date.now)() + ctx.timeoutMs });
  let last: Volume | null = null;
  let failure: unknown = null;
  const end = await engine.run(async ({ signal: tickSignal }) => {
    try {
      last = await ctx.client.withSignal(tickSignal).getVolume(id);
    } catch (err) {
      const verdict = classifyPollError(err);
      if (verdict.kind === 'stopped') return 'continue';
      if (verdict.kind === 'retry') return 'failed';
      failure = err;
      return 'done';
    }
    return done(last) ? 'done' : 'continue';
  });
  if (failure) throw failure;
  if (end === 'interrupted') throw new StepFailure('interrupted', `interrupted while waiting for ${what}`);
  if (end === 'deadline' || last === null) {
    const status = (last as Volume | null)?.status;
    throw new StepFailure('timeout', `timed out after ${formatDuration(ctx.timeoutMs)} waiting for ${what}${status ? ` (status ${status})` : ''}`);
  }
  return last;
}

/**
 * Sends one migration and follows it to its end with the migration commands' watch. `watchSignal` is the one that
 * stops the watch: smoke's second Ctrl-C, because a volume cannot be deleted while it migrates.
 */
export async function migrateStep(ctx: StepContext, volume: Volume, destination: string, pair: SmokePair, locked: boolean, watchSignal: AbortSignal): Promise<Volume> {
  const baseline = { host: volumeHost(volume), migrationStatus: normalizedMigrationStatus(volume), updatedAt: volume.updated_at ?? null };
  const entry = {
    cloud: ctx.cloud,
    action: 'migrate' as const,
    volume_id: volume.id,
    volume_name: volume.name ?? null,
    source_host: baseline.host,
    destination,
    options: { force: pair.locked, force_host_copy: false, smoke: ctx.runId },
  };
  const now = ctx.io.now ?? Date.now;
  const sentAt = now();
  try {
    const answer = await ctx.client.migrateVolume(volume.id, { host: destination, forceHostCopy: false, lockVolume: locked });
    await ctx.journal.append({ ...entry, outcome: 'requested', ...(answer.requestId ? { request_id: answer.requestId } : {}) });
  } catch (err) {
    if (err instanceof CinderApiError) {
      await ctx.journal.append({ ...entry, outcome: 'rejected', reason: err.message, ...(err.requestId ? { request_id: err.requestId } : {}) });
      throw new StepFailure('rejected', err.message, [`Your migration request failed to process: ${apiReason(err)}`]);
    }
    if (!(err instanceof RequestOutcomeUnknownError)) throw err;
    await ctx.journal.append({ ...entry, outcome: 'unknown', reason: err.message });
    // Not resent: follow it if it arrived, fail the case if it did not.
    const { verdict, error } = await reconcileLostRequest(ctx.client, volume.id, { action: 'migration', baseline, destination }, { io: ctx.io, signal: watchSignal });
    if (verdict === 'not-started' || verdict === 'unknown') throw new StepFailure('error', err.message, error ? [`Reading the volume back failed: ${error}`] : []);
  }
  const summary = await watchVolumes([{ volumeId: volume.id, name: volume.name, kind: 'migration', baseline, startedAt: sentAt, destination }], {
    client: ctx.client,
    io: ctx.io,
    sink: quietSink,
    signal: watchSignal,
    intervalMs: ctx.intervalMs,
    timeoutMs: ctx.timeoutMs,
    resumeCommand: `volmig progress ${volume.id} --watch`,
  }).catch((err: unknown) => {
    throw new StepFailure('error', err instanceof Error ? err.message : String(err));
  });
  const result: WatchResult | undefined = summary.results[0];
  const outcome = result?.outcome ?? 'error';
  const journalOutcome = outcome === 'success' ? 'success' : outcome === 'timeout' || outcome === 'stalled' ? 'timeout' : outcome === 'interrupted' ? 'interrupted' : 'error';
  await ctx.journal.append({ ...entry, outcome: journalOutcome, ...(outcome === 'success' ? {} : { reason: result?.summary ?? 'no result' }) });
  if (outcome === 'interrupted') throw new StepFailure('interrupted', result?.summary ?? 'interrupted');
  if (outcome === 'timeout' || outcome === 'stalled') throw new StepFailure('timeout', result?.summary ?? 'timed out', result?.details ?? []);
  if (outcome !== 'success') throw new StepFailure('error', result?.summary ?? 'the migration did not end in success', result?.details ?? []);
  return ctx.client.getVolume(volume.id);
}

/** Deletes a volume this run created, waiting out a migration still in flight; false when it had to be left. */
export async function cleanUpVolume(ctx: StepContext, id: string, signal: AbortSignal, warn: (line: string) => void): Promise<boolean> {
  const settled = (x: Volume) => !['starting', 'migrating', 'completing'].includes(normalizedMigrationStatus(x) ?? '') && !['creating', 'maintenance', 'retyping'].includes(x.status);
  try {
    let v: Volume;
    try {
      v = await ctx.client.getVolume(id);
    } catch (err) {
      if (err instanceof CinderApiError && err.status === 404) return true;
      throw err;
    }
    if (!settled(v)) {
      warn(`waiting for volume ${id} to settle (${v.status}, migration ${normalizedMigrationStatus(v) ?? 'none'}) before deleting it`);
      v = await waitForVolume(ctx, id, settled, `volume ${id} to settle`, signal);
    }
    await ctx.client.deleteVolume(id);
    // The delete was accepted; waiting for it to finish only catches a backend that fails to delete.
    const gone = await waitForVolume(ctx, id, (x) => x.status === 'error_deleting', `volume ${id} to be deleted`, signal).then(
      (x) => x,
      (err: unknown) => {
        if (err instanceof CinderApiError && err.status === 404) return null;
        if (err instanceof StepFailure && err.kind === 'interrupted') return null;
        throw err;
      },
    );
    if (gone && gone.status === 'error_deleting') throw new Error(`the backend failed to delete it (status error_deleting)`);
    return true;
  } catch (err) {
    warn(`could not delete volume ${id} that smoke created: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}
