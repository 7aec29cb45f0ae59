import { ExitCode, ReportedError, VolmigError } from '../errors.js';
import { nowFor } from '../io.js';
import { normalizedMigrationStatus, volumeHost, volumeLabel, type Volume } from '../model/cinder.js';
import { journalEnd, type JournalHook } from './journal-hook.js';
import type { MigrationBaseline } from './phases.js';
import type { Forecaster } from './move-forecast.js';
import { preflightMigration } from './preflight.js';
import type { ProgressSink } from './progress.js';
import { apiReason } from './report.js';
import { apiRefusal, CommandDeadline, lookUp, reject, sendOnce, type RequestContext } from './request.js';
import type { ProgressSources } from './sources/sources.js';
import { watchVolumes } from './watch.js';

export interface MigrateRequestOptions {
  volumeRef: string;
  host?: string;
  cluster?: string;
  force: boolean;
  forceHostCopy: boolean;
  dryRun: boolean;
  skipChecks: boolean;
  wait: boolean;
  timeoutMs?: number;
  stallTimeoutMs?: number;
}

export interface MigrateDeps extends RequestContext {
  /** Exit code of an interrupted watch (130 after Ctrl-C, 143 after SIGTERM). */
  interruptedExitCode: () => number;
  /** Builds the progress display for --wait (TTY bars, plain lines or JSON lines). */
  createSink: (volumes: number) => Promise<ProgressSink>;
  /** Poll interval for --wait, resolved by the caller from flags, settings and pool capabilities. */
  resolveIntervalMs: (volume: Volume, destination: string | null) => Promise<number>;
  /** Storage probes for --wait, when the server gives no number. */
  sources?: ProgressSources;
  journal?: JournalHook;
  /** --dry-run: says whether the move will be driver-assisted or generic, and where progress will come from. */
  forecast?: Forecaster;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `volmig migrate`: resolve the volume, run the pre-flight checks, send os-migrate_volume once, say what happened in
 * the seed's words (through the events), and with --wait follow the migration to its end.
 */
export async function migrateVolume(opts: MigrateRequestOptions, deps: MigrateDeps): Promise<number> {
  const { events } = deps;
  const now = nowFor(deps.io);
  const deadline = new CommandDeadline(deps.io, deps.signal, opts.wait ? opts.timeoutMs : undefined);
  const client = deps.client.withSignal(deadline.signal);
  const destination = opts.host ?? null;
  const destLabel = opts.host ?? `cluster ${opts.cluster}`;
  const base = { action: 'migration' as const, volumeRef: opts.volumeRef, destination: destLabel, newType: null, checks: null };
  const refuseLookup = (reason: string, code: number, api: ReturnType<typeof apiRefusal> | null): never =>
    reject(events, { ...base, volumeId: null, name: null, by: null, reasons: [reason], exitCode: code, api });

  let volume: Volume | undefined;
  try {
    volume = await client.findVolume(opts.volumeRef, { allProjects: true });
  } catch (err) {
    // --skip-checks sends the request anyway when the id looks like one, so Cinder's own 404 is what the user sees.
    const notFound = err instanceof VolmigError && err.exitCode === ExitCode.NOT_FOUND;
    if (!(opts.skipChecks && UUID.test(opts.volumeRef) && notFound)) await lookUp(Promise.reject(err), refuseLookup);
  }
  const volumeId = volume?.id ?? opts.volumeRef;
  const baseline: MigrationBaseline | undefined = volume
    ? { host: volumeHost(volume), migrationStatus: normalizedMigrationStatus(volume), updatedAt: volume.updated_at ?? null, status: volume.status }
    : undefined;
  const journalOptions = { force: opts.force, force_host_copy: opts.forceHostCopy, cluster: opts.cluster ?? null, wait: opts.wait, skip_checks: opts.skipChecks };
  const journal = (outcome: Parameters<JournalHook>[0]['outcome'], extra: { reason?: string; requestId?: string; destination?: string | null } = {}) =>
    deps.journal?.({
      action: 'migrate',
      volume: volume ?? { id: volumeId },
      sourceHost: baseline?.host ?? null,
      destination: extra.destination ?? destLabel,
      options: journalOptions,
      outcome,
      ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
      ...(extra.requestId !== undefined ? { requestId: extra.requestId } : {}),
    });

  if (!opts.skipChecks && volume) {
    const reads = opts.dryRun && deps.forecast ? deps.forecast.sharing(client) : client;
    const report = await lookUp(preflightMigration(reads, volume, { host: opts.host, cluster: opts.cluster }), refuseLookup);
    for (const w of report.warnings) events({ type: 'warning', message: w });
    if (report.failures.length > 0) {
      reject(events, {
        ...base,
        volumeId: volume.id,
        name: volume.name,
        by: 'volmig',
        reasons: report.failures.map((f) => f.reason ?? f.check),
        checks: report.checks,
        exitCode: ExitCode.REJECTED,
        api: null,
      });
    }
    if (opts.dryRun) {
      const forecast = await deps.forecast?.migration({ volume, destination: opts.host ?? null, cluster: opts.cluster, forceHostCopy: opts.forceHostCopy });
      events({ type: 'checked', action: 'migration', volumeId: volume.id, name: volume.name, label: volumeLabel(volume), destination: destLabel, newType: null, checks: report.checks, forecast });
      return ExitCode.OK;
    }
  } else if (opts.dryRun) {
    events({ type: 'dry-run-unchecked', action: 'migration' });
    return ExitCode.OK;
  }

  const requestedAt = now();
  const sent = await sendOnce(
    deps,
    deadline,
    volumeId,
    (c) => c.migrateVolume(volumeId, { host: opts.host, cluster: opts.cluster, forceHostCopy: opts.forceHostCopy, lockVolume: opts.force }),
    { action: 'migration', baseline: baseline ?? { host: null, migrationStatus: null, updatedAt: null }, destination },
  );
  let requestId: string | undefined;
  let answer: 'read' | 'unreadable' | 'reconciled' = 'read';
  if (sent.kind === 'refused') {
    const err = sent.error;
    await journal('rejected', { reason: err.message, requestId: err.requestId });
    reject(events, { ...base, volumeId: null, name: null, by: 'api', reasons: [apiReason(err)], exitCode: err.exitCode, api: apiRefusal(err) });
  } else if (sent.kind === 'lost') {
    const { verdict, error } = sent.reconciliation;
    if (verdict === 'not-started' || verdict === 'unknown') {
      await journal('unknown', { reason: verdict === 'unknown' ? `${sent.error.message}; read-back failed: ${error}` : sent.error.message });
      throw new ReportedError(sent.error.message, ExitCode.UNAVAILABLE);
    }
    answer = 'reconciled';
  } else {
    requestId = sent.result.requestId;
    if (sent.result.unreadableBody) answer = 'unreadable';
  }

  const next = `volmig progress ${volumeId} --watch`;
  events({
    type: 'accepted',
    action: 'migration',
    at: requestedAt,
    volumeId,
    name: volume?.name ?? null,
    sourceHost: baseline?.host ?? null,
    destination: opts.host ?? null,
    cluster: opts.cluster ?? null,
    forceHostCopy: opts.forceHostCopy,
    lockVolume: opts.force,
    previousType: null,
    newType: null,
    migrationPolicy: null,
    requestId: requestId ?? null,
    answer,
    next,
    waiting: opts.wait,
  });
  await journal('requested', requestId !== undefined ? { requestId } : {});
  if (!opts.wait) return ExitCode.OK;

  const intervalMs = volume ? await deps.resolveIntervalMs(volume, destination).catch(() => 5000) : 5000;
  const sink = await deps.createSink(1);
  const summary = await watchVolumes(
    [{ volumeId, name: volume?.name ?? null, kind: 'migration', baseline, startedAt: requestedAt, destination }],
    {
      client: deps.client,
      io: deps.io,
      sink,
      signal: deps.signal,
      interruptedExitCode: deps.interruptedExitCode,
      intervalMs,
      timeoutMs: opts.timeoutMs,
      deadlineAt: deadline.at,
      stallTimeoutMs: opts.stallTimeoutMs,
      resumeCommand: next,
      sources: deps.sources,
      onResult: async (r) => {
        await journal(journalEnd(r).outcome, { reason: journalEnd(r).reason, destination: r.destinationHost ?? destLabel });
      },
    },
  );
  return summary.exitCode;
}

