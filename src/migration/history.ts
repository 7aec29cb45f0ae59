// `volmig history`'s filters over the journal: --since, --cloud, --limit (--volume is the journal's own).
import { UsageError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import type { JournalEntry } from './journal.js';

/** `--since`, `--cloud`, `--limit` of `volmig history`, checked (`--volume` is the journal's own filter). */
export interface HistoryFilter {
  /** Entries at or after this time (epoch ms). */
  sinceMs?: number;
  cloud?: string;
  limit?: number;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export function parseHistoryFilter(flags: { since?: string; cloud?: string; limit?: string }, nowMs: number): HistoryFilter {
  const filter: HistoryFilter = {};
  if (flags.since !== undefined) {
    const text = flags.since.trim();
    const expected = `(expected a duration such as 90m, 2h or 7d, or an ISO time such as 2026-11-27T10:00:00Z)`;
    if (ISO_TIME.test(text)) {
      const at = Date.parse(text.replace(' ', 'T'));
      if (!Number.isFinite(at)) throw new UsageError(`invalid value for --since: '${flags.since}' ${expected}`);
      filter.sinceMs = at;
    } else {
      let ms: number;
      try {
        ms = parseDuration(text, '--since');
      } catch {
        throw new UsageError(`invalid value for --since: '${flags.since}' ${expected}`);
      }
      filter.sinceMs = nowMs - ms;
    }
  }
  if (flags.cloud !== undefined) {
    if (flags.cloud.trim() === '') throw new UsageError("invalid value for --cloud: '' (expected a cloud name or endpoint URL)");
    filter.cloud = flags.cloud.trim();
  }
  if (flags.limit !== undefined) {
    if (!/^\d+$/.test(flags.limit) || Number(flags.limit) < 1) {
      throw new UsageError(`invalid value for --limit: '${flags.limit}' (expected a positive whole number)`);
    }
    filter.limit = Number(flags.limit);
  }
  return filter;
}

/** The entries that pass the filter, in journal order; --limit keeps the most recent ones. */
export function filterHistory(entries: readonly JournalEntry[], filter: HistoryFilter): JournalEntry[] {
  let kept = entries.filter((e) => {
    if (filter.cloud !== undefined && e.cloud !== filter.cloud && e.cloud.replace(/\/$/, '') !== filter.cloud.replace(/\/$/, '')) return false;
    if (filter.sinceMs !== undefined) {
      const at = Date.parse(e.time);
      if (!Number.isFinite(at) || at < filter.sinceMs) return false;
    }
    return true;
  });
  if (filter.limit !== undefined && kept.length > filter.limit) kept = kept.slice(kept.length - filter.limit);
  return kept;
}
