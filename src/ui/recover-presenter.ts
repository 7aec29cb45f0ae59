import type { AppliedAction, RecoveryOutcome, RecoveryPlan } from '../migration/recover/index.js';
import type { Output } from './output.js';

/** What `volmig recover` found: the explanation lines (stdout as the result, stderr with --json). */
export function printFindings(out: Output, plan: RecoveryPlan): void {
  for (const line of plan.explanation) (out.json ? out.info.bind(out) : out.result.bind(out))(line);
}

/** What it is about to do, before the confirmation. */
export function printIntent(out: Output, plan: RecoveryPlan): void {
  out.info('');
  out.info('recover will:');
  for (const a of plan.actions) out.info(`  - ${a.why}`);
  const deletes = plan.actions.some((a) => a.kind === 'delete-target');
  const leftover = !deletes ? '' : plan.findings.targetKind === 'old-record' ? ' and the leftover old record is deleted with its copy of the data from before the migration' : ' and the leftover destination volume is deleted';
  out.info(`It rolls no data back: the volume's data stays where it is (on ${plan.findings.host ?? 'its host'}); only status fields are reset${leftover}.`);
}

export function printStep(out: Output, r: AppliedAction): void {
  if (r.ok) out.info(`done: ${r.action.why}`);
  else out.error(`failed: ${r.action.why}: ${r.error}`);
}

/** What reading the volume back showed: only what really changed. */
export function printChanges(out: Output, outcome: RecoveryOutcome): void {
  if (outcome.changes.length === 0) {
    out.info('Reading the volume back shows no change on the server.');
    return;
  }
  out.info('Read back:');
  for (const c of outcome.changes) {
    out.info(c.field === 'existence' ? `  volume ${c.volumeId} is deleted` : `  volume ${c.volumeId}: ${c.field.replace('_', ' ')} ${c.before ?? 'none'} → ${c.after ?? 'none'}`);
  }
}

/** The --json document of a recover run. */
export function recoverJson(plan: RecoveryPlan, extra: { applied?: AppliedAction[]; outcome?: RecoveryOutcome } = {}): Record<string, unknown> {
  const f = plan.findings;
  const after = extra.outcome?.after;
  return {
    volume_id: f.volume.id,
    status: f.status,
    migration_status: f.migrationStatus,
    host: f.host,
    leftover_target: f.target?.id ?? null,
    motion: f.motion
      ? { sample_ms: f.motion.sampleMs, progressing: f.motion.progressing, evidence: f.motion.evidence, observed_by: f.motion.observedBy, quiet_for_ms: f.motion.quietForMs }
      : null,
    refusal: plan.refusal,
    actions: plan.actions,
    applied: (extra.applied ?? []).map((a) => ({ kind: a.action.kind, volume_id: a.action.volumeId, ok: a.ok, error: a.error ?? null })),
    ...(extra.outcome
      ? {
          changed_meanwhile: extra.outcome.changedMeanwhile,
          changes: extra.outcome.changes.map((c) => ({ volume_id: c.volumeId, field: c.field, before: c.before, after: c.after })),
          after: after
            ? { status: after.status, migration_status: after['os-vol-mig-status-attr:migstat'] ?? after.migration_status ?? null, host: after['os-vol-host-attr:host'] ?? null }
            : null,
        }
      : {}),
  };
}
