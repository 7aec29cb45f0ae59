import type { Command } from 'commander';
import type { CommandContext, CommandEnv } from './context.js';

interface SmokeFlags {
  pools?: string;
  size?: string;
  lock?: boolean;
  volumeType?: string;
  timeout?: string;
  interval?: string;
  junit?: string;
  keep?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  concurrency?: string;
}

export function registerSmoke(program: Command, ctx: CommandContext): void {
  program
    .command('smoke')
    .description('prove migration works between every ordered pair of pools: create, migrate, check, delete (for CI)')
    .summary('prove migration works between pools (for CI)')
    .option('--pools <p1,p2,...>', 'pools to test, host@backend#pool, comma-separated (default: every pool)')
    .option('--size <GiB>', 'size of each test volume', '1')
    .option('--lock', 'also run each pair locked (lock_volume: the volume shows maintenance while it moves)')
    .option('--volume-type <type>', 'type of the test volumes (default: one whose extra specs pin no backend)')
    .option('--timeout <duration>', 'limit for each creation, migration and deletion (default: the config timeout, else 30m)')
    .option('--interval <seconds>', 'poll interval', '2')
    .option('--junit <file>', 'write a JUnit XML report: one test case per pair')
    .option('--keep', 'do not delete the test volumes (for debugging)')
    .option('--concurrency <n>', 'pairs run at once, each with its own volume', '1')
    .option('--dry-run', 'list the pairs and the volumes it would create; create and send nothing')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (off a terminal smoke never asks)')
    .action((opts: SmokeFlags, cmd: Command) => ctx.action(cmd, (env) => smoke(env, opts)));
}

async function smoke(env: CommandEnv, flags: SmokeFlags): Promise<number> {
  const { io, out } = env;
  const { UsageError } = await import('../errors.js');
  const { parseDuration, INTERVAL_BOUNDS } = await import('../model/duration.js');
  const size = Number(flags.size ?? '1');
  if (!/^\d+$/.test(String(flags.size ?? '1')) || size < 1) throw new UsageError(`invalid value for --size: '${flags.size}' (expected a whole number of GiB, at least 1)`);
  const intervalMs = parseDuration(flags.interval ?? '2', '--interval', INTERVAL_BOUNDS);
  let pools: string[] | undefined;
  if (flags.pools !== undefined) {
    pools = [...new Set(flags.pools.split(',').map((p) => p.trim()).filter(Boolean))];
    const bad = pools.find((p) => !/^[^\s@#]+@[^\s@#]+#[^\s@#]+$/.test(p));
    if (bad !== undefined || pools.length === 0) throw new UsageError(`invalid value for --pools: '${flags.pools}' (expected host@backend#pool,host@backend#pool,...)`);
    if (pools.length < 2) throw new UsageError(`--pools needs at least two pools (got ${pools[0]})`);
  }
  if (flags.junit === '') throw new UsageError(`invalid value for --junit: '' (expected a file name)`);
  const concurrency = Number(flags.concurrency ?? '1');
  if (!/^\d+$/.test(String(flags.concurrency ?? '1')) || concurrency < 1) {
    throw new UsageError(`invalid value for --concurrency: '${flags.concurrency}' (expected a whole number, at least 1)`);
  }
  const settings = await env.settings();
  const timeoutMs = parseDuration(flags.timeout ?? settings.timeout ?? '30m', '--timeout');

  const client = await env.client();
  const { Journal, journalCloudName } = await import('../migration/journal.js');
  const { planSmoke, runSmoke, smokeSuite } = await import('../migration/smoke/index.js');
  const { smokeEvents, printSmokeSummary, printSmokePlan } = await import('../ui/smoke-presenter.js');
  const { nowFor } = await import('../io.js');
  const cloud = journalCloudName(env.globals.osCloud ?? io.env.OS_CLOUD ?? settings.cloud, client.endpoint);
  const options = { pools, sizeGiB: size, lock: Boolean(flags.lock), volumeType: flags.volumeType, timeoutMs, intervalMs, keep: Boolean(flags.keep), concurrency };

  // The plan reads pools and types only; the dry run ends there, the run asks first on a terminal.
  const plan = await planSmoke(client, options, nowFor(io)());
  const asks = !flags.dryRun && !flags.yes && io.isTTY && io.stdin !== undefined;
  if (flags.dryRun || asks) printSmokePlan(out, plan, { concurrency, lock: options.lock, keep: options.keep, dryRun: Boolean(flags.dryRun) });
  if (flags.dryRun) return 0;
  if (asks) {
    const [{ askConfirmation }, { InterruptedError }] = await Promise.all([import('../ui/evacuate-confirm.js'), import('../errors.js')]);
    const n = plan.pairs.length;
    const answer = await askConfirmation(io, `Create ${n} test volume${n === 1 ? '' : 's'} of ${size} GiB and migrate them (${n} pair${n === 1 ? '' : 's'})?`);
    if (answer === 'interrupted') throw new InterruptedError('interrupted before anything was created');
    if (answer === 'no') {
      out.info('Nothing was created.');
      return 0;
    }
  }

  const run = await runSmoke(options, { io, client, journal: new Journal(io, { onWriteError: (line) => out.warn(line) }), cloud, events: smokeEvents(out, { concurrency }), interruption: env.interruption }, plan);

  let junitPath: string | undefined;
  if (flags.junit) {
    const { renderJUnit } = await import('../migration/junit.js');
    const { writeFile, rename } = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    junitPath = resolve(io.cwd, flags.junit);
    const tmp = `${junitPath}.tmp-${process.pid}`;
    await writeFile(tmp, renderJUnit([smokeSuite(run, cloud)]), 'utf8');
    await rename(tmp, junitPath);
  }

  const failed = run.cases.filter((x) => !x.passed && !x.skipped).length;
  const exitCode = run.interrupted ? env.interruption.exitCode : failed > 0 || run.leftovers.length > 0 ? 1 : 0;
  printSmokeSummary(out, run, exitCode, junitPath);
  return exitCode;
}
