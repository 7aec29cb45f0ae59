import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { UsageError } from '../errors.js';

export function registerMigrate(program: Command, ctx: CommandContext): void {
  program
    .command('migrate')
    .description('move a volume to another backend or pool (os-migrate_volume), after checking it can go there')
    .summary('move a volume to another backend or pool')
    .argument('<volume>', 'volume id, or a name that matches exactly one volume')
    .argument('[host]', 'destination host@backend#pool (see volmig pools)')
    .option('--force', 'lock the volume for the migration: an available volume goes to maintenance, attach/detach are refused until it ends')
    .option('--force-host-copy', 'skip the driver-assisted path and copy through the volume service (generic migration)')
    .option('--cluster <name>', 'migrate to a cluster instead of a host (API 3.16 or later)')
    .option('--wait', 'follow the migration to its end (like progress --watch): exit 0 success, 1 error, 7 timeout/stall')
    .option('--timeout <duration>', 'with --wait: stop waiting after this long, exit 7 (90s, 10m, 1h30m, or seconds)')
    .option('--stall-timeout <duration>', 'with --wait: exit 7 when progress has not changed for this long')
    .option('--notify <transport url>', 'with --wait: publish volume.migrate.* notifications to the cloud\'s bus (rabbit://user:pass@host:5672/)')
    .option('--interval <seconds>', 'with --wait: poll interval in seconds (default: settings, pool capability, else 5)')
    .option('--dry-run', 'run the pre-flight checks only; send nothing')
    .option('--skip-checks', 'send the request without pre-flight checks (Cinder\'s own answer is what you see)')
    .action((volumeRef: string, host: string | undefined, opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const cluster = opts.cluster as string | undefined;
        await checkMigrateArguments(volumeRef, host, cluster);
        const { requestWiring } = await import('./wait-wiring.js');
        const { deps, timeoutMs, stallTimeoutMs, finish } = await requestWiring(env, opts);
        const { migrateVolume } = await import('../migration/migrate.js');
        try {
          return await migrateVolume(
            {
              volumeRef,
              host,
              cluster,
              force: Boolean(opts.force),
              forceHostCopy: Boolean(opts.forceHostCopy),
              dryRun: Boolean(opts.dryRun),
              skipChecks: Boolean(opts.skipChecks),
              wait: Boolean(opts.wait),
              timeoutMs,
              stallTimeoutMs,
            },
            deps,
          );
        } finally {
          await finish();
        }
      }),
    );
}

/** host@backend or host@backend#pool: what Cinder calls a host, and what `volmig pools` lists. */
const HOST_SHAPE = /^[^\s@#]+@[^\s@#]+(#[^\s@#]+)?$/;

/**
 * The destination, checked before any request: exactly one of a host and --cluster, and not a host in the volume's
 * place. `migrate <host> <volume>` would otherwise end in "No volume ... 'node2@ceph#rbd'".
 */
async function checkMigrateArguments(volumeRef: string, host: string | undefined, cluster: string | undefined): Promise<void> {
  const swapped = host !== undefined && HOST_SHAPE.test(volumeRef) && !HOST_SHAPE.test(host);
  const noDestination = (host === undefined) === (cluster === undefined);
  if (!swapped && !noDestination) return;
  const { shellWord } = await import('../help/text.js');
  if (swapped) {
    throw new UsageError(`'${volumeRef}' looks like a destination host and '${host}' like a volume: the volume comes first`, {
      hint: `did you mean: volmig migrate ${shellWord(host!)} ${shellWord(volumeRef)}?`,
    });
  }
  if (noDestination) {
    throw new UsageError('give exactly one destination: a host (host@backend#pool) or --cluster NAME', {
      hint: host === undefined && cluster === undefined && HOST_SHAPE.test(volumeRef) ? `the volume comes first: volmig migrate <volume> ${shellWord(volumeRef)}` : undefined,
    });
  }
}
