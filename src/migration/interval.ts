import type { BlockStorageClient } from '../api/block-storage.js';
import { INTERVAL_BOUNDS } from '../model/duration.js';

const DEFAULT_INTERVAL_MS = 5000;

/**
 * Poll interval: --interval, else volmig's `migration_progress_report_interval` setting, else the
 * `migration_progress_report_interval` capability of the pools involved (the seed's option, where a server
 * reports it), else 5 s. Whatever the source, it stays within the interval bounds (0.5 s to 24 h).
 */
export async function resolvePollIntervalMs(
  explicitMs: number | undefined,
  settingSeconds: number | undefined,
  client: BlockStorageClient,
  hosts: (string | null | undefined)[],
): Promise<number> {
  if (explicitMs !== undefined) return explicitMs;
  if (typeof settingSeconds === 'number' && settingSeconds > 0) return bounded(settingSeconds * 1000);
  const wanted = hosts.filter((h): h is string => typeof h === 'string' && h !== '');
  if (wanted.length > 0) {
    try {
      const pools = await client.getPools();
      const intervals = pools
        .filter((p) => wanted.some((h) => p.name === h || p.name.startsWith(`${h}#`)))
        .map((p) => Number(p.capabilities?.migration_progress_report_interval))
        .filter((n) => Number.isFinite(n) && n > 0);
      if (intervals.length > 0) return bounded(Math.min(...intervals) * 1000);
    } catch {
      // Not an admin, or no scheduler stats: the default will do.
    }
  }
  return DEFAULT_INTERVAL_MS;
}

/** A server's capability is clamped, not refused: it is not the operator's typo. */
function bounded(ms: number): number {
  return Math.round(Math.min(INTERVAL_BOUNDS.maxMs!, Math.max(INTERVAL_BOUNDS.minMs!, ms)));
}
