// Not a command: the wiring shared by the commands that can wait (migrate, retype, progress), imported inside
// their actions so that `--help` never loads it.
import type { BlockStorageClient } from '../api/block-storage.js';
import type { Volume } from '../model/cinder.js';
import type { CommandEnv } from './context.js';
import type { VolmigSettings } from '../config/settings.js';
import type { RequestEvents } from '../migration/events.js';
import type { JournalHook } from '../migration/journal-hook.js';
import type { ProgressSink } from '../migration/progress.js';
import type { ProgressSources } from '../migration/sources/sources.js';
import type { Forecaster } from '../migration/move-forecast.js';
import type { Io } from '../io.js';
import { UsageError } from '../errors.js';

export interface WaitDurations {
  intervalMs?: number;
  timeoutMs?: number;
  stallTimeoutMs?: number;
}

/**
 * --interval, --timeout and --stall-timeout in ms, in the one duration grammar, checked in that order (a bad value is
 * a usage error naming the flag). `waits`: the command waits (--wait/--watch); the timeouts are meaningless without
 * it, so giving one is a usage error rather than silently ignored, and the settings file's apply only then.
 */
export async function waitDurations(opts: Record<string, unknown>, settings: VolmigSettings, waits = true, waitFlag = '--wait'): Promise<WaitDurations> {
  const { parseDuration, INTERVAL_BOUNDS } = await import('../model/duration.js');
  for (const [key, flag] of [['timeout', '--timeout'], ['stallTimeout', '--stall-timeout'], ['interval', '--interval']] as const) {
    if (!waits && opts[key] !== undefined) throw new UsageError(`${flag} applies only with ${waitFlag}: add ${waitFlag}, or leave ${flag} out`);
  }
  const timeout = (opts.timeout as string | undefined) ?? (waits ? settings.timeout : undefined);
  const stall = (opts.stallTimeout as string | undefined) ?? (waits ? settings.stall_timeout : undefined);
  return {
    intervalMs: opts.interval !== undefined ? parseDuration(String(opts.interval), '--interval', INTERVAL_BOUNDS) : undefined,
    timeoutMs: timeout !== undefined ? parseDuration(timeout, '--timeout') : undefined,
    stallTimeoutMs: stall !== undefined ? parseDuration(stall, '--stall-timeout') : undefined,
  };
}

/** What migrateVolume and retypeVolume need besides the request itself. */
export interface RequestDeps {
  client: BlockStorageClient;
  io: Io;
  events: RequestEvents;
  signal: AbortSignal;
  interruptedExitCode: () => number;
  createSink: (volumes: number) => Promise<ProgressSink>;
  /** --interval, else the settings file, else the smallest interval the source (and destination) pools report. */
  resolveIntervalMs: (volume: Volume, destination?: string | null) => Promise<number>;
  sources?: ProgressSources;
  journal: JournalHook;
  forecast?: Forecaster;
}

/**
 * The wiring `migrate` and `retype` share: settings, the wait flags (checked before any request), the client, the
 * presenters, the poll interval and the journal.
 */
export async function requestWiring(
  env: CommandEnv,
  opts: Record<string, unknown>,
): Promise<{ deps: RequestDeps; timeoutMs?: number; stallTimeoutMs?: number; finish: () => Promise<void> }> {
  const settings = await env.settings();
  const waits = Boolean(opts.wait);
  const { intervalMs, timeoutMs, stallTimeoutMs } = await waitDurations(opts, settings, waits);
  const { notificationsFor } = await import('./notify-wiring.js');
  const notifications = await notificationsFor(env, opts.notify, waits, '--wait');
  const deps = await requestDeps(env, settings, intervalMs);
  if (opts.dryRun) {
    const { createForecaster, sourceAccess } = await import('../migration/move-forecast.js');
    deps.forecast = createForecaster(deps.client, sourceAccess(settings.ceph, env.io.env));
  }
  if (waits) {
    const { progressSources } = await import('./sources-wiring.js');
    deps.sources = await progressSources(env, deps.client);
  }
  if (notifications) {
    const { notifyingSink } = await import('../migration/notifications.js');
    const createSink = deps.createSink;
    deps.createSink = async (n) => notifyingSink(await createSink(n), notifications);
  }
  return { deps, timeoutMs, stallTimeoutMs, finish: async () => notifications?.close() };
}

async function requestDeps(env: CommandEnv, settings: VolmigSettings, intervalMs: number | undefined): Promise<RequestDeps> {
  const client = await env.client();
  const [{ resolvePollIntervalMs }, { createProgressSink }, { createRequestPresenter }, { journalHook }, { nowFor }, { volumeHost }] = await Promise.all([
    import('../migration/interval.js'),
    import('../ui/progress-renderer.js'),
    import('../ui/request-presenter.js'),
    import('../migration/journal-hook.js'),
    import('../io.js'),
    import('../model/cinder.js'),
  ]);
  return {
    client,
    io: env.io,
    events: createRequestPresenter(env.out),
    signal: env.interruption.signal,
    interruptedExitCode: () => env.interruption.exitCode,
    createSink: (n) => createProgressSink(env.out, n, nowFor(env.io)),
    resolveIntervalMs: (volume, destination = null) =>
      resolvePollIntervalMs(intervalMs, settings.migration_progress_report_interval, client, [volumeHost(volume), destination]),
    journal: await journalHook(env.io, client, env.globals.osCloud ?? env.io.env.OS_CLOUD ?? settings.cloud, (line) => env.out.warn(line)),
  };
}
