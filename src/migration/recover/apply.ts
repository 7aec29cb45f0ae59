import type { BlockStorageClient } from '../../api/block-storage.js';
import { CinderApiError } from '../../api/errors.js';
import { normalizedMigrationStatus, type Volume, volumeHost } from '../../model/cinder.js';
import type { RecoveryAction, RecoveryPlan } from './plan.js';

export interface AppliedAction {
  action: RecoveryAction;
  ok: boolean;
  error?: string;
}

/** One field of one volume as recover left it, read back after the actions. */
export interface ObservedChange {
  volumeId: string;
  field: 'status' | 'migration_status' | 'host' | 'existence';
  before: string | null;
  after: string | null;
}

export interface RecoveryOutcome {
  applied: AppliedAction[];
  /** The plan was not applied: the volume changed between the inspection and the actions. */
  changedMeanwhile: string | null;
  /** What reading the volume and its leftover back showed changed (only real changes). */
  changes: ObservedChange[];
  after: Volume | null;
}

/**
 * Carries out the plan in order, stopping at the first failure (later steps depend on earlier ones). The volume is
 * read again first: if it changed since the inspection (the copy moved on after all), nothing is done. Afterwards
 * the volume and its leftover are read back and only what really changed is reported.
 */
export async function applyRecovery(client: BlockStorageClient, plan: RecoveryPlan, onStep?: (a: AppliedAction) => void): Promise<RecoveryOutcome> {
  const f = plan.findings;
  const before = await client.getVolume(f.volume.id);
  const drift = driftFrom(f.volume, before);
  if (drift) return { applied: [], changedMeanwhile: drift, changes: [], after: before };
  const targetBefore = f.target;

  const applied: AppliedAction[] = [];
  for (const action of plan.actions) {
    try {
      if (action.kind === 'reset-volume') {
        await client.resetStatus(action.volumeId, { migration_status: 'none', ...(action.status ? { status: action.status } : {}) });
      } else if (action.kind === 'reset-target') {
        await client.resetStatus(action.volumeId, { migration_status: 'none', status: 'error', ...(action.detach ? { attach_status: 'detached' } : {}) });
      } else {
        await client.deleteVolume(action.volumeId);
      }
      const r = { action, ok: true };
      applied.push(r);
      onStep?.(r);
    } catch (err) {
      const r = { action, ok: false, error: err instanceof Error ? err.message : String(err) };
      applied.push(r);
      onStep?.(r);
      break;
    }
  }

  const after = await client.getVolume(f.volume.id).catch(() => null);
  const changes: ObservedChange[] = [];
  if (after) changes.push(...fieldChanges(before, after));
  if (targetBefore) {
    let targetAfter: Volume | null = null;
    let gone = false;
    try {
      targetAfter = await client.getVolume(targetBefore.id);
    } catch (err) {
      gone = err instanceof CinderApiError && err.status === 404;
    }
    if (gone) changes.push({ volumeId: targetBefore.id, field: 'existence', before: 'present', after: 'deleted' });
    else if (targetAfter) changes.push(...fieldChanges(targetBefore, targetAfter));
  }
  return { applied, changedMeanwhile: null, changes, after };
}

function driftFrom(seen: Volume, now: Volume): string | null {
  const parts: string[] = [];
  if (normalizedMigrationStatus(seen) !== normalizedMigrationStatus(now)) parts.push(`migration status ${normalizedMigrationStatus(seen) ?? 'none'} → ${normalizedMigrationStatus(now) ?? 'none'}`);
  if (seen.status !== now.status) parts.push(`status ${seen.status} → ${now.status}`);
  if (volumeHost(seen) !== volumeHost(now)) parts.push(`host ${volumeHost(seen) ?? 'none'} → ${volumeHost(now) ?? 'none'}`);
  return parts.length ? parts.join(', ') : null;
}

function fieldChanges(a: Volume, b: Volume): ObservedChange[] {
  const out: ObservedChange[] = [];
  const pairs: [ObservedChange['field'], string | null, string | null][] = [
    ['status', a.status, b.status],
    ['migration_status', normalizedMigrationStatus(a), normalizedMigrationStatus(b)],
    ['host', volumeHost(a), volumeHost(b)],
  ];
  for (const [field, x, y] of pairs) if (x !== y) out.push({ volumeId: a.id, field, before: x, after: y });
  return out;
}
