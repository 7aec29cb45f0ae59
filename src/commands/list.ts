import type { Command } from 'commander';
import type { CommandContext } from './context.js';

export function registerList(program: Command, ctx: CommandContext): void {
  program
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
    .option('--limit <n>', 'list at most n volumes')
    .action((opts: Record<string, unknown>, cmd: Command) =>
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
        const client = await env.client();
        const closer = await (await import('./journal-wiring.js')).journalCloser(env, client, 'list');
        const { BatchedWriter, StreamingJsonArray, StreamingTable } = await import('../ui/table.js');
        const { volumeColumns } = await import('../ui/volume-view.js');
        const out = env.out;
        // One write per page of rows, not one per row; flushed before any message, error included.
        const batch = new BatchedWriter((text) => out.resultWrite(text));
        if (out.json) {
          // No closing bracket after a failure mid-listing: a truncated array must not parse as a complete one.
          const array = new StreamingJsonArray((text) => batch.text(text));
          try {
            for await (const row of listVolumeRows(client, options)) {
              closer.note(row.volume);
              array.push(row.volume);
            }
            array.end();
          } finally {
            batch.flush();
          }
          await closer.flush();
          return 0;
        }
        let count: number;
        const table = new StreamingTable(volumeColumns(out.stdoutStyle, { long: Boolean(opts.long) }), (line) => batch.line(line));
        try {
          for await (const row of listVolumeRows(client, options)) {
            closer.note(row.volume);
            table.push(row);
          }
        } finally {
          count = table.end();
          batch.flush();
        }
        await closer.flush();
        if (count === 0) {
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
