import type { BlockStorageClient } from '../api/block-storage.js';
import { ExitCode, ReportedError, VolmigError } from '../errors.js';
import { nowFor, type Io } from '../io.js';
import { journalEnd } from './journal-hook.js';
import type { JournalHook } from './migrate.js';
import { IN_FLIGHT_STATUSES, normalizedMigrationStatus, volumeHost, volumeLabel as label, type Volume, type VolumeType } from '../model/cinder.js';
import type { CheckResult } from './preflight.js';
import type { ProgressSink } from './progress.js';
import { apiReason, CinderApiError, refusalLine, RequestOutcomeUnknownError, type Reporter } from './report.js';
import { watchVolumes } from './wait.js';

export const RETYPE_ACCEPTED_MESSAGE =
  'Your retype request has been received. Please check the volume status, migration status and the server log to see more information.';

export interface RetypeOptions {
  volumeRef: string;
  typeRef: string;
  migrationPolicy: 'never' | 'on-demand';
  dryRun: boolean;
  skipChecks: boolean;
  wait: boolean;
  timeoutMs?: number;
  stallTimeoutMs?: number;
}

export interface RetypeDeps {
  client: BlockStorageClient;
  io: Io;
  out: Reporter;
  createSink: (volumes: number) => Promise<ProgressSink>;
  resolveIntervalMs: (volume: Volume) => Promise<number>;
  journal?: JournalHook;
}

/** Cinder's retype conditions, one message each: status, migration in flight, consistency group, same type. */
export function retypeChecks(volume: Volume, type: VolumeType): CheckResult[] {
  const name = label(volume);
  const ms = normalizedMigrationStatus(volume);
  const sameType = volume.volume_type === type.name || volume.volume_type === type.id || volume.volume_type_id === type.id;
  const checks: CheckResult[] = [
    {
      check: 'status',
      ok: volume.status === 'available' || volume.status === 'in-use',
      reason: `volume ${name} is ${volume.status}; only available or in-use volumes can be retyped.`,
      detail: `status ${volume.status}`,
    },
    {
      check: 'no-migration-in-flight',
      ok: !(ms !== null && IN_FLIGHT_STATUSES.has(ms)),
      reason: `a migration of volume ${name} is in flight (migration_status ${ms}). Watch it with: volmig progress ${volume.id} --watch`,
      detail: `migration_status ${ms ?? 'none'}`,
    },
    {
      check: 'not-in-consistency-group',
      ok: !volume.consistencygroup_id,
      reason: `volume ${name} is part of consistency group ${volume.consistencygroup_id}.`,
    },
    {
      check: 'type-differs',
      ok: !sameType,
      reason: `volume ${name} already has type ${type.name}.`,
      detail: `current type ${volume.volume_type ?? 'none'}`,
    },
  ];
  return checks.map((c) => (c.ok ? { ...c, reason: undefined } : c));
}

