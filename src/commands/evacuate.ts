import type { Command } from 'commander';
import type { CommandContext, CommandEnv } from './context.js';
import type { EvacuateCliOptions } from '../migration/evacuate.js';

export function registerEvacuate(program: Command, ctx: CommandContext): void {
  program
    .command('evacuate')
    .description('move every volume off a backend or pool before maintenance, a few at a time, and watch them all')
    .requiredOption('--from <host@backend[#pool]>', 'source backend (every pool) or one pool')
    .requiredOption('--to <host@backend#pool...>', 'destination pool; repeat or comma-separate to spread over several')
    .option('--volume-type <type>', 'only volumes of this type (name or id)')
    .option('--project <id>', 'only volumes of this project')
    .option('--include-in-use', 'also migrate attached volumes (needs the compute service to swap them)')
    .option('--concurrency <n>', 'at most n migrations in flight', '2')
    .option('--max-per-destination <n>', 'at most n migrations in flight into one pool (default: --concurrency)')
    .option('--order <order>', 'size (largest first) or created (oldest first)', 'size')
    .option('--force', 'lock each volume for its migration (lock_volume: available volumes go to maintenance)')
    .option('--force-host-copy', 'force the generic host-assisted copy')
    .option('--dry-run', 'print the plan (moves, refusals with reasons, total size) and send nothing')
    .option('--continue-on-error', 'keep starting migrations after one fails')
    .option('--timeout <duration>', 'stop waiting after this long (exit 7; migrations go on on the server)')
    .option('--interval <seconds>', 'poll interval (default: migration_progress_report_interval from the config, else 5)')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 every selected volume moved; 1 a migration failed or a volume was refused;',
        '2 usage (also: --yes missing off a terminal); 7 timed out; 130 interrupted (Ctrl-C).',
        'Running the same command again resumes: volumes already on the destination are skipped and',
        'migrations in flight are followed, never sent twice.',
        '',
        'Examples:',
        '  volmig evacuate --from node1@lvm --to node2@ceph#rbd --dry-run',
        '  volmig evacuate --from node1@lvm --to node2@ceph#rbd --concurrency 4 --order created --yes',
      ].join('\n'),
    )
    .action((opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const { parseEvacuateOptions } = await import('../migration/evacuate.js');
        return evacuate(env, parseEvacuateOptions(opts));
      }),
    );
}

async function evacuate(env: CommandEnv, options: EvacuateCliOptions): Promise<number> {
  const { io, out } = env;
  const { planEvacuation, preflightFor, runEvacuation } = await import('../migration/evacuate.js');
  const { Journal, journalCloudName } = await import('../migration/journal.js');
  const fmt = await import('../ui/evacuate-format.js');
  const json = await import('../ui/evacuate-json.js');
  const { UsageError, InterruptedError } = await import('../errors.js');
  const { nowFor } = await import('../io.js');
  const now = nowFor(io);

  const settings = await env.settings();
  const client = await env.client();
  const cloud = journalCloudName(env.globals.osCloud ?? io.env.OS_CLOUD ?? settings.cloud, client.endpoint);
  const journal = new Journal(io);
  const capLimits = { concurrency: options.limits.concurrency, maxPerDestination: options.limits.maxPerDestination };

  out.info(`Reading the volumes on ${options.request.from} (all projects)...`);
  const plan = await planEvacuation({ client, journal, cloud, preflight: preflightFor(client) }, options.request);
  for (const w of plan.warnings) out.warn(w);

  if (options.dryRun) {
    if (out.json) out.resultJson(json.planJson(plan, true, capLimits), { lines: true });
    else for (const line of fmt.renderPlan(plan, capLimits)) out.result(line);
    return 0;
  }

  if (out.json) out.resultJson(json.planJson(plan, false, capLimits), { lines: true });
  else for (const line of fmt.renderPlan(plan, capLimits)) out.info(line);

  const toSend = plan.moves.filter((m) => m.action === 'migrate');
  if (toSend.length > 0 && !options.yes) {
    if (!io.isTTY || !io.stdin) {
      throw new UsageError('evacuate sends migrations: confirm with --yes (there is no terminal to ask on)', {
        hint: 'Check the plan first with --dry-run.',
      });
    }
    const { askConfirmation } = await import('../ui/evacuate-confirm.js');
    const gib = toSend.reduce((t, m) => t + m.volume.size, 0);
    const answer = await askConfirmation(
      io,
      `Migrate ${toSend.length} volume${toSend.length === 1 ? '' : 's'} (${gib} GiB) from ${options.request.from} to ${options.request.to.join(', ')}?`,
    );
    if (answer === 'interrupted') throw new InterruptedError('interrupted before anything was sent');
    if (answer === 'no') {
      out.info('Nothing was sent.');
      return 0;
    }
  }

  const intervalMs = options.limits.intervalMs ?? (settings.migration_progress_report_interval ?? 5) * 1000;
  const title = `Evacuating ${options.request.from}`;
  let renderer;
  if (out.json) renderer = new json.JsonEvacuationRenderer(out, now);
  else if (out.interactive) {
    const { TtyEvacuationRenderer } = await import('../ui/evacuate-tty.js');
    renderer = await TtyEvacuationRenderer.create(out, title, now);
  } else {
    const { PlainEvacuationRenderer } = await import('../ui/evacuate-plain.js');
    renderer = new PlainEvacuationRenderer(out, now);
  }

  const outcome = await runEvacuation(plan, { ...options.limits, intervalMs }, { io, client, journal, cloud, renderer });

  if (out.json) {
    out.resultJson(json.summaryJson(plan, outcome, now()), { lines: true });
  } else {
    for (const line of fmt.renderSummaryTable(fmt.summaryRows(plan, outcome))) out.result(line);
  }
  const closing = fmt.closingLine(plan, outcome);
  if (outcome.exitCode === 0) out.success(closing);
  else out.error(closing);

  const running = outcome.states.filter((s) => s.result === 'running').map((s) => s.move.volume.id);
  if (running.length) {
    out.info(`Still migrating on the server: ${running.join(' ')}`);
    out.info(`Follow them with: volmig progress ${running.join(' ')} --watch`);
  }
  if (outcome.end !== 'completed' || outcome.states.some((s) => s.result === 'not-started')) {
    out.info('Run the same evacuate command again to resume: moved volumes are skipped, running ones followed, none sent twice.');
  }
  return outcome.exitCode;
}
