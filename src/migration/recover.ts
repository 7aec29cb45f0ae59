import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, normalizedMigrationStatus, numericProgress, type Volume, volumeHost } from '../model/cinder.js';
import { sleepFor, type Io } from '../io.js';
import { formatDuration } from '../model/duration.js';
import { findMigrationTarget } from './list.js';

/** Statuses a migration or retype puts on a volume and restores at its end; left behind when it got stuck. */
const HELD_STATUSES = new Set(['maintenance', 'retyping']);

export interface RecoveryFindings {
  volume: Volume;
  status: string;
  migrationStatus: string | null;
  host: string | null;
  attached: boolean;
  /** The temporary destination volume (`target:<id>`) left by a generic migration, if any. */
  target: Volume | null;
  /** For an in-flight status: what two readings `sampleMs` apart showed. */
  motion: { sampleMs: number; progressing: boolean; evidence: string } | null;
}

export type RecoveryAction =
  | { kind: 'reset-volume'; volumeId: string; migrationStatus: 'none'; status?: string; why: string }
  | { kind: 'reset-target'; volumeId: string; why: string }
  | { kind: 'delete-target'; volumeId: string; why: string };

export interface RecoveryPlan {
  findings: RecoveryFindings;
  /** Refusal: the copy is visibly progressing, so nothing may be reset. */
  refusal: string | null;
  actions: RecoveryAction[];
  /** Lines that explain the state in words. */
  explanation: string[];
}

/**
 * Reads the volume (and its leftover target). For a migration status that says "in flight", reads it again after
 * `sampleMs`: a moving progress percent, phase, host or updated_at means the copy is alive and recover refuses.
 */
export async function inspectForRecovery(
  client: BlockStorageClient,
  io: Io,
  volumeRef: string,
  options: { sampleMs: number; signal?: AbortSignal },
): Promise<RecoveryPlan> {
  const volume = await client.findVolume(volumeRef, { allProjects: true });
  const target = (await findMigrationTarget(client, volume.id)) ?? null;
  const findings: RecoveryFindings = {
    volume,
    status: volume.status,
    migrationStatus: normalizedMigrationStatus(volume),
    host: volumeHost(volume),
    attached: Array.isArray(volume.attachments) && volume.attachments.length > 0,
    target,
    motion: null,
  };

  if (isInFlight(volume)) {
    await sleepFor(io)(options.sampleMs, options.signal);
    const again = await client.getVolume(volume.id);
    const evidence: string[] = [];
    const p1 = numericProgress(volume);
    const p2 = numericProgress(again);
    if (p1 !== null && p2 !== null && p2 > p1) evidence.push(`progress went from ${p1}% to ${p2}%`);
    if (normalizedMigrationStatus(again) !== findings.migrationStatus) {
      evidence.push(`migration status went from ${findings.migrationStatus} to ${normalizedMigrationStatus(again) ?? 'none'}`);
    }
    if (volumeHost(again) !== findings.host) evidence.push(`host changed to ${volumeHost(again)}`);
    if (again.status !== volume.status) evidence.push(`status went from ${volume.status} to ${again.status}`);
    if (again.updated_at !== volume.updated_at && again.updated_at && volume.updated_at) evidence.push(`updated_at moved to ${again.updated_at}`);
    const secs = options.sampleMs < 10_000 ? `${Number((options.sampleMs / 1000).toFixed(1))}s` : formatDuration(options.sampleMs);
    findings.motion = evidence.length
      ? { sampleMs: options.sampleMs, progressing: true, evidence: evidence.join(', ') }
      : {
          sampleMs: options.sampleMs,
          progressing: false,
          evidence:
            p2 !== null
              ? `progress stayed at ${p2}% for ${secs}`
              : `no progress value and no change for ${secs} (the server reports no numeric migration_progress)`,
        };
    // Plan on the newest reading.
    findings.volume = again;
    findings.status = again.status;
    findings.migrationStatus = normalizedMigrationStatus(again);
    findings.host = volumeHost(again);
    findings.attached = Array.isArray(again.attachments) && again.attachments.length > 0;
  }
  return planRecovery(findings);
}

