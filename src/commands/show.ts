import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { addFormatOptions, type FormatFlags } from './format-options.js';

export function registerShow(program: Command, ctx: CommandContext): void {
  const command = program
    .command('show')
    .description('show one volume: status, host, migration status, name_id, attachments and, while a generic migration copies, its destination')
    .summary('show one volume, and where its migration is going')
    .argument('<volume>', 'volume id, or a name that matches exactly one volume')
    .option('--all-projects', 'resolve the name in every project (admin)');
  addFormatOptions(command, "the view's keys, e.g. id, status, host, 'migration status'").action(
    (ref: string, opts: Record<string, unknown> & FormatFlags, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        if (ref.trim() === '') {
          const { UsageError } = await import('../errors.js');
          throw new UsageError("an empty volume reference: give a volume id, or a name that matches exactly one volume");
        }
        const { formatRequest } = await import('./format-options.js');
        const [request, { renderSingle, selectColumns }, { presentShowFields, renderShowFields, showFields }] = await Promise.all([
          formatRequest(env, opts),
          import('../ui/formats.js'),
          import('../ui/volume-view.js'),
        ]);
        const fields = showFields(env.out.stdoutStyle);
        // Checked before any request: a typo in -c costs nothing.
        const chosen = request.columns.length > 0 ? selectColumns(fields, fields, request.columns, 'show') : undefined;
        const client = await env.client();
        const [{ findMigrationTarget }, { isInFlight }] = await Promise.all([import('../migration/list.js'), import('../model/cinder.js')]);
        const volume = await client.findVolume(ref, { allProjects: Boolean(opts.allProjects) }).catch(async (err: unknown) => {
          const [{ NotFoundError }, { shellWord }] = await Promise.all([import('../errors.js'), import('../help/text.js')]);
          // Without --all-projects a name is looked up in the current project only (and an id, for a non-admin).
          if (opts.allProjects || !(err instanceof NotFoundError)) throw err;
          throw new NotFoundError(err.message, { hint: `Only project ${client.projectId} was searched; every project: volmig show ${shellWord(ref)} --all-projects` });
        });
        const target = isInFlight(volume) ? await findMigrationTarget(client, volume.id) : undefined;
        const closer = await (await import('./journal-wiring.js')).journalCloser(env, client, 'show');
        closer.note(volume);
        await closer.flush();
        const row = target ? { volume, target } : { volume };
        // The table shows the fields the volume has; the machine formats always give every field (a stable shape).
        const columns = chosen ?? (request.format === 'table' ? presentShowFields(fields, row) : fields);
        const text = await renderSingle(
          {
            request,
            columns,
            document: () => ({ ...volume, volmig: { target: target ?? null } }),
            table: (shown) => renderShowFields(shown, row),
          },
          row,
        );
        env.out.resultWrite(text);
        return 0;
      }),
  );
}
