import type { ChalkInstance } from 'chalk';
import type { JournalEntry } from '../migration/journal.js';
import type { OutputFormat } from '../model/output-format.js';
import type { FieldColumn } from './formats.js';

const BAD_OUTCOMES = new Set(['error', 'rejected', 'unknown', 'no-op', 'unclean']);

/** Every column of `volmig history`, in table order; the last three only on -c. */
export function historyColumns(c: ChalkInstance): FieldColumn<JournalEntry>[] {
  return [
    { header: 'Time', value: (e) => e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), raw: (e) => e.time },
    { header: 'Cloud', value: (e) => e.cloud, raw: (e) => e.cloud },
    { header: 'Action', value: (e) => e.action, raw: (e) => e.action },
    { header: 'Volume', value: (e) => (e.volume_name ? `${e.volume_name} (${e.volume_id})` : e.volume_id), raw: (e) => e.volume_id },
    { header: 'From', value: (e) => e.source_host ?? '-', raw: (e) => e.source_host ?? null },
    { header: 'To', value: (e) => e.destination ?? '-', raw: (e) => e.destination ?? null },
    {
      header: 'Outcome',
      value: (e) => e.outcome,
      color: (padded, e) => (e.outcome === 'success' ? c.green(padded) : BAD_OUTCOMES.has(e.outcome) ? c.red(padded) : padded),
      raw: (e) => e.outcome,
    },
    { header: 'Reason', value: (e) => e.reason ?? '-', raw: (e) => e.reason ?? null },
    { header: 'Volume ID', value: (e) => e.volume_id, raw: (e) => e.volume_id },
    { header: 'Volume name', value: (e) => e.volume_name ?? '-', raw: (e) => e.volume_name ?? null },
    { header: 'Request ID', value: (e) => e.request_id ?? '-', raw: (e) => e.request_id ?? null },
  ];
}

/**
 * The columns without -c: the first eight, where the table leaves Cloud out while every entry is of one cloud.
 * value and csv always have it, so that a script reads the same fields whatever the journal holds.
 */
export function defaultHistoryColumns<R extends FieldColumn<JournalEntry>>(all: readonly R[], entries: readonly JournalEntry[], format: OutputFormat): R[] {
  const columns = all.slice(0, 8);
  if (format !== 'table' || new Set(entries.map((e) => e.cloud)).size > 1) return columns;
  return columns.filter((c) => c.header !== 'Cloud');
}
