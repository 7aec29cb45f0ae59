import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { UnavailableError, UsageError } from '../errors.js';

export function registerSandbox(program: Command, ctx: CommandContext): void {
  program
    .command('sandbox')
    .description('run a local Cinder-compatible Block Storage API with migration status, progress and notifications (no cloud needed)')
    .summary('run a local Cinder-compatible API (no cloud needed)')
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to listen on (default: a free port, named on the first output line)')
    .option('--data-dir <dir>', 'state, volume files, sandbox.log and notifications.jsonl, kept after the sandbox stops (default: a new temporary directory, removed when it stops)')
    .option('--seed <name>', 'create demo volumes on every pool on first start: demo or none', 'none')
    .option('--report-interval <seconds>', 'migration_progress_report_interval: how often progress is logged and notified', '5')
    .option('--copy-rate <MiB/s>', 'throttle every copy through the volume (holes included) so progress can be watched')
    .option('--transport-url <url>', 'also publish notifications to RabbitMQ (rabbit://user:pass@host:port/)')
    .option('--max-copies <n>', 'concurrent copies per backend', '2')
    .option('--admin-projects <list>', 'comma-separated projects whose users are admins', 'admin')
    .option('--size-unit-mib <n>', 'MiB of volume file per GiB of volume size (tests use small values)')
    .option('--phase-delay-ms <ms>', 'how long starting/creating/completing stay visible')
    .option('--max-microversion <3.x>', 'newest API microversion served, 3.0 to 3.72; below 3.72 volumes carry no migration_progress, like upstream Cinder', '3.72')
    .action((opts: Record<string, string | undefined>, cmd: Command) =>
      ctx.action(cmd, async (env) => {
        const { DataDirInUseError, parseSandboxFlags, runSandbox, SandboxFlagError } = await import('../sandbox/run.js');
        let options;
        try {
          options = parseSandboxFlags({
            host: opts.host,
            // A free port unless one is asked for: 8776 is Cinder's own, and on a Cinder host a sandbox there would
            // fail while the export line pasted from elsewhere reached the real API.
            port: opts.port ?? '0',
            dataDir: opts.dataDir,
            seed: opts.seed,
            reportInterval: opts.reportInterval,
            copyRate: opts.copyRate,
            transportUrl: opts.transportUrl,
            maxCopies: opts.maxCopies,
            adminProjects: opts.adminProjects,
            sizeUnitMib: opts.sizeUnitMib,
            phaseDelayMs: opts.phaseDelayMs,
            maxMicroversion: opts.maxMicroversion,
          });
        } catch (err) {
          if (err instanceof SandboxFlagError) throw new UsageError(err.message);
          throw err;
        }
        try {
          return await runSandbox(options, { stdout: env.io.stdout, stderr: env.io.stderr, signals: env.io.signals });
        } catch (err) {
          if (err instanceof DataDirInUseError) throw new UsageError(err.message, { hint: 'use another --data-dir, or stop that sandbox first' });
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
            throw new UnavailableError(`cannot listen on ${options.host ?? '127.0.0.1'}:${options.port}: ${(err as Error).message}`, {
              hint:
                code === 'EADDRINUSE'
                  ? `Something else listens on port ${options.port}${options.port === 8776 ? " (8776 is Cinder's own: on a Cinder host, the real Block Storage API)" : ''}; leave --port out for a free port.`
                  : undefined,
            });
          }
          throw err;
        }
      }),
    );
}
