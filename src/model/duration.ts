import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export interface DurationBounds {
  minMs?: number;
  maxMs?: number;
}

/** Poll intervals: faster than twice a second hammers the API, slower than a day is not a watch. */
export const INTERVAL_BOUNDS: DurationBounds = { minMs: 500, maxMs: 86_400_000 };
/** A per-request HTTP timeout: under a second fails healthy requests, over an hour hides a dead API. */
export const HTTP_TIMEOUT_BOUNDS: DurationBounds = { minMs: 1000, maxMs: 3_600_000 };

/**
 * The one duration grammar of every interval and timeout flag and settings key: `90s`, `10m`, `1h30m`, `2d`,
 * `1.5h`, `250ms`, or a bare number of seconds (`45`). A bad value, or one outside `bounds`, is a usage error naming
 * the flag, so a typo never silently means "wait forever" or "poll without pause".
 */
export function parseDuration(text: string, flag = 'duration', bounds: DurationBounds = {}): number {
  const s = String(text).trim().toLowerCase();
  let ms: number | undefined;
  if (/^\d+(\.\d+)?$/.test(s)) {
    ms = Number(s) * 1000;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) {
    ms = 0;
    for (const part of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(`invalid value for ${flag}: '${text}' (expected a positive duration such as 90s, 10m, 1h30m or plain seconds)`);
  }
  const { minMs, maxMs } = bounds;
  if ((minMs !== undefined && ms < minMs) || (maxMs !== undefined && ms > maxMs)) {
    const range = [minMs !== undefined ? `at least ${formatDurationShort(minMs)}` : '', maxMs !== undefined ? `at most ${formatDurationShort(maxMs)}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(`invalid value for ${flag}: '${text}' (expected ${range})`);
  }
  return Math.round(ms);
}

/** `500ms`, `1s`, `24h`: bounds as the grammar writes them. */
function formatDurationShort(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** `0:50`, `12:03`, `1:02:03`: the clock form used by progress lines and summaries. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `90s` → "1m30s" style for messages about timeouts. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  let out = '';
  if (h) out += `${h}h`;
  if (m) out += `${m}m`;
  if (s || !out) out += `${s}s`;
  return out;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Bytes as a number of GiB with one decimal, no unit ("1.5"); src/ui/format.ts formatGiB is for sizes already in GiB. */
export function formatBytesAsGiB(bytes: number): string {
  return (bytes / GIB).toFixed(1);
}

export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= GIB) return `${(bytesPerSecond / GIB).toFixed(1)} GiB/s`;
  if (bytesPerSecond >= 10 * MIB) return `${Math.round(bytesPerSecond / MIB)} MiB/s`;
  if (bytesPerSecond >= MIB) return `${(bytesPerSecond / MIB).toFixed(1)} MiB/s`;
  return `${Math.round(bytesPerSecond / 1024)} KiB/s`;
}

export { GIB, MIB };
