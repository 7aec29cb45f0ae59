/**
 * Small, pure formatting helpers shared by every renderer. They never colour: colour is applied by the caller
 * after widths are computed, so padding stays right.
 */

/** The placeholder for "no value", as cinderclient prints it. */
export const NONE = '-';

/** Cinder sizes are whole GiB; capacities are floats in GiB or the words "infinite"/"unknown". */
export function formatGiB(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return NONE;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  if (Math.abs(n) >= 1024 * 1024) return `${trimNumber(n / (1024 * 1024))} PiB`;
  if (Math.abs(n) >= 1024) return `${trimNumber(n / 1024)} TiB`;
  return `${trimNumber(n)} GiB`;
}

function trimNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1).replace(/\.0$/, '');
}

/** Bytes as binary units (progress of a copy). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}

/** A duration for people: 45s, 3m 05s, 2h 04m, 1d 03h. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return NONE;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const seconds = totalSeconds % 60;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m ${pad2(seconds)}s`;
  const minutes = totalMinutes % 60;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours}h ${pad2(minutes)}m`;
  return `${Math.floor(totalHours / 24)}d ${pad2(totalHours % 24)}h`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Parses "90s", "30m", "1h", "1h30m", "2d" or a bare number of seconds into milliseconds;
 * undefined when the text is not a duration (the caller turns that into a usage error).
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(trimmed)) !== null) {
    total += Number(match[1]) * unitMs[match[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed > 0 && consumed === trimmed.length ? total : undefined;
}

/**
 * The proposed `migration_progress` value: a percent such as "42" for host-assisted copies, a word for
 * driver-assisted ones. Missing or non-numeric means "indeterminate", never 0%.
 */
export function formatProgress(value: unknown): string {
  if (value === undefined || value === null || value === '') return NONE;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?%?$/.test(text)) return `${text.replace(/%$/, '')}%`;
  return text;
}

export function orNone(value: unknown): string {
  if (value === undefined || value === null || value === '') return NONE;
  return String(value);
}

/** Visible length of a string that may contain ANSI colour codes. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
