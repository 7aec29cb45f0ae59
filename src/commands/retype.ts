import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { invalidOption } from './context.js';

export function registerRetype(program: Command, ctx: CommandContext): void {
  program
    .command('retype')
    .description('change a volume\'s type (os-retype), migrating it when the policy allows and the type needs it')
    .summary("change a volume's type, migrating it if needed")
    .argument('<volume>', 'volume id, or a name that matches exactly one volume')
    .argument('<type>', 'new volume type, by name or id')
    .option('--migration-policy <policy>', 'never (default, Cinder\'s) or on-demand (move the volume if the new type needs another backend)', 'never')
    .option('--wait', 'follow the retype (and any migration it starts) to its end: exit 0 new type, 1 refused/failed, 7 timeout')
    .option('--timeout <duration>', 'with --wait: stop waiting after this long, exit 7')
    .option('--stall-timeout <duration>', 'with --wait: exit 7 when nothing has changed for this long')
    .option('--notify <transport url>', 'with --wait: publish volume.migrate.* notifications to the cloud\'s bus (rabbit://user:pass@host:5672/)')
    .option('--interval <seconds>', 'with --wait: poll interval in seconds')
    .option('--dry-run', 'run the pre-flight checks only; send nothing')
    .option('--skip-checks', 'send the request without pre-flight checks')
    .action((volumeRef: string, typeRef: string, opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const policy = String(opts.migrationPolicy);
        if (policy !== 'never' && policy !== 'on-demand') throw invalidOption('--migration-policy', policy, 'never or on-demand');
        const { requestWiring } = await import('./wait-wiring.js');
        const { deps, timeoutMs, stallTimeoutMs, finish } = await requestWiring(env, opts);
        const { retypeVolume } = await import('../migration/retype.js');
        try {
          return await retypeVolume(
            {
              volumeRef,
              typeRef,
              migrationPolicy: policy,
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
