import type { Command } from 'commander';
import type { CommandContext, CommandEnv } from './context.js';
import type { EvacuationLimits, EvacuationRequest } from '../migration/evacuate/index.js';
import type { Volume } from '../model/cinder.js';
import { UsageError } from '../errors.js';

export function registerEvacuate(program: Command, ctx: CommandContext): void {
  program
    .command('evacuate')
    .description('move every volume off a backend or pool before maintenance, a few at a time, and watch them all')
    .summary('move every volume off a backend or pool')
    .requiredOption('--from <host@backend[#pool]>', 'source backend (every pool) or one pool')
    .requiredOption('--to <host@backend[#pool]...>', 'destination pool, or host@backend for all its pools; repeat or comma-separate to spread over several')
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
    .option('--notify <transport url>', "publish volume.migrate.* notifications to the cloud's bus (rabbit://user:pass@host:5672/)")
    .option('--interval <seconds>', 'poll interval (default: migration_progress_report_interval from the config, else 5)')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .action((opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const [{ hostMatches }, duration] = await Promise.all([import('../migration/list.js'), import('../model/duration.js')]);
        return evacuate(env, parseEvacuateOptions(opts, hostMatches, duration));
      }),
    );
}

async function evacuate(env: CommandEnv, options: EvacuateCliOptions): Promise<number> {
  const { io, out } = env;
  const { planEvacuation, preflightFor, runEvacuation } = await import('../migration/evacuate/index.js');
  const { Journal, journalCloudName } = await import('../migration/journal.js');
  const presenter = await import('../ui/evacuate-presenter.js');
  const { InterruptedError } = await import('../errors.js');

  const settings = await env.settings();
  const { notificationsFor } = await import('./notify-wiring.js');
  const notifications = await notificationsFor(env, options.notify, true, '');
  const client = await env.client();
  const cloud = journalCloudName(env.globals.osCloud ?? io.env.OS_CLOUD ?? settings.cloud, client.endpoint);
  const journal = new Journal(io, { onWriteError: (line) => out.warn(line) });
  const capLimits = { concurrency: options.limits.concurrency, maxPerDestination: options.limits.maxPerDestination };

  out.info(`Reading the volumes on ${options.request.from} (all projects)...`);
  const plan = await planEvacuation({ client, journal, cloud, preflight: preflightFor(client) }, options.request);
  let forecasts: Map<string, import('../migration/move-forecast.js').MoveForecast> | undefined;
  if (options.dryRun) {
    // Driver-assisted or generic, and where the progress will come from, for each move to send.
    const { createForecaster, sourceAccess } = await import('../migration/move-forecast.js');
    const forecaster = createForecaster(client, sourceAccess(settings.ceph, io.env));
    forecasts = new Map();
    for (const m of plan.moves) {
      if (m.action !== 'migrate') continue;
      forecasts.set(m.volume.id, await forecaster.migration({ volume: m.volume, destination: m.destination, forceHostCopy: options.request.forceHostCopy }));
    }
  }
  presenter.printPlan(out, plan, capLimits, options.dryRun, forecasts);
  if (options.dryRun) return 0;

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
      `Migrate ${toSend.length} volume${toSend.length === 1 ? '' : 's'} (${gib} GiB) from ${options.request.from} to ${plan.request.to.join(', ')}?`,
    );
    if (answer === 'interrupted') throw new InterruptedError('interrupted before anything was sent');
    if (answer === 'no') {
      out.info('Nothing was sent.');
      return 0;
    }
  }

  const intervalMs = options.limits.intervalMs ?? (settings.migration_progress_report_interval ?? 5) * 1000;
  let renderer = await presenter.createEvacuationRenderer(out, `Evacuating ${options.request.from}`);
  if (notifications) renderer = (await import('../migration/notifications.js')).notifyingEvacuationRenderer(renderer, notifications);
  const outcome = await runEvacuation(plan, { ...options.limits, intervalMs }, {
    io,
    client,
    journal,
    cloud,
    renderer,
    signal: env.interruption.signal,
    interruptedExitCode: () => env.interruption.exitCode,
  }).finally(() => notifications?.close());
  presenter.printOutcome(out, plan, outcome);
  return outcome.exitCode;
}

export interface EvacuateCliOptions {
  request: EvacuationRequest;
  limits: Omit<EvacuationLimits, 'intervalMs'> & { intervalMs?: number };
  dryRun: boolean;
  yes: boolean;
  notify?: string;
}

const POOL_RE = /^[^\s@#]+@[^\s@#]+(#[^\s@#]+)?$/;
const SOURCE_RE = /^[^\s@#]+(@[^\s@#]+(#[^\s@#]+)?)?$/;

function positiveInt(flag: string, value: unknown): number {
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`invalid value for ${flag}: '${text}' (expected a positive whole number)`);
  return Number(text);
}

/** Checks every flag before anything is read from the cloud; a bad value is a one-line usage error (exit 2). */
function parseEvacuateOptions(
  opts: Record<string, unknown>,
  hostMatches: (volume: Volume, wanted: string) => boolean,
  { parseDuration, INTERVAL_BOUNDS }: typeof import('../model/duration.js'),
): EvacuateCliOptions {
  const from = String(opts.from ?? '');
  if (!SOURCE_RE.test(from) || !from.includes('@')) {
    throw new UsageError(`invalid value for --from: '${from}' (expected host@backend or host@backend#pool)`);
  }
  const rawTo = (Array.isArray(opts.to) ? opts.to : [opts.to]).flatMap((t) => String(t ?? '').split(',')).map((t) => t.trim()).filter(Boolean);
  if (rawTo.length === 0) throw new UsageError(`invalid value for --to: '' (expected host@backend#pool)`);
  for (const t of rawTo) {
    if (!POOL_RE.test(t)) throw new UsageError(`invalid value for --to: '${t}' (expected host@backend#pool or host@backend)`);
  }
  const to = [...new Set(rawTo)];
  for (const t of to) {
    const pseudo = { 'os-vol-host-attr:host': t } as unknown as Volume;
    if (hostMatches(pseudo, from)) throw new UsageError(`--to ${t} is part of --from ${from}: a volume cannot be evacuated onto its own backend`);
  }
  const order = String(opts.order ?? 'size');
  if (order !== 'size' && order !== 'created') throw new UsageError(`invalid value for --order: '${order}' (expected size or created)`);
  const concurrency = positiveInt('--concurrency', opts.concurrency ?? '2');
  const maxPerDestination = opts.maxPerDestination === undefined ? concurrency : positiveInt('--max-per-destination', opts.maxPerDestination);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(String(opts.timeout), '--timeout');
  const intervalMs = opts.interval === undefined ? undefined : parseDuration(String(opts.interval), '--interval', INTERVAL_BOUNDS);
  if (opts.volumeType !== undefined && String(opts.volumeType) === '') throw new UsageError(`invalid value for --volume-type: '' (expected a type name or id)`);
  return {
    request: {
      from,
      to,
      volumeType: opts.volumeType as string | undefined,
      project: opts.project as string | undefined,
      includeInUse: Boolean(opts.includeInUse),
      order,
      force: Boolean(opts.force),
      forceHostCopy: Boolean(opts.forceHostCopy),
    },
    limits: { concurrency, maxPerDestination, continueOnError: Boolean(opts.continueOnError), timeoutMs, intervalMs },
    dryRun: Boolean(opts.dryRun),
    yes: Boolean(opts.yes),
    notify: opts.notify as string | undefined,
  };
}

