import type { BlockStorageClient } from '../api/block-storage.js';
import { ExitCode, ReportedError, VolmigError } from '../errors.js';
import { nowFor, type Io } from '../io.js';
import { journalEnd } from './journal-hook.js';
import { type MigrationBaseline } from './phases.js';
import { isInFlight, normalizedMigrationStatus, volumeHost, volumeLabel as label, type Volume } from '../model/cinder.js';
import { preflightMigration, type PreflightReport } from './preflight.js';
import type { ProgressSink } from './progress.js';
import { apiReason, CinderApiError, refusalLine, RequestOutcomeUnknownError, type Reporter } from './report.js';
import { watchVolumes, type WatchSummary } from './wait.js';

export const ACCEPTED_MESSAGE =
  'Your migration request has been received. Please check migration status and the server log to see more information.';

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

export interface JournalHook {
  (entry: {
    action: 'migrate' | 'retype';
    volume: Volume | { id: string; name?: string | null };
    sourceHost: string | null;
    destination: string | null;
    options: Record<string, unknown>;
    outcome: 'requested' | 'rejected' | 'success' | 'error' | 'timeout' | 'interrupted' | 'unknown';
    reason?: string;
    requestId?: string;
  }): Promise<void>;
}

export interface MigrateDeps {
  client: BlockStorageClient;
  io: Io;
  out: Reporter;
  /** Builds the progress display for --wait (TTY bars, plain lines or JSON lines). */
  createSink: (volumes: number) => Promise<ProgressSink>;
  /** Poll interval for --wait, resolved by the caller from flags, settings and pool capabilities. */
  resolveIntervalMs: (volume: Volume, destination: string | null) => Promise<number>;
  journal?: JournalHook;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `volmig migrate`: resolve the volume, run the pre-flight checks, send os-migrate_volume once, tell the user what
 * happened in the seed's words, and with --wait follow the migration to its end.
 */
export async function migrateVolume(opts: MigrateRequestOptions, deps: MigrateDeps): Promise<number> {
  const { client, out } = deps;
  const now = nowFor(deps.io);
  const destination = opts.host ?? null;
  const destLabel = opts.host ?? `cluster ${opts.cluster}`;
  const refuse = (reason: string, code: number, extra: Record<string, unknown> = {}): never => {
    out.error(refusalLine('migration', reason));
    if (out.json) out.resultJson({ event: 'rejected', volume: opts.volumeRef, destination: destLabel, reason, exit_code: code, ...extra }, { lines: true });
    throw new ReportedError(reason, code as ExitCode);
  };

  let volume: Volume | undefined;
  try {
    volume = await client.findVolume(opts.volumeRef, { allProjects: true });
  } catch (err) {
    // --skip-checks sends the request anyway when the id looks like one, so Cinder's own 404 is what the user sees.
    if (!(opts.skipChecks && UUID.test(opts.volumeRef) && err instanceof VolmigError && err.exitCode === ExitCode.NOT_FOUND)) {
      if (err instanceof CinderApiError) refuse(apiReason(err), err.exitCode, apiFields(err));
      if (err instanceof VolmigError) refuse(err.message, err.exitCode);
      throw err;
    }
  }
  const volumeId = volume?.id ?? opts.volumeRef;
  const name = volume ? label(volume) : volumeId;
  const baseline: MigrationBaseline | undefined = volume
    ? { host: volumeHost(volume), migrationStatus: normalizedMigrationStatus(volume), updatedAt: volume.updated_at ?? null, status: volume.status }
    : undefined;
  const journalOptions = { force: opts.force, force_host_copy: opts.forceHostCopy, cluster: opts.cluster ?? null, wait: opts.wait, skip_checks: opts.skipChecks };

  if (!opts.skipChecks && volume) {
    let report: PreflightReport;
    try {
      report = await preflightMigration(client, volume, { host: opts.host, cluster: opts.cluster });
    } catch (err) {
      if (err instanceof CinderApiError) refuse(apiReason(err), err.exitCode, apiFields(err));
      if (err instanceof VolmigError) refuse(err.message, err.exitCode);
      throw err;
    }
    for (const w of report.warnings) out.warn(w);
    if (report.failures.length > 0) {
      for (const f of report.failures) out.error(refusalLine('migration', f.reason ?? f.check));
      if (out.json) {
        out.resultJson(
          { event: 'rejected', volume_id: volume.id, name: volume.name, destination: destLabel, by: 'volmig', checks: report.checks, exit_code: ExitCode.REJECTED },
          { lines: true },
        );
      }
      throw new ReportedError(report.failures.map((f) => f.reason).join('; '), ExitCode.REJECTED);
    }
    if (opts.dryRun) {
      if (out.json) out.resultJson({ event: 'checked', volume_id: volume.id, name: volume.name, destination: destLabel, checks: report.checks, would_send: true }, { lines: true });
      else {
        for (const c of report.checks) out.info(`  ok  ${c.check}${c.detail ? `: ${c.detail}` : ''}`);
        out.result(`Dry run: every pre-flight check passed; volume ${name} can be migrated to ${destLabel}. Nothing was sent.`);
      }
      return ExitCode.OK;
    }
  } else if (opts.dryRun) {
    out.result(`Dry run with --skip-checks: nothing was checked and nothing was sent.`);
    return ExitCode.OK;
  }

  const requestedAt = now();
  let requestId: string | undefined;
  try {
    const res = await client.migrateVolume(volumeId, {
      host: opts.host,
      cluster: opts.cluster,
      forceHostCopy: opts.forceHostCopy,
      lockVolume: opts.force,
    });
    requestId = res.requestId;
  } catch (err) {
    if (err instanceof RequestOutcomeUnknownError) {
      const started = await readBack(client, volumeId, baseline, out, err);
      if (!started) {
        await deps.journal?.({ action: 'migrate', volume: volume ?? { id: volumeId }, sourceHost: baseline?.host ?? null, destination: destLabel, options: journalOptions, outcome: 'unknown', reason: err.message });
        throw new ReportedError(err.message, ExitCode.UNAVAILABLE);
      }
    } else if (err instanceof CinderApiError) {
      await deps.journal?.({ action: 'migrate', volume: volume ?? { id: volumeId }, sourceHost: baseline?.host ?? null, destination: destLabel, options: journalOptions, outcome: 'rejected', reason: err.message, requestId: err.requestId });
      refuse(apiReason(err), err.exitCode, { by: 'api', ...apiFields(err) });
    } else {
      if (err instanceof VolmigError) refuse(err.message, err.exitCode);
      throw err;
    }
  }

  out.success(ACCEPTED_MESSAGE);
  const next = `volmig progress ${volumeId} --watch`;
  if (!opts.wait) out.info(`Next: ${next}`);
  if (out.json) {
    out.resultJson(
      {
        event: 'accepted',
        time: new Date(requestedAt).toISOString(),
        volume_id: volumeId,
        name: volume?.name ?? null,
        source_host: baseline?.host ?? null,
        destination: opts.host ?? null,
        cluster: opts.cluster ?? null,
        force_host_copy: opts.forceHostCopy,
        lock_volume: opts.force,
        request_id: requestId ?? null,
        next,
      },
      { lines: true },
    );
  }
  await deps.journal?.({ action: 'migrate', volume: volume ?? { id: volumeId }, sourceHost: baseline?.host ?? null, destination: destLabel, options: journalOptions, outcome: 'requested', requestId });
  if (!opts.wait) return ExitCode.OK;

  const intervalMs = volume ? await deps.resolveIntervalMs(volume, destination) : 5000;
  const sink = await deps.createSink(1);
  const summary: WatchSummary = await watchVolumes(
    [{ volumeId, name: volume?.name ?? null, kind: 'migration', baseline, startedAt: requestedAt, destination }],
    {
      client,
      io: deps.io,
      sink,
      intervalMs,
      timeoutMs: opts.timeoutMs,
      stallTimeoutMs: opts.stallTimeoutMs,
      resumeCommand: next,
      onResult: async (r) => {
        await deps.journal?.({ action: 'migrate', volume: volume ?? { id: volumeId }, sourceHost: baseline?.host ?? null, destination: r.destinationHost ?? destLabel, options: journalOptions, ...journalEnd(r) });
      },
    },
  );
  return summary.exitCode;
}

function apiFields(err: CinderApiError): Record<string, unknown> {
  return { http_status: err.status, fault: err.faultName ?? null, message: err.message, request_id: err.requestId ?? null };
}

/**
 * The POST may have reached Cinder although its answer was lost. volmig never sends it again: it reads the volume
 * and tells whether a migration started (then carries on as if accepted) or not (then says so and stops).
 */
async function readBack(client: BlockStorageClient, id: string, baseline: MigrationBaseline | undefined, out: Reporter, err: RequestOutcomeUnknownError): Promise<boolean> {
  out.warn(`the answer to the migration request was lost (${err.message.replace(/; the server may.*$/, '')}). volmig does not send it again; reading the volume back.`);
  let v: Volume;
  try {
    v = await client.getVolume(id);
  } catch (readErr) {
    const why = readErr instanceof Error ? readErr.message : String(readErr);
    out.error(refusalLine('migration', `the answer was lost and the volume could not be read back (${why}); whether the migration started is unknown. Check with: volmig show ${id}`));
    return false;
  }
  const ms = normalizedMigrationStatus(v);
  const started =
    isInFlight(v) ||
    (baseline !== undefined &&
      ((volumeHost(v) !== baseline.host && volumeHost(v) !== null) ||
        ms !== baseline.migrationStatus ||
        (baseline.updatedAt !== null && v.updated_at !== baseline.updatedAt && (ms === 'error' || ms === 'success'))));
  if (started) {
    out.info(`The volume shows the migration started (migration_status ${ms ?? 'none'}, host ${volumeHost(v) ?? 'unknown'}).`);
    return true;
  }
  out.error(
    refusalLine(
      'migration',
      `the answer was lost and volume ${id} shows no migration (status ${v.status}, migration_status ${ms ?? 'none'}): the request was probably not carried out. volmig did not resend it; check with volmig show ${id} and run the command again if needed.`,
    ),
  );
  return false;
}
