import type { Command } from 'commander';
import type { CommandContext } from './context.js';

export function registerHistory(program: Command, ctx: CommandContext): void {
  program
    .command('history')
    .description("show the local journal of migrations and retypes volmig started (this user's, on this machine)")
    .summary('show the journal of what volmig started here')
    .option('--volume <volume>', 'only entries for this volume id or name')
    .action((opts: { volume?: string }, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const { Journal } = await import('../migration/journal.js');
        const journal = new Journal(env.io);
        const entries = await journal.read(opts.volume !== undefined ? { volume: opts.volume } : {});
        if (env.out.json) {
          env.out.resultJson(entries);
          return 0;
        }
        if (entries.length === 0) {
          env.out.info(
            opts.volume !== undefined
              ? `No journal entries for volume ${opts.volume} in ${journal.path}.`
              : `The journal is empty (${journal.path}).`,
          );
          return 0;
        }
        const { renderTable } = await import('../ui/table.js');
        type Entry = (typeof entries)[number];
        // The cloud column only when the journal spans several clouds.
        const clouds = new Set(entries.map((e) => e.cloud));
        const lines = renderTable<Entry>(
          [
            { header: 'Time', value: (e) => e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
            ...(clouds.size > 1 ? [{ header: 'Cloud', value: (e: Entry) => e.cloud }] : []),
            { header: 'Action', value: (e) => e.action },
            { header: 'Volume', value: (e) => (e.volume_name ? `${e.volume_name} (${e.volume_id})` : e.volume_id) },
            { header: 'From', value: (e) => e.source_host ?? '-' },
            { header: 'To', value: (e) => e.destination ?? '-' },
            {
              header: 'Outcome',
              value: (e) => e.outcome,
              color: (padded, e) =>
                e.outcome === 'success' ? env.out.stdoutStyle.green(padded) : ['error', 'rejected', 'unknown', 'no-op', 'unclean'].includes(e.outcome) ? env.out.stdoutStyle.red(padded) : padded,
            },
            { header: 'Reason', value: (e) => e.reason ?? '-' },
          ],
          entries,
        );
        for (const line of lines) env.out.result(line);
        return 0;
      }),
    );
}
