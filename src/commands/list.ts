import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { addFormatOptions, type FormatFlags } from './format-options.js';

export function registerList(program: Command, ctx: CommandContext): void {
  const command = program
    .command('list')
    .description('list volumes with their host and migration status (streams every page)')
    .summary('list volumes with their host and migration status')
    .option('--migration-status <status>', 'none, starting, migrating, completing, success, error, deleting or target:<volume id>')
    .option('--status <status>', 'volume status, e.g. available, in-use, maintenance, error')
    .option('--host <host>', 'host@backend#pool (exact), or host@backend / host for every pool below it')
    .option('--name <name>', 'exact volume name')
    .option('--all-projects', 'volumes of every project (admin)')
    .option('--long', 'add type, project, name_id and progress columns')
    .option('--show-targets', 'also list the temporary destination volumes of generic migrations')
    .option('--limit <n>', 'list at most n volumes');
  addFormatOptions(command, 'ID, Name, Status, Size, Host, Migration, Type, Project, Name ID, Progress, Destination').action(
    (opts: Record<string, unknown> & FormatFlags, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const { parseListOptions, listVolumeRows } = await import('../migration/list.js');
        const options = parseListOptions({
          migrationStatus: opts.migrationStatus as string | undefined,
          status: opts.status as string | undefined,
          host: opts.host as string | undefined,
          name: opts.name as string | undefined,
          allProjects: opts.allProjects as boolean | undefined,
          showTargets: opts.showTargets as boolean | undefined,
          limit: opts.limit as string | undefined,
        });
        const { formatRequest } = await import('./format-options.js');
        const [request, { BatchedWriter }, { createRowWriter, selectColumns }, { listColumns, defaultListColumns }] = await Promise.all([
          formatRequest(env, opts),
          import('../ui/table.js'),
          import('../ui/formats.js'),
          import('../ui/volume-view.js'),
        ]);
        const all = listColumns(env.out.stdoutStyle);
        const columns = selectColumns(all, defaultListColumns(all, { long: Boolean(opts.long) }), request.columns, 'list');
        const client = await env.client();
        const closer = await (await import('./journal-wiring.js')).journalCloser(env, client, 'list');
        const out = env.out;
        // One write per page of rows, not one per row; flushed before any message, error included.
        const batch = new BatchedWriter((text) => out.resultWrite(text));
        const writer = await createRowWriter({ request, columns, write: (text) => batch.text(text), document: (row) => row.volume });
        let count: number | undefined;
        try {
          for await (const row of listVolumeRows(client, options)) {
            closer.note(row.volume);
            writer.push(row);
          }
          count = writer.end();
        } finally {
          // After a failure mid-listing a table still prints its buffered rows (they are true); value and csv buffer
          // nothing (and print no csv header for a listing that never started); a JSON array is left unclosed: a
          // truncated array must not parse as a complete one.
          if (count === undefined && request.format === 'table') count = writer.end();
          batch.flush();
        }
        await closer.flush();
        if (count === 0 && !out.json) {
          out.info(
            options.allProjects
              ? 'No volumes found.'
              : `No volumes found in project ${client.projectId} (--all-projects lists every project).`,
          );
        }
        return 0;
      }),
  );
}
