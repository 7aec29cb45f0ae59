import { normalizedMigrationStatus, type Volume, volumeHost, volumeLabel } from '../../model/cinder.js';
import { formatDuration } from '../../model/duration.js';

/** Statuses a migration or retype puts on a volume and restores at its end; left behind when it got stuck. */
const HELD_STATUSES = new Set(['maintenance', 'retyping']);
const IN_FLIGHT = new Set(['starting', 'migrating', 'completing']);

/** What watching an in-flight migration for a while showed. */
export interface Motion {
  sampleMs: number;
  /** Some source showed the copy alive (progress, probe bytes, phase, host, status, timestamps). */
  progressing: boolean;
  evidence: string;
  /** Which source could see the copy's bytes: the server's migration_progress, a storage probe, or none. */
  observedBy: 'server' | 'ceph' | 'process' | null;
  /** How long the server's records (the volume's, the destination's updated_at) have not changed; null: unknown. */
  quietForMs: number | null;
}

export interface RecoveryFindings {
  volume: Volume;
  status: string;
  migrationStatus: string | null;
  host: string | null;
  attached: boolean;
  /**
   * The temporary destination volume (`target:<id>`) left by a generic migration, or (targetKind old-record) the old
   * record of a migration that swapped, whose delete Cinder could not finish (status deleting; VolumeAttached when
   * the volume was attached during an unlocked migration).
   */
  target: Volume | null;
  targetKind?: 'target' | 'old-record' | null;
  /** How long the leftover has not changed (its updated_at); null: unknown. */
  targetQuietMs?: number | null;
  /** For an in-flight status: what watching it showed. */
  motion: Motion | null;
}

/** What the operator allows for a migration that still says it is in flight. */
export interface RecoveryPolicy {
  /** --assume-stuck: the operator knows the copy is dead (its volume service is gone). */
  assumeStuck: boolean;
  /** --min-age: how long the migration must have shown no change before --assume-stuck is accepted. */
  minAgeMs: number;
}

export const DEFAULT_MIN_AGE_MS = 30 * 60_000;
/** An old record in `deleting` this long unchanged is taken as a delete that failed. */
const OLD_RECORD_QUIET_MS = 2 * 60_000;

export type RecoveryAction =
  | { kind: 'reset-volume'; volumeId: string; migrationStatus: 'none'; status?: string; why: string }
  | { kind: 'reset-target'; volumeId: string; why: string; detach?: boolean }
  | { kind: 'delete-target'; volumeId: string; why: string };

export interface RecoveryPlan {
  findings: RecoveryFindings;
  /** Refusal (exit 5): the copy may be alive, so nothing may be reset. */
  refusal: string | null;
  actions: RecoveryAction[];
  /** Lines that explain the state in words. */
  explanation: string[];
}

/**
 * Decides what to reset and delete from what was found (pure; unit-tested). It acts only on positive evidence: a
 * migration any source shows moving is refused; one that still says it is in flight but that no source shows
 * moving is refused too, unless the operator says it is stuck (--assume-stuck) and the server's records have not
 * changed for --min-age. The leftovers of a migration that has ended are cleaned without that rule.
 */
