import type { Command } from 'commander';
import type { CommandContext } from './context.js';

export function registerPools(program: Command, ctx: CommandContext): void {
  program
    .command('pools')
    .description('list backend pools (host@backend#pool) with capacity and the migration_progress_report capability')
    .summary('list pools with capacity and progress reporting')
    .action((_opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const client = await env.client();
        const pools = await client.getPools();
        if (env.out.json) {
          env.out.resultJson(pools);
          return 0;
        }
        if (pools.length === 0) {
          env.out.info('No pools found (is a cinder-volume service up and reporting?).');
          return 0;
        }
        const { renderPools } = await import('../ui/volume-view.js');
        for (const line of renderPools([...pools].sort((a, b) => a.name.localeCompare(b.name)))) env.out.result(line);
        return 0;
      }),
    );
}
