// Not a command: the wiring shared by the commands that can wait (migrate, retype, progress), imported inside
// their actions so that `--help` never loads it.
import type { BlockStorageClient } from '../api/block-storage.js';
import type { Volume } from '../model/cinder.js';
import type { CommandEnv } from './context.js';
import type { VolmigSettings } from '../config/settings.js';
import type { JournalHook } from '../migration/migrate.js';
import type { ProgressSink } from '../migration/progress.js';
import type { Reporter } from '../migration/report.js';
import type { Io } from '../io.js';

export interface WaitDurations {
  intervalMs?: number;
  timeoutMs?: number;
  stallTimeoutMs?: number;
}

/**
 * --interval, --timeout and --stall-timeout in ms, checked in that order (a bad value is a usage error naming the
 * flag). The two timeouts fall back to the settings file only when the command waits.
 */
export async function waitDurations(opts: Record<string, unknown>, settings: VolmigSettings, waits = true): Promise<WaitDurations> {
  const { parseDuration } = await import('../model/duration.js');
  const timeout = (opts.timeout as string | undefined) ?? (waits ? settings.timeout : undefined);
  const stall = (opts.stallTimeout as string | undefined) ?? (waits ? settings.stall_timeout : undefined);
  return {
    intervalMs: opts.interval !== undefined ? parseDuration(String(opts.interval), '--interval') : undefined,
    timeoutMs: timeout !== undefined ? parseDuration(timeout, '--timeout') : undefined,
    stallTimeoutMs: stall !== undefined ? parseDuration(stall, '--stall-timeout') : undefined,
  };
}

/** What migrateVolume and retypeVolume need besides the request itself. */
export interface RequestDeps {
  client: BlockStorageClient;
  io: Io;
  out: Reporter;
  createSink: (volumes: number) => Promise<ProgressSink>;
  /** --interval, else the settings file, else the smallest interval the source (and destination) pools report. */
  resolveIntervalMs: (volume: Volume, destination?: string | null) => Promise<number>;
  journal: JournalHook;
}

/**
 * The wiring `migrate` and `retype` share: settings, the wait flags (checked before any request), the client, the
 * progress display, the poll interval and the journal.
 */
export async function requestWiring(env: CommandEnv, opts: Record<string, unknown>): Promise<{ deps: RequestDeps; timeoutMs?: number; stallTimeoutMs?: number }> {
  const settings = await env.settings();
  const { intervalMs, timeoutMs, stallTimeoutMs } = await waitDurations(opts, settings);
  return { deps: await requestDeps(env, settings, intervalMs), timeoutMs, stallTimeoutMs };
}

async function requestDeps(env: CommandEnv, settings: VolmigSettings, intervalMs: number | undefined): Promise<RequestDeps> {
  const client = await env.client();
  const [{ resolvePollIntervalMs }, { createProgressSink }, { journalHook }, { nowFor }, { volumeHost }] = await Promise.all([
    import('../migration/wait.js'),
    import('../ui/progress-renderer.js'),
    import('../migration/journal-hook.js'),
    import('../io.js'),
    import('../model/cinder.js'),
  ]);
  return {
    client,
    io: env.io,
    out: env.out,
    createSink: (n) => createProgressSink(env.out, n, nowFor(env.io)),
    resolveIntervalMs: (volume, destination = null) =>
      resolvePollIntervalMs(intervalMs, settings.migration_progress_report_interval, client, [volumeHost(volume), destination]),
    journal: await journalHook(env.io, client, env.globals.osCloud ?? env.io.env.OS_CLOUD ?? settings.cloud),
  };
}
