import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { addFormatOptions, type FormatFlags } from './format-options.js';

interface HistoryFlags extends FormatFlags {
  volume?: string;
  since?: string;
  cloud?: string;
  limit?: string;
}

export function registerHistory(program: Command, ctx: CommandContext): void {
  const command = program
    .command('history')
    .description("show the local journal of migrations and retypes volmig started (this user's, on this machine)")
    .summary('show the journal of what volmig started here')
    .option('--volume <volume>', 'only entries for this volume id or name')
    .option('--since <when>', 'only entries since a duration ago (2h, 7d) or an ISO time (2026-11-27T10:00Z)')
    .option('--cloud <name>', 'only entries for this cloud (its clouds.yaml name, or the endpoint URL as shown)')
    .option('--limit <n>', 'only the n most recent entries (after the other filters)');
  addFormatOptions(command, "Time, Cloud, Action, Volume, From, To, Outcome, Reason, 'Volume ID', 'Volume name', 'Request ID'").action(
    (opts: HistoryFlags, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const [{ formatRequest }, { parseHistoryFilter, filterHistory }] = await Promise.all([import('./format-options.js'), import('../migration/history.js')]);
        const { nowFor } = await import('../io.js');
        const filter = parseHistoryFilter(opts, nowFor(env.io)());
        const request = await formatRequest(env, opts);
        const [{ Journal }, { renderRows, selectColumns }, { historyColumns, defaultHistoryColumns }] = await Promise.all([
          import('../migration/journal.js'),
          import('../ui/formats.js'),
          import('../ui/history-view.js'),
        ]);
        const all = historyColumns(env.out.stdoutStyle);
        // Checked before the journal is read: a typo in -c is a usage error whatever the journal holds.
        if (request.columns.length > 0) selectColumns(all, all, request.columns, 'history');
        const journal = new Journal(env.io);
        const entries = filterHistory(await journal.read(opts.volume !== undefined ? { volume: opts.volume } : {}), filter);
        const columns = selectColumns(all, defaultHistoryColumns(all, entries, request.format), request.columns, 'history');
        if (entries.length === 0 && !env.out.json) {
          const filtered = opts.volume !== undefined || filter.sinceMs !== undefined || filter.cloud !== undefined;
          env.out.info(
            opts.volume !== undefined && filter.sinceMs === undefined && filter.cloud === undefined
              ? `No journal entries for volume ${opts.volume} in ${journal.path}.`
              : filtered
                ? `No journal entries match in ${journal.path}.`
                : `The journal is empty (${journal.path}).`,
          );
        }
        env.out.resultWrite(await renderRows({ request, columns, document: (entry) => entry }, entries));
        return 0;
      }),
  );
}
