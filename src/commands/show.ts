import type { Command } from 'commander';
import type { CommandContext } from './context.js';

export function registerShow(program: Command, ctx: CommandContext): void {
  program
    .command('show')
    .description('show one volume: status, host, migration status, name_id, attachments and, while a generic migration copies, its destination')
    .summary('show one volume, and where its migration is going')
    .argument('<volume>', 'volume id, or a name that matches exactly one volume')
    .option('--all-projects', 'resolve the name in every project (admin)')
    .action((ref: string, opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        if (ref.trim() === '') {
          const { UsageError } = await import('../errors.js');
          throw new UsageError("an empty volume reference: give a volume id, or a name that matches exactly one volume");
        }
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
        if (env.out.json) {
          env.out.resultJson({ ...volume, volmig: { target: target ?? null } });
          return 0;
        }
        const { renderVolumeView } = await import('../ui/volume-view.js');
        for (const line of renderVolumeView({ volume, target }, env.out.stdoutStyle)) env.out.result(line);
        return 0;
      }),
    );
}
