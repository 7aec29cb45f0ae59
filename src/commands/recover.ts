import type { Command } from 'commander';
import type { CommandContext, CommandEnv } from './context.js';

interface RecoverFlags {
  yes?: boolean;
  sample?: string;
  assumeStuck?: boolean;
  minAge?: string;
}

export function registerRecover(program: Command, ctx: CommandContext): void {
  program
    .command('recover')
    .description('clean up after a migration that ended in error or got stuck: reset its status, delete the leftover target')
    .summary('clean up after a failed or stuck migration')
    .argument('<volume>', 'volume id, or a name that matches exactly one volume')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--sample <duration>', 'how long to watch an in-flight migration for signs of life', '10s')
    .option('--assume-stuck', 'you know an in-flight migration is dead (its volume service is gone): allow resetting it')
    .option('--min-age <duration>', 'with --assume-stuck: how long it must have shown no change', '30m')
    .action((ref: string, opts: RecoverFlags, cmd: Command) => ctx.action(cmd, (env) => recover(env, ref, opts)));
}

async function recover(env: CommandEnv, ref: string, flags: RecoverFlags): Promise<number> {
  const { io, out } = env;
  const { UsageError, InterruptedError, ReportedError, ExitCode } = await import('../errors.js');
  const { parseDuration } = await import('../model/duration.js');
  const sampleMs = parseDuration(flags.sample ?? '10s', '--sample', { minMs: 500, maxMs: 3_600_000 });
  const minAgeMs = parseDuration(flags.minAge ?? '30m', '--min-age');
  const client = await env.client();
  const { inspectForRecovery, planRecovery, applyRecovery } = await import('../migration/recover/index.js');
  const ui = await import('../ui/recover-presenter.js');
  const { Journal, journalCloudName } = await import('../migration/journal.js');
  const settings = await env.settings();
  const journal = new Journal(io, { onWriteError: (line) => out.warn(line) });
  const cloud = journalCloudName(env.globals.osCloud ?? io.env.OS_CLOUD ?? settings.cloud, client.endpoint);

  const signal = env.interruption.signal;
  const { progressSources } = await import('./sources-wiring.js');
  const sources = await progressSources(env, client);
  const findings = await inspectForRecovery(client, io, ref, { sampleMs, signal, sources }).catch((err: unknown) => {
    if (signal.aborted) throw new InterruptedError('interrupted while watching the migration; nothing was changed');
    throw err;
  });
  const plan = planRecovery(findings, { assumeStuck: Boolean(flags.assumeStuck), minAgeMs });
  const f = plan.findings;
  const record = (outcome: 'success' | 'error' | 'rejected', reason?: string) =>
    journal.append({
      cloud,
      action: 'recover',
      volume_id: f.volume.id,
      volume_name: f.volume.name ?? null,
      source_host: f.host,
      destination: f.target?.id ?? null,
      options: { actions: plan.actions.map((a) => a.kind), assume_stuck: Boolean(flags.assumeStuck), migration_status: f.migrationStatus },
      outcome,
      ...(reason ? { reason } : {}),
    });

  ui.printFindings(out, plan);
  if (plan.refusal) {
    if (out.json) out.resultJson(ui.recoverJson(plan));
    await record('rejected', plan.refusal);
    out.error(`Error: ${plan.refusal}`);
    throw new ReportedError(plan.refusal, ExitCode.REJECTED);
  }
  if (plan.actions.length === 0) {
    if (out.json) out.resultJson(ui.recoverJson(plan));
    out.info('Nothing to do.');
    return 0;
  }

  ui.printIntent(out, plan);
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

  const outcome = await applyRecovery(client, plan, (r) => ui.printStep(out, r));
  if (outcome.changedMeanwhile) {
    const why = `volume ${f.volume.id} changed while recover was deciding (${outcome.changedMeanwhile}); nothing was changed. Look again with: volmig recover ${f.volume.id}`;
    if (out.json) out.resultJson(ui.recoverJson(plan, { outcome }));
    await record('rejected', why);
    out.error(`Error: ${why}`);
    throw new ReportedError(why, ExitCode.REJECTED);
  }
  ui.printChanges(out, outcome);
  if (out.json) out.resultJson(ui.recoverJson(plan, { applied: outcome.applied, outcome }));
  const failed = outcome.applied.find((a) => !a.ok);
  const summary = outcome.changes.map((c) => (c.field === 'existence' ? `${c.volumeId} deleted` : `${c.volumeId} ${c.field} ${c.before ?? 'none'} → ${c.after ?? 'none'}`)).join('; ');
  await record(failed ? 'error' : 'success', failed ? failed.error : summary || 'no change read back');
  if (failed) {
    out.error(`Recovery of volume ${f.volume.id} stopped: ${failed.error}`);
    throw new ReportedError(failed.error ?? 'recovery failed', ExitCode.FAILED);
  }
  const after = outcome.after;
  if (after) {
    const ms = after['os-vol-mig-status-attr:migstat'] ?? after.migration_status ?? null;
    out.success(`Recovered volume ${f.volume.id}: status ${after.status}, migration status ${ms ?? 'none'}, host ${after['os-vol-host-attr:host'] ?? 'unknown'}.`);
  }
  return 0;
}
