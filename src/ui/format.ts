/**
 * Small, pure formatting helpers shared by every renderer. They never colour: colour is applied by the caller
 * after widths are computed, so padding stays right. Durations, clocks, copy rates and bytes copied live in
 * src/model/duration.ts: the domain's own messages (timeouts, stalls, summaries) need them too.
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