/** `volmig retype`: checks, one os-retype request, the seed-style answer, and with --wait the retype to its end. */
export async function retypeVolume(opts: RetypeOptions, deps: RetypeDeps): Promise<number> {
  const { client, out } = deps;
  const now = nowFor(deps.io);
  const refuse = (reason: string, code: number, extra: Record<string, unknown> = {}): never => {
    out.error(refusalLine('retype', reason));
    if (out.json) out.resultJson({ event: 'rejected', volume: opts.volumeRef, new_type: opts.typeRef, reason, exit_code: code, ...extra }, { lines: true });
    throw new ReportedError(reason, code as ExitCode);
  };
  const guard = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      if (err instanceof CinderApiError) refuse(apiReason(err), err.exitCode);
      if (err instanceof VolmigError) refuse(err.message, err.exitCode);
      throw err;
    }
  };

  const volume = await guard(client.findVolume(opts.volumeRef, { allProjects: true }));
  let type: VolumeType | undefined;
  if (!opts.skipChecks) {
    type = await guard(client.findVolumeType(opts.typeRef));
    const checks = retypeChecks(volume, type);
    const failures = checks.filter((c) => !c.ok);
    if (volume.status === 'in-use' && opts.migrationPolicy === 'on-demand') {
      out.warn(`volume ${label(volume)} is attached (in-use): if the retype needs a generic migration, the compute service (Nova) must swap the instance over to the new volume.`);
    }
    if (failures.length > 0) {
      for (const f of failures) out.error(refusalLine('retype', f.reason ?? f.check));
      if (out.json) out.resultJson({ event: 'rejected', volume_id: volume.id, new_type: type.name, by: 'volmig', checks, exit_code: ExitCode.REJECTED }, { lines: true });
      throw new ReportedError(failures.map((f) => f.reason).join('; '), ExitCode.REJECTED);
    }
    if (opts.dryRun) {
      if (out.json) out.resultJson({ event: 'checked', volume_id: volume.id, new_type: type.name, checks, would_send: true }, { lines: true });
      else {
        for (const c of checks) out.info(`  ok  ${c.check}${c.detail ? `: ${c.detail}` : ''}`);
        out.result(`Dry run: every pre-flight check passed; volume ${label(volume)} can be retyped to ${type.name}. Nothing was sent.`);
      }
      return ExitCode.OK;
    }
  } else if (opts.dryRun) {
    out.result('Dry run with --skip-checks: nothing was checked and nothing was sent.');
    return ExitCode.OK;
  }

  const options = { migration_policy: opts.migrationPolicy, wait: opts.wait, skip_checks: opts.skipChecks };
  const journalBase = { action: 'retype' as const, volume, sourceHost: volumeHost(volume), destination: type?.name ?? opts.typeRef, options };
  const requestedAt = now();
  let requestId: string | undefined;
  try {
    requestId = (await client.retypeVolume(volume.id, type?.name ?? opts.typeRef, opts.migrationPolicy)).requestId;
  } catch (err) {
    if (err instanceof CinderApiError) {
      await deps.journal?.({ ...journalBase, outcome: 'rejected', reason: err.message, requestId: err.requestId });
      refuse(apiReason(err), err.exitCode, { by: 'api', http_status: err.status, request_id: err.requestId ?? null });
    }
    if (err instanceof RequestOutcomeUnknownError) {
      await deps.journal?.({ ...journalBase, outcome: 'unknown', reason: err.message });
      out.error(refusalLine('retype', `${err.message}. Check with: volmig show ${volume.id}`));
      throw new ReportedError(err.message, ExitCode.UNAVAILABLE);
    }
    throw err;
  }
  out.success(RETYPE_ACCEPTED_MESSAGE);
  const next = `volmig show ${volume.id}`;
  if (!opts.wait) out.info(`Next: ${next}${opts.migrationPolicy === 'on-demand' ? ` (and volmig progress ${volume.id} --watch if it migrates)` : ''}`);
  if (out.json) {
    out.resultJson(
      { event: 'accepted', time: new Date(requestedAt).toISOString(), volume_id: volume.id, name: volume.name, previous_type: volume.volume_type, new_type: type?.name ?? opts.typeRef, migration_policy: opts.migrationPolicy, request_id: requestId ?? null },
      { lines: true },
    );
  }
  await deps.journal?.({ ...journalBase, outcome: 'requested', requestId });
  if (!opts.wait) return ExitCode.OK;

  const intervalMs = await deps.resolveIntervalMs(volume);
  const sink = await deps.createSink(1);
  const summary = await watchVolumes(
    [
      {
        volumeId: volume.id,
        name: volume.name,
        kind: 'retype',
        baseline: { host: volumeHost(volume), migrationStatus: normalizedMigrationStatus(volume), updatedAt: volume.updated_at ?? null, status: volume.status },
        startedAt: requestedAt,
        retype: { newTypeName: type?.name ?? opts.typeRef, newTypeId: type?.id ?? null, previousType: volume.volume_type },
      },
    ],
    {
      client,
      io: deps.io,
      sink,
      intervalMs,
      timeoutMs: opts.timeoutMs,
      stallTimeoutMs: opts.stallTimeoutMs,
      resumeCommand: `volmig progress ${volume.id} --watch`,
      onResult: async (r) => {
        await deps.journal?.({ ...journalBase, ...journalEnd(r) });
      },
    },
  );
  return summary.exitCode;
}
