import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { addFormatOptions, type FormatFlags } from './format-options.js';

export function registerPools(program: Command, ctx: CommandContext): void {
  const command = program
    .command('pools')
    .description('list backend pools (host@backend#pool) with capacity and the migration_progress_report capability')
    .summary('list pools with capacity and progress reporting');
  addFormatOptions(command, "Name, Backend, Free, Total, 'Progress report', 'Report interval'").action((opts: FormatFlags, cmd: Command) =>
    ctx.action(cmd, async (env) => {
      const { formatRequest } = await import('./format-options.js');
      const [request, { renderRows, selectColumns }, { poolColumns }] = await Promise.all([
        formatRequest(env, opts),
        import('../ui/formats.js'),
        import('../ui/volume-view.js'),
      ]);
      const all = poolColumns();
      const columns = selectColumns(all, all.slice(0, 5), request.columns, 'pools');
      const client = await env.client();
      const pools = await client.getPools();
      if (pools.length === 0 && !env.out.json) env.out.info('No pools found (is a cinder-volume service up and reporting?).');
      // json without -c keeps the API's order and objects, as --json always printed them; the others sort by name.
      const rows = request.format === 'json' && request.columns.length === 0 ? pools : [...pools].sort((a, b) => a.name.localeCompare(b.name));
      env.out.resultWrite(await renderRows({ request, columns, document: (pool) => pool }, rows));
      return 0;
    }),
  );
}