export function planRecovery(f: RecoveryFindings, policy: RecoveryPolicy = { assumeStuck: false, minAgeMs: DEFAULT_MIN_AGE_MS }): RecoveryPlan {
  const id = f.volume.id;
  const explanation: string[] = [];
  const actions: RecoveryAction[] = [];
  explanation.push(`Volume ${volumeLabel(f.volume)}:`);
  explanation.push(`  status ${f.status}, migration status ${f.migrationStatus ?? 'none'}, host ${f.host ?? 'none'}${f.attached ? ', attached' : ''}`);
  const attachedButAvailable = f.status === 'available' && f.attached;
  if (f.target && f.targetKind === 'old-record') {
    explanation.push(
      `  leftover old record ${f.target.id} of the migration (migration status ${normalizedMigrationStatus(f.target) ?? 'none'}, status ${f.target.status}, host ${volumeHost(f.target) ?? 'none'}): it holds the data from before the migration, and Cinder's delete of it did not finish`,
    );
  } else if (f.target) {
    explanation.push(
      `  leftover destination volume ${f.target.id} (migration status ${normalizedMigrationStatus(f.target)}, status ${f.target.status}, host ${volumeHost(f.target) ?? 'none'})`,
    );
  } else {
    explanation.push('  no leftover destination (target:) volume');
  }
  const refuse = (refusal: string): RecoveryPlan => ({ findings: f, refusal, actions: [], explanation });

  const inFlight = f.migrationStatus !== null && IN_FLIGHT.has(f.migrationStatus);
  if (inFlight) {
    const m = f.motion;
    const watched = m ? seconds(m.sampleMs) : '0s';
    if (m?.progressing) {
      explanation.push(`  the migration is alive: ${m.evidence}`);
      return refuse(`the migration of volume ${id} is visibly progressing (${m.evidence}); recover changes nothing while a copy runs. Watch it with: volmig progress ${id} --watch`);
    }
    const seen = m?.observedBy
      ? `${m.observedBy === 'server' ? "the server's migration_progress" : `the ${m.observedBy} progress source`} showed no change for ${watched}`
      : `no progress source can see this copy (the server gives no numeric migration_progress and no storage probe applies), and nothing changed for ${watched}`;
    explanation.push(`  the migration says ${f.migrationStatus}; ${seen}`);
    if (!policy.assumeStuck) {
      return refuse(
        `volume ${id} still says migration_status ${f.migrationStatus} and ${seen}: that is no evidence the copy is stuck, so recover changes nothing. ` +
          `If you know it is (its cinder-volume service died), run again with --assume-stuck; it is accepted once the volume has shown no change for --min-age (${formatDuration(policy.minAgeMs)}). Watch it with: volmig progress ${id} --watch`,
      );
    }
    const quiet = m?.quietForMs ?? null;
    if (quiet === null || quiet < policy.minAgeMs) {
      const age = quiet === null ? 'the server gives no updated_at to tell how long' : `the volume last changed ${formatDuration(quiet)} ago (updated_at)`;
      return refuse(
        `--assume-stuck needs volume ${id} to have shown no change for ${formatDuration(policy.minAgeMs)} (--min-age), and ${age}; younger than that, recover always refuses.`,
      );
    }
    explanation.push(`  taken as stuck (--assume-stuck): no change for ${formatDuration(quiet)}`);
  }
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
  if (attachedButAvailable) {
    const ids = (f.volume.attachments ?? []).map((a) => a.attachment_id ?? a.id).join(', ');
    explanation.push(`  it reads available but has attachment ${ids}: detach it and attach it again through the compute service (recover does not touch attachments)`);
  }
  // An old record still being deleted is Cinder's business, unless its delete has visibly failed: the volume was
  // attached meanwhile (VolumeAttached), the delete ended in error_deleting, or nothing has changed for two minutes.
  const oldRecordStuck =
    f.targetKind === 'old-record' && f.target !== null && (attachedButAvailable || f.target.status === 'error_deleting' || (f.targetQuietMs ?? 0) >= OLD_RECORD_QUIET_MS);
  if (f.target && f.targetKind === 'old-record' && !oldRecordStuck) {
    explanation.push(`  Cinder is still deleting ${f.target.id} (it changed ${formatDuration(f.targetQuietMs ?? 0)} ago); look again in a few minutes`);
  } else if (f.target && f.targetKind === 'old-record') {
    // Cinder deletes only a volume that is not marked attached and whose status allows it.
    actions.push({ kind: 'reset-target', volumeId: f.target.id, detach: true, why: `reset the leftover old record ${f.target.id} (status error, detached, migration status none) so it can be deleted` });
    actions.push({ kind: 'delete-target', volumeId: f.target.id, why: `delete the leftover old record ${f.target.id} and its data from before the migration (on ${volumeHost(f.target) ?? 'its host'})` });
  } else if (f.target) {
    // Cinder refuses to delete a volume whose migration status is target:<id>; clear it first.
    actions.push({ kind: 'reset-target', volumeId: f.target.id, why: `reset the leftover destination ${f.target.id} (migration status none, status error) so it can be deleted` });
    actions.push({ kind: 'delete-target', volumeId: f.target.id, why: `delete the leftover destination volume ${f.target.id}` });
  }
  if (actions.length === 0 && f.targetKind !== 'old-record') explanation.push('  nothing to recover: no migration is stuck and nothing was left behind');
  return { findings: f, refusal: null, actions, explanation };
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${Number((ms / 1000).toFixed(1))}s` : formatDuration(ms);
}
