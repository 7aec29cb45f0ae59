import { ExitCode, ReportedError } from '../errors.js';
import { nowFor } from '../io.js';
import { IN_FLIGHT_STATUSES, normalizedMigrationStatus, volumeHost, volumeLabel as label, type Volume, type VolumeType } from '../model/cinder.js';
import { journalEnd, type JournalHook } from './journal-hook.js';
import type { Forecaster } from './move-forecast.js';
import { preflightRetypeMove, type CheckResult } from './preflight.js';
import type { ProgressSink } from './progress.js';
import { apiReason } from './report.js';
import { apiRefusal, CommandDeadline, lookUp, reject, sendOnce, type RequestContext } from './request.js';
import type { ProgressSources } from './sources/sources.js';
import { watchVolumes } from './watch.js';

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

export interface RetypeDeps extends RequestContext {
  interruptedExitCode: () => number;
  createSink: (volumes: number) => Promise<ProgressSink>;
  resolveIntervalMs: (volume: Volume) => Promise<number>;
  sources?: ProgressSources;
  journal?: JournalHook;
  /** --dry-run: says whether a move will be needed, driver-assisted or generic, and where progress will come from. */
  forecast?: Forecaster;
}

/** Cinder's retype conditions, one message each: status, migration in flight, consistency group, same type. */
function retypeChecks(volume: Volume, type: VolumeType): CheckResult[] {
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
  const { events } = deps;
  const now = nowFor(deps.io);
  const deadline = new CommandDeadline(deps.io, deps.signal, opts.wait ? opts.timeoutMs : undefined);
  const client = deps.client.withSignal(deadline.signal);
  const base = { action: 'retype' as const, volumeRef: opts.volumeRef, destination: null, newType: opts.typeRef, checks: null };
  const refuseLookup = (reason: string, code: number, api: ReturnType<typeof apiRefusal> | null): never =>
    reject(events, { ...base, volumeId: null, name: null, by: null, reasons: [reason], exitCode: code, api });

  const volume = await lookUp(client.findVolume(opts.volumeRef, { allProjects: true }), refuseLookup);
  let type: VolumeType | undefined;
  if (!opts.skipChecks) {
    type = await lookUp(client.findVolumeType(opts.typeRef), refuseLookup);
    const own = retypeChecks(volume, type);
    // Where the retype must move the volume, the migration's own checks (as `migrate` makes them) come too.
    // A dry run's forecast reads the same pools: one request for both.
    const reads = opts.dryRun && deps.forecast ? deps.forecast.sharing(client) : client;
    const checks = own.every((c) => c.ok) ? [...own, ...(await lookUp(preflightRetypeMove(reads, volume, type, opts.migrationPolicy), refuseLookup))] : own;
    const failures = checks.filter((c) => !c.ok);
    if (volume.status === 'in-use' && opts.migrationPolicy === 'on-demand') {
      events({ type: 'warning', message: `volume ${label(volume)} is attached (in-use): if the retype needs a generic migration, the compute service (Nova) must swap the instance over to the new volume.` });
    }
    if (failures.length > 0) {
      reject(events, {
        ...base,
        newType: type.name,
        volumeId: volume.id,
        name: volume.name,
        by: 'volmig',
        reasons: failures.map((f) => f.reason ?? f.check),
        checks,
        exitCode: ExitCode.REJECTED,
        api: null,
      });
    }
    if (opts.dryRun) {
      const forecast = await deps.forecast?.retype({ volume, type, migrationPolicy: opts.migrationPolicy });
      events({ type: 'checked', action: 'retype', volumeId: volume.id, name: volume.name, label: label(volume), destination: null, newType: type.name, checks, forecast });
      return ExitCode.OK;
    }
  } else if (opts.dryRun) {
    events({ type: 'dry-run-unchecked', action: 'retype' });
    return ExitCode.OK;
  }

  const newType = type?.name ?? opts.typeRef;
  const options = { migration_policy: opts.migrationPolicy, wait: opts.wait, skip_checks: opts.skipChecks };
  const journalBase = { action: 'retype' as const, volume, sourceHost: volumeHost(volume), destination: newType, options };
  const baseline = { host: volumeHost(volume), migrationStatus: normalizedMigrationStatus(volume), updatedAt: volume.updated_at ?? null, status: volume.status, volumeType: volume.volume_type };
  const requestedAt = now();
  const sent = await sendOnce(deps, deadline, volume.id, (c) => c.retypeVolume(volume.id, newType, opts.migrationPolicy), {
    action: 'retype',
    baseline,
    newType: { name: newType, id: type?.id ?? null },
  });
  let requestId: string | undefined;
  let answer: 'read' | 'unreadable' | 'reconciled' = 'read';
  if (sent.kind === 'refused') {
    const err = sent.error;
    await deps.journal?.({ ...journalBase, outcome: 'rejected', reason: err.message, requestId: err.requestId });
    reject(events, { ...base, newType, volumeId: null, name: null, by: 'api', reasons: [apiReason(err)], exitCode: err.exitCode, api: apiRefusal(err) });
  } else if (sent.kind === 'lost') {
    const { verdict, error } = sent.reconciliation;
    if (verdict === 'not-started' || verdict === 'unknown') {
      await deps.journal?.({ ...journalBase, outcome: 'unknown', reason: verdict === 'unknown' ? `${sent.error.message}; read-back failed: ${error}` : sent.error.message });
      throw new ReportedError(sent.error.message, ExitCode.UNAVAILABLE);
    }
    answer = 'reconciled';
  } else {
    requestId = sent.result.requestId;
    if (sent.result.unreadableBody) answer = 'unreadable';
  }
  const next = `volmig show ${volume.id}`;
  events({
    type: 'accepted',
    action: 'retype',
    at: requestedAt,
    volumeId: volume.id,
    name: volume.name,
    sourceHost: volumeHost(volume),
    destination: null,
    cluster: null,
    forceHostCopy: false,
    lockVolume: false,
    previousType: volume.volume_type,
    newType,
    migrationPolicy: opts.migrationPolicy,
    requestId: requestId ?? null,
    answer,
    next,
    waiting: opts.wait,
  });
  await deps.journal?.({ ...journalBase, outcome: 'requested', requestId });
  if (!opts.wait) return ExitCode.OK;

  const intervalMs = await deps.resolveIntervalMs(volume).catch(() => 5000);
  const sink = await deps.createSink(1);
  const summary = await watchVolumes(
    [
      {
        volumeId: volume.id,
        name: volume.name,
        kind: 'retype',
        baseline,
        startedAt: requestedAt,
        retype: { newTypeName: newType, newTypeId: type?.id ?? null, previousType: volume.volume_type, migrationPolicy: opts.migrationPolicy },
      },
    ],
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
      resumeCommand: `volmig progress ${volume.id} --watch`,
      sources: deps.sources,
      onResult: async (r) => {
        await deps.journal?.({ ...journalBase, ...journalEnd(r), destination: r.destinationHost ? `${newType} on ${r.destinationHost}` : newType });
      },
    },
  );
  return summary.exitCode;
}