/** Decides what to reset and delete from what was found (pure; unit-tested). */
export function planRecovery(f: RecoveryFindings): RecoveryPlan {
  const id = f.volume.id;
  const explanation: string[] = [];
  const actions: RecoveryAction[] = [];
  explanation.push(`Volume ${f.volume.name ? `${f.volume.name} (${id})` : id}:`);
  explanation.push(`  status ${f.status}, migration status ${f.migrationStatus ?? 'none'}, host ${f.host ?? 'none'}${f.attached ? ', attached' : ''}`);
  if (f.target) {
    explanation.push(
      `  leftover destination volume ${f.target.id} (migration status ${normalizedMigrationStatus(f.target)}, status ${f.target.status}, host ${volumeHost(f.target) ?? 'none'})`,
    );
  } else {
    explanation.push('  no leftover destination (target:) volume');
  }

  const inFlight = f.migrationStatus !== null && ['starting', 'migrating', 'completing'].includes(f.migrationStatus);
  if (inFlight && f.motion?.progressing) {
    explanation.push(`  the migration is alive: ${f.motion.evidence}`);
    return {
      findings: f,
      refusal: `the migration of volume ${id} is visibly progressing (${f.motion.evidence}); recover changes nothing while a copy runs. Watch it with: volmig progress ${id} --watch`,
      actions: [],
      explanation,
    };
  }
  if (inFlight) explanation.push(`  the migration looks stuck: ${f.motion?.evidence ?? 'no change seen'}`);
  if (f.migrationStatus === 'error') explanation.push('  the last migration ended in error');

  const held = HELD_STATUSES.has(f.status);
  const restoredStatus = f.attached ? 'in-use' : 'available';
  const needsReset = inFlight || f.migrationStatus === 'error' || held;
  if (needsReset) {
    const action: RecoveryAction = {
      kind: 'reset-volume',
      volumeId: id,
      migrationStatus: 'none',
      why: held
        ? `reset migration status to none and status ${f.status} to ${restoredStatus} (os-reset_status)`
        : `reset migration status ${f.migrationStatus} to none (os-reset_status)`,
    };
    if (held) action.status = restoredStatus;
    actions.push(action);
    if (held) explanation.push(`  status ${f.status} was left by the ${f.status === 'retyping' ? 'retype' : 'locked migration'} and is not restored by Cinder`);
  }
  if (f.target) {
    // Cinder refuses to delete a volume whose migration status is target:<id>; clear it first.
    actions.push({ kind: 'reset-target', volumeId: f.target.id, why: `reset the leftover destination ${f.target.id} (migration status none, status error) so it can be deleted` });
    actions.push({ kind: 'delete-target', volumeId: f.target.id, why: `delete the leftover destination volume ${f.target.id}` });
  }
  if (actions.length === 0) explanation.push('  nothing to recover: no migration is stuck and nothing was left behind');
  return { findings: f, refusal: null, actions, explanation };
}

export interface AppliedAction {
  action: RecoveryAction;
  ok: boolean;
  error?: string;
}

/** Carries out the plan in order; stops at the first failure (later steps depend on earlier ones). */
export async function applyRecovery(client: BlockStorageClient, plan: RecoveryPlan, onStep?: (a: AppliedAction) => void): Promise<AppliedAction[]> {
  const done: AppliedAction[] = [];
  for (const action of plan.actions) {
    try {
      if (action.kind === 'reset-volume') {
        await client.resetStatus(action.volumeId, { migration_status: 'none', ...(action.status ? { status: action.status } : {}) });
      } else if (action.kind === 'reset-target') {
        await client.resetStatus(action.volumeId, { migration_status: 'none', status: 'error' });
      } else {
        await client.deleteVolume(action.volumeId);
      }
      const r = { action, ok: true };
      done.push(r);
      onStep?.(r);
    } catch (err) {
      const r = { action, ok: false, error: err instanceof Error ? err.message : String(err) };
      done.push(r);
      onStep?.(r);
      break;
    }
  }
  return done;
}
