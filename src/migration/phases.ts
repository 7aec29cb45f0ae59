import { IN_FLIGHT_STATUSES, normalizedMigrationStatus, volumeHost, type Volume } from '../model/cinder.js';

/**
 * Where a migration stands as volmig sees it from the API.
 * - pending: the request was accepted but the volume does not show it yet;
 * - starting / migrating / completing: Cinder's own in-flight values;
 * - success / error: this migration's result;
 * - idle: nothing in flight and nothing this run started (the volume's last result, if any, is in lastResult).
 */
export type MigrationPhase = 'pending' | 'starting' | 'migrating' | 'completing' | 'success' | 'error' | 'idle' | 'retyping';

/** What volmig knew about the volume just before it sent the request (absent when only watching). */
export interface MigrationBaseline {
  host: string | null;
  migrationStatus: string | null;
  updatedAt: string | null;
  /** Volume status before the request (tells an attach or detach during the migration). */
  status?: string;
}

export interface PhaseContext {
  baseline?: MigrationBaseline;
  /** The host the volume was on when the migration started (baseline host, else first observation). */
  sourceHost: string | null;
  /** An in-flight status was observed earlier in this watch. */
  seenInFlight: boolean;
}

export interface PhaseReading {
  phase: MigrationPhase;
  /** The migration status is empty but the host already switched: real Cinder's gap between completing and success. */
  completionGap: boolean;
  /** The migration status went back to empty on the source host after being in flight (an admin reset it). */
  resetObserved: boolean;
  /** For idle: the volume's previous migration result. */
  lastResult: 'success' | 'error' | null;
}

/**
 * Classifies one observation. The subtle cases come from real Cinder:
 * - a migration can finish before the first poll: success (host changed) or error (scheduler refused in ~0.5 s,
 *   poll-C-pinned.log) must still be recognised, which is what the baseline is for;
 * - `migration_status` reads empty for a moment with the host switched (poll-I-nameid.log): completing, not a reset.
 */
export function readPhase(v: Volume, ctx: PhaseContext): PhaseReading {
  const ms = normalizedMigrationStatus(v);
  const host = volumeHost(v);
  const hostChanged = ctx.sourceHost !== null && host !== null && host !== ctx.sourceHost;
  const base = ctx.baseline;
  const reading = (phase: MigrationPhase, extra: Partial<PhaseReading> = {}): PhaseReading => ({
    phase,
    completionGap: false,
    resetObserved: false,
    lastResult: null,
    ...extra,
  });

  if (ms !== null && IN_FLIGHT_STATUSES.has(ms)) return reading(ms as MigrationPhase);

  if (ms === 'success') {
    if (ctx.seenInFlight || hostChanged) return reading('success');
    if (base) {
      // The API records `starting` before it answers 202, so a success that is not the baseline's own is ours.
      if (base.migrationStatus !== 'success') return reading('success');
      return reading('pending');
    }
    return reading('idle', { lastResult: 'success' });
  }

  if (ms === 'error') {
    if (ctx.seenInFlight) return reading('error');
    if (base) {
      if (base.migrationStatus !== 'error' || updatedSince(v, base)) return reading('error');
      return reading('pending');
    }
    return reading('idle', { lastResult: 'error' });
  }

  if (ms === null) {
    if (hostChanged && (ctx.seenInFlight || base)) return reading('completing', { completionGap: true });
    if (ctx.seenInFlight) return reading('error', { resetObserved: true });
    if (base) return reading('pending');
    return reading('idle');
  }

  // `deleting` / `target:<id>` describe the temporary destination record, not a migration of this volume.
  if (base) return reading('pending');
  return reading('idle');
}

function updatedSince(v: Volume, base: MigrationBaseline): boolean {
  return base.updatedAt !== null && v.updated_at !== null && v.updated_at !== undefined && v.updated_at !== base.updatedAt;
}

export function isTerminal(phase: MigrationPhase): boolean {
  return phase === 'success' || phase === 'error';
}
