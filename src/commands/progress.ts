import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { UsageError } from '../errors.js';

export function registerProgress(program: Command, ctx: CommandContext): void {
  program
    .command('progress')
    .description('show how far migrations have got; --watch follows them to the end with live bars')
    .summary('show or follow how far migrations have got')
    .argument('[volume...]', 'volume ids or names')
    .option('--all', 'every volume whose migration is in flight, in every project (one list request per interval)')
    .option('--watch', 'follow until the migration ends: exit 0 success, 1 error, 7 timeout/stall, 130 Ctrl-C')
    .option('--interval <seconds>', 'poll interval in seconds (default: settings, pool capability, else 5)')
    .option('--timeout <duration>', 'with --watch: stop after this long, exit 7 (90s, 10m, 1h30m, or seconds)')
    .option('--stall-timeout <duration>', 'with --watch: exit 7 when nothing has changed for this long')
    .option('--notify <transport url>', "with --watch: publish volume.migrate.* notifications to the cloud's bus (rabbit://user:pass@host:5672/)")
    .action((refs: string[], opts: Record<string, unknown>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const all = Boolean(opts.all);
        if (all && refs.length > 0) throw new UsageError('give volumes or --all, not both');
        if (!all && refs.length === 0) throw new UsageError('name at least one volume, or use --all');
        const { waitDurations } = await import('./wait-wiring.js');
        const settings = await env.settings();
        const watch = Boolean(opts.watch);
        const { intervalMs: explicitInterval, timeoutMs, stallTimeoutMs } = await waitDurations(opts, settings, watch, '--watch');
        const { notificationsFor } = await import('./notify-wiring.js');
        const notifications = await notificationsFor(env, opts.notify, watch, '--watch');

        const client = await env.client();
        const run = await import('../migration/progress-run.js');
        const { nowFor } = await import('../io.js');
        const fmt = await import('../ui/progress-format.js');
        const closer = await (await import('./journal-wiring.js')).journalCloser(env, client, watch ? 'progress --watch' : 'progress');
        if (!watch) {
          const snaps = await run.readProgressOnce(client, env.io, refs, all);
          for (const s of snaps) closer.note(s.volume);
          await closer.flush();
          if (env.out.json) {
            env.out.resultJson(snaps.map((s) => fmt.progressEvent(s)));
            return 0;
          }
          if (snaps.length === 0) {
            env.out.result(all ? 'No migration is in flight.' : 'No volumes.');
            return 0;
          }
          for (const s of snaps) env.out.result(fmt.oneShotLine(s));
          return 0;
        }
        const { resolvePollIntervalMs } = await import('../migration/interval.js');
        const { createProgressSink } = await import('../ui/progress-renderer.js');
        const { volumeHost } = await import('../model/cinder.js');
        let hosts: (string | null)[] = [];
        if (explicitInterval === undefined && settings.migration_progress_report_interval === undefined && !all) {
          hosts = (await Promise.all(refs.map((r) => client.findVolume(r, { allProjects: true })))).map((v) => volumeHost(v));
        }
        const intervalMs = await resolvePollIntervalMs(explicitInterval, settings.migration_progress_report_interval, client, hosts);
        const { notifyingSink } = await import('../migration/notifications.js');
        const summary = await run.watchProgress(
          { refs, all, intervalMs, timeoutMs, stallTimeoutMs },
          {
            client,
            io: env.io,
            signal: env.interruption.signal,
            interruptedExitCode: () => env.interruption.exitCode,
            createSink: async (n) => {
              const sink = await createProgressSink(env.out, n, nowFor(env.io));
              return notifications ? notifyingSink(sink, notifications) : sink;
            },
            knownStarts: async (ids) => closer.starts(ids),
            onResult: (r) => {
              closer.noteResult(r);
              return closer.flush();
            },
            sources: await (await import('./sources-wiring.js')).progressSources(env, client),
          },
        ).finally(() => notifications?.close());
        return summary.exitCode;
      }),
    );
}
