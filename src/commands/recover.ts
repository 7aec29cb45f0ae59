import type { Command } from 'commander';
import type { CommandContext, CommandEnv } from './context.js';

interface RecoverFlags {
  yes?: boolean;
  sample?: string;
}

export function registerRecover(program: Command, ctx: CommandContext): void {
  program
    .command('recover')
    .description('clean up after a migration that ended in error or got stuck: reset its status, delete the leftover target')
    .summary('clean up after a failed or stuck migration')
    .argument('<volume>', 'volume id, or a name that matches exactly one volume')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--sample <seconds>', 'how long to watch an in-flight migration for signs of life before calling it stuck', '10')
    .action((ref: string, opts: RecoverFlags, cmd: Command) => ctx.action(cmd, (env) => recover(env, ref, opts)));
}

async function recover(env: CommandEnv, ref: string, flags: RecoverFlags): Promise<number> {
  const { io, out } = env;
  const { UsageError, RejectedError, InterruptedError, ReportedError, ExitCode } = await import('../errors.js');
  const sample = Number(flags.sample ?? '10');
  if (!Number.isFinite(sample) || sample < 0) throw new UsageError(`invalid value for --sample: '${flags.sample}' (expected seconds, e.g. 10)`);
  const client = await env.client();
  const { inspectForRecovery, applyRecovery } = await import('../migration/recover.js');

  const signal = env.interruption.signal;
  const plan = await inspectForRecovery(client, io, ref, { sampleMs: Math.round(sample * 1000), signal }).catch((err: unknown) => {
    if (signal.aborted) throw new InterruptedError('interrupted while watching the migration; nothing was changed');
    throw err;
  });
  if (signal.aborted) throw new InterruptedError('interrupted while watching the migration; nothing was changed');

  const id = plan.findings.volume.id;
  const report = (extra: Record<string, unknown>) =>
    out.resultJson({
      volume_id: id,
      status: plan.findings.status,
      migration_status: plan.findings.migrationStatus,
      host: plan.findings.host,
      leftover_target: plan.findings.target?.id ?? null,
      motion: plan.findings.motion,
      refusal: plan.refusal,
      actions: plan.actions,
      ...extra,
    });

  for (const line of plan.explanation) (out.json ? out.info.bind(out) : out.result.bind(out))(line);

  if (plan.refusal) {
    if (out.json) report({ applied: [] });
    throw new RejectedError(plan.refusal);
  }
  if (plan.actions.length === 0) {
    if (out.json) report({ applied: [] });
    out.info('Nothing to do.');
    return 0;
  }

  out.info('');
  out.info('recover will:');
  for (const a of plan.actions) out.info(`  - ${a.why}`);
  out.info(`It rolls no data back: the volume's data stays where it is (on ${plan.findings.host ?? 'its host'}); only status fields are reset and the leftover copy is removed.`);

  if (!flags.yes) {
    if (!io.isTTY || !io.stdin) {
      throw new UsageError('recover changes volume state: confirm with --yes (there is no terminal to ask on)');
    }
    const { askConfirmation } = await import('../ui/evacuate-confirm.js');
    const answer = await askConfirmation(io, 'Go ahead?');
    if (answer === 'interrupted') throw new InterruptedError('interrupted; nothing was changed');
    if (answer === 'no') {
      out.info('Nothing was changed.');
      return 0;
    }
  }

  const applied = await applyRecovery(client, plan, (r) => {
    if (r.ok) out.info(`done: ${r.action.why}`);
    else out.error(`failed: ${r.action.why}: ${r.error}`);
  });
  const after = await client.getVolume(id).catch(() => null);
  const failed = applied.find((a) => !a.ok);
  if (out.json) {
    report({
      applied: applied.map((a) => ({ kind: a.action.kind, volume_id: a.action.volumeId, ok: a.ok, error: a.error ?? null })),
      after: after ? { status: after.status, migration_status: after['os-vol-mig-status-attr:migstat'] ?? after.migration_status ?? null, host: after['os-vol-host-attr:host'] ?? null } : null,
    });
  }
  if (failed) {
    out.error(`Recovery of volume ${id} stopped: ${failed.error}`);
    throw new ReportedError(failed.error ?? 'recovery failed', ExitCode.FAILED);
  }
  if (after) {
    const ms = after['os-vol-mig-status-attr:migstat'] ?? after.migration_status ?? null;
    out.success(`Recovered volume ${id}: status ${after.status}, migration status ${ms ?? 'none'}, host ${after['os-vol-host-attr:host'] ?? 'unknown'}.`);
  }
  return 0;
}
